import pg from "pg";
import { pgClientConfig } from "./dburl.js";
import { ExitCode, JobError, errorMessage } from "../errors.js";
import { withRetry } from "./retry.js";
import { parseServerVersionNum, type PgVersion } from "./versions.js";
import type { Logger } from "../observability/log.js";
import type { TableCount } from "../storage/manifest.js";

export const APPLICATION_NAME = "hotelgenius-backup";

/** SQLSTATE of a lock_timeout that expired. */
export const LOCK_NOT_AVAILABLE = "55P03";

/**
 * What each of the job's sessions relies on, sent as startup options (node-postgres `options`,
 * PGOPTIONS for pg_dump and psql), which outrank ALTER ROLE/DATABASE ... SET (common on Neon and
 * behind poolers): no role or database setting can cancel a count or a restore statement, end the
 * session that holds the dump's snapshot or sits in the restore's transaction while the dump streams
 * in, or resolve a name in another schema (pg_catalog is searched first and alone). Lock waits are
 * bounded by each command where it takes locks. default_transaction_read_only is left alone on
 * purpose: it is the operator's guard, and restore refuses a read-only target instead.
 */
export const SESSION_OPTIONS = "-c statement_timeout=0 -c lock_timeout=0 -c idle_in_transaction_session_timeout=0 -c search_path=pg_catalog";

/**
 * SESSION_OPTIONS for a session the job cannot run SQL in (pg_restore's own, on the direct restore
 * path): on a server of major 17 or newer also transaction_timeout, which older servers refuse as a
 * startup option.
 */
export function sessionOptionsFor(serverMajor: number): string {
    return serverMajor >= 17 ? `${SESSION_OPTIONS} -c transaction_timeout=0` : SESSION_OPTIONS;
}

/** transaction_timeout exists from PostgreSQL 17 only, so it cannot be a startup option on older servers. */
export const TRANSACTION_TIMEOUT_OFF_SQL = "SELECT pg_catalog.set_config(name, '0', false) FROM pg_catalog.pg_settings WHERE name = 'transaction_timeout';";

/** Errors that a cold-starting or briefly unreachable server produces; auth errors are never retried. */
const RETRYABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "EPIPE"]);
const RETRYABLE_SQLSTATES = new Set(["57P03", "53300", "08006", "08001", "08004"]);
const AUTH_SQLSTATES = new Set(["28P01", "28000"]);

export function isRetryableConnectError(error: unknown): boolean {
    const e = error as { code?: unknown; message?: unknown };
    if (typeof e?.code === "string" && (RETRYABLE_CODES.has(e.code) || RETRYABLE_SQLSTATES.has(e.code))) return true;
    const message = typeof e?.message === "string" ? e.message : "";
    return /timeout|terminated unexpectedly|Connection terminated/i.test(message);
}

export function isAuthError(error: unknown): boolean {
    const code = (error as { code?: unknown })?.code;
    return typeof code === "string" && AUTH_SQLSTATES.has(code);
}

/** Backoff for a Neon compute that is waking up: 0.5 s, 1 s, 2 s, 4 s, capped at 8 s; 10 s per attempt. */
const CONNECT_TIMEOUT_MS = 10_000;
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 8_000;

export interface ConnectOptions {
    attempts: number;
    signal?: AbortSignal;
    logger: Logger;
    /** For messages: a redacted URL. */
    display: string;
}

export async function connect(connectionString: string, options: ConnectOptions): Promise<pg.Client> {
    // Attempts really made: a refused password or a stop request ends the retries early.
    let attempts = 0;
    try {
        return await withRetry(
            async (attempt) => {
                attempts = attempt;
                const client = new pg.Client({
                    ...pgClientConfig(connectionString),
                    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
                    application_name: APPLICATION_NAME,
                    options: SESSION_OPTIONS,
                });
                // A backend killed mid-session emits "error" on the client; without a listener that would crash the process.
                client.on("error", () => undefined);
                try {
                    await client.connect();
                    await client.query(TRANSACTION_TIMEOUT_OFF_SQL);
                    return client;
                } catch (error) {
                    await client.end().catch(() => undefined);
                    throw error;
                }
            },
            { attempts: options.attempts, baseMs: RETRY_BASE_MS, maxMs: RETRY_MAX_MS },
            {
                isRetryable: isRetryableConnectError,
                signal: options.signal,
                onRetry: (error, attempt, delayMs) =>
                    options.logger.warn("database connection failed, retrying (a suspended compute may be starting)", {
                        database: options.display,
                        attempt,
                        retryInMs: delayMs,
                        error: errorMessage(error),
                    }),
            },
        );
    } catch (error) {
        const made = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
        throw new JobError(
            ExitCode.Connection,
            isAuthError(error)
                ? `authentication failed to ${options.display} (${made}): ${errorMessage(error)}`
                : `cannot connect to ${options.display} (${made}): ${errorMessage(error)}`,
            { database: options.display, code: (error as { code?: unknown }).code, attempts },
            { cause: error },
        );
    }
}

