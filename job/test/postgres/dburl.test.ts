import { describe, expect, it } from "vitest";
import { directEndpointFor, parseDatabaseUrl, pgClientConfig, refusePoolerHost, withDatabase } from "../../src/postgres/dburl.js";
import { isRetryableConnectError, isAuthError } from "../../src/postgres/db.js";
import { ExitCode } from "../../src/errors.js";
import { redact, redactUrl } from "../../src/observability/redact.js";
import { leakedFragments } from "../support/leaks.js";
import { exitOf, failure, messageOf } from "../support/errors.js";

describe("database urls", () => {
    it("moves the password out of the URL", () => {
        const db = parseDatabaseUrl("postgresql://app:s%40cret@db.example:5432/hotel?sslmode=require", "--database-url");
        expect(db).toMatchObject({ password: "s@cret", host: "db.example", database: "hotel" });
        expect(db.withoutPassword).toBe("postgresql://app@db.example:5432/hotel?sslmode=require");
        expect(withDatabase("postgresql://a:b@h:1/postgres", "scratch_1")).toBe("postgresql://a:b@h:1/scratch_1");
    });
    it("rejects non-postgres URLs and missing databases", () => {
        expect(messageOf(() => parseDatabaseUrl("mysql://u:p@h/db", "--database-url"))).toMatch(/scheme "mysql:"/);
        expect(messageOf(() => parseDatabaseUrl("postgresql://u:p@h", "--database-url"))).toMatch(/names no database/);
        expect(messageOf(() => parseDatabaseUrl("postgresql://u:hunter22@h", "--database-url"))).not.toContain("hunter22");
    });
    it("refuses Neon pooler hosts and names the direct endpoint", () => {
        expect(directEndpointFor("ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech")).toBe("ep-cool-darkness-123456.us-east-2.aws.neon.tech");
        expect(directEndpointFor("ep-cool-darkness-123456.us-east-2.aws.neon.tech")).toBeUndefined();
        const db = parseDatabaseUrl("postgresql://u:p@ep-x-1-pooler.eu-central-1.aws.neon.tech/neondb", "--database-url");
        expect(exitOf(() => refusePoolerHost(db, "--database-url"))).toBe(ExitCode.Usage);
        expect(messageOf(() => refusePoolerHost(db, "--database-url"))).toContain('direct endpoint "ep-x-1.eu-central-1.aws.neon.tech"');
    });
    it("retries refused connections and timeouts, never authentication failures", () => {
        expect(isRetryableConnectError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe(true);
        expect(isRetryableConnectError(new Error("Connection terminated due to connection timeout"))).toBe(true);
        expect(isRetryableConnectError(Object.assign(new Error("the database system is starting up"), { code: "57P03" }))).toBe(true);
        const auth = Object.assign(new Error('password authentication failed for user "x"'), { code: "28P01" });
        expect(isRetryableConnectError(auth)).toBe(false);
        expect(isAuthError(auth)).toBe(true);
    });
});

describe("database URLs as typed", () => {
    // [what the user typed as the password, exit code (undefined = accepted), what the message must say]
    const cases: [string, number | undefined, RegExp | undefined][] = [
        ["Rq7@Kx9@wV", ExitCode.Usage, /more than one "@" before the host: @ in the password .* must be written %40/],
        ["Rq7#Kx9wV", ExitCode.Usage, /an "@" after a "\/", "\?" or "#".*# as %23/],
        ["Rq7/Kx9wV", ExitCode.Usage, /an "@" after a "\/", "\?" or "#".*\/ as %2F/],
        ["Rq7?Kx9wV", ExitCode.Usage, /an "@" after a "\/", "\?" or "#".*\? as %3F/],
        ["Rq7%Kx9wV", ExitCode.Usage, /"%" in the password that is not a valid percent escape: write % itself as %25/],
        ["Rq7%C3%28wV", ExitCode.Usage, /"%" in the password that is not a valid percent escape/],
        ["Rq7%40Kx9%2FwV%23", undefined, undefined],
        ["Rq7:Kx9:wV", undefined, undefined],
        ["Rq7 Kx9 wV", undefined, undefined],
        [`Rq7'Kx"9\\wV`, undefined, undefined],
        ["Žluťoučký-kůň-Ωж", undefined, undefined],
    ];
    it.each(cases)("password %j: exit %s, nothing of it in the message", (typed, exit, message) => {
        const raw = `postgresql://app:${typed}@db.example.com:5432/hotel?sslmode=require`;
        if (exit === undefined) {
            const db = parseDatabaseUrl(raw, "--database-url");
            expect(db.password).toBe(decodeURIComponent(typed));
            expect(db.withoutPassword).toBe("postgresql://app@db.example.com:5432/hotel?sslmode=require");
            expect(redactUrl(raw)).toBe("postgresql://app:***@db.example.com:5432/hotel?sslmode=require");
            return;
        }
        const error = failure(() => parseDatabaseUrl(raw, "--database-url"));
        expect(error.exitCode).toBe(exit);
        expect(error.message).toMatch(/^--database-url /);
        expect(error.message).toMatch(message!);
        expect(leakedFragments(redact(error.message), typed)).toEqual([]);
        expect(leakedFragments(error.message, typed)).toEqual([]);
    });

    it("refuses other schemes and non-URLs without echoing them", () => {
        const notUrl = failure(() => parseDatabaseUrl("host=db user=app password=Zx8!secret", "--database-url"));
        expect([notUrl.exitCode, notUrl.message]).toEqual([ExitCode.Usage, expect.stringMatching(/is not a URL: use one such as postgresql:\/\//)]);
        expect(notUrl.message).not.toContain("Zx8!");
        const mysql = failure(() => parseDatabaseUrl("mysql://app:Zx8!secret@h/db", "--scratch-database-url"));
        expect(mysql.message).toMatch(/^--scratch-database-url has scheme "mysql:": allowed are postgres:\/\/ and postgresql:\/\//);
        expect(mysql.message).not.toContain("Zx8!");
        const badPort = failure(() => parseDatabaseUrl("postgresql://app:Zx8!secret@h:99999/db", "--database-url"));
        expect(badPort.message).toMatch(/"postgresql:\/\/app:\*\*\*@h:99999\/db" is not a valid URL/);
        expect(failure(() => parseDatabaseUrl("postgresql://app:Zx8!secret@h", "--database-url")).message).toMatch(/names no database/);
    });

    it("reads percent-encoded / # ? % @ in the database name, and hands them to node-postgres decoded", () => {
        const raw = "postgresql://app:p%40ss%2Fw%23rd@db.example.com:5433/ops%2Fq%23x%3Fy%25z%40w?sslmode=disable";
        expect(parseDatabaseUrl(raw, "--database-url")).toMatchObject({ database: "ops/q#x?y%z@w", password: "p@ss/w#rd", host: "db.example.com" });
        expect(pgClientConfig(raw)).toMatchObject({ database: "ops/q#x?y%z@w", password: "p@ss/w#rd", user: "app", host: "db.example.com", port: 5433 });
        expect(pgClientConfig("postgresql://app@h/db").password).toBeUndefined();
    });
});
