import { createHash, randomBytes } from "node:crypto";
import type pg from "pg";
import type { VerifyOptions } from "../args.js";
import { connect, countLargeObjects, countRows, quoteIdent, serverVersion } from "../postgres/db.js";
import { parseDatabaseUrl, refusePoolerHost, withDatabase } from "../postgres/dburl.js";
import { emfRecord, metric, round3 } from "../observability/emf.js";
import { ExitCode, JobError, errorMessage } from "../errors.js";
import type { Manifest, TableCount } from "../storage/manifest.js";
import { openStorage } from "../storage/open.js";
import { pgProgram } from "../process/proc.js";
import { redactUrl } from "../observability/redact.js";
import { checksumPass, streamRestore } from "../postgres/restore-stream.js";
import { checkRestoreVersion, requireRestoreTools } from "../postgres/tools.js";
import { resolveBackup } from "../storage/resolve-backup.js";
import type { Runtime } from "../runtime.js";

export interface TableResult {
    schema: string;
    name: string;
    expected: number;
    /** undefined: not counted (see `error`). */
    actual: number | undefined;
    /** Why the table could not be counted: missing after the restore, or the count's own error. */
    error?: string;
    ok: boolean;
}

/** A table's count in the scratch copy, or why there is none. */
export type Counted = number | { error: string };

export function compareCounts(expected: TableCount[], actual: Map<string, Counted>): TableResult[] {
    return expected.map((t) => {
        const got = actual.get(countKey(t)) ?? { error: "not counted" };
        const base = { schema: t.schema, name: t.name, expected: t.rows };
        return typeof got === "number" ? { ...base, actual: got, ok: got === t.rows } : { ...base, actual: undefined, error: got.error, ok: false };
    });
}

/** One mismatch, as the failure message states it. */
export function describeMismatch(r: TableResult): string {
    return `${tableKey(r)} expected ${r.expected} rows, ${r.error ?? `got ${r.actual}`}`;
}

/**
 * Counts every table of the manifest. A count that fails is reported with its error (a missing table
 * as such), never as a missing table: "got no table" reads as data loss when the count was refused.
 */
export async function countTables(client: pg.Client, tables: readonly TableCount[]): Promise<Map<string, Counted>> {
    const counts = new Map<string, Counted>();
    for (const table of tables) {
        try {
            counts.set(countKey(table), await countRows(client, table));
        } catch (error) {
            const missing = (error as { code?: string }).code === UNDEFINED_TABLE;
            counts.set(countKey(table), { error: missing ? "the table is missing after the restore" : `the count failed: ${errorMessage(error)}` });
        }
    }
    return counts;
}

const UNDEFINED_TABLE = "42P01";
const INSUFFICIENT_PRIVILEGE = "42501";

/**
 * FORCE ROW LEVEL SECURITY applies a table's policies to its owner too, and the drill's role owns every
 * restored table (pg_restore --no-owner): its counts would show only what the policies let it see.
 * The scratch copy is the drill's own and is dropped afterwards, so FORCE is lifted there (the owner
 * then bypasses the policies), and row_security = off makes any count that policies would still
 * filter fail with an error instead of returning fewer rows. Returns the tables whose FORCE was lifted.
 */
export async function seeEveryRow(client: pg.Client): Promise<string[]> {
    await client.query("SET row_security = off");
    const forced = await client.query<{ name: string }>(
        `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relforcerowsecurity AND c.relkind IN ('r', 'p') ORDER BY 1`,
    );
    const lifted: string[] = [];
    for (const { name } of forced.rows) {
        // format('%I.%I') quoted the name already. Where this fails, the table's count fails too, with row_security's error.
        const done = await client.query(`ALTER TABLE ${name} NO FORCE ROW LEVEL SECURITY`).then(
            () => true,
            () => false,
        );
        if (done) lifted.push(name);
    }
    return lifted;
}

/** How messages name a table (schema.name, as written in the manifest). */
export function tableKey(t: { schema: string; name: string }): string {
    return `${t.schema}.${t.name}`;
}

