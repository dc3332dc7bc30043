// The restore path shared by restore and verify: the checksum pass and the guarded, all-or-nothing restore stream.
import { pipeline } from "node:stream/promises";
import { ExitCode, JobError, errorMessage } from "../errors.js";
import { startProgress } from "../observability/reporter.js";
import { describeExit, type ExitStatus, pgProgram, startChild, succeeded } from "../process/proc.js";
import type { Runtime } from "../runtime.js";
import type { Manifest } from "../storage/manifest.js";
import type { Storage } from "../storage/storage.js";
import type { DatabaseUrl } from "./dburl.js";
import { startGuardedPsql } from "./guarded-psql.js";
import { DumpFeed } from "../storage/dump-feed.js";
import { sessionOptionsFor } from "./db.js";
import { childEnv } from "./tools.js";
import { whenAborted } from "../process/abort.js";
import type { ChecksumPassMode } from "../options.js";

export const PG_RESTORE_APPLICATION_NAME = "hotelgenius-backup-pg_restore";
const PROGRESS_INTERVAL_SECONDS = 30;

/** Reads the whole dump once and compares size and sha256 with the manifest; nothing is stored. */
export async function verifyChecksum(storage: Storage, manifest: Manifest, rt: Runtime): Promise<void> {
    const t = performance.now();
    const source = await storage.openDump(manifest);
    const feed = new DumpFeed();
    const stop = startProgress("checksum", { bytes: () => feed.bytes, total: manifest.bytes }, rt, PROGRESS_INTERVAL_SECONDS);
    const stopWatching = whenAborted(rt.signal, () => feed.stop());
    try {
        await feed.run(source);
    } catch (error) {
        if (rt.signal.aborted) throw rt.signal.reason;
        throw new JobError(ExitCode.Storage, `reading the dump of "${manifest.id}" from ${storage.display} failed: ${errorMessage(error)}`, {
            backup: manifest.id,
        });
    } finally {
        stop();
        stopWatching();
    }
    // A stop ends the read early, without a digest.
    if (rt.signal.aborted) throw rt.signal.reason;
    if (feed.bytes !== manifest.bytes || feed.digest !== manifest.sha256) {
        throw new JobError(
            ExitCode.Verification,
            `checksum mismatch for backup "${manifest.id}": the manifest says ${manifest.bytes} bytes with sha256 ${manifest.sha256}, the stored dump has ` +
                `${feed.bytes} bytes with sha256 ${feed.digest}; nothing was restored`,
            { backup: manifest.id, expectedSha256: manifest.sha256, actualSha256: feed.digest, expectedBytes: manifest.bytes, actualBytes: feed.bytes },
        );
    }
    rt.logger.info("dump checksum verified", {
        backup: manifest.id,
        bytes: feed.bytes,
        sha256: feed.digest,
        seconds: Math.round(performance.now() - t) / 1000,
    });
}

const READ_ONCE = "the dump is read once and checked as it is restored, before the COMMIT";

/**
 * The checksum pass, when `mode` asks for it; returns whether it ran. The restore's own read is
 * hashed and decides the COMMIT either way: the pass adds (1) that a damaged dump is refused before
 * the target is touched, which matters for --clean (its drops lock the database's objects for the whole
 * restore before a rollback), and (2) on the direct path, that a dump crafted to commit early never
 * reaches pg_restore, against someone able to replace the dump but not its manifest (and only if the
 * dump does not change between the two reads). So auto runs it for --clean, and otherwise only when the
 * dump could change while its manifest stays as it is (Storage.dumpStability).
 */
export async function checksumPass(storage: Storage, manifest: Manifest, choice: { mode: ChecksumPassMode; clean: boolean }, rt: Runtime): Promise<boolean> {
    const context = { backup: manifest.id, checksumPass: choice.mode };
    if (choice.mode === "never") {
        rt.logger.info(`checksum pass skipped (--checksum-pass never): ${READ_ONCE}`, context);
        return false;
    }
    let reason = "--checksum-pass always";
    if (choice.mode === "auto") {
        if (choice.clean) reason = "--clean: a damaged dump is refused before the drops lock the database";
        else {
            const stability = await storage.dumpStability(manifest);
            if (stability.fixed) {
                rt.logger.info(`checksum pass skipped: ${stability.reason}; ${READ_ONCE}`, { ...context, reason: stability.reason });
                return false;
            }
            reason = `${stability.reason}, so the dump could change without its manifest`;
        }
    }
    rt.logger.info(`checksum pass: ${reason}`, { ...context, reason });
    await verifyChecksum(storage, manifest, rt);
    return true;
}

