import type { BackupOptions } from "../args.js";
import { MAX_PART_SIZE_MIB } from "../options.js";
import {
    LOCK_NOT_AVAILABLE,
    beginSnapshotTransaction,
    connect,
    countAllRows,
    countLargeObjects,
    listTables,
    serverVersion,
    lockedView,
} from "../postgres/db.js";
import { readDatabaseState } from "../postgres/database-state.js";
import { parseDatabaseUrl, refusePoolerHost } from "../postgres/dburl.js";
import { emfRecord, metric, round3, stageMetrics } from "../observability/emf.js";
import { ExitCode, JobError, errorMessage } from "../errors.js";
import { HashingGate } from "../storage/hashing.js";
import { formatBackupId, validateName } from "../storage/ids.js";
import { MANIFEST_VERSION, type Manifest, type TableCount } from "../storage/manifest.js";
import { openStorage } from "../storage/open.js";
import type { DumpFile, Storage } from "../storage/storage.js";
import { BackgroundSync } from "../storage/file-writes.js";
import { GrowingFileHasher } from "../storage/growing-file.js";
import { type Child, describeExit, diesWithThisProcess, findSetpriv, pgProgram, requireZstd, startChild, succeeded } from "../process/proc.js";
import { redactUrl } from "../observability/redact.js";
import { formatBytes } from "../observability/progress.js";
import { startProgress } from "../observability/reporter.js";
import type { Runtime, ToolInfo } from "../runtime.js";
import { childEnv, toolVersion } from "../postgres/tools.js";
import { isToolNewEnough, majorLabel } from "../postgres/versions.js";

/** pg_dump's backend carries this application_name, so operators (and tests) can find it. */
export const PG_DUMP_APPLICATION_NAME = "hotelgenius-backup-pg_dump";

/**
 * A streamed dump's size is unknown until it ends, so the S3 part limit can only be enforced while
 * streaming: this error names the option that raises the limit.
 */
export function dumpTooLargeError(maxBytes: number, partSizeMiB: number, target: string): JobError {
    const suggested = Math.min(MAX_PART_SIZE_MIB, partSizeMiB * 2);
    const advice =
        suggested > partSizeMiB
            ? `run the backup again with a larger --part-size-mib (e.g. ${suggested}; allowed 5-${MAX_PART_SIZE_MIB}, memory is part size x (queue size + 1))`
            : `--part-size-mib is already at its maximum of ${MAX_PART_SIZE_MIB}: the dump is too large for one S3 object of streamed parts`;
    return new JobError(
        ExitCode.Storage,
        `the compressed dump grew past ${formatBytes(maxBytes)}, the most ${target} can take in 10,000 multipart parts of --part-size-mib ${partSizeMiB}: ` +
            `${advice}`,
        {
            maxBytes,
            partSizeMiB,
        },
    );
}

/**
 * pg_dump --lock-wait-timeout gives up with "canceling statement due to statement timeout" on its
 * LOCK TABLE (or, in parallel workers, "could not obtain lock on relation"): names the table(s), or
 * undefined when stderr says something else.
 */
export function lockedTables(pgDumpStderr: string): string | undefined {
    if (!/statement timeout|lock timeout|could not obtain lock/.test(pgDumpStderr)) return undefined;
    return (
        /LOCK TABLE (.+?) IN ACCESS SHARE MODE/.exec(pgDumpStderr)?.[1] ??
        /could not obtain lock on relation "([^"]+)"/.exec(pgDumpStderr)?.[1] ??
        "(not named by pg_dump)"
    );
}

/** A lock wait that ran out is not a broken backup: the schedule should retry later. `kind`: "table" or "view". */
export function lockTimeoutError(what: string, tables: string | undefined, seconds: number, context: Record<string, unknown>, kind = "table"): JobError {
    return new JobError(
        ExitCode.LockTimeout,
        `${what} could not lock ${tables === undefined ? `a ${kind}` : `${kind} ${tables}`} within --lock-wait-timeout ${seconds} s: another session holds a ` +
            `conflicting lock (e.g. a migration holding ACCESS EXCLUSIVE); retry the backup once it has finished`,
        { ...context, ...(tables === undefined ? {} : { [kind]: tables }), lockWaitTimeoutSeconds: seconds, retryable: true },
    );
}

