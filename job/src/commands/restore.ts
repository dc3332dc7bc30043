import type pg from "pg";
import type { RestoreOptions } from "../args.js";
import { ExitCode, JobError } from "../errors.js";
import { formatAge, formatBytes } from "../observability/progress.js";
import { redactUrl } from "../observability/redact.js";
import { cleanPreludeSql, planClean, undroppableObjects } from "../postgres/clean.js";
import { databaseGrantsSql, databaseSettingsSql, unsettableSettings } from "../postgres/database-state.js";
import { connect, lockHolders, quoteIdent, serverVersion, userObjects, type LockHolder } from "../postgres/db.js";
import { parseDatabaseUrl, refusePoolerHost } from "../postgres/dburl.js";
import { checksumPass, streamRestore } from "../postgres/restore-stream.js";
import { checkRestoreVersion, requireRestoreTools } from "../postgres/tools.js";
import type { PgVersion } from "../postgres/versions.js";
import { pgProgram } from "../process/proc.js";
import type { Runtime } from "../runtime.js";
import type { Manifest } from "../storage/manifest.js";
import { openStorage } from "../storage/open.js";
import { resolveBackup } from "../storage/resolve-backup.js";

export async function runRestore(opts: RestoreOptions, rt: Runtime): Promise<Manifest> {
    const target = parseDatabaseUrl(opts.databaseUrl, "--database-url");
    refusePoolerHost(target, "--database-url");
    const display = redactUrl(opts.databaseUrl);
    const storage = await openStorage(opts.from, { requestTimeoutSeconds: opts.requestTimeoutSeconds, logger: rt.logger, environment: rt.environment });
    const restoreVersion = await requireRestoreTools(opts.pgBin);
    const manifest = await resolveBackup(storage, opts.backup, opts.name, rt);
    rt.logger.info(opts.dryRun ? "dry run starting" : "restore starting", { backup: manifest.id, from: storage.display, database: display, clean: opts.clean });
    // Legitimate (a disaster restore, a scratch copy), but with --clean over the wrong database it replaces it with another's data.
    if (manifest.database !== target.database) {
        rt.logger.warn(`restoring a backup of database "${manifest.database}" into database "${target.database}": check that this is the backup you mean`, {
            backup: manifest.id,
            backupDatabase: manifest.database,
            database: target.database,
        });
    }
    checkRestoreVersion(restoreVersion, pgProgram(opts.pgBin, "pg_restore"), manifest);

    const connectOptions = { attempts: opts.connectAttempts, signal: rt.signal, logger: rt.logger, display };
    const client = await connect(opts.databaseUrl, connectOptions);
    let cleanSql: string | undefined;
    let objects: { kind: string; name: string }[];
    let server: PgVersion;
    try {
        await refuseUnwritableTarget(client, target.database, display);
        server = await serverVersion(client);
        if (!opts.skipDatabaseSettings && manifest.databaseSettings !== undefined) {
            await refuseUnsettableSettings(client, manifest, display);
        }
        objects = await userObjects(client);
        if (objects.length > 0 && !opts.clean) {
            const sample = objects.slice(0, 5).map((o) => `${o.kind} ${o.name}`);
            throw new JobError(
                ExitCode.Refused,
                `refusing to restore into ${display}: it already holds ${objects.length} user object(s) ` +
                    `(${sample.join(", ")}${objects.length > 5 ? ", ..." : ""}); restore into an empty database, or pass --clean to drop everything in it ` +
                    `and restore, both in one transaction`,
                { database: display, objects: objects.length },
            );
        }
        if (opts.clean) {
            const undroppable = await undroppableObjects(client);
            if (undroppable.length > 0) {
                const listed = undroppable.map((o) => `${o.kind} ${o.name}`).join(", ");
                throw new JobError(
                    ExitCode.Refused,
                    `refusing to --clean ${display}: it holds ${listed}, which cannot be dropped inside the restore's transaction (DROP SUBSCRIPTION ` +
                        "also drops the publisher's replication slot and cannot run in a transaction; event triggers belong to a superuser). Drop them " +
                        "yourself first (DROP SUBSCRIPTION / DROP EVENT TRIGGER, as their owner), then run the restore again; nothing was changed",
                    { database: display, objects: undroppable },
                );
            }
            cleanSql = cleanPreludeSql(await planClean(client));
        }
    } finally {
        await client.end().catch(() => undefined);
    }
    if (opts.dryRun) {
        reportDryRun(manifest, display, opts.clean ? objects : undefined, rt);
        return manifest;
    }
    if (opts.clean && !opts.yes && rt.ask !== undefined) await confirmClean(rt.ask, manifest, target.database, display, objects);
    const passRan = await checksumPass(storage, manifest, { mode: opts.checksumPass, clean: opts.clean }, rt);
    // A stop request that came during the checksum pass ends the run here, before the dump is opened again and the tools started.
    if (rt.signal.aborted) throw rt.signal.reason;
    try {
        await streamRestore(
            {
                storage,
                manifest,
                target,
                targetDisplay: display,
                cleanSql,
                databaseSql: databaseStateSql(manifest, target.database, opts, rt),
                keepAcl: opts.grants,
                pgBin: opts.pgBin,
                serverMajor: server.major,
                lockWaitTimeoutSeconds: opts.lockWaitTimeoutSeconds,
                skippedChecksumPass: !passRan,
            },
            rt,
        );
    } catch (error) {
        if (!(error instanceof JobError) || error.exitCode !== ExitCode.Restore || !/due to lock timeout/.test(error.message)) throw error;
        throw await lockWaitError(opts, display, error, rt);
    }
    return manifest;
}

