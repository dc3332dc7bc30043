// A throwaway PostgreSQL cluster for tests and the benchmark: real server binaries, a fresh data
// directory per cluster, loopback only, password (SCRAM) authentication over TCP so that
// credential failures are real failures.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface PgCluster {
    readonly host: "127.0.0.1";
    readonly port: number;
    /** Directory holding the server's own binaries (postgres, initdb, pg_dump, pg_restore, psql, ...). */
    readonly binDir: string;
    /** Major version of the running server, e.g. 15. */
    readonly serverMajor: number;
    readonly superuser: string;
    /** Generated per cluster; never a real credential. */
    readonly password: string;
    readonly dataDir: string;
    readonly socketDir: string;
    readonly logFile: string;
    url(database: string, credentials?: { user?: string; password?: string }): string;
    createDatabase(name: string): Promise<string>;
    dropDatabase(name: string): Promise<void>;
    query<Row extends Record<string, unknown> = Record<string, unknown>>(database: string, sql: string, params?: unknown[]): Promise<Row[]>;
    /** Terminates every other session on `database`; resolves to how many were terminated. */
    terminateBackends(database: string): Promise<number>;
    /** Fast shutdown, then removes the cluster's directory (unless it was given as `directory`). Safe to call twice. */
    stop(): Promise<void>;
}

export interface StartPostgresOptions {
    /** Directory with initdb/postgres; defaults to findPostgresBinDir(). */
    binDir?: string;
    /** Extra `-c name=value` server settings. */
    settings?: Record<string, string>;
    startTimeoutMs?: number;
    /**
     * Keep the cluster in this directory instead of a fresh temporary one: it is created on first
     * use, started again as it is on later calls, and never removed (the benchmark's --keep-db).
     * Its parent directories must be searchable by the server's OS user.
     */
    directory?: string;
}

const SUPERUSER = "harness_admin";

/** Picks the directory of the newest major version among candidate `.../<major>/bin` paths. */
export function newestVersionDir(dirs: readonly string[]): string | undefined {
    const major = (dir: string): number => {
        const match = /\/(\d+)\/bin\/?$/.exec(dir);
        return match ? Number(match[1]) : -1;
    };
    return [...dirs].sort((a, b) => major(b) - major(a))[0];
}

/** Parses `postgres (PostgreSQL) 15.14 (Debian ...)` or `pg_dump (PostgreSQL) 17.2` into its major version. */
export function parseMajorVersion(versionOutput: string): number {
    const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(versionOutput);
    if (!match) throw new Error(`cannot parse a PostgreSQL version from ${JSON.stringify(versionOutput)}`);
    return Number(match[1]);
}

/** Last `lines` lines of a text, for error messages that quote a server log. */
export function tail(text: string, lines: number): string {
    return text
        .split("\n")
        .filter((line, i, all) => line !== "" || i < all.length - 1)
        .slice(-lines)
        .join("\n");
}

/** The server binaries: $PG_BIN_DIR, then `pg_config --bindir` when it has a server, then the newest /usr/lib/postgresql/N/bin. */
export function findPostgresBinDir(): string {
    const hasServer = (dir: string) => existsSync(join(dir, "postgres")) && existsSync(join(dir, "initdb"));
    const fromEnv = process.env["PG_BIN_DIR"];
    if (fromEnv) {
        if (!hasServer(fromEnv)) throw new Error(`PG_BIN_DIR=${fromEnv} has no postgres and initdb binaries`);
        return fromEnv;
    }
    const candidates: string[] = [];
    const pgConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
    if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
    const root = "/usr/lib/postgresql";
    if (existsSync(root)) for (const major of readdirSync(root)) candidates.push(join(root, major, "bin"));
    const withServer = candidates.filter(hasServer);
    const chosen = newestVersionDir(withServer) ?? withServer[0];
    if (!chosen) {
        throw new Error(
            "no PostgreSQL server binaries found (looked at `pg_config --bindir` and /usr/lib/postgresql/*/bin); " +
                "install the Debian package `postgresql` or set PG_BIN_DIR",
        );
    }
    return chosen;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            const port = typeof address === "object" && address ? address.port : 0;
            server.close(() => (port ? resolve(port) : reject(new Error("could not obtain a free port"))));
        });
    });
}

