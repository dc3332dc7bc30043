import { constants as bufferConstants } from "node:buffer";
import os from "node:os";
import { parseArgs } from "node:util";
import { usageError } from "./errors.js";
import { validateName } from "./storage/ids.js";
import { DEFAULT_TARGET, parseTarget, type Target } from "./storage/target.js";

/**
 * Memory is part size x (queue size + 1) plus the SDK's copies: 8 MiB x 2 in flight kept the node
 * process near 146 MiB on a 1 GB benchmark (16 x 3 reached 203 MiB) with no slower upload, and
 * 8 MiB parts still allow a 78 GiB compressed dump under S3's 10,000-part limit.
 */
export const DEFAULT_PART_SIZE_MIB = 8;
export const DEFAULT_UPLOAD_QUEUE_SIZE = 2;

const MiB = 1024 * 1024;
/**
 * A part is one Buffer: S3 allows parts up to 5 GiB, but Node cannot allocate a Buffer larger than
 * buffer.constants.MAX_LENGTH (4 GiB on Node 20), so the real maximum is the smaller of the two.
 */
export const MAX_PART_SIZE_MIB = Math.min(5120, Math.floor(bufferConstants.MAX_LENGTH / MiB));

/** Defaults of the bounds on waiting (documented in docs/backup-job.md); 120 s is ample for one 8 MiB part on a slow link. */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 120;
export const DEFAULT_LOCK_WAIT_TIMEOUT_SECONDS = 300;
/** backup and verify: a scheduled run must end on its own (Fargate has no run timeout); restore is run by hand and has none by default. */
export const DEFAULT_MAX_RUNTIME_SECONDS = 6 * 3600;

export const COMMANDS = ["backup", "restore", "verify", "list"] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface Common {
    pgBin: string | undefined;
    connectAttempts: number;
    /** Deadline of each S3 request (GetObject: of its headers, then of each wait for body bytes). */
    requestTimeoutSeconds: number;
    /** The run is stopped like SIGTERM after this long (exit 124); 0 = no limit. */
    maxRuntimeSeconds: number;
}

export interface BackupOptions extends Common {
    command: "backup";
    databaseUrl: string;
    target: Target;
    name: string | undefined;
    compressionLevel: number;
    compressionThreads: number;
    partSizeMiB: number;
    uploadQueueSize: number;
    progressIntervalSeconds: number;
    lockWaitTimeoutSeconds: number;
}

export interface RestoreOptions extends Common {
    command: "restore";
    from: Target;
    backup: string;
    databaseUrl: string;
    clean: boolean;
}

export interface VerifyOptions extends Common {
    command: "verify";
    from: Target;
    backup: string;
    scratchDatabaseUrl: string;
}

export interface ListOptions {
    command: "list";
    from: Target;
    json: boolean;
    requestTimeoutSeconds: number;
}

export type Parsed = BackupOptions | RestoreOptions | VerifyOptions | ListOptions | { command: "help"; text: string };

type Spec = Record<string, { type: "string" | "boolean"; short?: string }>;

const COMMON: Spec = {
    "pg-bin": { type: "string" },
    "connect-attempts": { type: "string" },
    "request-timeout": { type: "string" },
    "max-runtime": { type: "string" },
    help: { type: "boolean", short: "h" },
};

const SPECS: Record<CommandName, Spec> = {
    backup: {
        ...COMMON,
        "database-url": { type: "string" },
        to: { type: "string" },
        name: { type: "string" },
        "compression-level": { type: "string" },
        "compression-threads": { type: "string" },
        "part-size-mib": { type: "string" },
        "upload-queue-size": { type: "string" },
        "progress-interval": { type: "string" },
        "lock-wait-timeout": { type: "string" },
    },
    restore: { ...COMMON, from: { type: "string" }, backup: { type: "string" }, "database-url": { type: "string" }, clean: { type: "boolean" } },
    verify: { ...COMMON, from: { type: "string" }, backup: { type: "string" }, "scratch-database-url": { type: "string" } },
    list: { from: { type: "string" }, json: { type: "boolean" }, "request-timeout": { type: "string" }, help: { type: "boolean", short: "h" } },
};