function describeBackup(manifest: Manifest): string {
    const ageSeconds = (Date.now() - Date.parse(manifest.finishedAt)) / 1000;
    return `${manifest.id} (${formatBytes(manifest.bytes)}, ${formatAge(ageSeconds)} old, finished ${manifest.finishedAt})`;
}

function describeObjects(objects: { kind: string; name: string }[]): string {
    const sample = objects.slice(0, 5).map((o) => `${o.kind} ${o.name}`);
    return `${objects.length} user object(s)${objects.length > 0 ? ` (${sample.join(", ")}${objects.length > 5 ? ", ..." : ""})` : ""}`;
}

/** --dry-run: every check of a real restore has run (backup found, tools, target writable and empty or --clean); nothing was read from the dump or changed. */
function reportDryRun(manifest: Manifest, display: string, dropped: { kind: string; name: string }[] | undefined, rt: Runtime): void {
    const ageSeconds = Math.round((Date.now() - Date.parse(manifest.finishedAt)) / 1000);
    rt.logger.info(`dry run: would restore backup ${describeBackup(manifest)} into ${display}`, {
        backup: manifest.id,
        bytes: manifest.bytes,
        ageSeconds,
        database: display,
    });
    if (dropped === undefined) rt.logger.info(`dry run: ${display} is empty, nothing would be dropped`, { database: display });
    else {
        rt.logger.info(`dry run: --clean would drop everything in ${display}: ${describeObjects(dropped)}`, {
            database: display,
            objects: dropped.length,
        });
    }
    rt.logger.info("dry run: nothing was changed; the dump's checksum is verified only by a real restore", { backup: manifest.id });
}

/** --clean at a terminal: the person types the database's name, as for deleting a repository on GitHub. */
async function confirmClean(
    ask: (question: string) => Promise<string>,
    manifest: Manifest,
    database: string,
    display: string,
    objects: { kind: string; name: string }[],
): Promise<void> {
    const answer = await ask(
        `--clean drops everything in ${display}: ${describeObjects(objects)}, and restores backup ${describeBackup(manifest)} in its place.\n` +
            `Type the database's name (${database}) to continue, or anything else to stop (--yes skips this question): `,
    );
    if (answer.trim() !== database) {
        throw new JobError(
            ExitCode.Refused,
            `restore --clean not confirmed: "${answer.trim()}" is not the database's name "${database}"; nothing was changed`,
            {
                database: display,
            },
        );
    }
}

/**
 * What the restore brings back beside the dump: the database's settings unless --skip-database-settings,
 * its grants with --grants. A backup written before they were recorded has neither: said, not guessed.
 */
function databaseStateSql(manifest: Manifest, database: string, opts: RestoreOptions, rt: Runtime): string {
    let sql = "";
    const missing: string[] = [];
    if (!opts.skipDatabaseSettings) {
        if (manifest.databaseSettings === undefined) missing.push("database settings");
        else sql += databaseSettingsSql(database, manifest.databaseSettings);
    }
    if (opts.grants) {
        if (manifest.databaseGrants === undefined) missing.push("database grants");
        else sql += databaseGrantsSql(database, manifest.databaseGrants);
    }
    if (missing.length > 0) {
        rt.logger.warn(`backup "${manifest.id}" was written before ${missing.join(" and ")} were recorded: they are not brought back`, { backup: manifest.id });
    }
    return sql;
}

