import { constants as bufferConstants } from "node:buffer";
import fs from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { JOB_ENV } from "./contract.js";
import { type JobError, usageError } from "./errors.js";
import { LOG_FORMATS, type LogFormat } from "./observability/log.js";
import { refuseAmbientConnectionSettings } from "./postgres/dburl.js";
import { parseBackupId, validateName } from "./storage/ids.js";
import { DEFAULT_TARGET, parseTarget, type Target } from "./storage/target.js";
import { toolInfo } from "./runtime.js";
import type { Variables } from "./environment.js";

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
    /** Say what would be restored and dropped, change nothing. */
    dryRun: boolean;
    /** --clean without asking the person at the terminal to type the database name. */
    yes: boolean;
    from: Target;
    backup: string;
    /** The backup name "latest" is taken from; undefined: the target's only one. */
    name: string | undefined;
    databaseUrl: string;
    clean: boolean;
    lockWaitTimeoutSeconds: number;
    skipDatabaseSettings: boolean;
    grants: boolean;
    skipChecksumPass: boolean;
}

export interface VerifyOptions extends Common {
    command: "verify";
    from: Target;
    backup: string;
    /** As RestoreOptions.name. */
    name: string | undefined;
    scratchDatabaseUrl: string;
}

export interface ListOptions {
    command: "list";
    from: Target;
    /** Only this backup name's backups; undefined: all. */
    name: string | undefined;
    json: boolean;
    requestTimeoutSeconds: number;
}

