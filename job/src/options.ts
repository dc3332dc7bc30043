// The command-line options, declared once with their defaults: the parser (args.ts) enforces them and
// the help (help.ts) is generated from them.
import { constants as bufferConstants } from "node:buffer";
import { JOB_ENV } from "./contract.js";
import { LOG_FORMATS } from "./observability/log.js";
import { DEFAULT_TARGET } from "./storage/target.js";

/**
 * Memory is part size x (queue size + 1) plus the SDK's copies: 8 MiB x 2 in flight kept the node
 * process near 146 MiB on a 1 GB benchmark (16 x 3 reached 203 MiB) with no slower upload, and
 * 8 MiB parts still allow a 78 GiB compressed dump under S3's 10,000-part limit.
 */
export const DEFAULT_PART_SIZE_MIB = 8;
export const DEFAULT_UPLOAD_QUEUE_SIZE = 2;

export const MiB = 1024 * 1024;
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

/** When restore and verify read the whole dump once before the restore reads it (restore-stream.ts, checksumPass). */
export const CHECKSUM_PASS_MODES = ["auto", "always", "never"] as const;
export type ChecksumPassMode = (typeof CHECKSUM_PASS_MODES)[number];

/** One command-line option, declared once: the parser reads it and the help text is generated from it. */
interface OptionBase {
    /** Long name without the dashes. */
    name: string;
    description: string;
    /** Variable read when the option is not given. */
    env?: string;
    /** What the help adds after the default, e.g. the exit code when a bound runs out. */
    note?: string;
}
/** A whole number within [min, max]; `fallback` when neither the option nor `env` is set. */
export interface IntOption extends OptionBase {
    kind: "int";
    value: "N" | "S";
    min: number;
    max: number;
    fallback: number;
}
interface TextOption extends OptionBase {
    kind: "text";
    value: string;
    /** The default as the help shows it, when the parser has one. */
    shownDefault?: string;
}
interface FlagOption extends OptionBase {
    kind: "flag";
}
export type OptionDecl = IntOption | TextOption | FlagOption;

const target = (name: "to" | "from"): TextOption => ({
    kind: "text",
    name,
    value: "TARGET",
    description: "s3://BUCKET[/PREFIX] or file://DIR",
    env: JOB_ENV.target,
    shownDefault: DEFAULT_TARGET,
});
const backupRefOption: TextOption = {
    kind: "text",
    name: "backup",
    value: "ID|latest",
    description: 'backup id from "list", or the newest backup of --name',
    shownDefault: "latest",
};
const nameFilter = (what: string): TextOption => ({
    kind: "text",
    name: "name",
    value: "NAME",
    description: what,
    shownDefault: "the target's only backup name; a target holding several is refused (exit 2)",
});
const requestTimeout: IntOption = {
    kind: "int",
    name: "request-timeout",
    value: "S",
    description: "deadline of each S3 request in seconds",
    min: 1,
    max: 3600,
    env: JOB_ENV.requestTimeoutSeconds,
    fallback: DEFAULT_REQUEST_TIMEOUT_SECONDS,
};
const maxRuntime = (what: string, fallback: number): IntOption => ({
    kind: "int",
    name: "max-runtime",
    value: "S",
    description: `stop ${what} after S seconds, 0 = never`,
    min: 0,
    max: 604_800,
    env: JOB_ENV.maxRuntimeSeconds,
    fallback,
    note: "exit 124",
});
const connectAttempts = (description: string): IntOption => ({ kind: "int", name: "connect-attempts", value: "N", description, min: 1, max: 20, fallback: 5 });
const pgBin = (programs: string): TextOption => ({ kind: "text", name: "pg-bin", value: "DIR", description: `take ${programs} from DIR instead of PATH` });
const lockWaitTimeout = (description: string): IntOption => ({
    kind: "int",
    name: "lock-wait-timeout",
    value: "S",
    description,
    min: 1,
    max: 86_400,
    env: JOB_ENV.lockWaitTimeoutSeconds,
    fallback: DEFAULT_LOCK_WAIT_TIMEOUT_SECONDS,
    note: "exit 10",
});
const urlFile = (option: string): TextOption => ({
    kind: "text",
    name: `${option}-file`,
    value: "PATH|-",
    description: `read --${option} from a file (first line), or from standard input with -, instead of the command line`,
});
/** For a container: a secret injected as a variable reaches the job without ever being an argument. */
const urlVariable = (option: string): TextOption => ({
    kind: "text",
    name: `${option}-env`,
    value: "VARIABLE",
    description: `read --${option} from the environment variable VARIABLE (e.g. a secret a task definition injects) instead of the command line`,
});
const checksumPass = (clean: string): TextOption => ({
    kind: "text",
    name: "checksum-pass",
    value: CHECKSUM_PASS_MODES.join("|"),
    description:
        "read and hash the whole dump before the restore starts, which refuses a damaged dump before the database is touched. The restore's own read " +
        "is checked either way, and nothing commits unless it matches the manifest. auto: only where the pass protects something: " +
        `${clean}when the dump could change without its manifest (a folder someone other than root or this user can write to, an S3 dump ` +
        "not pinned to its object version)",
    shownDefault: "auto",
});
const help: FlagOption = { kind: "flag", name: "help", description: "print this help" };
export const LOG_FORMAT_VARIABLE = "BACKUP_LOG_FORMAT";
const logFormat: TextOption = {
    kind: "text",
    name: "log-format",
    value: LOG_FORMATS.join("|"),
    description: "json: one JSON line per event; text: readable lines (colour on a terminal unless NO_COLOR is set)",
    env: LOG_FORMAT_VARIABLE,
    shownDefault: "text when standard error is a terminal, else json",
};