/**
 * Whether zstd ended before its input did on its own: it failed (bad input), or was killed by SIGPIPE
 * because its reader, pg_restore, ended first (killed, or failing on bytes that changed). Then the rest
 * of the dump is still read and hashed, so that a dump that changed is told as such (exit 7) and a
 * matching one leaves the failure to pg_restore's or zstd's status (exit 8); a read cut short would have
 * no digest and look changed. Any other signal is a stop, the job's own or someone's: reading stops.
 */
export function zstdEndedOnItsOwn(status: ExitStatus): boolean {
    return status.signal === "SIGPIPE" || (status.signal === null && status.code !== 0);
}

export interface RestoreInto {
    storage: Storage;
    manifest: Manifest;
    target: DatabaseUrl;
    targetDisplay: string;
    /** --clean: SQL that empties the target, run in the restore's own transaction. */
    cleanSql: string | undefined;
    pgBin: string | undefined;
    /** The target server's major version: which startup options pg_restore's own session can take. */
    serverMajor: number;
    /** Run after cleanSql, in the same transaction: the database's own settings and grants (restore). */
    databaseSql?: string;
    /** Keep the dump's grants (pg_restore without --no-acl). */
    keepAcl?: boolean;
    /** Bounds every lock wait of the restore's session (the --clean drops wait on the application's sessions). */
    lockWaitTimeoutSeconds?: number;
    /** No checksum pass ran: this read is the first, so a mismatch means a damaged dump, not one that changed since the checksum pass. */
    skippedChecksumPass?: boolean;
}

/**
 * storage -> sha256 -> zstd -d -> pg_restore --single-transaction, on one of two paths:
 *
 * direct (nothing of the job's own to run in the transaction: a restore into an empty database with
 * no database settings to bring back, verify's scratch restore): pg_restore connects to the target
 * itself and zstd's output goes straight into it. The job holds back the end of the compressed
 * stream and passes it to zstd only once the dump was read whole, with the manifest's size and
 * sha256 hashed on this very read, and is whole zstd frames (DumpFeed, ZstdFrameWalk). Why that holds the
 * COMMIT back: pg_restore reading a custom-format archive from a pipe cannot reach its COMMIT before
 * it has read the archive's last bytes (the end marker of the last data block; with no data, the end
 * of the table of contents, which it reads before it connects). Those bytes are in the last zstd
 * block with content (RFC 8878: at most 128 KiB of content; after it come at most an empty last
 * block and the 4-byte checksum), and the job holds back everything from the start of the latest
 * block with content: a compressed block is decoded only whole, a raw or RLE one never past the
 * bytes received. So at most one block (128 KiB + 3 bytes) is held, whatever the dump's size. Every
 * other ending (the job killed, the download failed, other bytes, zstd or pg_restore killed,
 * SIGTERM) ends zstd's input without that tail or kills pg_restore: pg_restore fails, its connection
 * closes inside the transaction, and the server rolls it back.
 *
 * guarded (--clean, database settings or grants: SQL of the job's own in the same transaction):
 * pg_restore writes SQL (--file=-) through this process into psql. The commit is decided here:
 * psql gets the final COMMIT (and the guard's token) only once zstd and pg_restore exited 0 and the
 * bytes fed to zstd have the manifest's size and sha256. Every other ending leaves psql's
 * transaction open, and the server rolls it back when psql is killed or its input ends.
 */
