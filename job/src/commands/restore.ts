import type { RestoreOptions } from "../args.js";
import { ExitCode, JobError } from "../errors.js";
import { redactUrl } from "../observability/redact.js";
import { cleanPreludeSql, planClean } from "../postgres/clean.js";
import { connect, userObjects } from "../postgres/db.js";
import { parseDatabaseUrl, refusePoolerHost } from "../postgres/dburl.js";
import { streamRestore, verifyChecksum } from "../postgres/restore-stream.js";
import { checkRestoreVersion, requireRestoreTools } from "../postgres/tools.js";
import { pgProgram } from "../process/proc.js";
import type { Runtime } from "../runtime.js";
import type { Manifest } from "../storage/manifest.js";
import { openStorage } from "../storage/open.js";
import { resolveBackup } from "../storage/resolve-backup.js";

export async function runRestore(opts: RestoreOptions, rt: Runtime): Promise<Manifest> {
    const target = parseDatabaseUrl(opts.databaseUrl, "--database-url");
    refusePoolerHost(target, "--database-url");
    const display = redactUrl(opts.databaseUrl);
    const storage = openStorage(opts.from, { requestTimeoutSeconds: opts.requestTimeoutSeconds, logger: rt.logger });
    const restoreVersion = await requireRestoreTools(opts.pgBin);
    const manifest = await resolveBackup(storage, opts.backup, opts.name, rt);
    rt.logger.info("restore starting", { backup: manifest.id, from: storage.display, database: display, clean: opts.clean });
    // Legitimate (a disaster restore, a scratch copy), but with --clean over the wrong database it replaces it with another's data.
    if (manifest.database !== target.database) {
        rt.logger.warn(`restoring a backup of database "${manifest.database}" into database "${target.database}": check that this is the backup you mean`, {
            backup: manifest.id,
            backupDatabase: manifest.database,
            database: target.database,
        });
    }
    checkRestoreVersion(restoreVersion, pgProgram(opts.pgBin, "pg_restore"), manifest);

    const client = await connect(opts.databaseUrl, { attempts: opts.connectAttempts, signal: rt.signal, logger: rt.logger, display });
    let cleanSql: string | undefined;
    try {
        const objects = await userObjects(client);
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
        if (opts.clean) cleanSql = cleanPreludeSql(await planClean(client));
    } finally {
        await client.end().catch(() => undefined);
    }
    await verifyChecksum(storage, manifest, rt);
    await streamRestore({ storage, manifest, target, targetDisplay: display, cleanSql, pgBin: opts.pgBin }, rt);
    return manifest;
}
