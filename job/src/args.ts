import { constants as bufferConstants } from "node:buffer";
import os from "node:os";
import { parseArgs } from "node:util";
import { JOB_ENV } from "./contract.js";
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
interface IntOption extends OptionBase {
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
const backupRefOption: TextOption = { kind: "text", name: "backup", value: "ID|latest", description: 'backup id from "list"', shownDefault: "latest" };
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
const help: FlagOption = { kind: "flag", name: "help", description: "print this help" };

interface CommandDecl {
    usage: string;
    options: readonly OptionDecl[];
}

export const COMMAND_OPTIONS: Record<CommandName, CommandDecl> = {
    backup: {
        usage: "backup-job backup [--database-url URL] [--to TARGET] [options]",
        options: [
            { kind: "text", name: "database-url", value: "URL", description: "database to dump", env: JOB_ENV.databaseUrl },
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
            {
                kind: "int",
                name: "lock-wait-timeout",
                value: "S",
                description: "give up when a table lock is not granted within S seconds",
                min: 1,
                max: 86_400,
                env: JOB_ENV.lockWaitTimeoutSeconds,
                fallback: DEFAULT_LOCK_WAIT_TIMEOUT_SECONDS,
                note: "exit 10",
            },
            requestTimeout,
            maxRuntime("the run", DEFAULT_MAX_RUNTIME_SECONDS),
            connectAttempts("connection attempts for a cold-starting server"),
            pgBin("pg_dump"),
            help,
        ],
    },
    list: {
        usage: "backup-job list [--from TARGET] [--json]",
        options: [target("from"), { kind: "flag", name: "json", description: "print one JSON array of manifests instead of a table" }, requestTimeout, help],
    },
    restore: {
        usage: "backup-job restore --database-url URL [--from TARGET] [--backup ID|latest] [--clean]",
        options: [
            { kind: "text", name: "database-url", value: "URL", description: "database to restore into (required; never taken from DATABASE_URL)" },
            target("from"),
            backupRefOption,
            {
                kind: "flag",
                name: "clean",
                description: "allow a non-empty database: drop all its schemas, extensions and large objects and restore, in one transaction (all or nothing)",
            },
            requestTimeout,
            maxRuntime("the run", 0),
            connectAttempts("connection attempts"),
            pgBin("pg_restore (and psql, for --clean)"),
            help,
        ],
    },
    verify: {
        usage: "backup-job verify --scratch-database-url URL [--from TARGET] [--backup ID|latest]",
        options: [
            {
                kind: "text",
                name: "scratch-database-url",
                value: "URL",
                description: "an existing database on the server used for the drill; a new uniquely named database is created next to it and always dropped",
            },
            target("from"),
            backupRefOption,
            requestTimeout,
            maxRuntime("the drill", DEFAULT_MAX_RUNTIME_SECONDS),
            connectAttempts("connection attempts"),
            pgBin("pg_restore"),
            help,
        ],
    },
};

const HELP_WIDTH = 100;

function optionLabel(option: OptionDecl): string {
    const flag = option.name === "help" ? "-h, --help" : `--${option.name}`;
    return option.kind === "flag" ? flag : `${flag} ${option.value}`;
}

function optionText(option: OptionDecl): string {
    const range = option.kind === "int" ? `, ${option.min}-${option.max}` : "";
    const shownDefault = option.kind === "int" ? String(option.fallback) : option.kind === "text" ? option.shownDefault : undefined;
    const facts = [option.env && `env ${option.env}`, shownDefault !== undefined && `default ${shownDefault}`].filter(Boolean).join(", ");
    const extras = [facts, option.note].filter(Boolean).join("; ");
    return `${option.description}${range}${extras ? ` (${extras})` : ""}`;
}

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
    const lines: string[] = [];
    for (const word of text.split(" ")) {
        const last = lines.length - 1;
        if (last >= 0 && lines[last]!.length + 1 + word.length <= width) lines[last] += ` ${word}`;
        else lines.push(word);
    }
    return lines;
}

/** A command's help, generated from the declarations the parser enforces. */
export function commandHelp(command: CommandName): string {
    const { usage, options } = COMMAND_OPTIONS[command];
    const column = Math.max(...options.map((o) => optionLabel(o).length)) + 4;
    const lines = options.flatMap((option) =>
        wrap(optionText(option), HELP_WIDTH - column).map((text, i) =>
            i === 0 ? `  ${optionLabel(option).padEnd(column - 2)}${text}` : `${" ".repeat(column)}${text}`,
        ),
    );
    return [`Usage: ${usage}`, "", ...lines].join("\n");
}

export const MAIN_HELP = `Usage: backup-job <command> [options]

Commands:
  backup    dump a database (pg_dump -Fc | zstd) to a target, with a manifest written last
  list      list the backups in a target (only those with a manifest), newest first
  restore   verify a backup's checksum, then restore it into a database
  verify    restore drill: restore into a scratch database, compare row counts, drop it

Run "backup-job <command> --help" for the options of a command.
Exit codes: 0 ok, 1 internal error, 2 usage/configuration, 3 connection/authentication,
4 version guard, 5 dump failed, 6 storage, 7 verification failed, 8 restore failed,
9 refused (target database not empty), 10 lock wait timed out (retryable), 124 maximum runtime
reached, 130/143 interrupted by SIGINT/SIGTERM.`;

function intOption(raw: string, label: string, option: IntOption): number {
    if (!/^\d+$/.test(raw.trim()) || Number(raw) < option.min || Number(raw) > option.max) {
        throw usageError(`${label} "${raw}" is not allowed: use a whole number from ${option.min} to ${option.max}`);
    }
    return Number(raw);
}