export async function runBackup(opts: BackupOptions, rt: Runtime, tool: ToolInfo): Promise<Manifest> {
    const startedAt = new Date();
    const t0 = performance.now();
    const stages: Record<string, number> = {};
    let database = "unknown";
    let bytes = 0;
    let ok = false;
    try {
        const db = parseDatabaseUrl(opts.databaseUrl, "--database-url");
        database = db.database;
        refusePoolerHost(db, "--database-url");
        const name = opts.name ?? validateName(db.database, "the database name from --database-url");
        const manifest = await dumpToStorage(opts, rt, tool, { db, name, startedAt, stages });
        bytes = manifest.bytes;
        ok = true;
        return manifest;
    } finally {
        const duration = (performance.now() - t0) / 1000;
        rt.logger.record(
            emfRecord(
                database,
                [
                    metric("BackupSuccess", ok ? 1 : 0),
                    metric("BackupDuration", round3(duration)),
                    ...(ok ? [metric("BackupBytes", bytes), ...stageMetrics(stages)] : []),
                ],
                new Date(),
            ),
        );
    }
}

interface DumpContext {
    db: ReturnType<typeof parseDatabaseUrl>;
    name: string;
    startedAt: Date;
    stages: Record<string, number>;
}

async function dumpToStorage(opts: BackupOptions, rt: Runtime, tool: ToolInfo, ctx: DumpContext): Promise<Manifest> {
    const { db, stages } = ctx;
    const log = rt.logger;
    const id = formatBackupId(ctx.name, ctx.startedAt);
    const storage = await openStorage(opts.target, {
        partSizeBytes: opts.partSizeMiB * 1024 * 1024,
        queueSize: opts.uploadQueueSize,
        requestTimeoutSeconds: opts.requestTimeoutSeconds,
        logger: log,
        environment: rt.environment,
    });
    const display = redactUrl(opts.databaseUrl);
    log.info("backup starting", { id, database: display, target: storage.display });

    let t = performance.now();
    const pgDump = pgProgram(opts.pgBin, "pg_dump");
    const dumpVersion = await toolVersion(pgDump, opts.pgBin ? "--pg-bin" : "PATH");
    await requireZstd();
    const client = await connect(opts.databaseUrl, { attempts: opts.connectAttempts, signal: rt.signal, logger: log, display });
    try {
        const server = await serverVersion(client);
        if (!isToolNewEnough(dumpVersion, server)) {
            throw new JobError(
                ExitCode.Version,
                `pg_dump ${dumpVersion.number} (${pgDump}) is older than the server's PostgreSQL ${server.number}: pg_dump major ${majorLabel(dumpVersion)} ` +
                    `< server major ${majorLabel(server)}. Install a pg_dump of major ${majorLabel(server)} or newer, or point --pg-bin at one`,
                { pgDump: dumpVersion.text, server: server.text },
            );
        }
        await storage.check();
        if (await storage.manifestExists(id)) {
            throw new JobError(ExitCode.Storage, `backup "${id}" already exists in ${storage.display}: wait a second or pass another --name`, { id });
        }
        stages["Preflight"] = (performance.now() - t) / 1000;
        log.info("preflight passed", { id, serverVersion: server.text, pgDumpVersion: dumpVersion.text, target: storage.display });

        const view = await lockedView(client, opts.lockWaitTimeoutSeconds);
        if (view !== undefined) throw lockTimeoutError("pg_dump", view, opts.lockWaitTimeoutSeconds, {}, "view");
        const databaseState = await readDatabaseState(client);
        const snapshot = await beginSnapshotTransaction(client);
        // The row counts take the same table locks as pg_dump: their wait is bounded the same way.
        await client.query(`SET LOCAL lock_timeout = '${opts.lockWaitTimeoutSeconds}s'`);
        // A backend waiting for a lock does not notice that the job went away (SIGTERM, --max-runtime)
        // and would keep waiting, snapshot held, until lock_timeout; with this it ends within a second.
        if (server.major >= 14) await client.query("SET LOCAL client_connection_check_interval = '1s'");
        const tables = await listTables(client);

        t = performance.now();
        const { counts, largeObjects, sha256, bytes, dump, dumpVersionId } = await streamDump(opts, rt, {
            id,
            snapshot,
            tables,
            client,
            db,
            pgDump,
            storage,
            stages,
        });
        const finishedAt = new Date();

        if (rt.signal.aborted) {
            await storage.removeDump?.(dump).catch(() => undefined);
            throw rt.signal.reason;
        }
        const manifest: Manifest = {
            manifestVersion: MANIFEST_VERSION,
            id,
            name: ctx.name,
            database: db.database,
            serverVersion: server.text,
            serverMajor: majorLabel(server),
            pgDumpVersion: dumpVersion.text,
            pgDumpMajor: majorLabel(dumpVersion),
            format: "custom",
            compression: { algorithm: "zstd", level: opts.compressionLevel },
            dump,
            ...(dumpVersionId === undefined ? {} : { dumpVersionId }),
            bytes,
            sha256,
            startedAt: ctx.startedAt.toISOString(),
            finishedAt: finishedAt.toISOString(),
            durationSeconds: round3((finishedAt.getTime() - ctx.startedAt.getTime()) / 1000),
            tables: counts,
            largeObjects,
            tool,
            databaseSettings: databaseState.settings,
            databaseGrants: databaseState.grants,
        };
        t = performance.now();
        try {
            await storage.putManifest(manifest);
        } catch (error) {
            await storage
                .removeDump?.(dump)
                .catch((e: unknown) => log.warn("could not remove the dump of a failed backup", { id, dump, error: errorMessage(e) }));
            throw error;
        }
        stages["Manifest"] = (performance.now() - t) / 1000;
        log.info("backup complete", { id, bytes, sha256, tables: counts.length, rows: counts.reduce((n, c) => n + c.rows, 0), target: storage.display });
        return manifest;
    } finally {
        // Only now: the exported snapshot had to outlive pg_dump.
        await client.query("ROLLBACK").catch(() => undefined);
        await client.end().catch(() => undefined);
    }
}

