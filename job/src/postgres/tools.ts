// The PostgreSQL client programs that backup, restore and verify run: their versions and their environment.
import type { JobEnvironment } from "../environment.js";
import { ExitCode, JobError, errorMessage } from "../errors.js";
import { pgProgram, requireZstd, toolBanner } from "../process/proc.js";
import type { Manifest } from "../storage/manifest.js";
import { SESSION_OPTIONS } from "./db.js";
import { isToolNewEnough, majorLabel, parseToolVersion, type PgVersion } from "./versions.js";

export async function toolVersion(program: string, option: string): Promise<PgVersion> {
    let banner: string;
    try {
        banner = await toolBanner(program);
    } catch (error) {
        throw new JobError(ExitCode.Usage, `cannot run ${program} (${option}): ${errorMessage(error)}`, { program });
    }
    try {
        return parseToolVersion(banner);
    } catch (error) {
        throw new JobError(ExitCode.Usage, `${program} --version printed no PostgreSQL version: ${errorMessage(error)}`, { program, banner });
    }
}

/**
 * pg_dump's, pg_restore's and psql's environment: the password (never on their command line, where
 * every local user can read it), the session's name and its settings. Every other libpq variable
 * was refused at start (refuseAmbientConnectionSettings), PGPASSFILE (or ~/.pgpass) is honoured.
 */
export function childEnv(environment: JobEnvironment, password: string | undefined, applicationName: string, options = SESSION_OPTIONS): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...environment.variables, PGAPPNAME: applicationName, PGOPTIONS: options };
    if (password !== undefined) env["PGPASSWORD"] = password;
    return env;
}

/**
 * Every tool a restore runs (zstd, pg_restore, psql), checked before anything is read or touched;
 * a missing one is a configuration error (exit 2) naming it. Returns pg_restore's version.
 */
export async function requireRestoreTools(pgBin: string | undefined): Promise<PgVersion> {
    const option = pgBin ? "--pg-bin" : "PATH";
    const psql = pgProgram(pgBin, "psql");
    // The three checks run at once (each is a process start, the PostgreSQL ones through Debian's
    // wrapper script); when several fail, the first of zstd, pg_restore, psql is the one reported.
    const [zstd, restoreVersion, psqlBanner] = await Promise.allSettled([
        requireZstd(),
        toolVersion(pgProgram(pgBin, "pg_restore"), option),
        toolBanner(psql).catch((error: unknown) => {
            throw new JobError(ExitCode.Usage, `cannot run psql (${psql}, from ${option}): ${errorMessage(error)}; restores need psql beside pg_restore`, {
                program: psql,
            });
        }),
    ]);
    for (const check of [zstd, restoreVersion, psqlBanner]) if (check.status === "rejected") throw check.reason;
    return (restoreVersion as PromiseFulfilledResult<PgVersion>).value;
}

/** The archive format of pg_dump N can only be read by pg_restore N or newer. */
export function checkRestoreVersion(restoreVersion: PgVersion, pgRestore: string, manifest: Manifest): void {
    const dumpVersion = parseToolVersion(manifest.pgDumpVersion);
    if (!isToolNewEnough(restoreVersion, dumpVersion)) {
        throw new JobError(
            ExitCode.Version,
            `pg_restore ${restoreVersion.number} (${pgRestore}) is older than pg_dump ${dumpVersion.number}, which wrote backup "${manifest.id}": pg_restore ` +
                `major ${majorLabel(restoreVersion)} < ${majorLabel(dumpVersion)}. Use a pg_restore of major ${majorLabel(dumpVersion)} or newer (--pg-bin)`,
            { pgRestore: restoreVersion.text, pgDump: manifest.pgDumpVersion },
        );
    }
}
