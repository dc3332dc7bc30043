import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import type { RestoreOptions } from "./args.js";
import { childEnv, toolVersion } from "./backup.js";
import { connect, userObjects } from "./db.js";
import { parseDatabaseUrl, refusePoolerHost, type DatabaseUrl } from "./dburl.js";
import { ExitCode, JobError, errorMessage } from "./errors.js";
import { HashingGate } from "./hashing.js";
import type { Manifest } from "./manifest.js";
import { sortNewestFirst } from "./manifest.js";
import { openStorage } from "./open-storage.js";
import { cleanPreludeSql, planClean } from "./clean.js";
import { describeExit, pgProgram, requireZstd, startChild, succeeded, type Child } from "./proc.js";
import { redactUrl } from "./redact.js";
import { startProgress } from "./reporter.js";
import type { Runtime } from "./runtime.js";
import type { Storage } from "./storage.js";
import { isToolNewEnough, majorLabel, parseToolVersion } from "./versions.js";

export const PG_RESTORE_APPLICATION_NAME = "hotelgenius-backup-pg_restore";
const PROGRESS_INTERVAL_SECONDS = 30;

/** "latest" is the newest manifest by start time (never by key order, which breaks past 1000 keys). */
export async function resolveBackup(storage: Storage, ref: string, rt: Runtime): Promise<Manifest> {
    if (ref !== "latest") return storage.getManifest(ref);
    const { manifests, warnings } = await storage.list();
    for (const w of warnings) rt.logger.warn(w.message, w.context);
    const newest = sortNewestFirst(manifests)[0];
    if (newest === undefined) throw new JobError(ExitCode.Storage, `no backups (manifests) found in ${storage.display}`, { target: storage.display });
    return newest;
}

/** The archive format of pg_dump N can only be read by pg_restore N or newer; zstd must be there too. */
export async function restorePreflight(pgRestore: string, manifest: Manifest, option: string): Promise<void> {
    const restoreVersion = await toolVersion(pgRestore, option);
    await requireZstd();
    const dumpVersion = parseToolVersion(manifest.pgDumpVersion);
    if (!isToolNewEnough(restoreVersion, dumpVersion)) {
        throw new JobError(
            ExitCode.Version,
            `pg_restore ${restoreVersion.number} (${pgRestore}) is older than pg_dump ${dumpVersion.number}, which wrote backup "${manifest.id}": pg_restore major ${majorLabel(restoreVersion)} < ${majorLabel(dumpVersion)}. Use a pg_restore of major ${majorLabel(dumpVersion)} or newer (--pg-bin)`,
            { pgRestore: restoreVersion.text, pgDump: manifest.pgDumpVersion },
        );
    }
}

/** Reads the whole dump once and compares size and sha256 with the manifest; nothing is stored. */
export async function verifyChecksum(storage: Storage, manifest: Manifest, rt: Runtime): Promise<void> {
    const t = performance.now();
    const stream = await storage.openDump(manifest);
    const gate = new HashingGate();
    const stop = startProgress("checksum", { bytes: () => gate.bytes, total: manifest.bytes }, rt, PROGRESS_INTERVAL_SECONDS);
    const onAbort = () => stream.destroy(rt.signal.reason as Error);
    rt.signal.addEventListener("abort", onAbort, { once: true });
    try {
        gate.resume();
        await pipeline(stream, gate);
    } catch (error) {
        if (rt.signal.aborted) throw rt.signal.reason;
        throw new JobError(ExitCode.Storage, `reading the dump of "${manifest.id}" from ${storage.display} failed: ${errorMessage(error)}`, { backup: manifest.id });
    } finally {
        stop();
        rt.signal.removeEventListener("abort", onAbort);
    }
    if (gate.bytes !== manifest.bytes || gate.digest !== manifest.sha256) {
        throw new JobError(
            ExitCode.Verification,
            `checksum mismatch for backup "${manifest.id}": the manifest says ${manifest.bytes} bytes with sha256 ${manifest.sha256}, the stored dump has ${gate.bytes} bytes with sha256 ${gate.digest}; nothing was restored`,
            { backup: manifest.id, expectedSha256: manifest.sha256, actualSha256: gate.digest, expectedBytes: manifest.bytes, actualBytes: gate.bytes },
        );
    }
    rt.logger.info("dump checksum verified", { backup: manifest.id, bytes: gate.bytes, sha256: gate.digest, seconds: Math.round(performance.now() - t) / 1000 });
}