interface StreamContext {
    id: string;
    snapshot: string;
    tables: { schema: string; name: string }[];
    client: Parameters<typeof countAllRows>[0];
    db: ReturnType<typeof parseDatabaseUrl>;
    pgDump: string;
    storage: Storage;
    stages: Record<string, number>;
}

interface StreamResult {
    /** Where the storage put the dump, relative to the target root. */
    dump: string;
    /** The S3 version the upload created, in a versioned bucket. */
    dumpVersionId?: string;
    counts: TableCount[];
    largeObjects: number;
    sha256: string;
    bytes: number;
}

/**
 * pg_dump -> zstd -> sha256 -> storage in one pass, with row counts taken concurrently in the
 * exported snapshot. The first failure wins and stops everything else; the storage only sees a
 * clean end of stream when pg_dump, zstd and the counts all succeeded.
 */
async function streamDump(opts: BackupOptions, rt: Runtime, s: StreamContext): Promise<StreamResult> {
    const controller = new AbortController();
    let failure: unknown;
    const fail = (error: unknown) => {
        if (failure !== undefined) return;
        failure = error;
        controller.abort(error);
    };
    const onSignal = () => fail(rt.signal.reason);
    // file://: zstd writes the dump file itself (its stdout), so the compressed bytes do not pass
    // through this process (measurably faster on two cores), and the job hashes what is in the file.
    // Only with setpriv at hand (the image checks it has one), so that zstd (and with it pg_dump) dies with the job.
    const setpriv = s.storage.createDumpFile === undefined ? undefined : findSetpriv(rt.environment.variables["PATH"]);
    const file = setpriv === undefined ? undefined : await s.storage.createDumpFile!(s.id);
    if (rt.signal.aborted) {
        await file?.discard();
        throw rt.signal.reason;
    }
    rt.signal.addEventListener("abort", onSignal, { once: true });

    const dumpStart = performance.now();
    const dump = startChild(
        s.pgDump,
        [
            "--format=custom",
            "--compress=0",
            `--snapshot=${s.snapshot}`,
            `--lock-wait-timeout=${opts.lockWaitTimeoutSeconds}s`,
            "--no-password",
            `--dbname=${s.db.withoutPassword}`,
        ],
        { env: childEnv(rt.environment, s.db.password, PG_DUMP_APPLICATION_NAME), stdio: ["ignore", "pipe", "pipe"] },
    );
    // pg_dump's stdout fd goes straight to zstd: the uncompressed stream never passes through this
    // process (it was measurably slower on two cores), and zstd's death gives pg_dump an EPIPE.
    const zstdArgs = [`-${opts.compressionLevel}`, `-T${opts.compressionThreads}`, "-c", "-q"];
    const [zstdCommand, zstdArgv] = file === undefined ? ["zstd", zstdArgs] : diesWithThisProcess(setpriv!, "zstd", zstdArgs);
    const zstd = startChild(zstdCommand, zstdArgv, { stdio: [dump.process.stdout!, file?.fd ?? "pipe", "pipe"] });
    dump.process.stdout!.destroy();
    controller.signal.addEventListener("abort", () => {
        dump.stop();
        zstd.stop();
        // Cancels a long count(*) at once; the snapshot is no longer needed once we are failing.
        void s.client.end().catch(() => undefined);
    });

    const dumpDone = dump.exited.then(async (status) => {
        s.stages["Dump"] = (performance.now() - dumpStart) / 1000;
        if (!succeeded(status)) {
            // Killed by SIGPIPE: its reader, zstd, ended first (a full disk, say), and zstd's failure says why.
            if (status.signal === "SIGPIPE") await zstd.exited;
            const context = { pgDumpStderr: dump.stderr(), pgDumpExitCode: status.code, pgDumpSignal: status.signal };
            const locked = status.code === null ? undefined : lockedTables(dump.stderr());
            const err =
                locked !== undefined
                    ? lockTimeoutError("pg_dump", locked, opts.lockWaitTimeoutSeconds, context)
                    : new JobError(ExitCode.Dump, `pg_dump failed: ${describeExit("pg_dump", status)}${dump.stderr() ? `: ${dump.stderr()}` : ""}`, context);
            fail(err);
            throw err;
        }
    });
    const zstdDone = zstd.exited.then((status) => {
        if (!succeeded(status)) {
            const err =
                (file === undefined ? undefined : dumpFileWriteError(file.path, zstd.stderr(), s.storage.display)) ??
                new JobError(ExitCode.Dump, `zstd failed: ${describeExit("zstd", status)}${zstd.stderr() ? `: ${zstd.stderr()}` : ""}`, {
                    zstdStderr: zstd.stderr(),
                });
            fail(err);
            throw err;
        }
    });
    const countStart = performance.now();
    let countingTable: string | undefined;
    const counting = (async () => {
        const counts: TableCount[] = [];
        // One table at a time, so that a lock wait that runs out can name its table.
        for (const table of s.tables) {
            countingTable = `${table.schema}.${table.name}`;
            counts.push(...(await countAllRows(s.client, [table])));
        }
        const largeObjects = await countLargeObjects(s.client);
        s.stages["RowCount"] = (performance.now() - countStart) / 1000;
        return { counts, largeObjects };
    })().catch((error: unknown) => {
        const code = (error as { code?: unknown }).code;
        const err =
            code === LOCK_NOT_AVAILABLE
                ? lockTimeoutError("counting rows in the dump's snapshot", countingTable, opts.lockWaitTimeoutSeconds, { code })
                : new JobError(ExitCode.Dump, `counting rows in the dump's snapshot failed: ${errorMessage(error)}`, { code });
        fail(err);
        throw err;
    });

    const allSucceeded = async () => {
        await Promise.all([dumpDone, zstdDone, counting]);
        if (failure !== undefined) throw failure;
    };
    const uploadStart = performance.now();
    const store =
        file === undefined
            ? storeThroughThisProcess(opts, s, zstd, allSucceeded, controller.signal)
            : storeInPlace(file, zstd, allSucceeded, controller.signal);
    const stopProgress = startProgress("backup", { bytes: store.bytes, total: undefined }, rt, opts.progressIntervalSeconds);
    const writing = store.stored.then(
        (stored) => {
            s.stages["Upload"] = (performance.now() - uploadStart) / 1000;
            return stored;
        },
        (error: unknown) => {
            fail(error instanceof JobError ? error : new JobError(ExitCode.Storage, `storing the dump failed: ${errorMessage(error)}`));
            throw error;
        },
    );

    const settled = await Promise.allSettled([writing, dumpDone, zstdDone, counting]);
    stopProgress();
    rt.signal.removeEventListener("abort", onSignal);
    if (failure === undefined && dump.stderr() !== "") rt.logger.warn("pg_dump succeeded with messages on stderr", { pgDumpStderr: dump.stderr() });
    if (failure !== undefined) {
        if (settled[0].status === "fulfilled") await s.storage.removeDump?.(settled[0].value.dump).catch(() => undefined);
        throw failure;
    }
    const { counts, largeObjects } = (settled[3] as PromiseFulfilledResult<{ counts: TableCount[]; largeObjects: number }>).value;
    return { ...(settled[0] as PromiseFulfilledResult<StoredDump>).value, counts, largeObjects };
}

