// One reading of the connection, no leaks: URL query parameters and libpq's environment variables
// that could aim pg_dump/psql elsewhere than the job's own checks are refused; secrets never reach a
// child's command line nor the job's own; a URL without a password works with PGPASSWORD, PGPASSFILE or ~/.pgpass.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pgDriver from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { REFUSED_PG_VARIABLES } from "../../src/postgres/dburl.js";
import { errorOf, runCli, spawnCli, type CliResult } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";
import { descendantCommandLines, waitForCommandLine } from "../../tools/servers/proc.js";

const ROLE = "conn_app";
const PASSWORD = "Vq3-conn-secret-Zx8";
let pg: PgCluster;
let work: string;
let restores = 0;

beforeAll(async () => {
    pg = await startPostgres();
    await pg.query("postgres", `CREATE ROLE ${ROLE} LOGIN CREATEDB PASSWORD ${pgDriver.escapeLiteral(PASSWORD)}`);
    for (const db of ["hotel", "other"]) {
        await pg.query("postgres", `CREATE DATABASE ${db} OWNER ${ROLE}`);
        await pg.query(
            db,
            `SET ROLE ${ROLE}; CREATE TABLE guests (id int PRIMARY KEY); INSERT INTO guests SELECT generate_series(1, ${db === "hotel" ? 5 : 9})`,
        );
    }
    work = mkdtempSync(join(tmpdir(), "job-connection-"));
});

afterAll(async () => {
    await pg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

const hotel = (query = "") => `postgresql://${ROLE}:${PASSWORD}@127.0.0.1:${pg.port}/hotel${query}`;
const bare = (database: string) => `postgresql://${ROLE}@127.0.0.1:${pg.port}/${database}`;

async function emptyDatabase(): Promise<string> {
    const name = `restored_${++restores}`;
    await pg.query("postgres", `CREATE DATABASE ${name} OWNER ${ROLE}`);
    return name;
}

function backup(url: string, dir: string, env: Record<string, string> = {}): Promise<CliResult> {
    return runCli(["backup", "--database-url", url, "--to", `file://${join(work, dir)}`, "--pg-bin", pg.binDir], { env });
}

describe("URL query parameters", () => {
    // Each names another database, server, role or session setting than the URL's path and authority,
    // or is one that only pg_dump/psql (libpq) or only the job's checks (node-postgres) would read.
    const PARAMETERS: [string, string][] = [
        ["dbname", "other"],
        ["host", "127.0.0.2"],
        ["hostaddr", "127.0.0.1"],
        ["port", "1"],
        ["user", "harness_admin"],
        ["service", "prod"],
        ["servicefile", "/tmp/pg_service.conf"],
        ["options", "-c default_transaction_read_only=on"],
        ["target_session_attrs", "read-write"],
        ["application_name", "not-the-job"],
        ["passfile", "/tmp/pgpass"],
    ];
    it.each(PARAMETERS)("?%s=: exit 2 naming the parameter, before anything is dumped", async (name, value) => {
        const dir = `param-${name}`;
        const result = await backup(hotel(`?${name}=${encodeURIComponent(value)}`), dir);
        expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Usage);
        const error = errorOf(result);
        expect(error.message).toContain(`has the parameter "${name}"`);
        expect(error.message).toContain("allowed parameters are password, sslmode, sslrootcert, sslcert, sslkey, connect_timeout");
        expect(result.stdout + result.stderr).not.toContain(PASSWORD);
        expect(() => readdirSync(join(work, dir, "manifests"))).toThrow();
    });

    it("?sslpassword=: exit 2 naming it, its value never in the output", async () => {
        const secret = "Kp9-ssl-passphrase-Wm2";
        const result = await backup(hotel(`?sslpassword=${secret}`), "sslpassword");
        expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Usage);
        expect(errorOf(result).message).toMatch(/has the parameter "sslpassword": .*without putting it on their command line/);
        expect(result.stdout + result.stderr).not.toContain(secret);
        expect(result.stdout + result.stderr).toContain("sslpassword=***");
    });

    it("?password= is taken out of the URL like the user-info password (backs up, never echoed)", async () => {
        const result = await backup(`${bare("hotel")}?password=${encodeURIComponent(PASSWORD)}&sslmode=disable`, "query-password");
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    });

    it("several hosts: exit 2", async () => {
        const result = await backup(`postgresql://${ROLE}:${PASSWORD}@127.0.0.1:${pg.port},127.0.0.2:${pg.port}/hotel`, "hosts");
        expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Usage);
    });
});