interface CommandDecl {
    usage: string;
    options: readonly OptionDecl[];
}

export const COMMAND_OPTIONS: Record<CommandName, CommandDecl> = {
    backup: {
        usage: "backup-job backup [--database-url URL] [--to TARGET] [options]",
        options: [
            { kind: "text", name: "database-url", value: "URL", description: "database to dump", env: JOB_ENV.databaseUrl },
            urlFile("database-url"),
            target("to"),
            { kind: "text", name: "name", value: "NAME", description: "backup name, the id prefix", shownDefault: "the database name" },
            { kind: "int", name: "compression-level", value: "N", description: "zstd level", min: 1, max: 19, fallback: 3 },
            { kind: "int", name: "compression-threads", value: "N", description: "zstd worker threads, 0 = one per core", min: 0, max: 64, fallback: 1 },
            {
                kind: "int",
                name: "part-size-mib",
                value: "N",
                description: "S3 multipart part size in MiB",
                min: 5,
                max: MAX_PART_SIZE_MIB,
                fallback: DEFAULT_PART_SIZE_MIB,
                note: "the dump may have at most 10,000 parts: 78 GiB compressed at 8",
            },
            {
                kind: "int",
                name: "upload-queue-size",
                value: "N",
                description: "S3 parts uploaded concurrently",
                min: 1,
                max: 16,
                fallback: DEFAULT_UPLOAD_QUEUE_SIZE,
            },
            { kind: "int", name: "progress-interval", value: "S", description: "seconds between progress log lines", min: 1, max: 3600, fallback: 30 },
            lockWaitTimeout("give up when a table lock is not granted within S seconds"),
            requestTimeout,
            maxRuntime("the run", DEFAULT_MAX_RUNTIME_SECONDS),
            connectAttempts("connection attempts for a cold-starting server"),
            pgBin("pg_dump"),
            logFormat,
            help,
        ],
    },
    list: {
        usage: "backup-job list [--from TARGET] [--name NAME] [--json]",
        options: [
            target("from"),
            { kind: "text", name: "name", value: "NAME", description: "only the backups of this backup name", shownDefault: "all" },
            { kind: "flag", name: "json", description: "print one JSON array of manifests instead of a table" },
            requestTimeout,
            logFormat,
            help,
        ],
    },
    restore: {
        usage:
            "backup-job restore --database-url URL [--from TARGET] [--name NAME] [--backup ID|latest] [--clean [--yes]] [--dry-run] [--grants] " +
            "[--skip-database-settings] [--checksum-pass auto|always|never]",
        options: [
            { kind: "text", name: "database-url", value: "URL", description: "database to restore into (required; never taken from DATABASE_URL)" },
            urlFile("database-url"),
            target("from"),
            nameFilter('backup name whose newest backup "latest" restores'),
            backupRefOption,
            {
                kind: "flag",
                name: "clean",
                description:
                    "allow a non-empty database: drop all its schemas, extensions, large objects, publications and foreign servers and restore, in one transaction (all or nothing)",
            },
            {
                kind: "flag",
                name: "yes",
                description: "with --clean on a terminal: do not ask to type the database's name (without a terminal nobody is asked)",
            },
            {
                kind: "flag",
                name: "dry-run",
                description: "say which backup would be restored (size, age) and what --clean would drop, and change nothing",
            },
            lockWaitTimeout("give up when a lock (the --clean drops) is not granted within S seconds; the sessions holding locks are logged"),
            {
                kind: "flag",
                name: "skip-database-settings",
                description: "do not bring back the backed-up database's ALTER DATABASE ... SET settings (brought back by default)",
            },
            {
                kind: "flag",
                name: "grants",
                description: "bring back grants (on the database and its objects); the roles they name must exist on the target. Default: none, as --no-acl",
            },
            checksumPass("with --clean (a damaged dump is then found before the drops lock the database, not after the whole restore), and "),
            {
                kind: "flag",
                name: "skip-checksum-pass",
                description: "the same as --checksum-pass never (its older spelling)",
            },
            requestTimeout,
            maxRuntime("the run", 0),
            connectAttempts("connection attempts"),
            pgBin("pg_restore (and psql, for --clean)"),
            logFormat,
            help,
        ],
    },
    verify: {
        usage:
            "backup-job verify --scratch-database-url URL|--scratch-database-url-file PATH|--scratch-database-url-env VARIABLE [--from TARGET] [--name NAME] " +
            "[--backup ID|latest] [--checksum-pass auto|always|never]",
        options: [
            {
                kind: "text",
                name: "scratch-database-url",
                value: "URL",
                description: "an existing database on the server used for the drill; a new uniquely named database is created next to it and always dropped",
            },
            urlFile("scratch-database-url"),
            urlVariable("scratch-database-url"),
            target("from"),
            nameFilter('backup name whose newest backup "latest" verifies'),
            backupRefOption,
            checksumPass(""),
            requestTimeout,
            maxRuntime("the drill", DEFAULT_MAX_RUNTIME_SECONDS),
            connectAttempts("connection attempts"),
            pgBin("pg_restore"),
            logFormat,
            help,
        ],
    },
};