interface StoredDump {
    /** Where the storage put the dump, relative to the target root. */
    dump: string;
    /** The S3 version the upload created, in a versioned bucket. */
    dumpVersionId?: string;
    sha256: string;
    bytes: number;
}

interface DumpStore {
    /** Bytes stored so far (progress). */
    bytes: () => number;
    stored: Promise<StoredDump>;
}

/**
 * zstd's output passes through this process: hashed on its way (HashingGate) into storage.writeDump,
 * whose end of stream comes only once `allSucceeded` resolved.
 */
function storeThroughThisProcess(opts: BackupOptions, s: StreamContext, zstd: Child, allSucceeded: () => Promise<void>, signal: AbortSignal): DumpStore {
    const maxBytes = s.storage.maxDumpBytes;
    const gate = new HashingGate(
        allSucceeded,
        maxBytes === undefined ? undefined : { maxBytes, error: () => dumpTooLargeError(maxBytes, opts.partSizeMiB, s.storage.display) },
    );
    zstd.process.stdout!.pipe(gate);
    return {
        bytes: () => gate.bytes,
        stored: s.storage.writeDump(s.id, gate, { signal }).then((written) => ({
            dump: written.dump,
            ...(written.versionId === undefined ? {} : { dumpVersionId: written.versionId }),
            sha256: gate.digest!,
            bytes: gate.bytes,
        })),
    };
}

