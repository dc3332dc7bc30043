// Hostile review: what the drill and the restore do with names and settings a real database can hold.
// Real CLI, PostgreSQL 15, pg_dump/pg_restore/psql, zstd.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
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
