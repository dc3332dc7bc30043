// Pure tests: database URLs as typed (however awkward), redaction, and backup references.
import { describe, expect, it } from "vitest";
import { parseDatabaseUrl, pgClientConfig } from "../src/postgres/dburl.js";
import { ExitCode, JobError } from "../src/errors.js";
import { formatListTable, listEntries } from "../src/commands/list.js";
import { parseManifest, serializeManifest, type Manifest } from "../src/storage/manifest.js";
import { passwordCandidates, redact, redactUrl, registerSecret } from "../src/observability/redact.js";
import { couldBeNewer } from "../src/storage/resolve-backup.js";
import { callerDirectory, parseTarget } from "../src/storage/target.js";
import { leakedFragments } from "./support/leaks.js";

function failure(fn: () => unknown): JobError {
    try {
        fn();
    } catch (error) {
        if (error instanceof JobError) return error;
        throw error;
    }
    throw new Error("expected a JobError");
}

function manifest(id: string, startedAt: string): Manifest {
    return {
        manifestVersion: 1,
        id,
        name: id.split("_")[0]!,
        database: "hotel",
        serverVersion: "15.18",
        serverMajor: "15",
        pgDumpVersion: "pg_dump (PostgreSQL) 15.18",
        pgDumpMajor: "15",
        format: "custom",
        compression: { algorithm: "zstd", level: 3 },
        dump: `dumps/${id}.pgdump.zst`,
        bytes: 2048,
        sha256: "b".repeat(64),
        startedAt,
        finishedAt: startedAt,
        durationSeconds: 1,
        tables: [{ schema: "public", name: "guests", rows: 3 }],
        largeObjects: 0,
        tool: { name: "@hotelgenius/backup-job", version: "0.1.0" },
    };
}

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

describe("redaction", () => {
    it("registers every reading of a password before parsing: WHATWG's last @, libpq's first @, raw and decoded", () => {
        expect(passwordCandidates("postgresql://app:Kq9@Vw7@h/db")).toEqual(["Kq9@Vw7", "Kq9@Vw7", "Kq9", "Kq9"]);
        expect(passwordCandidates("postgresql://app:Kq9%40Vw7@h/db?password=Zz%2F8")).toEqual(["Kq9%40Vw7", "Kq9@Vw7", "Kq9%40Vw7", "Kq9@Vw7", "Zz%2F8", "Zz/8"]);
        expect(passwordCandidates("postgresql://h:5432/db")).toEqual([]);
    });

    it("masks a URL's password by position, whatever its characters", () => {
        expect(redactUrl("postgresql://app:Kq9@Vw7/x#y z@h/db")).toBe("postgresql://app:***@h/db");
        expect(redactUrl("postgresql://app:x@h/db")).toBe("postgresql://app:***@h/db");
        expect(redactUrl("postgresql://app@h:5432/db?password=Zz9q")).toBe("postgresql://app@h:5432/db?password=***");
        expect(redactUrl("postgresql://h:5432/db")).toBe("postgresql://h:5432/db");
    });

    it("masks registered secrets also where JSON escaped them, the longest first", () => {
        registerSecret(`Qu"o\\te9`);
        registerSecret("Kw8");
        const line = JSON.stringify({ message: `auth Qu"o\\te9 failed`, short: "Kw8 stays" });
        expect(redact(line)).toBe(JSON.stringify({ message: "auth *** failed", short: "Kw8 stays" }));
        registerSecret("Mm7Nn6");
        registerSecret("Mm7Nn6Pp5");
        expect(redact("x Mm7Nn6Pp5 y")).toBe("x *** y");
    });
});