interface RunAs {
    uid?: number;
    gid?: number;
}

/** initdb and postgres refuse to run as root: when we are root, run them as the `postgres` OS user (created if missing). */
function serverIdentity(): RunAs {
    if (process.getuid?.() !== 0) return {};
    const lookup = () => ({
        uid: spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }),
        gid: spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }),
    });
    let ids = lookup();
    if (ids.uid.status !== 0) {
        const created = spawnSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"], {
            encoding: "utf8",
        });
        // Another test file may have created it concurrently (exit 9: user exists).
        if (created.status !== 0 && created.status !== 9) {
            throw new Error(`useradd postgres failed (exit ${created.status}): ${created.stderr.trim()}`);
        }
        ids = lookup();
    }
    return { uid: Number(ids.uid.stdout.trim()), gid: Number(ids.gid.stdout.trim()) };
}

function runChecked(command: string, args: string[], as: RunAs, what: string): string {
    const result = spawnSync(command, args, { encoding: "utf8", ...as });
    if (result.error) throw new Error(`${what}: cannot run ${command}: ${result.error.message}`);
    if (result.status !== 0) {
        throw new Error(`${what}: ${command} exited with ${result.status ?? result.signal}:\n${tail(result.stderr + result.stdout, 30)}`);
    }
    return result.stdout;
}

const live = new Set<{ child: ChildProcess; dir: string; remove: boolean }>();
let exitHookInstalled = false;

/** A crashed test worker or benchmark must not leave servers and data directories behind. */
function installExitHook(): void {
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    process.once("exit", () => {
        for (const server of live) {
            server.child.kill("SIGQUIT");
            if (server.remove) rmSync(server.dir, { recursive: true, force: true });
        }
    });
}

function quoteIdent(name: string): string {
    return pg.escapeIdentifier(name);
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PgCluster> {
    const binDir = options.binDir ?? findPostgresBinDir();
    const as = serverIdentity();
    const persistent = options.directory !== undefined;
    const dir = options.directory ?? mkdtempSync(join(tmpdir(), "pg-harness-"));
    const removeDir = () => {
        if (!persistent) rmSync(dir, { recursive: true, force: true });
    };
    try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        if (as.uid !== undefined && as.gid !== undefined) chownSync(dir, as.uid, as.gid);
        const dataDir = join(dir, "data");
        const logFile = join(dir, "server.log");
        const savedPassword = join(dir, "harness-password");
        const reuse = persistent && existsSync(join(dataDir, "PG_VERSION")) && existsSync(savedPassword);
        const password = reuse ? readFileSync(savedPassword, "utf8").trim() : randomBytes(18).toString("base64url");
        if (!reuse) {
            if (persistent) {
                rmSync(dataDir, { recursive: true, force: true });
                writeFileSync(savedPassword, password, { mode: 0o600 });
            }
            initCluster(binDir, dir, dataDir, password, as);
        }

        const startTimeoutMs = options.startTimeoutMs ?? 30_000;
        let lastError: Error | undefined;
        // The free port can be taken between probing and binding: retry on a fresh port.
        for (let attempt = 1; attempt <= 3; attempt++) {
            const port = await freePort();
            try {
                const child = await launch(binDir, dataDir, dir, logFile, port, as, options.settings ?? {}, startTimeoutMs, !persistent);
                return await cluster(binDir, dir, dataDir, logFile, port, password, child, removeDir);
            } catch (error) {
                lastError = error as Error;
                if (!/could not bind|Address already in use/i.test(lastError.message)) break;
            }
        }
        throw lastError ?? new Error("postgres did not start");
    } catch (error) {
        removeDir();
        throw error;
    }
}

function initCluster(binDir: string, dir: string, dataDir: string, password: string, as: RunAs): void {
    const pwFile = join(dir, "pwfile");
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (as.uid !== undefined && as.gid !== undefined) chownSync(pwFile, as.uid, as.gid);
    try {
        runChecked(
            join(binDir, "initdb"),
            [
                "-D",
                dataDir,
                "-U",
                SUPERUSER,
                `--pwfile=${pwFile}`,
                "--auth-host=scram-sha-256",
                // The socket lives in a private directory; only this process tree can reach it.
                "--auth-local=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
                "--no-instructions",
            ],
            as,
            "initdb",
        );
    } finally {
        rmSync(pwFile, { force: true });
    }
}