describe("libpq's environment variables", () => {
    const AIMING: Record<string, string> = {
        PGOPTIONS: "-c default_transaction_read_only=on",
        PGSERVICE: "prod",
        PGSERVICEFILE: "/tmp/pg_service.conf",
        PGHOSTADDR: "127.0.0.2",
        PGDATABASE: "other",
        PGHOST: "127.0.0.2",
        PGPORT: "1",
        PGUSER: "harness_admin",
        PGTARGETSESSIONATTRS: "read-write",
        PGSSLMODE: "require",
    };
    it.each(Object.entries(AIMING))("%s set: backup exits 2 naming it, nothing dumped", async (variable, value) => {
        const dir = `env-${variable}`;
        const result = await backup(hotel(), dir, { [variable]: value });
        expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Usage);
        expect(errorOf(result).message).toMatch(new RegExp(`^${variable} is set in the environment: pg_dump and psql would follow it`));
        expect(() => readdirSync(join(work, dir, "manifests"))).toThrow();
    });

    it("every refused variable is refused by restore and verify too", async () => {
        for (const command of ["restore", "verify"]) {
            const option = command === "restore" ? "--database-url" : "--scratch-database-url";
            const env = Object.fromEntries(REFUSED_PG_VARIABLES.map((name) => [name, "x"]));
            const result = await runCli([command, option, hotel(), "--from", `file://${join(work, "none")}`], { env });
            expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Usage);
            expect(errorOf(result).context!["variables"]).toEqual(REFUSED_PG_VARIABLES);
        }
    });

    it("a stray DATABASE_URL or PGDATABASE never aims a restore --clean", async () => {
        const from = `file://${join(work, "stray")}`;
        expect((await backup(hotel(), "stray")).code).toBe(0);
        const before = await pg.query("other", "SELECT count(*)::int AS n FROM guests");
        const noUrl = await runCli(["restore", "--from", from, "--clean", "--pg-bin", pg.binDir], {
            env: { DATABASE_URL: bare("other"), PGPASSWORD: PASSWORD },
        });
        expect(noUrl.code, noUrl.stdout).toBe(ExitCode.Usage);
        expect(errorOf(noUrl).message).toMatch(/^--database-url is required: .*DATABASE_URL is not used for restore/);
        const pgDatabase = await runCli(["restore", "--database-url", bare("other"), "--from", from, "--clean", "--pg-bin", pg.binDir], {
            env: { PGDATABASE: "hotel", PGPASSWORD: PASSWORD },
        });
        expect(pgDatabase.code, pgDatabase.stdout).toBe(ExitCode.Usage);
        expect(await pg.query("other", "SELECT count(*)::int AS n FROM guests")).toEqual(before);
    });
});

describe("a URL without its password", () => {
    const pgpass = `127.0.0.1:*:*:${ROLE}:${PASSWORD}\n`;
    const CREDENTIALS: [string, () => Record<string, string>][] = [
        ["PGPASSWORD", () => ({ PGPASSWORD: PASSWORD })],
        [
            "PGPASSFILE",
            () => {
                const file = join(work, "passfile");
                writeFileSync(file, pgpass, { mode: 0o600 });
                return { PGPASSFILE: file };
            },
        ],
        [
            "~/.pgpass",
            () => {
                const home = join(work, "home");
                mkdirSync(home, { recursive: true });
                writeFileSync(join(home, ".pgpass"), pgpass);
                chmodSync(join(home, ".pgpass"), 0o600);
                return { HOME: home };
            },
        ],
    ];
    it.each(CREDENTIALS)("with %s: backup, restore and verify all succeed", async (what, envOf) => {
        const env = envOf();
        const dir = `credentials-${what.replace(/\W/g, "")}`;
        const from = `file://${join(work, dir)}`;
        const backed = await backup(bare("hotel"), dir, env);
        expect(backed.code, backed.stdout + backed.stderr).toBe(0);
        const target = await emptyDatabase();
        const restored = await runCli(["restore", "--database-url", bare(target), "--from", from, "--pg-bin", pg.binDir], { env });
        expect(restored.code, restored.stdout + restored.stderr).toBe(0);
        expect(await pg.query(target, "SELECT count(*)::int AS n FROM guests")).toEqual([{ n: 5 }]);
        const verified = await runCli(["verify", "--scratch-database-url", bare("postgres"), "--from", from, "--pg-bin", pg.binDir], { env });
        expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    });

    it("--database-url-file PATH and --database-url-file - (standard input)", async () => {
        const file = join(work, "url.txt");
        writeFileSync(file, `${hotel()}\n`, { mode: 0o600 });
        const dir = join(work, "url-file");
        const backed = await runCli(["backup", "--database-url-file", file, "--to", `file://${dir}`, "--pg-bin", pg.binDir]);
        expect(backed.code, backed.stdout + backed.stderr).toBe(0);
        const target = await emptyDatabase();
        const url = `postgresql://${ROLE}:${PASSWORD}@127.0.0.1:${pg.port}/${target}`;
        const restored = await runCli(["restore", "--database-url-file", "-", "--from", `file://${dir}`, "--pg-bin", pg.binDir], { input: `${url}\n` });
        expect(restored.code, restored.stdout + restored.stderr).toBe(0);
        expect(await pg.query(target, "SELECT count(*)::int AS n FROM guests")).toEqual([{ n: 5 }]);
        const both = await runCli(["restore", "--database-url", url, "--database-url-file", file, "--from", `file://${dir}`]);
        expect(both.code).toBe(ExitCode.Usage);
        expect(errorOf(both).message).toBe("--database-url and --database-url-file are both given: use one");
        const missing = await runCli(["backup", "--database-url-file", join(work, "nope.txt"), "--to", `file://${dir}`]);
        expect(missing.code).toBe(ExitCode.Usage);
        expect(errorOf(missing).message).toMatch(/^--database-url-file ".*nope\.txt" cannot be read: ENOENT/);
    });
});

