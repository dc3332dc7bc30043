import { Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { RestoreOptions } from "../args.js";
import { childEnv, toolVersion } from "./backup.js";
import { connect, userObjects } from "../postgres/db.js";
import { parseDatabaseUrl, refusePoolerHost, type DatabaseUrl } from "../postgres/dburl.js";
import { ExitCode, JobError, errorMessage } from "../errors.js";
import { HashingGate } from "../storage/hashing.js";
import type { Manifest } from "../storage/manifest.js";
import { openStorage } from "../storage/open.js";
import { cleanPreludeSql, planClean } from "../postgres/clean.js";
import { startGuardedPsql } from "../postgres/guarded-psql.js";
import { describeExit, pgProgram, requireZstd, startChild, succeeded, toolBanner, type Child } from "../process/proc.js";
import { redactUrl } from "../observability/redact.js";
import { startProgress } from "../observability/reporter.js";
import { resolveBackup } from "../storage/resolve-backup.js";
import type { Runtime } from "../runtime.js";
import type { Storage } from "../storage/storage.js";
import { isToolNewEnough, majorLabel, parseToolVersion, type PgVersion } from "../postgres/versions.js";

export const PG_RESTORE_APPLICATION_NAME = "hotelgenius-backup-pg_restore";
const PROGRESS_INTERVAL_SECONDS = 30;

/**
 * Every tool a restore runs (zstd, pg_restore, psql), checked before anything is read or touched;
 * a missing one is a configuration error (exit 2) naming it. Returns pg_restore's version.
 */
export async function requireRestoreTools(pgBin: string | undefined): Promise<PgVersion> {
    const option = pgBin ? "--pg-bin" : "PATH";
    await requireZstd();
    const restoreVersion = await toolVersion(pgProgram(pgBin, "pg_restore"), option);
    const psql = pgProgram(pgBin, "psql");
    try {
        await toolBanner(psql);
    } catch (error) {
        throw new JobError(ExitCode.Usage, `cannot run psql (${psql}, from ${option}): ${errorMessage(error)}; restores need psql beside pg_restore`, { program: psql });
    }
    return restoreVersion;
}

/** The archive format of pg_dump N can only be read by pg_restore N or newer. */
export function checkRestoreVersion(restoreVersion: PgVersion, pgRestore: string, manifest: Manifest): void {
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

/** Marks the reading pipeline's failure when zstd stopped reading: the exit statuses tell why. */
class ZstdStopped extends Error {}

/**
 * Feeds the dump to zstd. When zstd fails on its own (not killed), the rest of the dump is still
 * read and hashed, not decoded, so that bytes that changed since the checksum pass (exit 7) are told
 * apart from a dump that matches its manifest but does not decompress (exit 8).
 */
class ZstdFeed extends Writable {
    private broken: Promise<boolean> | undefined;

    constructor(private readonly zstd: Child) {
        super({ highWaterMark: 1024 * 1024 });
        zstd.process.stdin!.on("error", () => this.markBroken());
    }

    private markBroken(): Promise<boolean> {
        this.broken ??= this.zstd.exited.then((status) => status.signal === null && status.code !== 0);
        return this.broken;
    }

    private afterBreak(callback: (error?: Error | null) => void): void {
        void this.markBroken().then((keepHashing) => callback(keepHashing ? null : new ZstdStopped("zstd stopped reading")));
    }

    override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
        const stdin = this.zstd.process.stdin!;
        if (this.broken !== undefined || stdin.destroyed) return this.afterBreak(callback);
        if (stdin.write(chunk)) return callback();
        const onDrain = () => {
            stdin.off("close", onClose);
            callback();
        };
        const onClose = () => {
            stdin.off("drain", onDrain);
            this.afterBreak(callback);
        };
        stdin.once("drain", onDrain);
        stdin.once("close", onClose);
    }

    override _final(callback: (error?: Error | null) => void): void {
        if (this.broken !== undefined) return this.afterBreak(callback);
        this.zstd.process.stdin!.end();
        callback();
    }
}

/**
 * storage -> sha256 -> zstd -d -> pg_restore --single-transaction --file=- -> this process -> psql.
 * The commit is decided here, not by the end of a stream: psql gets the final COMMIT (and the guard's
 * token) only once zstd and pg_restore exited 0 and the bytes fed to zstd, hashed on this very read,
 * have the manifest's size and sha256. Every other ending leaves psql's transaction open, and the
 * server rolls it back when psql is killed or its input ends.
 */
export async function streamRestore(r: RestoreInto, rt: Runtime): Promise<void> {
    const t = performance.now();
    const stream: Readable = await r.storage.openDump(r.manifest);
    const zstd = startChild("zstd", ["-d", "-c", "-q"], { stdio: ["pipe", "pipe", "pipe"] });
    // zstd's stdout fd is handed to pg_restore, not copied through this process. pg_restore writes SQL
    // and connects to nothing: with --single-transaction its script has one BEGIN and one final COMMIT.
    const pgRestore = startChild(pgProgram(r.pgBin, "pg_restore"), ["--no-owner", "--no-acl", "--single-transaction", "--file=-"], {
        stdio: [zstd.process.stdout!, "pipe", "pipe"],
    });
    zstd.process.stdout!.destroy();
    let failure: unknown;
    let stopping = false;
    const stop = (cause: unknown) => {
        failure ??= cause;
        if (stopping) return;
        stopping = true;
        // psql first: its session must end inside the transaction before anything else can end its input.
        session.abort();
        zstd.stop(0);
        pgRestore.stop(0);
        stream.destroy();
    };
    const session = startGuardedPsql({
        program: pgProgram(r.pgBin, "psql"),
        dbname: r.target.withoutPassword,
        env: childEnv(r.target.password, PG_RESTORE_APPLICATION_NAME),
        prelude: r.cleanSql ?? "",
        onEarlyExit: stop,
    });
    const onAbort = () => stop(rt.signal.reason);
    rt.signal.addEventListener("abort", onAbort, { once: true });
    const gate = new HashingGate();
    const stopProgress = startProgress("restore", { bytes: () => gate.bytes, total: r.manifest.bytes }, rt, PROGRESS_INTERVAL_SECONDS);
    const reading = pipeline(stream, gate, new ZstdFeed(zstd)).catch((error: unknown) => {
        if (!(error instanceof ZstdStopped)) stop(new JobError(ExitCode.Storage, `reading the dump of "${r.manifest.id}" failed: ${errorMessage(error)}`, { backup: r.manifest.id }));
    });
    // A broken pipe to psql means psql ended: its exit (onEarlyExit) tells why.
    const sqlPassed = pipeline(pgRestore.process.stdout!, session.sql).catch(() => session.child.exited);
    const [zstdStatus, pgRestoreStatus] = await Promise.all([zstd.exited, pgRestore.exited, reading, sqlPassed]);
    stopProgress();
    try {
        if (failure !== undefined) throw failure;
        if (gate.digest !== r.manifest.sha256 || gate.bytes !== r.manifest.bytes) {
            throw new JobError(
                ExitCode.Verification,
                `the dump of "${r.manifest.id}" changed while it was being restored (${gate.bytes} bytes, sha256 ${gate.digest}; the manifest says ${r.manifest.bytes} bytes, sha256 ${r.manifest.sha256}); nothing was committed`,
                { backup: r.manifest.id, expectedSha256: r.manifest.sha256, actualSha256: gate.digest, expectedBytes: r.manifest.bytes, actualBytes: gate.bytes },
            );
        }
        const failed = [
            { child: zstd, name: "zstd", status: zstdStatus },
            { child: pgRestore, name: "pg_restore", status: pgRestoreStatus },
        ].filter((step) => !succeeded(step.status));
        if (failed.length > 0) {
            const details = failed.map((step) => `${describeExit(step.name, step.status)}${step.child.stderr() ? `: ${step.child.stderr()}` : ""}`);
            throw new JobError(ExitCode.Restore, `the restore failed, nothing was committed: ${details.join("; ")}`, { stderr: details.join("\n"), database: r.targetDisplay });
        }
        await session.commit();
    } catch (error) {
        stop(error);
        await session.child.exited;
        throw failure;
    } finally {
        rt.signal.removeEventListener("abort", onAbort);
    }
    rt.logger.info("restore complete", { backup: r.manifest.id, database: r.targetDisplay, clean: r.cleanSql !== undefined, seconds: Math.round(performance.now() - t) / 1000 });
}

export async function runRestore(opts: RestoreOptions, rt: Runtime): Promise<Manifest> {
    const target = parseDatabaseUrl(opts.databaseUrl, "--database-url");
    refusePoolerHost(target, "--database-url");
    const display = redactUrl(opts.databaseUrl);
    const storage = openStorage(opts.from, { requestTimeoutSeconds: opts.requestTimeoutSeconds, logger: rt.logger });
    const restoreVersion = await requireRestoreTools(opts.pgBin);
    const manifest = await resolveBackup(storage, opts.backup, rt);
    rt.logger.info("restore starting", { backup: manifest.id, from: storage.display, database: display, clean: opts.clean });
    checkRestoreVersion(restoreVersion, pgProgram(opts.pgBin, "pg_restore"), manifest);

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