/** A table's key in the counts: schema "a.b" table "c" and schema "a" table "b.c" read alike as text, never as a key. */
export function countKey(t: { schema: string; name: string }): string {
    return JSON.stringify([t.schema, t.name]);
}

/** Scratch databases are named `hotelgenius_verify_<8 hex>_<backup id>`: nothing else has such a name. */
const SCRATCH_PREFIX = "hotelgenius_verify_";
const SCRATCH_NAME = /^hotelgenius_verify_[0-9a-f]{8}_[a-z0-9_]*$/;

/** A fresh, valid (<= 63 bytes, lowercase) database name no earlier run can have left behind. */
export function scratchDatabaseName(backupId: string, random: string): string {
    const base = backupId.toLowerCase().replace(/[^a-z0-9_]/g, "_");
    return `${SCRATCH_PREFIX}${random}_${base}`.slice(0, 63);
}

export function isScratchDatabaseName(name: string): boolean {
    return SCRATCH_NAME.test(name);
}

/** The session advisory lock a live verify holds on the admin database for its scratch database. */
export function scratchLockKey(scratch: string): string {
    return createHash("sha256").update(`hotelgenius-verify:${scratch}`).digest().readBigInt64BE(0).toString();
}

/**
 * Drops scratch databases that earlier verify runs left (killed outright, they could not drop them).
 * A live verify holds its scratch database's lock for its whole run, so only databases whose lock
 * this session can take are dropped; without FORCE, so a database someone is still connected to stays.
 */