export interface RestoreInto {
    storage: Storage;
    manifest: Manifest;
    target: DatabaseUrl;
    targetDisplay: string;
    /** --clean: SQL that empties the target, run in the restore's own transaction. */
    cleanSql: string | undefined;
    pgBin: string | undefined;
}

interface Consumer {
    /** The process whose exit status decides the restore (pg_restore, or psql with --clean). */
    final: Child;
    name: string;
    helpers: Child[];
}

/**
 * Without --clean: zstd -d -> pg_restore --single-transaction into the database. With --clean:
 * zstd -d -> pg_restore --file=- (SQL) -> psql --single-transaction, after the clean prelude, so
 * emptying and restoring commit together or not at all.
 */
function startConsumer(r: RestoreInto, zstd: Child): Consumer {
    const env = childEnv(r.target.password, PG_RESTORE_APPLICATION_NAME);
    const pgRestore = pgProgram(r.pgBin, "pg_restore");
    // zstd's stdout fd is handed to the next process, not copied through this one: when that
    // process stops early, zstd gets EPIPE and ends instead of blocking forever.
    if (r.cleanSql === undefined) {
        const restore = startChild(
            pgRestore,
            [`--dbname=${r.target.withoutPassword}`, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", "--no-password"],
            { env, stdio: [zstd.process.stdout!, "ignore", "pipe"] },
        );
        zstd.process.stdout!.destroy();
        return { final: restore, name: "pg_restore", helpers: [] };
    }
    const toSql = startChild(pgRestore, ["--no-owner", "--no-acl", "--file=-"], { env, stdio: [zstd.process.stdout!, "pipe", "pipe"] });
    zstd.process.stdout!.destroy();
    const psql = startChild(
        pgProgram(r.pgBin, "psql"),
        ["--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", "--no-password", `--dbname=${r.target.withoutPassword}`, "--file=-"],
        { env, stdio: ["pipe", "ignore", "pipe"] },
    );
    psql.process.stdin!.on("error", () => undefined);
    psql.process.stdin!.write(r.cleanSql);
    toSql.process.stdout!.pipe(psql.process.stdin!);
    return { final: psql, name: "psql", helpers: [toSql] };
}

/**
 * storage -> sha256 -> zstd -d -> pg_restore, in one transaction. The hash is checked again on this
 * second read, with the last chunk held back until it matches: a dump replaced between the checksum
 * pass and this one cannot be restored to the end.
 */
export async function streamRestore(r: RestoreInto, rt: Runtime): Promise<void> {
    const t = performance.now();
    const stream: Readable = await r.storage.openDump(r.manifest);
    const zstd = startChild("zstd", ["-d", "-c", "-q"], { stdio: ["pipe", "pipe", "pipe"] });
    const consumer = startConsumer(r, zstd);
    const all = [zstd, ...consumer.helpers, consumer.final];
    let failure: unknown;
    const stopAll = () => {
        for (const child of all) child.stop(0);
        stream.destroy();
    };
    const kill = (error: unknown) => {
        if (failure === undefined) failure = error;
        // SIGKILL first: the restoring client must not get a chance to commit from a stream we no longer trust.
        consumer.final.process.kill("SIGKILL");
        stopAll();
    };
    const onAbort = () => kill(rt.signal.reason);
    rt.signal.addEventListener("abort", onAbort, { once: true });
    const gate = new HashingGate(async (digest, bytes) => {
        if (digest !== r.manifest.sha256 || bytes !== r.manifest.bytes) {
            const err = new JobError(ExitCode.Verification, `the dump of "${r.manifest.id}" changed while it was being restored (sha256 ${digest}, expected ${r.manifest.sha256}); the restore was stopped`, { backup: r.manifest.id });
            kill(err);
            throw err;
        }
    }, true);
    let downstreamError: unknown;
    zstd.process.stdin!.on("error", (error) => (downstreamError ??= error));
    void consumer.final.exited.then((status) => {
        if (!succeeded(status)) stopAll();
    });
    const stop = startProgress("restore", { bytes: () => gate.bytes, total: r.manifest.bytes }, rt, PROGRESS_INTERVAL_SECONDS);
    const reading = pipeline(stream, gate, zstd.process.stdin!).catch((error: unknown) => {
        // zstd's stdin breaking means a process downstream stopped: the exit statuses tell why.
        const downstream = error === downstreamError || (error as { code?: string }).code === "EPIPE";
        if (failure === undefined && !downstream) {
            kill(error instanceof JobError ? error : new JobError(ExitCode.Storage, `reading the dump of "${r.manifest.id}" failed: ${errorMessage(error)}`, { backup: r.manifest.id }));
        }
    });
    const statuses = await Promise.all(all.map((c) => c.exited));
    await reading;
    stop();
    rt.signal.removeEventListener("abort", onAbort);
    if (failure !== undefined) throw failure;
    const finalStatus = statuses[statuses.length - 1]!;
    if (!succeeded(finalStatus)) {
        const stderr = [consumer.final.stderr(), ...consumer.helpers.map((h) => h.stderr())].filter((s) => s !== "").join("\n");
        throw new JobError(ExitCode.Restore, `${consumer.name} failed, nothing was committed: ${describeExit(consumer.name, finalStatus)}${stderr ? `: ${stderr}` : ""}`, {
            stderr,
            database: r.targetDisplay,
        });
    }
    const broken = all.findIndex((_child, i) => !succeeded(statuses[i]!));
    if (broken !== -1) {
        throw new JobError(ExitCode.Restore, `a restore step failed after the restore committed: ${describeExit(String(all[broken]!.process.spawnfile), statuses[broken]!)}: ${all[broken]!.stderr()}`, { database: r.targetDisplay });
    }
    rt.logger.info("restore complete", { backup: r.manifest.id, database: r.targetDisplay, clean: r.cleanSql !== undefined, seconds: Math.round(performance.now() - t) / 1000 });
}

export async function runRestore(opts: RestoreOptions, rt: Runtime): Promise<Manifest> {
    const target = parseDatabaseUrl(opts.databaseUrl, "--database-url");
    refusePoolerHost(target, "--database-url");
    const display = redactUrl(opts.databaseUrl);
    const storage = openStorage(opts.from, { requestTimeoutSeconds: opts.requestTimeoutSeconds, logger: rt.logger });
    const manifest = await resolveBackup(storage, opts.backup, rt);
    rt.logger.info("restore starting", { backup: manifest.id, from: storage.display, database: display, clean: opts.clean });
    await restorePreflight(pgProgram(opts.pgBin, "pg_restore"), manifest, opts.pgBin ? "--pg-bin" : "PATH");

    const client = await connect(opts.databaseUrl, { attempts: opts.connectAttempts, signal: rt.signal, logger: rt.logger, display });
    let cleanSql: string | undefined;
    try {
        const objects = await userObjects(client);
        if (objects.length > 0 && !opts.clean) {
            const sample = objects.slice(0, 5).map((o) => `${o.kind} ${o.name}`);
            throw new JobError(
                ExitCode.Refused,
                `refusing to restore into ${display}: it already holds ${objects.length} user object(s) (${sample.join(", ")}${objects.length > 5 ? ", ..." : ""}); restore into an empty database, or pass --clean to drop everything in it and restore, both in one transaction`,
                { database: display, objects: objects.length },
            );
        }
        if (opts.clean) cleanSql = cleanPreludeSql(await planClean(client));
    } finally {
        await client.end().catch(() => undefined);
    }
    await verifyChecksum(storage, manifest, rt);
    await streamRestore({ storage, manifest, target, targetDisplay: display, cleanSql, pgBin: opts.pgBin }, rt);
    return manifest;
}
