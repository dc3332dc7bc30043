// Hostile review: what the drill and the restore do with names and settings a real database can hold:
// tables whose qualified names read alike, and database settings that only a superuser may set.
// Real CLI, PostgreSQL 15, pg_dump/pg_restore/psql, zstd.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { errorOf, runCli } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";

let pg: PgCluster;
let work: string;

beforeAll(async () => {
    pg = await startPostgres();
    work = mkdtempSync(join(tmpdir(), "job-hostile-names-"));
});

afterAll(async () => {
    await pg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

describe("tables whose schema-qualified names read alike", () => {
    it('verify tells schema "a.b" table "c" from schema "a" table "b.c" (a good backup passes the drill)', async () => {
        const url = await pg.createDatabase("dotted");
        await pg.query(
            "dotted",
            `CREATE SCHEMA "a.b"; CREATE SCHEMA a;
             CREATE TABLE "a.b".c (id int); INSERT INTO "a.b".c VALUES (1);
             CREATE TABLE a."b.c" (id int); INSERT INTO a."b.c" VALUES (1), (2);`,
        );
        const to = `file://${join(work, "dotted")}`;
        const backup = await runCli(["backup", "--database-url", url, "--to", to, "--pg-bin", pg.binDir]);
        expect(backup.code, backup.stdout + backup.stderr).toBe(0);
        const verify = await runCli(["verify", "--from", to, "--scratch-database-url", pg.url("postgres"), "--pg-bin", pg.binDir]);
        expect(verify.code, verify.stdout + verify.stderr).toBe(0);
        const results = verify.logs.find((l) => l.message === "verify table results")!.context!["tables"];
        expect(results).toEqual([
            { schema: "a", name: "b.c", expected: 2, actual: 2, ok: true },
            { schema: "a.b", name: "c", expected: 1, actual: 1, ok: true },
        ]);
    });
});

describe("a database setting only a superuser may set", () => {
    it("a restore by the target's (non-superuser) owner is refused up front naming it, and works with --skip-database-settings or the SET privilege", async () => {
        const url = await pg.createDatabase("logged");
        await pg.query("logged", "CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
        await pg.query("postgres", "ALTER DATABASE logged SET log_min_duration_statement = 0");
        await pg.query("postgres", "ALTER DATABASE logged SET timezone = 'Europe/Paris'");
        await pg.query("postgres", "CREATE ROLE app LOGIN PASSWORD 'app-password-for-tests'");
        const to = `file://${join(work, "logged")}`;
        const backup = await runCli(["backup", "--database-url", url, "--to", to, "--pg-bin", pg.binDir]);
        expect(backup.code, backup.stdout + backup.stderr).toBe(0);
        const restoreAsApp = async (database: string, extra: string[] = []) => {
            await pg.query("postgres", `CREATE DATABASE ${database} OWNER app`);
            const into = pg.url(database, { user: "app", password: "app-password-for-tests" });
            return runCli(["restore", "--from", to, "--database-url", into, "--pg-bin", pg.binDir, ...extra]);
        };

        // always: a checksum pass would show that the dump was read before the refusal (auto skips it in this private folder).
        const refused = await restoreAsApp("logged_refused", ["--checksum-pass", "always"]);
        expect(refused.code, refused.stdout + refused.stderr).toBe(ExitCode.Refused);
        expect(errorOf(refused).message).toMatch(
            /^refusing to restore into .*logged_refused: backup "logged_\w+" brings back database settings this role may not set \(superuser-only\): log_min_duration_statement\. Pass --skip-database-settings/,
        );
        expect(refused.logs.some((l) => l.message === "dump checksum verified")).toBe(false);
        expect(await pg.query("logged_refused", "SELECT count(*)::int AS n FROM pg_class WHERE relname = 't'")).toEqual([{ n: 0 }]);

        const skipped = await restoreAsApp("logged_skipped", ["--skip-database-settings"]);
        expect(skipped.code, skipped.stdout + skipped.stderr).toBe(0);

        await pg.query("postgres", "GRANT SET ON PARAMETER log_min_duration_statement TO app");
        const granted = await restoreAsApp("logged_granted");
        expect(granted.code, granted.stdout + granted.stderr).toBe(0);
        expect(
            await pg.query(
                "postgres",
                "SELECT setconfig FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = 'logged_granted')",
            ),
        ).toEqual([{ setconfig: ["log_min_duration_statement=0", "TimeZone=Europe/Paris"] }]);
    });
});
