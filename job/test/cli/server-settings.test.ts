// Real servers' settings and states: role- and database-level timeouts and search_path must not stop
// backup, restore or verify; a read-only or template target is refused; restore --clean never waits
// in silence and never fails at COMMIT for objects outside schemas that it could have known about.
import { rmSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pgDriver from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { errorOf, runCli, type CliResult } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";

const PASSWORD = "Rt5-settings-Lq2";
let pg: PgCluster;
let work: string;
let count = 0;

beforeAll(async () => {
    pg = await startPostgres();
    work = mkdtempSync(join(tmpdir(), "job-settings-"));
});

afterAll(async () => {
    await pg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

/** A login role owning a database with 200,000 rows (a count(*) of them takes far more than 1 ms). */
async function roleWithDatabase(): Promise<{ role: string; db: string; url: (database?: string) => string }> {
    const n = ++count;
    const role = `settings_role_${n}`;
    const db = `settings_db_${n}`;
    await pg.query("postgres", `CREATE ROLE ${role} LOGIN CREATEDB PASSWORD '${PASSWORD}'`);
    await pg.query("postgres", `CREATE DATABASE ${db} OWNER ${role}`);
    await pg.query(
        db,
        `SET ROLE ${role}; CREATE SCHEMA odd; CREATE TABLE public.rooms (id int PRIMARY KEY, note text);
         INSERT INTO public.rooms SELECT g, md5(g::text) FROM generate_series(1, 200000) g`,
    );
    return { role, db, url: (database = db) => `postgresql://${role}:${PASSWORD}@127.0.0.1:${pg.port}/${database}` };
}

async function emptyDatabaseOf(role: string): Promise<string> {
    const name = `settings_target_${++count}`;
    await pg.query("postgres", `CREATE DATABASE ${name} OWNER ${role}`);
    return name;
}

const out = (r: CliResult) => r.stdout + r.stderr;

/** Rows of public.rooms, counted past the database's own settings (its timeouts, its search_path). */
async function roomsIn(database: string): Promise<number> {
    const client = new pgDriver.Client({ connectionString: pg.url(database), options: "-c statement_timeout=0 -c search_path=pg_catalog" });
    await client.connect();
    try {
        return Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM public.rooms")).rows[0]!.n);
    } finally {
        await client.end();
    }
}

/** A session's SQL for each setting; the search_path one puts an aggregate named count ahead of pg_catalog's. */
const SETTINGS: [string, string][] = [
    ["statement_timeout", "statement_timeout = '1ms'"],
    ["idle_in_transaction_session_timeout", "idle_in_transaction_session_timeout = '1ms'"],
    ["search_path", "search_path = odd, pg_catalog, public"],
];

describe("role- and database-level settings do not stop the job", () => {
    for (const level of ["ROLE", "DATABASE"] as const) {
        it.each(SETTINGS)(`${level} ... SET %s: backup, restore --clean and verify succeed with true counts`, { timeout: 120_000 }, async (_name, setting) => {
            const { role, db, url } = await roleWithDatabase();
            // An aggregate odd.count(*) that starts at 1000: a count resolved through this search_path is off by 1000.
            await pg.query(db, `SET ROLE ${role}; CREATE AGGREGATE odd.count(*) (SFUNC = int8inc, STYPE = int8, INITCOND = '1000')`);
            const target = await emptyDatabaseOf(role);
            await pg.query(target, `SET ROLE ${role}; CREATE TABLE leftover (id int)`);
            const subject = level === "ROLE" ? role : db;
            await pg.query("postgres", `ALTER ${level} ${subject} SET ${setting}`);
            if (level === "DATABASE") await pg.query("postgres", `ALTER DATABASE ${target} SET ${setting}`);
            const from = `file://${join(work, `${level}-${_name}`)}`;

            const backup = await runCli(["backup", "--database-url", url(), "--to", from, "--pg-bin", pg.binDir]);
            expect(backup.code, out(backup)).toBe(0);
            const done = backup.logs.find((l) => l.message === "backup complete")!;
            expect(done.context!["rows"]).toBe(200_000);
            const restore = await runCli(["restore", "--database-url", url(target), "--from", from, "--clean", "--pg-bin", pg.binDir]);
            expect(restore.code, out(restore)).toBe(0);
            expect(await roomsIn(target)).toBe(200_000);
            const verify = await runCli(["verify", "--scratch-database-url", url("postgres"), "--from", from, "--pg-bin", pg.binDir]);
            expect(verify.code, out(verify)).toBe(0);
        });
    }

    it("ROLE ... SET lock_timeout = '1ms': restore --clean waits for a lock held 2 s (bounded by --lock-wait-timeout), then succeeds", async () => {
        const { role, db, url } = await roleWithDatabase();
        const from = `file://${join(work, "lock-timeout")}`;
        expect((await runCli(["backup", "--database-url", url(), "--to", from, "--pg-bin", pg.binDir])).code).toBe(0);
        await pg.query("postgres", `ALTER ROLE ${role} SET lock_timeout = '1ms'`);
        const app = new pgDriver.Client({ connectionString: pg.url(db) });
        await app.connect();
        try {
            await app.query("BEGIN; SELECT count(*) FROM public.rooms");
            setTimeout(() => void app.query("COMMIT"), 2000);
            const restore = await runCli(["restore", "--database-url", url(), "--from", from, "--clean", "--lock-wait-timeout", "30", "--pg-bin", pg.binDir]);
            expect(restore.code, out(restore)).toBe(0);
        } finally {
            await app.end();
        }
    });
});

describe("targets a restore must not write to", () => {
    for (const level of ["ROLE", "DATABASE"] as const) {
        it(`default_transaction_read_only set on the ${level}: exit 9 at once, saying so, nothing read or changed`, async () => {
            const { role, url } = await roleWithDatabase();
            const from = `file://${join(work, `read-only-${level}`)}`;
            expect((await runCli(["backup", "--database-url", url(), "--to", from, "--pg-bin", pg.binDir])).code).toBe(0);
            const target = await emptyDatabaseOf(role);
            await pg.query("postgres", `ALTER ${level} ${level === "ROLE" ? role : target} SET default_transaction_read_only = on`);
            // always: a checksum pass would show that the dump was read before the refusal (auto skips it in this private folder).
            const restore = await runCli(["restore", "--database-url", url(target), "--from", from, "--pg-bin", pg.binDir, "--checksum-pass", "always"]);
            expect(restore.code, out(restore)).toBe(ExitCode.Refused);
            const error = errorOf(restore);
            expect(error.message).toMatch(
                new RegExp(
                    `default_transaction_read_only is on for this session \\(set on the ${level === "ROLE" ? "user" : "database"}\\).*does not override it`,
                ),
            );
            expect(restore.logs.some((l) => l.message === "dump checksum verified")).toBe(false);
            expect(await pg.query(target, "SELECT count(*)::int AS n FROM pg_class WHERE relname = 'rooms'")).toEqual([{ n: 0 }]);
        });
    }

    it("a template database: exit 9, nothing restored", async () => {
        const { role, url } = await roleWithDatabase();
        const from = `file://${join(work, "template")}`;
        expect((await runCli(["backup", "--database-url", url(), "--to", from, "--pg-bin", pg.binDir])).code).toBe(0);
        const target = await emptyDatabaseOf(role);
        await pg.query("postgres", `ALTER DATABASE ${target} IS_TEMPLATE true`);
        const restore = await runCli(["restore", "--database-url", url(target), "--from", from, "--pg-bin", pg.binDir]);
        expect(restore.code, out(restore)).toBe(ExitCode.Refused);
        expect(errorOf(restore).message).toMatch(/it is a template database/);
        expect(await pg.query(target, "SELECT count(*)::int AS n FROM pg_class WHERE relname = 'rooms'")).toEqual([{ n: 0 }]);
    });
});

describe("restore --clean never waits in silence", () => {
    it("an application session idle in a transaction: exit 10 after --lock-wait-timeout, naming it; nothing changed", async () => {
        const { db, url } = await roleWithDatabase();
        const from = `file://${join(work, "blocked")}`;
        expect((await runCli(["backup", "--database-url", url(), "--to", from, "--pg-bin", pg.binDir])).code).toBe(0);
        await pg.query(db, "INSERT INTO public.rooms VALUES (0, 'changed since the backup')");
        const app = new pgDriver.Client({ connectionString: pg.url(db), application_name: "hotel-api" });
        await app.connect();
        try {
            await app.query("BEGIN; SELECT count(*) FROM public.rooms");
            const [{ pid }] = (await app.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows as [{ pid: number }];
            // As a superuser, who sees every session's details.
            const superRun = await runCli(
                ["restore", "--database-url", pg.url(db), "--from", from, "--clean", "--lock-wait-timeout", "2", "--pg-bin", pg.binDir],
                { timeoutMs: 60_000 },
            );
            expect(superRun.code, out(superRun)).toBe(ExitCode.LockTimeout);
            const error = errorOf(superRun);
            expect(error.message).toMatch(
                /^the restore could not lock what it must drop \(--clean\) in .* within --lock-wait-timeout 2 s, and nothing was changed/,
            );
            expect(error.message).toMatch(
                new RegExp(`pid ${pid} \\(user harness_admin, application "hotel-api", idle in transaction, in a transaction since \\d{4}-\\d\\d-\\d\\dT`),
            );
            expect(error.message).toContain("pg_terminate_backend(pid)");
            expect(error.context).toMatchObject({ retryable: true, lockWaitTimeoutSeconds: 2 });
            // As the database's owner, who may not see another role's session details: told what to do.
            const ownerRun = await runCli(["restore", "--database-url", url(), "--from", from, "--clean", "--lock-wait-timeout", "1", "--pg-bin", pg.binDir], {
                timeoutMs: 60_000,
            });
            expect(ownerRun.code, out(ownerRun)).toBe(ExitCode.LockTimeout);
            expect(errorOf(ownerRun).message).toMatch(
                new RegExp(`pid ${pid} \\(user harness_admin, application "hotel-api"; details hidden from this role\\)`),
            );
            expect(errorOf(ownerRun).message).toContain("pg_read_all_stats");
            await app.query("COMMIT");
            expect(await pg.query(db, "SELECT count(*)::int AS n FROM public.rooms")).toEqual([{ n: 200_001 }]);
        } finally {
            await app.end();
        }
    });
});

describe("restore --clean over objects outside schemas", () => {
    it("publications, foreign servers and user mappings are dropped in the restore's transaction: a second --clean succeeds", async () => {
        const source = `outside_${++count}`;
        await pg.createDatabase(source);
        await pg.query(
            source,
            `CREATE TABLE guests (id int PRIMARY KEY); INSERT INTO guests SELECT generate_series(1, 10);
             CREATE PUBLICATION to_analytics FOR TABLE guests;
             CREATE FOREIGN DATA WRAPPER own_fdw; CREATE SERVER billing FOREIGN DATA WRAPPER own_fdw;
             CREATE USER MAPPING FOR harness_admin SERVER billing OPTIONS (user 'x')`,
        );
        const from = `file://${join(work, "outside")}`;
        expect((await runCli(["backup", "--database-url", pg.url(source), "--to", from, "--pg-bin", pg.binDir])).code).toBe(0);
        const target = `outside_target_${count}`;
        await pg.createDatabase(target);
        const first = await runCli(["restore", "--database-url", pg.url(target), "--from", from, "--pg-bin", pg.binDir]);
        expect(first.code, out(first)).toBe(0);
        const second = await runCli(["restore", "--database-url", pg.url(target), "--from", from, "--clean", "--pg-bin", pg.binDir]);
        expect(second.code, out(second)).toBe(0);
        expect(
            await pg.query(
                target,
                `SELECT (SELECT count(*) FROM pg_publication)::int AS publications, (SELECT count(*) FROM pg_foreign_server)::int AS servers,
                        (SELECT count(*) FROM pg_user_mappings)::int AS mappings, (SELECT count(*) FROM guests)::int AS guests`,
            ),
        ).toEqual([{ publications: 1, servers: 1, mappings: 1, guests: 10 }]);
    });

    it("a subscription and an event trigger: exit 9 listing them, before a byte of the dump is read", async () => {
        const source = `subs_${++count}`;
        await pg.createDatabase(source);
        await pg.query(source, "CREATE TABLE guests (id int)");
        const dir = join(work, "subs");
        const backup = await runCli(["backup", "--database-url", pg.url(source), "--to", `file://${dir}`, "--pg-bin", pg.binDir]);
        expect(backup.code, out(backup)).toBe(0);
        // Without its dump, any read of the backup fails (exit 6): exit 9 proves nothing was read.
        for (const file of readdirSync(join(dir, "dumps"))) rmSync(join(dir, "dumps", file));
        const target = `subs_target_${count}`;
        await pg.createDatabase(target);
        await pg.query(
            target,
            `CREATE SUBSCRIPTION from_prod CONNECTION 'host=127.0.0.1 port=1 dbname=x' PUBLICATION p WITH (connect = false);
             CREATE FUNCTION audit_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
             CREATE EVENT TRIGGER audit ON ddl_command_start EXECUTE FUNCTION audit_ddl()`,
        );
        const restore = await runCli(["restore", "--database-url", pg.url(target), "--from", `file://${dir}`, "--clean", "--pg-bin", pg.binDir]);
        expect(restore.code, out(restore)).toBe(ExitCode.Refused);
        expect(errorOf(restore).message).toMatch(
            /it holds event trigger audit, subscription from_prod, which cannot be dropped inside the restore's transaction/,
        );
        expect(errorOf(restore).message).toMatch(/DROP SUBSCRIPTION \/ DROP EVENT TRIGGER/);
        await pg.query(target, "ALTER SUBSCRIPTION from_prod SET (slot_name = NONE); DROP SUBSCRIPTION from_prod; DROP EVENT TRIGGER audit");
    });
});