export const HELP: Record<CommandName | "main", string> = {
    main: `Usage: backup-job <command> [options]

Commands:
  backup    dump a database (pg_dump -Fc | zstd) to a target, with a manifest written last
  list      list the backups in a target (only those with a manifest), newest first
  restore   verify a backup's checksum, then restore it into a database
  verify    restore drill: restore into a scratch database, compare row counts, drop it

Run "backup-job <command> --help" for the options of a command.
Exit codes: 0 ok, 1 internal error, 2 usage/configuration, 3 connection/authentication,
4 version guard, 5 dump failed, 6 storage, 7 verification failed, 8 restore failed,
9 refused (target database not empty), 10 lock wait timed out (retryable), 124 maximum runtime
reached, 130/143 interrupted by SIGINT/SIGTERM.`,
    backup: `Usage: backup-job backup [--database-url URL] [--to TARGET] [options]

  --database-url URL        database to dump (env DATABASE_URL)
  --to TARGET               s3://BUCKET[/PREFIX] or file://DIR (env BACKUP_TARGET, default ${DEFAULT_TARGET})
  --name NAME               backup name, the id prefix (default: the database name)
  --compression-level N     zstd level 1-19 (default 3)
  --compression-threads N   zstd worker threads, 0 = one per core (default 1)
  --part-size-mib N         S3 multipart part size in MiB, 5-${MAX_PART_SIZE_MIB} (default 8; the dump may
                            have at most 10,000 parts: 78 GiB compressed at 8)
  --upload-queue-size N     S3 parts uploaded concurrently, 1-16 (default 2)
  --progress-interval S     seconds between progress log lines, 1-3600 (default 30)
  --lock-wait-timeout S     give up when a table lock is not granted within S seconds, 1-86400
                            (env BACKUP_LOCK_WAIT_TIMEOUT_SECONDS, default ${DEFAULT_LOCK_WAIT_TIMEOUT_SECONDS}; exit 10)
  --request-timeout S       deadline of each S3 request in seconds, 1-3600
                            (env BACKUP_REQUEST_TIMEOUT_SECONDS, default ${DEFAULT_REQUEST_TIMEOUT_SECONDS})
  --max-runtime S           stop the run after S seconds, 0 = never, up to 604800
                            (env BACKUP_MAX_RUNTIME_SECONDS, default ${DEFAULT_MAX_RUNTIME_SECONDS}; exit 124)
  --connect-attempts N      connection attempts for a cold-starting server, 1-20 (default 5)
  --pg-bin DIR              take pg_dump from DIR instead of PATH`,
    list: `Usage: backup-job list [--from TARGET] [--json]

  --from TARGET         s3://BUCKET[/PREFIX] or file://DIR (env BACKUP_TARGET, default ${DEFAULT_TARGET})
  --json                print one JSON array of manifests instead of a table
  --request-timeout S   deadline of each S3 request in seconds, 1-3600
                        (env BACKUP_REQUEST_TIMEOUT_SECONDS, default ${DEFAULT_REQUEST_TIMEOUT_SECONDS})`,
    restore: `Usage: backup-job restore --database-url URL [--from TARGET] [--backup ID|latest] [--clean]

  --database-url URL        database to restore into (required; never taken from DATABASE_URL)
  --from TARGET             s3://BUCKET[/PREFIX] or file://DIR (env BACKUP_TARGET, default ${DEFAULT_TARGET})
  --backup ID|latest        backup id from "list" (default latest)
  --clean                   allow a non-empty database: drop all its schemas, extensions and large
                            objects and restore, in one transaction (all or nothing)
  --request-timeout S       deadline of each S3 request in seconds, 1-3600
                            (env BACKUP_REQUEST_TIMEOUT_SECONDS, default ${DEFAULT_REQUEST_TIMEOUT_SECONDS})
  --max-runtime S           stop the run after S seconds, 0 = never (env BACKUP_MAX_RUNTIME_SECONDS,
                            default 0 for restore; exit 124)
  --connect-attempts N      connection attempts, 1-20 (default 5)
  --pg-bin DIR              take pg_restore (and psql, for --clean) from DIR instead of PATH`,
    verify: `Usage: backup-job verify --scratch-database-url URL [--from TARGET] [--backup ID|latest]

  --scratch-database-url URL  an existing database on the server used for the drill; a new
                              uniquely named database is created next to it and always dropped
  --from TARGET               s3://BUCKET[/PREFIX] or file://DIR (env BACKUP_TARGET, default ${DEFAULT_TARGET})
  --backup ID|latest          backup id from "list" (default latest)
  --request-timeout S         deadline of each S3 request in seconds, 1-3600
                              (env BACKUP_REQUEST_TIMEOUT_SECONDS, default ${DEFAULT_REQUEST_TIMEOUT_SECONDS})
  --max-runtime S             stop the drill after S seconds, 0 = never
                              (env BACKUP_MAX_RUNTIME_SECONDS, default ${DEFAULT_MAX_RUNTIME_SECONDS}; exit 124)
  --connect-attempts N        connection attempts, 1-20 (default 5)
  --pg-bin DIR                take pg_restore from DIR instead of PATH`,
};