export async function serverVersion(client: pg.Client): Promise<PgVersion> {
    const res = await client.query<{ num: string; text: string }>(
        "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text",
    );
    const row = res.rows[0]!;
    return parseServerVersionNum(Number(row.num), row.text);
}

/**
 * Every table whose rows pg_dump writes: ordinary tables and leaf partitions, outside system and
 * temporary schemas, not owned by an extension (pg_dump leaves those to CREATE EXTENSION).
 */
export const DUMPED_TABLES_SQL = `
SELECT n.nspname AS schema, c.relname AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND c.relpersistence <> 't'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2`;

/** Views and materialized views of this database on which another session holds or awaits ACCESS EXCLUSIVE. */
const EXCLUSIVELY_LOCKED_VIEWS_SQL = `
SELECT DISTINCT c.oid, format('%I.%I', n.nspname, c.relname) AS name
FROM pg_catalog.pg_locks l
JOIN pg_catalog.pg_class c ON c.oid = l.relation
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_catalog.pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
  AND c.relkind IN ('v', 'm')
ORDER BY 2`;

/**
 * The first view or materialized view that another session holds in ACCESS EXCLUSIVE mode for longer
 * than `seconds`, or undefined. pg_dump's --lock-wait-timeout bounds only its LOCK TABLE of tables: it
 * reads each view's definition later (pg_get_viewdef takes ACCESS SHARE) with lock_timeout set to 0
 * by pg_dump itself, so a migration holding a view (CREATE OR REPLACE VIEW, REFRESH MATERIALIZED VIEW
 * in an open transaction) would hold the backup until --max-runtime. Each view locked now is read
 * here the same way, under lock_timeout. Tables are left to pg_dump's own bound. In a transaction of
 * its own, ended before pg_dump starts: a lock kept by this session would queue pg_dump behind a
 * migration that waits for this session.
 */
export async function lockedView(client: pg.Client, seconds: number): Promise<string | undefined> {
    await client.query("BEGIN");
    try {
        await client.query(`SET LOCAL lock_timeout = '${seconds}s'`);
        // As in the snapshot's transaction: a job stopped while this waits must not leave its backend waiting (PostgreSQL 14+).
        await client.query("SELECT pg_catalog.set_config(name, '1s', true) FROM pg_catalog.pg_settings WHERE name = 'client_connection_check_interval'");
        for (const view of (await client.query<{ oid: number; name: string }>(EXCLUSIVELY_LOCKED_VIEWS_SQL)).rows) {
            try {
                await client.query("SELECT pg_catalog.pg_get_viewdef($1::oid)", [view.oid]);
            } catch (error) {
                if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return view.name;
                throw error;
            }
        }
        return undefined;
    } finally {
        await client.query("ROLLBACK");
    }
}

