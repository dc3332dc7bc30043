import { createHash, randomBytes } from "node:crypto";
import type pg from "pg";
import type { VerifyOptions } from "../args.js";
import { connect, countLargeObjects, countRows, quoteIdent } from "../postgres/db.js";
import { parseDatabaseUrl, refusePoolerHost, withDatabase } from "../postgres/dburl.js";
import { emfRecord, metric, round3 } from "../observability/emf.js";
import { ExitCode, JobError, errorMessage } from "../errors.js";
import type { Manifest, TableCount } from "../storage/manifest.js";
import { openStorage } from "../storage/open.js";
import { pgProgram } from "../process/proc.js";
import { redactUrl } from "../observability/redact.js";
import { streamRestore, verifyChecksum } from "../postgres/restore-stream.js";
import { checkRestoreVersion, requireRestoreTools } from "../postgres/tools.js";
import { resolveBackup } from "../storage/resolve-backup.js";
import type { Runtime } from "../runtime.js";

export interface TableResult {
    schema: string;
    name: string;
    expected: number;
    /** undefined: the table is missing after the restore. */
    actual: number | undefined;
    ok: boolean;
}

export function compareCounts(expected: TableCount[], actual: Map<string, number | undefined>): TableResult[] {
    return expected.map((t) => {
        const got = actual.get(tableKey(t));
        return { schema: t.schema, name: t.name, expected: t.rows, actual: got, ok: got === t.rows };
    });
}

export function tableKey(t: { schema: string; name: string }): string {
    return `${t.schema}.${t.name}`;
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
    const storage = openStorage(opts.from, { requestTimeoutSeconds: opts.requestTimeoutSeconds, logger: rt.logger });
    const restoreVersion = await requireRestoreTools(opts.pgBin);
    const manifest: Manifest = await resolveBackup(storage, opts.backup, rt);
    setDatabase(manifest.database);
    rt.logger.info("verify starting", { backup: manifest.id, from: storage.display, server: adminDisplay });
    checkRestoreVersion(restoreVersion, pgProgram(opts.pgBin, "pg_restore"), manifest);
    // Checksum first: a corrupt dump fails fast, before any database is created.
    await verifyChecksum(storage, manifest, rt);

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
            await adminClient.query(`CREATE DATABASE ${quoteIdent(scratch)}`);
            created = true;
        } catch (error) {
            throw new JobError(
                ExitCode.Restore,
                `cannot create scratch database "${scratch}" on ${adminDisplay}: ${errorMessage(error)} (the role needs CREATEDB)`,
                { scratch },
            );
        }
        rt.logger.info("scratch database created", { scratch });
        await streamRestore(
            {
                storage,
                manifest,
                target: parseDatabaseUrl(scratchUrl, "--scratch-database-url"),
                targetDisplay: redactUrl(scratchUrl),
                cleanSql: undefined,
                pgBin: opts.pgBin,
            },
            rt,
        );

        const client = await connect(scratchUrl, { ...connectOptions, display: redactUrl(scratchUrl) });
        const actual = new Map<string, number | undefined>();
        let largeObjects: number;
        try {
            for (const table of manifest.tables) {
                actual.set(tableKey(table), await countRows(client, table).catch(() => undefined));
            }
            largeObjects = await countLargeObjects(client);
        } finally {
            await client.end().catch(() => undefined);
        }
        const results = compareCounts(manifest.tables, actual);
        const bad = results.filter((r) => !r.ok);
        rt.logger.info("verify table results", { backup: manifest.id, tables: results });
        const loOk = largeObjects === manifest.largeObjects;
        if (bad.length > 0 || !loOk) {
            const details = bad.map((r) => `${tableKey(r)} expected ${r.expected} rows, got ${r.actual === undefined ? "no table" : r.actual}`);
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
                rt.logger.error("could not drop the scratch database: drop it by hand", { scratch, error: errorMessage(error) });
            }
        }
        await adminClient.end().catch(() => undefined);
    }
}
