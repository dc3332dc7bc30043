import { randomBytes } from "node:crypto";
import type { VerifyOptions } from "./args.js";
import { connect, countLargeObjects, countRows, quoteIdent } from "./db.js";
import { parseDatabaseUrl, refusePoolerHost, withDatabase } from "./dburl.js";
import { emfRecord, round3 } from "./emf.js";
import { ExitCode, JobError, errorMessage } from "./errors.js";
import type { Manifest, TableCount } from "./manifest.js";
import { openStorage } from "./open-storage.js";
import { pgProgram } from "./proc.js";
import { redactUrl } from "./redact.js";
import { restorePreflight, resolveBackup, streamRestore, verifyChecksum } from "./restore.js";
import type { Runtime } from "./runtime.js";

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

/** A fresh, valid (<= 63 bytes, lowercase) database name no earlier run can have left behind. */
export function scratchDatabaseName(backupId: string, random: string): string {
    const base = backupId.toLowerCase().replace(/[^a-z0-9_]/g, "_");
    return `verify_${base}`.slice(0, 63 - random.length - 1) + `_${random}`;
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
            emfRecord(
                database,
                [
                    { name: "VerifySuccess", unit: "Count", value: ok ? 1 : 0 },
                    { name: "VerifyDuration", unit: "Seconds", value: round3((performance.now() - t0) / 1000) },
                ],
                new Date(),
            ),
        );
    }
}

async function verifyDrill(opts: VerifyOptions, rt: Runtime, setDatabase: (name: string) => void): Promise<TableResult[]> {
    const admin = parseDatabaseUrl(opts.scratchDatabaseUrl, "--scratch-database-url");
    refusePoolerHost(admin, "--scratch-database-url");
    const adminDisplay = redactUrl(opts.scratchDatabaseUrl);
    const storage = openStorage(opts.from, { requestTimeoutSeconds: opts.requestTimeoutSeconds, logger: rt.logger });
    const manifest: Manifest = await resolveBackup(storage, opts.backup, rt);
    setDatabase(manifest.database);
    rt.logger.info("verify starting", { backup: manifest.id, from: storage.display, server: adminDisplay });
    await restorePreflight(pgProgram(opts.pgBin, "pg_restore"), manifest, opts.pgBin ? "--pg-bin" : "PATH");
    // Checksum first: a corrupt dump fails fast, before any database is created.
    await verifyChecksum(storage, manifest, rt);

    const connectOptions = { attempts: opts.connectAttempts, signal: rt.signal, logger: rt.logger };
    const adminClient = await connect(opts.scratchDatabaseUrl, { ...connectOptions, display: adminDisplay });
    const scratch = scratchDatabaseName(manifest.id, randomBytes(4).toString("hex"));
    const scratchUrl = withDatabase(opts.scratchDatabaseUrl, scratch);
    let created = false;
    try {
        try {
            await adminClient.query(`CREATE DATABASE ${quoteIdent(scratch)}`);
            created = true;
        } catch (error) {
            throw new JobError(ExitCode.Restore, `cannot create scratch database "${scratch}" on ${adminDisplay}: ${errorMessage(error)} (the role needs CREATEDB)`, { scratch });
        }
        rt.logger.info("scratch database created", { scratch });
        await streamRestore({ storage, manifest, target: parseDatabaseUrl(scratchUrl, "--scratch-database-url"), targetDisplay: redactUrl(scratchUrl), cleanSql: undefined, pgBin: opts.pgBin }, rt);

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
            throw new JobError(ExitCode.Verification, `verify failed for backup "${manifest.id}": ${bad.length} of ${results.length} tables differ from the manifest: ${details.join("; ")}`, {
                backup: manifest.id,
                mismatches: bad,
            });
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