export function intOption(raw: string | undefined, option: string, min: number, max: number, fallback: number): number {
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
        throw usageError(`${option} "${raw}" is not allowed: use a whole number from ${min} to ${max}`);
    }
    return Number(raw);
}

/** An option that may also come from the environment: errors name whichever was used. */
function intSetting(raw: string | undefined, option: string, env: NodeJS.ProcessEnv, variable: string, min: number, max: number, fallback: number): number {
    if (raw !== undefined) return intOption(raw, option, min, max, fallback);
    const fromEnv = env[variable];
    return fromEnv === undefined || fromEnv.trim() === "" ? fallback : intOption(fromEnv, variable, min, max, fallback);
}

/**
 * Memory is part size x (queue size + 1): refuse what the machine (or the container's memory limit)
 * cannot hold at all, rather than fail on allocation in the middle of a dump.
 */
export function checkUploadMemory(partSizeMiB: number, queueSize: number, memoryBytes: number): void {
    const needed = partSizeMiB * MiB * (queueSize + 1);
    if (needed >= memoryBytes) {
        const fits = Math.floor(memoryBytes / 2 / MiB / (queueSize + 1));
        throw usageError(
            `--part-size-mib ${partSizeMiB} x (--upload-queue-size ${queueSize} + 1) = ${needed / MiB} MiB of part buffers does not fit in this machine's ${Math.floor(memoryBytes / MiB)} MiB of memory: use a --part-size-mib of at most ${Math.max(5, fits)} or a smaller --upload-queue-size`,
        );
    }
}

function translateParseError(command: CommandName, error: unknown): never {
    const e = error as { code?: string; message?: string };
    const allowed = Object.keys(SPECS[command])
        .map((k) => `--${k}`)
        .join(", ");
    const option = /'([^']+)'/.exec(e.message ?? "")?.[1] ?? "";
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw usageError(`unknown option "${option}" for "${command}": allowed are ${allowed}`);
    if (e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") throw usageError(`unexpected argument ${option ? `"${option}"` : ""} for "${command}": options are ${allowed}`);
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") throw usageError(`${e.message ?? "invalid option value"} (command "${command}")`);
    throw error;
}

function required(value: string | undefined, option: string, hint: string): string {
    if (value === undefined || value.trim() === "") throw usageError(`${option} is required: ${hint}`);
    return value;
}

function backupRef(raw: string | undefined): string {
    const value = raw ?? "latest";
    if (value !== "latest" && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}_\d{8}T\d{6}Z$/.test(value)) {
        throw usageError(`--backup "${value}" is not allowed: use "latest" or a backup id such as mydb_20260101T030000Z (see "list")`);
    }
    return value;
}