/**
 * A template database (CREATE DATABASE copies it) and a read-only target are refused before any
 * byte is read. default_transaction_read_only is the operator's guard: the job never overrides it.
 */
async function refuseUnwritableTarget(client: pg.Client, database: string, display: string): Promise<void> {
    const res = await client.query<{ template: boolean; readOnly: string; source: string; standby: boolean }>(
        `SELECT (SELECT datistemplate FROM pg_database WHERE datname = current_database()) AS template,
                current_setting('default_transaction_read_only') AS "readOnly",
                (SELECT source FROM pg_settings WHERE name = 'default_transaction_read_only') AS source,
                pg_is_in_recovery() AS standby`,
    );
    const row = res.rows[0]!;
    if (row.template) {
        throw new JobError(
            ExitCode.Refused,
            `refusing to restore into ${display}: it is a template database (datistemplate), which every CREATE DATABASE copies; restore into an ` +
                "ordinary database",
            { database: display },
        );
    }
    if (row.standby) {
        throw new JobError(ExitCode.Refused, `refusing to restore into ${display}: the server is a read-only standby (in recovery); restore into the primary`, {
            database: display,
        });
    }
    if (row.readOnly === "on") {
        const where =
            row.source === "database"
                ? `ALTER DATABASE ${quoteIdent(database)} RESET default_transaction_read_only`
                : "ALTER ROLE ... RESET default_transaction_read_only";
        throw new JobError(
            ExitCode.Refused,
            `refusing to restore into ${display}: default_transaction_read_only is on for this session (set on the ${row.source}), the guard that keeps ` +
                `it read-only; the job does not override it. If this restore is meant, lift the guard first (${where}) and run the restore again; nothing was changed`,
            { database: display, setting: "default_transaction_read_only", source: row.source },
        );
    }
}

/** A database setting the role may not set would fail the restore at its end, after all its work: refused up front instead. */
async function refuseUnsettableSettings(client: pg.Client, manifest: Manifest, display: string): Promise<void> {
    const denied = await unsettableSettings(client, manifest.databaseSettings ?? []);
    if (denied.length === 0) return;
    throw new JobError(
        ExitCode.Refused,
        `refusing to restore into ${display}: backup "${manifest.id}" brings back database settings this role may not set (superuser-only): ` +
            `${denied.join(", ")}. Pass --skip-database-settings to restore without the backed-up database's settings, or let the role set them ` +
            "(GRANT SET ON PARAMETER name TO role, PostgreSQL 15+); nothing was changed",
        { database: display, backup: manifest.id, settings: denied },
    );
}

function describeHolder(h: LockHolder): string {
    if (h.state === null) return `pid ${h.pid} (user ${h.user ?? "?"}, application "${h.application ?? ""}"; details hidden from this role)`;
    return `pid ${h.pid} (user ${h.user}, application "${h.application}", ${h.state}${h.transactionSince ? `, in a transaction since ${h.transactionSince}` : ""})`;
}

/** The lock wait ran out: names the sessions holding locks in the database, and what to do. */
async function lockWaitError(opts: RestoreOptions, display: string, cause: JobError, rt: Runtime): Promise<JobError> {
    let holders: LockHolder[] | undefined;
    const client = await connect(opts.databaseUrl, { attempts: 1, logger: rt.logger, display }).catch(() => undefined);
    if (client !== undefined) {
        holders = await lockHolders(client).catch(() => undefined);
        await client.end().catch(() => undefined);
    }
    const hidden = holders?.some((h) => h.state === null) ?? false;
    const who =
        holders === undefined
            ? "the sessions holding them could not be listed"
            : holders.length === 0
              ? "the sessions that held them have ended since"
              : `sessions holding locks in the database: ${holders.map(describeHolder).join("; ")}`;
    return new JobError(
        ExitCode.LockTimeout,
        `the restore could not lock what it must ${opts.clean ? "drop (--clean)" : "change"} in ${display} within --lock-wait-timeout ` +
            `${opts.lockWaitTimeoutSeconds} s, and nothing was changed; ${who}. Stop the application or end those sessions (SELECT pg_terminate_backend(pid)), ` +
            `then run the restore again${hidden ? "; run as a member of pg_read_all_stats (or the sessions' role) to see what they are doing" : ""}`,
        {
            database: display,
            lockWaitTimeoutSeconds: opts.lockWaitTimeoutSeconds,
            blockingSessions: holders,
            psqlStderr: cause.context["stderr"],
            retryable: true,
        },
    );
}