/** The option, else its variable, else its default: errors name whichever was used. */
function readInt(option: IntOption, raw: string | undefined, env: NodeJS.ProcessEnv): number {
    if (raw !== undefined) return intOption(raw, `--${option.name}`, option);
    const fromEnv = option.env === undefined ? undefined : env[option.env];
    return fromEnv === undefined || fromEnv.trim() === "" ? option.fallback : intOption(fromEnv, option.env!, option);
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
            `--part-size-mib ${partSizeMiB} x (--upload-queue-size ${queueSize} + 1) = ${needed / MiB} MiB of part buffers does not fit in this machine's ` +
                `${Math.floor(memoryBytes / MiB)} MiB of memory: use a --part-size-mib of at most ${Math.max(5, fits)} or a smaller --upload-queue-size`,
        );
    }
}

function translateParseError(command: CommandName, error: unknown): never {
    const e = error as { code?: string; message?: string };
    const allowed = COMMAND_OPTIONS[command].options.map((o) => `--${o.name}`).join(", ");
    const option = /'([^']+)'/.exec(e.message ?? "")?.[1] ?? "";
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw usageError(`unknown option "${option}" for "${command}": allowed are ${allowed}`);
    if (e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL")
        throw usageError(`unexpected argument ${option ? `"${option}"` : ""} for "${command}": options are ${allowed}`);
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
    if (first === undefined || first === "--help" || first === "-h" || first === "help") return { command: "help", text: MAIN_HELP };
    if (!(COMMANDS as readonly string[]).includes(first)) {
        throw usageError(`unknown command "${first}": allowed are ${COMMANDS.join(", ")}`);
    }
    const command = first as CommandName;
    const options = COMMAND_OPTIONS[command].options;
    const spec = Object.fromEntries(
        options.map((o) => [o.name, { type: o.kind === "flag" ? "boolean" : "string", ...(o.name === "help" ? { short: "h" } : {}) }] as const),
    );
    let values: Record<string, string | boolean | undefined>;
    try {
        values = parseArgs({ args: rest, options: spec, strict: true, allowPositionals: false }).values;
    } catch (error) {
        translateParseError(command, error);
    }
    const str = (key: string) => values[key] as string | undefined;
    const declared = <K extends OptionDecl["kind"]>(name: string, kind: K) => {
        const option = options.find((o) => o.name === name);
        if (option?.kind !== kind) throw new Error(`--${name} is not declared as a ${kind} option of "${command}"`);
        return option as Extract<OptionDecl, { kind: K }>;
    };
    const int = (name: string) => readInt(declared(name, "int"), str(name), env);
    const flag = (name: string) => declared(name, "flag") && values[name] === true;
    if (flag("help")) return { command: "help", text: commandHelp(command) };
    // The option, else its variable; the label names whichever was used, for error messages.
    const text = (name: string): { value: string; label: string } | undefined => {
        const variable = declared(name, "text").env;
        const given = str(name);
        if (given !== undefined) return { value: given, label: `--${name}` };
        const fromEnv = variable === undefined ? undefined : env[variable];
        return fromEnv === undefined ? undefined : { value: fromEnv, label: variable! };
    };
    const targetOf = (key: "to" | "from") => {
        const source = text(key);
        return parseTarget(source?.value ?? DEFAULT_TARGET, source?.label ?? `--${key}`, cwd);
    };
    const requestTimeoutSeconds = int("request-timeout");
    if (command === "list") return { command, from: targetOf("from"), json: flag("json"), requestTimeoutSeconds };

    const common: Common = {
        pgBin: text("pg-bin")?.value,
        connectAttempts: int("connect-attempts"),
        requestTimeoutSeconds,
        maxRuntimeSeconds: int("max-runtime"),
    };
    if (common.pgBin !== undefined && common.pgBin.trim() === "")
        throw usageError(`--pg-bin "" is not allowed: name a directory holding pg_dump, pg_restore and psql`);

    switch (command) {
        case "backup": {
            const name = text("name")?.value;
            const partSizeMiB = int("part-size-mib");
            const uploadQueueSize = int("upload-queue-size");
            checkUploadMemory(partSizeMiB, uploadQueueSize, memoryBytes);
            return {
                command,
                ...common,
                databaseUrl: required(text("database-url")?.value, "--database-url", "pass --database-url URL or set DATABASE_URL"),
                target: targetOf("to"),
                name: name === undefined ? undefined : validateName(name, "--name"),
                compressionLevel: int("compression-level"),
                compressionThreads: int("compression-threads"),
                partSizeMiB,
                uploadQueueSize,
                progressIntervalSeconds: int("progress-interval"),
                lockWaitTimeoutSeconds: int("lock-wait-timeout"),
            };
        }
        case "restore":
            return {
                command,
                ...common,
                from: targetOf("from"),
                backup: backupRef(text("backup")?.value),
                // Its declaration has no variable: a restore target must be named on purpose, never taken from DATABASE_URL.
                databaseUrl: required(
                    text("database-url")?.value,
                    "--database-url",
                    "name the database to restore into (DATABASE_URL is not used for restore)",
                ),
                clean: flag("clean"),
            };
        case "verify":
            return {
                command,
                ...common,
                from: targetOf("from"),
                backup: backupRef(text("backup")?.value),
                scratchDatabaseUrl: required(
                    text("scratch-database-url")?.value,
                    "--scratch-database-url",
                    "name a database on the server where a scratch database may be created",
                ),
            };
    }
}