describe("backup references", () => {
    it("refuses a manifest whose own id names another backup (exit 7, both ids)", () => {
        const m = manifest("hotel_20261124T030000Z", "2026-11-24T03:00:00.000Z");
        const error = failure(() => parseManifest(serializeManifest(m), "manifests/hotel_20261125T030000Z.json", "hotel_20261125T030000Z"));
        expect(error.exitCode).toBe(ExitCode.Verification);
        expect(error.message).toMatch(/stored as backup "hotel_20261125T030000Z" but its own id is "hotel_20261124T030000Z"/);
    });

    it("counts a damaged manifest as possibly newer from its key's timestamp, or when that cannot be read", () => {
        const newest = manifest("hotel_20261124T030000Z", "2026-11-24T03:00:00.700Z");
        const damaged = (id: string) => ({ id, key: `manifests/${id}.json`, reason: "not JSON" });
        expect(couldBeNewer(damaged("hotel_20261123T030000Z"), newest)).toBe(false);
        expect(couldBeNewer(damaged("hotel_20261124T030000Z"), newest)).toBe(true);
        expect(couldBeNewer(damaged("hotel_20261125T030000Z"), newest)).toBe(true);
        expect(couldBeNewer(damaged("notes"), newest)).toBe(true);
        // Month 13 would otherwise read as January of the next year, or an earlier time past 23:59:59.
        expect(couldBeNewer(damaged("hotel_20261300T250000Z"), newest)).toBe(true);
        expect(couldBeNewer(damaged("hotel_20200132T000000Z"), newest)).toBe(true);
        expect(couldBeNewer(damaged("hotel_20261123T030000Z"), undefined)).toBe(true);
    });

    it("lists damaged manifests where their start time puts them, as DAMAGED rows and --json entries", () => {
        const older = manifest("hotel_20261123T030000Z", "2026-11-23T03:00:00.000Z");
        const newer = manifest("hotel_20261125T030000Z", "2026-11-25T03:00:00.000Z");
        const entries = listEntries(
            [older, newer],
            [
                { id: "hotel_20261124T030000Z", key: "manifests/hotel_20261124T030000Z.json", reason: "manifest is not valid JSON" },
                { id: "notes", key: "manifests/notes.json", reason: "manifest is not a JSON object" },
            ],
        );
        expect(entries.map((e) => e.id)).toEqual(["notes", "hotel_20261125T030000Z", "hotel_20261124T030000Z", "hotel_20261123T030000Z"]);
        expect(entries[2]).toEqual({ id: "hotel_20261124T030000Z", key: "manifests/hotel_20261124T030000Z.json", damaged: "manifest is not valid JSON" });
        expect(formatListTable(entries).split("\n")).toEqual([
            "ID                      STARTED (UTC)         SIZE     TABLES  ROWS  DURATION  PG_DUMP",
            "notes                   ?                     DAMAGED  manifest is not a JSON object",
            "hotel_20261125T030000Z  2026-11-25T03:00:00Z  2.0 KiB  1       3     1.0s      15",
            "hotel_20261124T030000Z  2026-11-24T03:00:00Z  DAMAGED  manifest is not valid JSON",
            "hotel_20261123T030000Z  2026-11-23T03:00:00Z  2.0 KiB  1       3     1.0s      15",
            "",
        ]);
    });
});

describe("file:// targets", () => {
    it("resolve relative directories against INIT_CWD when npm set it, else the process's own", () => {
        expect(callerDirectory({ INIT_CWD: "/home/ops" }, "/repo")).toBe("/home/ops");
        expect(callerDirectory({}, "/repo")).toBe("/repo");
        expect(callerDirectory({ INIT_CWD: "relative" }, "/repo")).toBe("/repo");
        expect(parseTarget("file://./backups", "--to", callerDirectory({ INIT_CWD: "/home/ops" }, "/repo"))).toMatchObject({ dir: "/home/ops/backups" });
    });

    it("refuse a bad percent escape with exit 2 naming the option, not an internal error", () => {
        expect(parseTarget("file://50%25off", "--to", "/srv")).toMatchObject({ dir: "/srv/50%off" });
        const error = failure(() => parseTarget("file://50%off", "BACKUP_TARGET", "/srv"));
        expect(error.exitCode).toBe(ExitCode.Usage);
        expect(error.message).toMatch(/^BACKUP_TARGET "file:\/\/50%off" has a "%" that is not a valid percent escape: write % itself as %25/);
    });
});