export async function streamRestore(r: RestoreInto, rt: Runtime): Promise<void> {
    const t = performance.now();
    const prelude = `${r.cleanSql ?? ""}${r.databaseSql ?? ""}`;
    const direct = prelude === "";
    const source = await r.storage.openDump(r.manifest);
    const zstd = startChild("zstd", ["-d", "-c", "-q"], { stdio: ["pipe", "pipe", "pipe"] });
    // zstd's stdout fd is handed to pg_restore, not copied through this process. With --single-transaction
    // pg_restore runs everything between one BEGIN and one final COMMIT (as SQL on stdout with --file=-).
    const restoreArgs = ["--no-owner", ...(r.keepAcl ? [] : ["--no-acl"]), "--single-transaction"];
    const pgRestore = direct
        ? startChild(pgProgram(r.pgBin, "pg_restore"), [...restoreArgs, "--no-password", `--dbname=${r.target.withoutPassword}`], {
              env: childEnv(rt.environment, r.target.password, PG_RESTORE_APPLICATION_NAME, sessionOptionsFor(r.serverMajor)),
              stdio: [zstd.process.stdout!, "ignore", "pipe"],
          })
        : startChild(pgProgram(r.pgBin, "pg_restore"), [...restoreArgs, "--file=-"], { stdio: [zstd.process.stdout!, "pipe", "pipe"] });
    zstd.process.stdout!.destroy();
    const feed = new DumpFeed({
        sink: zstd.process.stdin!,
        holdEnd: direct,
        // Asked once the whole dump was read: anything else ends zstd's input without the held end.
        release: (): boolean => feed.bytes === r.manifest.bytes && feed.digest === r.manifest.sha256 && feed.frames.defect === undefined,
        failedOnItsOwn: () => zstd.exited.then(zstdEndedOnItsOwn),
    });
    let failure: unknown;
    let stopping = false;
    let abandonReading = () => {};
    const readingAbandoned = new Promise<void>((resolve) => {
        abandonReading = resolve;
    });
    const stop = (cause: unknown) => {
        failure ??= cause;
        if (stopping) return;
        stopping = true;
        abandonReading();
        // psql first: its session must end inside the transaction before anything else can end its input.
        session?.abort();
        zstd.stop(0);
        pgRestore.stop(0);
        feed.stop();
    };
    const session = direct
        ? undefined
        : startGuardedPsql({
              program: pgProgram(r.pgBin, "psql"),
              dbname: r.target.withoutPassword,
              env: childEnv(rt.environment, r.target.password, PG_RESTORE_APPLICATION_NAME),
              prelude: `${r.lockWaitTimeoutSeconds === undefined ? "" : `SET LOCAL lock_timeout = '${r.lockWaitTimeoutSeconds}s';\n`}${prelude}`,
              onEarlyExit: stop,
          });
    const onAbort = () => stop(rt.signal.reason);
    const stopWatching = whenAborted(rt.signal, onAbort);
    const stopProgress = startProgress("restore", { bytes: () => feed.bytes, total: r.manifest.bytes }, rt, PROGRESS_INTERVAL_SECONDS);
    const reading = feed.run(source).catch((error: unknown) => {
        stop(new JobError(ExitCode.Storage, `reading the dump of "${r.manifest.id}" failed: ${errorMessage(error)}`, { backup: r.manifest.id }));
    });
    // A broken pipe to psql means psql ended: its exit (onEarlyExit) tells why.
    const sqlPassed = session === undefined ? undefined : pipeline(pgRestore.process.stdout!, session.sql).catch(() => session.child.exited);
    // Once stopping, the outcome is the failure whatever the read does: it is not waited for. Its pipeline
    // was seen (1 run in 6 under load) never to settle after psql ended on a lock timeout, leaving the run
    // with nothing to wait on: Node then ended it silently (exit 0 before cli.ts's exitWith).
    const readOrStop = Promise.race([reading, readingAbandoned]);
    const [zstdStatus, pgRestoreStatus] = await Promise.all([zstd.exited, pgRestore.exited, readOrStop, sqlPassed]);
    stopProgress();
    try {
        if (failure !== undefined) throw failure;
        if (feed.digest !== r.manifest.sha256 || feed.bytes !== r.manifest.bytes) {
            const what = r.skippedChecksumPass ? "does not match its manifest" : "changed while it was being restored";
            throw new JobError(
                ExitCode.Verification,
                `the dump of "${r.manifest.id}" ${what} (${feed.bytes} bytes, sha256 ${feed.digest}; the manifest says ` +
                    `${r.manifest.bytes} bytes, sha256 ${r.manifest.sha256}); nothing was committed`,
                {
                    backup: r.manifest.id,
                    expectedSha256: r.manifest.sha256,
                    actualSha256: feed.digest,
                    expectedBytes: r.manifest.bytes,
                    actualBytes: feed.bytes,
                },
            );
        }
        const failed = [
            { child: zstd, name: "zstd", status: zstdStatus },
            { child: pgRestore, name: "pg_restore", status: pgRestoreStatus },
        ].filter((step) => !succeeded(step.status));
        if (failed.length > 0) {
            const details = failed.map((step) => `${describeExit(step.name, step.status)}${step.child.stderr() ? `: ${step.child.stderr()}` : ""}`);
            if (direct && feed.frames.defect !== undefined) details.push(`the dump is not whole zstd frames (${feed.frames.defect}), so its end was held back`);
            throw new JobError(ExitCode.Restore, `the restore failed, nothing was committed: ${details.join("; ")}`, {
                stderr: details.join("\n"),
                database: r.targetDisplay,
            });
        }
        await session?.commit();
    } catch (error) {
        stop(error);
        await session?.child.exited;
        throw failure;
    } finally {
        stopWatching();
    }
    rt.logger.info("restore complete", {
        backup: r.manifest.id,
        database: r.targetDisplay,
        clean: r.cleanSql !== undefined,
        seconds: Math.round(performance.now() - t) / 1000,
    });
}