async function dropLeftoverScratch(admin: pg.Client, rt: Runtime): Promise<void> {
    const found = await admin.query<{ name: string }>("SELECT datname AS name FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1", [SCRATCH_PREFIX]);
    for (const { name } of found.rows.filter((row) => isScratchDatabaseName(row.name))) {
        const key = scratchLockKey(name);
        const [lock] = (await admin.query<{ taken: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS taken", [key])).rows;
        if (!lock!.taken) continue;
        try {
            await admin.query(`DROP DATABASE ${quoteIdent(name)}`);
            rt.logger.info("leftover scratch database dropped", { scratch: name });
        } catch (error) {
            rt.logger.warn("could not drop a leftover scratch database: drop it by hand", { scratch: name, error: errorMessage(error) });
        } finally {
            await admin.query("SELECT pg_advisory_unlock($1::bigint)", [key]);
        }
    }
}

export async function runVerify(opts: VerifyOptions, rt: Runtime): Promise<TableResult[]> {
    const t0 = performance.now();
    let database = "unknown";
    let ok = false;
    try {
        const results = await verifyDrill(opts, rt, (name) => (database = name));
        ok = true;
        return results;
    } finally {
        rt.logger.record(
            emfRecord(database, [metric("VerifySuccess", ok ? 1 : 0), metric("VerifyDuration", round3((performance.now() - t0) / 1000))], new Date()),
        );
    }
}

async function verifyDrill(opts: VerifyOptions, rt: Runtime, setDatabase: (name: string) => void): Promise<TableResult[]> {
    const admin = parseDatabaseUrl(opts.scratchDatabaseUrl, "--scratch-database-url");
    refusePoolerHost(admin, "--scratch-database-url");
    const adminDisplay = redactUrl(opts.scratchDatabaseUrl);
    const storage = await openStorage(opts.from, { requestTimeoutSeconds: opts.requestTimeoutSeconds, logger: rt.logger, environment: rt.environment });
    const restoreVersion = await requireRestoreTools(opts.pgBin);
    const manifest: Manifest = await resolveBackup(storage, opts.backup, opts.name, rt);
    setDatabase(manifest.database);
    rt.logger.info("verify starting", { backup: manifest.id, from: storage.display, server: adminDisplay });
    checkRestoreVersion(restoreVersion, pgProgram(opts.pgBin, "pg_restore"), manifest);
    // Before any database is created: a corrupt dump then fails fast (when the pass runs, see checksumPass).
    const passRan = await checksumPass(storage, manifest, { mode: opts.checksumPass, clean: false }, rt);

    const connectOptions = { attempts: opts.connectAttempts, signal: rt.signal, logger: rt.logger };
    const adminClient = await connect(opts.scratchDatabaseUrl, { ...connectOptions, display: adminDisplay });
    const scratch = scratchDatabaseName(manifest.id, randomBytes(4).toString("hex"));
    const scratchUrl = withDatabase(opts.scratchDatabaseUrl, scratch);
    let created = false;
    try {
        // Taken before the database exists, so no other verify's cleanup can ever see it unlocked.
        await adminClient.query("SELECT pg_advisory_lock($1::bigint)", [scratchLockKey(scratch)]);
        await dropLeftoverScratch(adminClient, rt);
        try {
            // template0: nothing can have been added to it, while an object someone put in template1 would be in every scratch copy.
            await adminClient.query(`CREATE DATABASE ${quoteIdent(scratch)} TEMPLATE template0`);
            created = true;
        } catch (error) {
            const sqlstate = (error as { code?: string }).code;
            const hint = sqlstate === INSUFFICIENT_PRIVILEGE ? " (the role needs CREATEDB)" : "";
            throw new JobError(
                ExitCode.Restore,
                `cannot create scratch database "${scratch}" on ${adminDisplay}: ${errorMessage(error)}${sqlstate ? ` (SQLSTATE ${sqlstate})` : ""}${hint}`,
                { scratch, sqlstate },
            );
        }
        rt.logger.info("scratch database created", { scratch });
        if (rt.signal.aborted) throw rt.signal.reason;
        await streamRestore(
            {
                storage,
                manifest,
                target: parseDatabaseUrl(scratchUrl, "--scratch-database-url"),
                targetDisplay: redactUrl(scratchUrl),
                cleanSql: undefined,
                pgBin: opts.pgBin,
                serverMajor: (await serverVersion(adminClient)).major,
                skippedChecksumPass: !passRan,
            },
            rt,
        );

        // A stop that came once the restore's COMMIT was sent did not interrupt the restore: it stops the drill here.
        if (rt.signal.aborted) throw rt.signal.reason;
        const client = await connect(scratchUrl, { ...connectOptions, display: redactUrl(scratchUrl) });
        let actual: Map<string, Counted>;
        let largeObjects: number;
        try {
            const lifted = await seeEveryRow(client);
            if (lifted.length > 0) rt.logger.info("row-level security FORCE lifted in the scratch copy, so counts see every row", { scratch, tables: lifted });
            actual = await countTables(client, manifest.tables);
            largeObjects = await countLargeObjects(client);
        } finally {
            await client.end().catch(() => undefined);
        }
        if (rt.signal.aborted) throw rt.signal.reason;
        const results = compareCounts(manifest.tables, actual);
        const bad = results.filter((r) => !r.ok);
        rt.logger.info("verify table results", { backup: manifest.id, tables: results });
        const loOk = largeObjects === manifest.largeObjects;
        if (bad.length > 0 || !loOk) {
            const details = bad.map(describeMismatch);
            if (!loOk) details.push(`large objects expected ${manifest.largeObjects}, got ${largeObjects}`);
            throw new JobError(
                ExitCode.Verification,
                `verify failed for backup "${manifest.id}": ${bad.length} of ${results.length} tables differ from the manifest: ${details.join("; ")}`,
                {
                    backup: manifest.id,
                    mismatches: bad,
                },
            );
        }
        rt.logger.info("verify passed", { backup: manifest.id, tables: results.length, rows: results.reduce((n, r) => n + r.expected, 0), largeObjects });
        return results;
    } finally {
        if (created) {
            try {
                // FORCE (PostgreSQL 13+) ends sessions a killed pg_restore may have left behind.
                await adminClient.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`);
                rt.logger.info("scratch database dropped", { scratch });
            } catch (error) {
                // A warning: the drill's outcome (exit 0, or its one error line) stands; the next verify drops what is left once nobody is connected.
                rt.logger.warn("could not drop the scratch database: the next verify drops it once nobody is connected to it, or drop it by hand", {
                    scratch,
                    error: errorMessage(error),
                });
            }
        }
        await adminClient.end().catch(() => undefined);
    }
}