/** The container's memory limit when there is one (cgroup), else the machine's memory. */
export function availableMemory(): number {
    return process.constrainedMemory?.() || os.totalmem();
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv, cwd: string, memoryBytes = availableMemory()): Parsed {
    const [first, ...rest] = argv;
    if (first === undefined || first === "--help" || first === "-h" || first === "help") return { command: "help", text: HELP.main };
    if (!(COMMANDS as readonly string[]).includes(first)) {
        throw usageError(`unknown command "${first}": allowed are ${COMMANDS.join(", ")}`);
    }
    const command = first as CommandName;
    let values: Record<string, string | boolean | undefined>;
    try {
        values = parseArgs({ args: rest, options: SPECS[command], strict: true, allowPositionals: false }).values;
    } catch (error) {
        translateParseError(command, error);
    }
    if (values["help"]) return { command: "help", text: HELP[command] };
    const str = (key: string) => values[key] as string | undefined;
    // Errors name where the target came from: the option, else BACKUP_TARGET, else the default.
    const targetOf = (key: "to" | "from") => {
        const given = str(key);
        if (given !== undefined) return parseTarget(given, `--${key}`, cwd);
        const fromEnv = env["BACKUP_TARGET"];
        return fromEnv !== undefined ? parseTarget(fromEnv, "BACKUP_TARGET", cwd) : parseTarget(DEFAULT_TARGET, `--${key}`, cwd);
    };
    const requestTimeoutSeconds = intSetting(str("request-timeout"), "--request-timeout", env, "BACKUP_REQUEST_TIMEOUT_SECONDS", 1, 3600, DEFAULT_REQUEST_TIMEOUT_SECONDS);
    if (command === "list") return { command, from: targetOf("from"), json: values["json"] === true, requestTimeoutSeconds };

    const common: Common = {
        pgBin: str("pg-bin"),
        connectAttempts: intOption(str("connect-attempts"), "--connect-attempts", 1, 20, 5),
        requestTimeoutSeconds,
        maxRuntimeSeconds: intSetting(str("max-runtime"), "--max-runtime", env, "BACKUP_MAX_RUNTIME_SECONDS", 0, 604_800, command === "restore" ? 0 : DEFAULT_MAX_RUNTIME_SECONDS),
    };
    if (common.pgBin !== undefined && common.pgBin.trim() === "") throw usageError(`--pg-bin "" is not allowed: name a directory holding pg_dump, pg_restore and psql`);

    switch (command) {
        case "backup": {
            const name = str("name");
            const partSizeMiB = intOption(str("part-size-mib"), "--part-size-mib", 5, MAX_PART_SIZE_MIB, DEFAULT_PART_SIZE_MIB);
            const uploadQueueSize = intOption(str("upload-queue-size"), "--upload-queue-size", 1, 16, DEFAULT_UPLOAD_QUEUE_SIZE);
            checkUploadMemory(partSizeMiB, uploadQueueSize, memoryBytes);
            return {
                command,
                ...common,
                databaseUrl: required(str("database-url") ?? env["DATABASE_URL"], "--database-url", "pass --database-url URL or set DATABASE_URL"),
                target: targetOf("to"),
                name: name === undefined ? undefined : validateName(name, "--name"),
                compressionLevel: intOption(str("compression-level"), "--compression-level", 1, 19, 3),
                compressionThreads: intOption(str("compression-threads"), "--compression-threads", 0, 64, 1),
                partSizeMiB,
                uploadQueueSize,
                progressIntervalSeconds: intOption(str("progress-interval"), "--progress-interval", 1, 3600, 30),
                lockWaitTimeoutSeconds: intSetting(str("lock-wait-timeout"), "--lock-wait-timeout", env, "BACKUP_LOCK_WAIT_TIMEOUT_SECONDS", 1, 86_400, DEFAULT_LOCK_WAIT_TIMEOUT_SECONDS),
            };
        }
        case "restore":
            return {
                command,
                ...common,
                from: targetOf("from"),
                backup: backupRef(str("backup")),
                // Deliberately not from DATABASE_URL: a restore target must be named on purpose.
                databaseUrl: required(str("database-url"), "--database-url", "name the database to restore into (DATABASE_URL is not used for restore)"),
                clean: values["clean"] === true,
            };
        case "verify":
            return {
                command,
                ...common,
                from: targetOf("from"),
                backup: backupRef(str("backup")),
                scratchDatabaseUrl: required(str("scratch-database-url"), "--scratch-database-url", "name a database on the server where a scratch database may be created"),
            };
    }
}