describe("secrets never on a child's command line", () => {
    it("pg_dump, zstd and psql, read from /proc while they run (held up by a lock)", async () => {
        const from = `file://${join(work, "argv")}`;
        expect((await backup(hotel(), "argv")).code).toBe(0);
        const target = await emptyDatabase();
        await pg.query(target, `SET ROLE ${ROLE}; CREATE TABLE guests (id int)`);
        const holder = new pgDriver.Client({ connectionString: pg.url("hotel") });
        const targetHolder = new pgDriver.Client({ connectionString: pg.url(target) });
        await holder.connect();
        await targetHolder.connect();
        try {
            await holder.query("BEGIN; LOCK TABLE guests IN ACCESS EXCLUSIVE MODE");
            await targetHolder.query("BEGIN; LOCK TABLE guests IN ACCESS SHARE MODE");
            const running = spawnCli(["backup", "--database-url", hotel(), "--to", `file://${join(work, "argv-2")}`, "--pg-bin", pg.binDir]);
            await waitForCommandLine(running.child.pid!, /pg_dump .*--dbname=/);
            const restoring = spawnCli([
                "restore",
                "--database-url",
                `postgresql://${ROLE}:${PASSWORD}@127.0.0.1:${pg.port}/${target}`,
                "--from",
                from,
                "--clean",
                "--pg-bin",
                pg.binDir,
            ]);
            // Not the `psql --version` of the preflight: the session that waits for the lock.
            await waitForCommandLine(restoring.child.pid!, /psql .*--dbname=/);
            const lines = [...descendantCommandLines(running.child.pid!), ...descendantCommandLines(restoring.child.pid!)].map((c) => c.line);
            expect(lines.some((l) => l.includes("zstd"))).toBe(true);
            expect(lines.some((l) => /psql .*--dbname=/.test(l))).toBe(true);
            expect(lines.filter((l) => l.includes(PASSWORD))).toEqual([]);
            await holder.query("ROLLBACK");
            await targetHolder.query("ROLLBACK");
            expect((await running.result).code).toBe(0);
            expect((await restoring.result).code).toBe(0);
        } finally {
            await holder.end();
            await targetHolder.end();
        }
    });

    it("verify --scratch-database-url-env (the drill's command): the scratch URL is on no command line, the job's own included", async () => {
        const from = `file://${join(work, "argv-verify")}`;
        expect((await backup(hotel(), "argv-verify")).code).toBe(0);
        // pg_restore (and psql) wait a second before they start, so their command lines can be read while they run. The drill's
        // scratch restore has no SQL of the job's own, so pg_restore connects to the scratch database itself.
        const slow = join(work, "slow-bin");
        mkdirSync(slow);
        for (const tool of ["pg_restore", "psql"]) {
            writeFileSync(join(slow, tool), `#!/bin/sh\ncase "$1" in --version) ;; *) sleep 1 ;; esac\nexec "${join(pg.binDir, tool)}" "$@"\n`);
            chmodSync(join(slow, tool), 0o755);
        }
        const scratch = `postgresql://${ROLE}:${PASSWORD}@127.0.0.1:${pg.port}/postgres`;
        const args = ["verify", "--from", from, "--scratch-database-url-env", "DRILL_SCRATCH_URL", "--pg-bin", slow];
        const running = spawnCli(args, { env: { DRILL_SCRATCH_URL: scratch } });
        const own = readFileSync(`/proc/${running.child.pid}/cmdline`, "utf8").split("\0").join(" ");
        await waitForCommandLine(running.child.pid!, /pg_restore .*--dbname=/);
        const lines = [own, ...descendantCommandLines(running.child.pid!).map((c) => c.line)];
        const result = await running.result;
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.logs.some((line) => line.message === "verify passed")).toBe(true);
        expect(own).toContain("--scratch-database-url-env DRILL_SCRATCH_URL");
        expect(lines.filter((line) => line.includes(PASSWORD))).toEqual([]);
        expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    });
});
