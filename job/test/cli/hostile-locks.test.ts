// Hostile review: an application holding ACCESS EXCLUSIVE on what is not a table (a sequence being
// altered, a view being replaced, a materialized view being refreshed) in an open transaction.
// pg_dump's --lock-wait-timeout only bounds its LOCK TABLE statements; the backup must still give up
// within --lock-wait-timeout (exit 10, retryable), never wait until --max-runtime.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";

let pgc: PgCluster;
let work: string;
let url: string;

beforeAll(async () => {
    pgc = await startPostgres();
    work = mkdtempSync(join(tmpdir(), "job-hostile-locks-"));
    url = await pgc.createDatabase("hotel");
    await pgc.query(
        "hotel",
        `CREATE SEQUENCE invoice_seq;
         CREATE TABLE guests (id int PRIMARY KEY, name text);
         INSERT INTO guests SELECT g, 'guest ' || g FROM generate_series(1, 50) g;
         CREATE VIEW guest_names AS SELECT name FROM guests;
         CREATE MATERIALIZED VIEW guest_count AS SELECT count(*) AS n FROM guests;`,
    );
});

afterAll(async () => {
    await pgc?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

async function backupWhileHeld(statement: string, dir: string) {
    const app = new pg.Client({ connectionString: url });
    await app.connect();
    try {
        await app.query("BEGIN");
        await app.query(statement);
        return await runCli(
            ["backup", "--database-url", url, "--to", `file://${dir}`, "--pg-bin", pgc.binDir, "--lock-wait-timeout", "2", "--max-runtime", "25"],
            {
                timeoutMs: 60_000,
            },
        );
    } finally {
        await app.end();
    }
}

it("an application altering a sequence in an open transaction does not hold the backup up (sequence reads take no conflicting lock)", async () => {
    const result = await backupWhileHeld("ALTER SEQUENCE invoice_seq RESTART WITH 500", join(work, "sequence"));
    expect(result.code, result.stdout + result.stderr).toBe(0);
});

describe.each([
    ["a view being replaced", "CREATE OR REPLACE VIEW guest_names AS SELECT name, id FROM guests", "public.guest_names"],
    ["a materialized view being refreshed", "REFRESH MATERIALIZED VIEW guest_count", "public.guest_count"],
])("an application holding %s in an open transaction", (_label, statement, view) => {
    it("backup gives up within --lock-wait-timeout (exit 10, retryable, naming the view), not at --max-runtime; nothing written", async () => {
        const dir = join(work, view);
        const result = await backupWhileHeld(statement, dir);
        expect(result.code, result.stdout + result.stderr).toBe(10);
        const error = errorOf(result);
        expect(error.message).toBe(
            `pg_dump could not lock view ${view} within --lock-wait-timeout 2 s: another session holds a conflicting lock (e.g. a migration holding ` +
                "ACCESS EXCLUSIVE); retry the backup once it has finished",
        );
        expect(error.context).toMatchObject({ view, retryable: true, lockWaitTimeoutSeconds: 2, exitCode: 10 });
        expect(readdirSync(join(dir, "manifests"))).toEqual([]);
        expect(readdirSync(join(dir, "dumps"))).toEqual([]);
    });
});

it("a table the backup role may not read is exit 5 naming PostgreSQL's refusal, not an internal error", async () => {
    await pgc.query(
        "hotel",
        "CREATE ROLE reader LOGIN PASSWORD 'reader-password-for-tests'; GRANT SELECT ON guests TO reader; CREATE TABLE private_notes (n text)",
    );
    const result = await runCli(
        [
            "backup",
            "--database-url",
            pgc.url("hotel", { user: "reader", password: "reader-password-for-tests" }),
            "--to",
            `file://${join(work, "denied")}`,
            "--pg-bin",
            pgc.binDir,
        ],
        { timeoutMs: 60_000 },
    );
    expect(result.code, result.stdout + result.stderr).toBe(5);
    expect(errorOf(result).message).toContain("permission denied for table private_notes");
});

it("the production backup role (read-only default, pg_read_all_data, BYPASSRLS) backs up through the lock check: FORCE RLS owned by another role, unlogged, partitioned, a publication", async () => {
    await pgc.createDatabase("features");
    await pgc.query(
        "features",
        `CREATE ROLE owner_app; CREATE ROLE backup_ro LOGIN BYPASSRLS PASSWORD 'backup-password-for-tests';
         GRANT pg_read_all_data TO backup_ro; ALTER ROLE backup_ro SET default_transaction_read_only = on;
         CREATE TABLE secrets (id int, tenant text); INSERT INTO secrets SELECT g, 't' || (g % 3) FROM generate_series(1, 30) g;
         ALTER TABLE secrets OWNER TO owner_app; ALTER TABLE secrets ENABLE ROW LEVEL SECURITY; ALTER TABLE secrets FORCE ROW LEVEL SECURITY;
         CREATE POLICY only_t1 ON secrets USING (tenant = 't1');
         CREATE UNLOGGED TABLE cache (k int); INSERT INTO cache SELECT generate_series(1, 7);
         CREATE TABLE stays (d date, n int) PARTITION BY RANGE (d);
         CREATE TABLE stays_2026 PARTITION OF stays FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
         INSERT INTO stays SELECT '2026-03-01'::date + g, g FROM generate_series(1, 5) g;
         CREATE VIEW tenant_counts AS SELECT tenant, count(*) FROM secrets GROUP BY tenant;
         CREATE PUBLICATION stays_pub FOR TABLE stays_2026;`,
    );
    const to = `file://${join(work, "features")}`;
    const asBackup = pgc.url("features", { user: "backup_ro", password: "backup-password-for-tests" });
    const backup = await runCli(["backup", "--database-url", asBackup, "--to", to, "--pg-bin", pgc.binDir], { timeoutMs: 60_000 });
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    const verify = await runCli(["verify", "--from", to, "--scratch-database-url", pgc.url("postgres"), "--pg-bin", pgc.binDir], { timeoutMs: 60_000 });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.logs.find((l) => l.message === "verify table results")!.context!["tables"]).toEqual([
        { schema: "public", name: "cache", expected: 7, actual: 7, ok: true },
        { schema: "public", name: "secrets", expected: 30, actual: 30, ok: true },
        { schema: "public", name: "stays_2026", expected: 5, actual: 5, ok: true },
    ]);
});
