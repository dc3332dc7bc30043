// The restore drill tells the truth, run as the documented role (LOGIN CREATEDB, not a superuser):
// counts see every row under FORCE ROW LEVEL SECURITY, a count that fails says why, the scratch
// database comes from template0, and a failed CREATE DATABASE says what failed. Real CLI, PostgreSQL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countKey, countTables } from "../../src/commands/verify.js";
import { ExitCode } from "../../src/errors.js";
import { errorOf, runCli } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";

let cluster: PgCluster;
let work: string;
let to: string;
const DRILL = { user: "drill", password: "drill-test-only" };

beforeAll(async () => {
    cluster = await startPostgres();
    work = mkdtempSync(join(tmpdir(), "job-verify-truth-"));
    to = `file://${join(work, "backups")}`;
    await cluster.query("postgres", `CREATE ROLE drill LOGIN CREATEDB PASSWORD '${DRILL.password}'`);
    await cluster.createDatabase("hotel");
    // The app's tables as production has them: policies that show a session only its own tenant's rows, forced on the owner too.
    await cluster.query(
        "hotel",
        `CREATE TABLE guests (id int PRIMARY KEY, tenant text NOT NULL);
         INSERT INTO guests SELECT i, 'hotel-' || (i % 3) FROM generate_series(1, 30) AS i;
         ALTER TABLE guests ENABLE ROW LEVEL SECURITY;
         ALTER TABLE guests FORCE ROW LEVEL SECURITY;
         CREATE POLICY tenant_only ON guests USING (tenant = current_setting('app.tenant', true));
         CREATE TABLE rooms (code text PRIMARY KEY);
         INSERT INTO rooms VALUES ('STD'), ('DLX');`,
    );
    const result = await runCli(["backup", "--database-url", cluster.url("hotel"), "--to", to, "--pg-bin", cluster.binDir]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
    await cluster?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

const drill = (credentials = DRILL) =>
    runCli(["verify", "--from", to, "--scratch-database-url", cluster.url("postgres", credentials), "--pg-bin", cluster.binDir]);

describe("verify as a CREATEDB role that is no superuser", () => {
    it("counts every row of a table with FORCE ROW LEVEL SECURITY, and says it lifted FORCE in the scratch copy", async () => {
        const result = await drill();
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.logs.find((l) => l.message === "verify passed")!.context).toMatchObject({ tables: 2, rows: 32 });
        expect(result.logs.find((l) => l.message.startsWith("row-level security FORCE lifted"))!.context).toMatchObject({ tables: ["public.guests"] });
        // The source keeps its FORCE: only the scratch copy was changed.
        expect(await cluster.query("hotel", "SELECT relforcerowsecurity AS forced FROM pg_class WHERE relname = 'guests'")).toEqual([{ forced: true }]);
    });

    it("reports a count that fails with its error, and a missing table as missing", async () => {
        await cluster.createDatabase("counted");
        await cluster.query("counted", "CREATE TABLE secret (id int); INSERT INTO secret VALUES (1)");
        const client = new pg.Client({ connectionString: cluster.url("counted", DRILL) });
        await client.connect();
        try {
            const counts = await countTables(client, [
                { schema: "public", name: "secret", rows: 1 },
                { schema: "public", name: "gone", rows: 1 },
            ]);
            expect(Object.fromEntries(counts)).toEqual({
                [countKey({ schema: "public", name: "secret" })]: { error: "the count failed: permission denied for table secret" },
                [countKey({ schema: "public", name: "gone" })]: { error: "the table is missing after the restore" },
            });
        } finally {
            await client.end();
        }
    });

    it("says what failed when the scratch database cannot be created, blaming CREATEDB only when it is missing", async () => {
        await cluster.query("postgres", "CREATE ROLE nocreate LOGIN PASSWORD 'nocreate-test-only'");
        const denied = await drill({ user: "nocreate", password: "nocreate-test-only" });
        expect(denied.code).toBe(ExitCode.Restore);
        expect(errorOf(denied).message).toMatch(/permission denied to create database \(SQLSTATE 42501\) \(the role needs CREATEDB\)$/);

        await cluster.query("postgres", "CREATE ROLE readonly LOGIN CREATEDB PASSWORD 'readonly-test-only'");
        await cluster.query("postgres", "ALTER ROLE readonly SET default_transaction_read_only = on");
        const readOnly = await drill({ user: "readonly", password: "readonly-test-only" });
        expect(readOnly.code).toBe(ExitCode.Restore);
        expect(errorOf(readOnly).message).toMatch(/cannot execute CREATE DATABASE in a read-only transaction \(SQLSTATE 25006\)$/);
        expect(errorOf(readOnly).message).not.toContain("CREATEDB");
    });

    // Last: what is planted in template1 is in every database created from it afterwards.
    it("creates the scratch database from template0, so an object planted in template1 does not fail the drill", async () => {
        await cluster.query("template1", "CREATE TABLE public.rooms (code text PRIMARY KEY, planted boolean)");
        const result = await drill();
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.logs.find((l) => l.message === "verify passed")).toBeDefined();
    });
});