/** `help` and `version` print their text and exit 0. */
export type Parsed = BackupOptions | RestoreOptions | VerifyOptions | ListOptions | { command: "help"; text: string } | { command: "version"; text: string };

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
            "[--skip-database-settings] [--skip-checksum-pass]",
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
            {
                kind: "flag",
                name: "skip-checksum-pass",
                description:
                    "read the dump once: no checksum pass before the restore. Its bytes are still checked as they are restored and nothing commits unless they " +
                    "match the manifest, but a damaged dump is then found only at the end, after the restore's work (and, with --clean, its locks)",
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
        usage: "backup-job verify --scratch-database-url URL [--from TARGET] [--name NAME] [--backup ID|latest]",
        options: [
            {
                kind: "text",
                name: "scratch-database-url",
                value: "URL",
                description: "an existing database on the server used for the drill; a new uniquely named database is created next to it and always dropped",
            },
            urlFile("scratch-database-url"),
            target("from"),
            nameFilter('backup name whose newest backup "latest" verifies'),
            backupRefOption,
            requestTimeout,
            maxRuntime("the drill", DEFAULT_MAX_RUNTIME_SECONDS),
            connectAttempts("connection attempts"),
            pgBin("pg_restore"),
            logFormat,
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

Run "backup-job <command> --help" for the options of a command, "backup-job --version" for the version.
Exit codes: 0 ok, 1 internal error, 2 usage/configuration (also "latest" without --name in a
target holding several backup names), 3 connection/authentication,
4 version guard, 5 dump failed, 6 storage, 7 verification failed, 8 restore failed,
9 refused (restore target not empty, read-only or a template, --clean not confirmed),
10 lock wait timed out (retryable), 124 maximum runtime reached, 130/143 interrupted by SIGINT/SIGTERM.`;

function intOption(raw: string, label: string, option: IntOption): number {
    if (!/^\d+$/.test(raw.trim()) || Number(raw) < option.min || Number(raw) > option.max) {
        throw usageError(`${label} "${raw}" is not allowed: use a whole number from ${option.min} to ${option.max}`);
    }
    return Number(raw);
}

/** The option, else its variable, else its default: errors name whichever was used. */
function readInt(option: IntOption, raw: string | undefined, env: Variables): number {
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

/** Edits (insert, delete, replace) between two words. */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const row = [i];
        for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
        previous = row;
    }
    return previous[b.length]!;
}

/** The candidate a mistyped word most likely meant: at most two edits away (one for words of up to four letters), else none. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
    const limit = word.length <= 4 ? 1 : 2;
    const scored = candidates.map((candidate) => ({ candidate, distance: editDistance(word, candidate) })).filter((c) => c.distance <= limit);
    return scored.sort((a, b) => a.distance - b.distance)[0]?.candidate;
}

const didYouMean = (guess: string | undefined) => (guess === undefined ? "" : `did you mean "${guess}"? `);

function translateParseError(command: CommandName, error: unknown): never {
    const e = error as { code?: string; message?: string };
    const names = COMMAND_OPTIONS[command].options.map((o) => `--${o.name}`);
    const allowed = names.join(", ");
    const option = /'([^']+)'/.exec(e.message ?? "")?.[1] ?? "";
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
        throw usageError(`unknown option "${option}" for "${command}": ${didYouMean(closest(option.split("=")[0]!, names))}allowed are ${allowed}`);
    }
    if (e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL")
        throw usageError(`unexpected argument ${option ? `"${option}"` : ""} for "${command}": options are ${allowed}`);
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") throw usageError(`${e.message ?? "invalid option value"} (command "${command}")`);
    throw error;
}

/** The first line of PATH, or of standard input for "-": a URL kept off the command line (and out of ps). */
function readUrlFile(path: string, option: string): string {
    let content: string;
    try {
        content = fs.readFileSync(path === "-" ? 0 : path, "utf8");
    } catch (error) {
        throw usageError(`${option} "${path}" cannot be read: ${error instanceof Error ? error.message : String(error)}`);
    }
    const url = content.split(/\r?\n/)[0]!.trim();
    if (url === "") throw usageError(`${option} "${path}" is empty: its first line must be the database URL`);
    return url;
}

function required(value: string | undefined, option: string, hint: string): string {
    if (value === undefined || value.trim() === "") throw usageError(`${option} is required: ${hint}`);
    return value;
}

/** --backup and --name together: an id already names its backup name, so a different --name is a contradiction, not a filter. */
function backupRef(raw: string | undefined, name: string | undefined): { backup: string; name: string | undefined } {
    const backup = raw ?? "latest";
    if (backup === "latest") return { backup, name };
    const parsed = parseBackupId(backup);
    if (parsed === undefined) {
        throw usageError(`--backup "${backup}" is not allowed: use "latest" or a backup id such as mydb_20260101T030000Z (see "list")`);
    }
    if (name !== undefined && name !== parsed.name) {
        throw usageError(`--backup "${backup}" is a backup of name "${parsed.name}", not of --name "${name}": pass one of them, or matching ones`);
    }
    return { backup, name: parsed.name };
}

/** The container's memory limit when there is one (cgroup), else the machine's memory. */
export function availableMemory(): number {
    return process.constrainedMemory?.() || os.totalmem();
}

export function parseCli(argv: string[], env: Variables, cwd: string, memoryBytes = availableMemory()): Parsed {
    const [first, ...rest] = argv;
    if (first === undefined || first === "--help" || first === "-h" || first === "help") return { command: "help", text: MAIN_HELP };
    if (first === "--version" || first === "-V") return { command: "version", text: `${toolInfo().name} ${toolInfo().version}` };
    if (!(COMMANDS as readonly string[]).includes(first)) {
        throw usageError(`unknown command "${first}": ${didYouMean(closest(first, COMMANDS))}allowed are ${COMMANDS.join(", ")}`);
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
    // --X or --X-file (never both), else X's variable.
    const url = (name: string): string | undefined => {
        const file = str(`${name}-file`);
        if (file === undefined) return text(name)?.value;
        if (str(name) !== undefined) throw usageError(`--${name} and --${name}-file are both given: use one`);
        return readUrlFile(file, `--${name}-file`);
    };
    const targetOf = (key: "to" | "from") => {
        const source = text(key);
        return parseTarget(source?.value ?? DEFAULT_TARGET, source?.label ?? `--${key}`, cwd);
    };
    const requestTimeoutSeconds = int("request-timeout");
    const givenName = text("name")?.value;
    const name = givenName === undefined ? undefined : validateName(givenName, "--name");
    if (command === "list") return { command, from: targetOf("from"), name, json: flag("json"), requestTimeoutSeconds };

    const common: Common = {
        pgBin: text("pg-bin")?.value,
        connectAttempts: int("connect-attempts"),
        requestTimeoutSeconds,
        maxRuntimeSeconds: int("max-runtime"),
    };
    refuseAmbientConnectionSettings(env);
    if (common.pgBin !== undefined && common.pgBin.trim() === "")
        throw usageError(`--pg-bin "" is not allowed: name a directory holding pg_dump, pg_restore and psql`);

    switch (command) {
        case "backup": {
            const partSizeMiB = int("part-size-mib");
            const uploadQueueSize = int("upload-queue-size");
            checkUploadMemory(partSizeMiB, uploadQueueSize, memoryBytes);
            return {
                command,
                ...common,
                databaseUrl: required(url("database-url"), "--database-url", "pass --database-url URL or --database-url-file PATH, or set DATABASE_URL"),
                target: targetOf("to"),
                name,
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
                ...backupRef(text("backup")?.value, name),
                // Its declaration has no variable: a restore target must be named on purpose, never taken from DATABASE_URL.
                databaseUrl: required(
                    url("database-url"),
                    "--database-url",
                    "name the database to restore into with --database-url or --database-url-file (DATABASE_URL is not used for restore)",
                ),
                clean: flag("clean"),
                dryRun: flag("dry-run"),
                yes: flag("yes"),
                lockWaitTimeoutSeconds: int("lock-wait-timeout"),
                skipDatabaseSettings: flag("skip-database-settings"),
                grants: flag("grants"),
                skipChecksumPass: flag("skip-checksum-pass"),
            };
        case "verify":
            return {
                command,
                ...common,
                from: targetOf("from"),
                ...backupRef(text("backup")?.value, name),
                scratchDatabaseUrl: required(
                    url("scratch-database-url"),
                    "--scratch-database-url",
                    "name a database on the server where a scratch database may be created",
                ),
            };
    }
}

/**
 * The log format, read before the command line is parsed (the logger reports parse errors too):
 * --log-format (or --log-format=), else BACKUP_LOG_FORMAT, else text for a person at a terminal.
 * A bad value is reported with the default format.
 */
export function readLogFormat(argv: readonly string[], env: Variables, terminal: boolean): { format: LogFormat; error?: JobError } {
    const fallback: LogFormat = terminal ? "text" : "json";
    let given: { value: string; label: string } | undefined;
    argv.forEach((arg, i) => {
        if (arg === "--log-format" && argv[i + 1] !== undefined) given = { value: argv[i + 1]!, label: "--log-format" };
        else if (arg.startsWith("--log-format=")) given = { value: arg.slice("--log-format=".length), label: "--log-format" };
    });
    const fromEnv = env[LOG_FORMAT_VARIABLE];
    given ??= fromEnv === undefined || fromEnv === "" ? undefined : { value: fromEnv, label: LOG_FORMAT_VARIABLE };
    if (given === undefined) return { format: fallback };
    if ((LOG_FORMATS as readonly string[]).includes(given.value)) return { format: given.value as LogFormat };
    return { format: fallback, error: usageError(`${given.label} "${given.value}" is not allowed: use ${LOG_FORMATS.join(" or ")}`) };
}