async function launch(
    binDir: string,
    dataDir: string,
    socketDir: string,
    logFile: string,
    port: number,
    as: RunAs,
    settings: Record<string, string>,
    timeoutMs: number,
    removeOnExit: boolean,
): Promise<ChildProcess> {
    const serverSettings: Record<string, string> = {
        listen_addresses: "127.0.0.1",
        port: String(port),
        unix_socket_directories: socketDir,
        // Throwaway data: durability only costs time on a shared machine.
        fsync: "off",
        synchronous_commit: "off",
        full_page_writes: "off",
        logging_collector: "off",
        max_connections: "50",
        ...settings,
    };
    const args = ["-D", dataDir, ...Object.entries(serverSettings).flatMap(([k, v]) => ["-c", `${k}=${v}`])];
    writeFileSync(logFile, "");
    if (as.uid !== undefined && as.gid !== undefined) chownSync(logFile, as.uid, as.gid);
    const logFd = openSync(logFile, "a");
    const child = spawn(join(binDir, "postgres"), args, { ...as, stdio: ["ignore", logFd, logFd] });
    closeSync(logFd);
    const entry = { child, dir: socketDir, remove: removeOnExit };
    live.add(entry);
    installExitHook();
    child.once("exit", () => live.delete(entry));

    const logTail = () => tail(readFileSync(logFile, "utf8"), 20);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`postgres exited during startup (${child.exitCode ?? child.signalCode}); server log:\n${logTail()}`);
        }
        const ready = spawnSync(join(binDir, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port), "-t", "1"], {
            encoding: "utf8",
        });
        if (ready.status === 0) return child;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill("SIGQUIT");
    throw new Error(`postgres on 127.0.0.1:${port} was not ready after ${timeoutMs} ms; server log:\n${logTail()}`);
}

async function cluster(
    binDir: string,
    dir: string,
    dataDir: string,
    logFile: string,
    port: number,
    password: string,
    child: ChildProcess,
    removeDir: () => void,
): Promise<PgCluster> {
    const query = async <Row extends Record<string, unknown>>(database: string, sql: string, params?: unknown[]) => {
        const client = new pg.Client({ host: "127.0.0.1", port, user: SUPERUSER, password, database });
        await client.connect();
        try {
            const result = await client.query<Row>(sql, params);
            return result.rows;
        } finally {
            await client.end();
        }
    };
    const url = (database: string, credentials: { user?: string; password?: string } = {}) => {
        const user = encodeURIComponent(credentials.user ?? SUPERUSER);
        const secret = encodeURIComponent(credentials.password ?? password);
        return `postgresql://${user}:${secret}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    };
    const [{ server_version_num }] = await query<{ server_version_num: string }>("postgres", "SHOW server_version_num");
    const serverMajor = Math.floor(Number(server_version_num) / 10_000);
    let stopped: Promise<void> | undefined;

    return {
        host: "127.0.0.1",
        port,
        binDir,
        serverMajor,
        superuser: SUPERUSER,
        password,
        dataDir,
        socketDir: dir,
        logFile,
        url,
        query,
        async createDatabase(name) {
            await query("postgres", `CREATE DATABASE ${quoteIdent(name)}`);
            return url(name);
        },
        async dropDatabase(name) {
            await query("postgres", `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        },
        async terminateBackends(database) {
            const rows = await query<{ terminated: boolean }>(
                "postgres",
                "SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                [database],
            );
            return rows.filter((row) => row.terminated).length;
        },
        stop() {
            stopped ??= (async () => {
                if (child.exitCode === null && child.signalCode === null) {
                    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
                    // SIGINT is the postmaster's "fast" shutdown: sessions are ended, no waiting for clients.
                    child.kill("SIGINT");
                    const timedOut = await Promise.race([
                        exited.then(() => false),
                        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 15_000).unref()),
                    ]);
                    if (timedOut) {
                        child.kill("SIGQUIT");
                        await exited;
                    }
                }
                removeDir();
            })();
            return stopped;
        },
    };
}