export function quoteIdent(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Opens the backup's transaction on `client` and exports its snapshot for pg_dump; the row counts
 * then run in this same snapshot, beside pg_dump. Without parallel workers: a backup should take
 * one backend from the server (a small Neon compute has few workers), and on the 1 GB benchmark a
 * parallel count(*) of every table cost 0.9 s of server CPU against 0.4 s serial, and was no faster.
 */
export async function beginSnapshotTransaction(client: pg.Client): Promise<string> {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    await client.query("SET LOCAL max_parallel_workers_per_gather = 0");
    return (await client.query<{ s: string }>("SELECT pg_export_snapshot() AS s")).rows[0]!.s;
}

export async function listTables(client: pg.Client): Promise<{ schema: string; name: string }[]> {
    const res = await client.query<{ schema: string; name: string }>(DUMPED_TABLES_SQL);
    return res.rows;
}

export async function countRows(client: pg.Client, table: { schema: string; name: string }): Promise<number> {
    const res = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${quoteIdent(table.schema)}.${quoteIdent(table.name)}`);
    return Number(res.rows[0]!.n);
}

export async function countAllRows(client: pg.Client, tables: { schema: string; name: string }[]): Promise<TableCount[]> {
    const counts: TableCount[] = [];
    for (const table of tables) counts.push({ ...table, rows: await countRows(client, table) });
    return counts;
}

export async function countLargeObjects(client: pg.Client): Promise<number> {
    const res = await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_largeobject_metadata");
    return Number(res.rows[0]!.n);
}

/** Object classes that live in a schema: [kind, catalog, name column, schema column]. */
const SCHEMA_OBJECT_CLASSES: readonly [string, string, string, string][] = [
    ["function", "pg_proc", "proname", "pronamespace"],
    ["collation", "pg_collation", "collname", "collnamespace"],
    ["conversion", "pg_conversion", "conname", "connamespace"],
    ["operator", "pg_operator", "oprname", "oprnamespace"],
    ["operator class", "pg_opclass", "opcname", "opcnamespace"],
    ["operator family", "pg_opfamily", "opfname", "opfnamespace"],
    ["text search configuration", "pg_ts_config", "cfgname", "cfgnamespace"],
    ["text search dictionary", "pg_ts_dict", "dictname", "dictnamespace"],
    ["text search parser", "pg_ts_parser", "prsname", "prsnamespace"],
    ["text search template", "pg_ts_template", "tmplname", "tmplnamespace"],
];

const NAMESPACED_OBJECTS = SCHEMA_OBJECT_CLASSES.map(
    ([kind, catalog, name, namespace]) => `SELECT '${kind}', n.nspname || '.' || x.${name} FROM ${catalog} x JOIN user_ns n ON n.oid = x.${namespace}`,
).join("\n  UNION ALL\n  ");

/**
 * User objects that make a database "not empty" for restore: every object class pg_dump can write,
 * outside the system schemas and beyond what initdb creates (oid >= 16384, FirstNormalObjectId, for
 * classes without a schema). Extensions other than plpgsql and their members count too. Returns a few
 * names for the message.
 */
export const USER_OBJECTS_SQL = `
WITH user_ns AS (
  SELECT oid, nspname FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'
)
SELECT kind, name FROM (
  SELECT 'relation' AS kind, n.nspname || '.' || c.relname AS name FROM pg_class c JOIN user_ns n ON n.oid = c.relnamespace
  UNION ALL
  ${NAMESPACED_OBJECTS}
  UNION ALL
  SELECT 'type', n.nspname || '.' || t.typname FROM pg_type t JOIN user_ns n ON n.oid = t.typnamespace
    WHERE (t.typtype IN ('b', 'd', 'e', 'p', 'r', 'm') OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c')))
      AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
  UNION ALL
  SELECT 'schema', nspname FROM user_ns WHERE nspname <> 'public'
  UNION ALL
  SELECT 'large object', oid::text FROM pg_largeobject_metadata
  UNION ALL
  SELECT 'extension', extname FROM pg_extension WHERE extname <> 'plpgsql'
  UNION ALL
  SELECT 'publication', pubname FROM pg_publication
  UNION ALL
  SELECT 'subscription', subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  UNION ALL
  SELECT 'event trigger', evtname FROM pg_event_trigger
  UNION ALL
  SELECT 'foreign data wrapper', fdwname FROM pg_foreign_data_wrapper
  UNION ALL
  SELECT 'foreign server', srvname FROM pg_foreign_server
  UNION ALL
  SELECT 'user mapping', usename || '@' || srvname FROM pg_user_mappings
  UNION ALL
  SELECT 'cast', format_type(castsource, NULL) || ' AS ' || format_type(casttarget, NULL) FROM pg_cast WHERE oid >= 16384
  UNION ALL
  SELECT 'transform', format_type(t.trftype, NULL) || ' for language ' || l.lanname FROM pg_transform t JOIN pg_language l ON l.oid = t.trflang
  UNION ALL
  SELECT 'language', lanname FROM pg_language WHERE oid >= 16384 AND lanname <> 'plpgsql'
  UNION ALL
  SELECT 'access method', amname FROM pg_am WHERE oid >= 16384
) objects
ORDER BY kind, name`;

export async function userObjects(client: pg.Client): Promise<{ kind: string; name: string }[]> {
    const res = await client.query<{ kind: string; name: string }>(USER_OBJECTS_SQL);
    return res.rows;
}

export interface LockHolder {
    pid: number;
    user: string | null;
    application: string | null;
    /** null where this role may not see the session's details (neither its own role nor pg_read_all_stats). */
    state: string | null;
    /** When its transaction started (ISO 8601), or null. */
    transactionSince: string | null;
}

/** Other sessions holding locks on relations of this database: what a DROP would wait for. */
export async function lockHolders(client: pg.Client): Promise<LockHolder[]> {
    const res = await client.query<{ pid: number; user: string | null; application: string | null; state: string | null; since: Date | null }>(
        `SELECT a.pid, a.usename AS user, a.application_name AS application, a.state, a.xact_start AS since
         FROM pg_stat_activity a
         WHERE a.pid <> pg_backend_pid()
           AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'relation' AND l.granted
                       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
         ORDER BY a.xact_start NULLS LAST, a.pid`,
    );
    return res.rows.map((r) => ({
        pid: r.pid,
        user: r.user,
        application: r.application,
        state: r.state,
        transactionSince: r.since === null ? null : r.since.toISOString(),
    }));
}