/**
 * zstd writes the dump file itself; the job hashes the file as it grows (what is hashed is what is
 * stored), syncs it in the background as it goes, and commits it (final sync, final name) only once
 * `allSucceeded` resolved. Any failure removes the file.
 */
function storeInPlace(file: DumpFile, zstd: Child, allSucceeded: () => Promise<void>, signal: AbortSignal): DumpStore {
    const syncs = new BackgroundSync(() => file.datasync());
    const hasher = new GrowingFileHasher(file.path, zstd.exited, signal, (bytes) => syncs.wrote(bytes));
    const stored = (async () => {
        try {
            const digest = await hasher.digest();
            await allSucceeded();
            await syncs.settled();
            return { ...digest, dump: await file.commit() };
        } catch (error) {
            await syncs.settled().catch(() => undefined);
            await file.discard();
            throw error;
        }
    })();
    return { bytes: () => hasher.bytes, stored };
}

/** strerror texts zstd prints after "Write error", as the error codes Node would name them. */
const WRITE_ERROR_CODES: readonly [string, string][] = [
    ["No space left on device", "ENOSPC"],
    ["Disk quota exceeded", "EDQUOT"],
    ["File too large", "EFBIG"],
    ["Input/output error", "EIO"],
    ["Read-only file system", "EROFS"],
];

/** zstd failing to write the dump file is a storage failure (exit 6), like a failed write of this process's own. */
export function dumpFileWriteError(path: string, zstdStderr: string, target: string): JobError | undefined {
    if (!/write error/i.test(zstdStderr)) return undefined;
    const code = WRITE_ERROR_CODES.find(([text]) => zstdStderr.includes(text))?.[1];
    return new JobError(ExitCode.Storage, `writing ${path} failed: ${code === undefined ? "" : `${code}: `}zstd: ${zstdStderr}`, {
        target,
        ...(code === undefined ? {} : { code }),
        zstdStderr,
    });
}
