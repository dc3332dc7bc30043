// The command line parsed into one command's options: each option, else its variable, else its default,
// as declared in options.ts; every bad value is a usage error naming the option or variable used.
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
import { closest, commandHelp, didYouMean, MAIN_HELP } from "./help.js";
import {
    CHECKSUM_PASS_MODES,
    type ChecksumPassMode,
    COMMAND_OPTIONS,
    COMMANDS,
    type CommandName,
    type IntOption,
    LOG_FORMAT_VARIABLE,
    MiB,
    type OptionDecl,
} from "./options.js";
import type { Variables } from "./environment.js";

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
    checksumPass: ChecksumPassMode;
}

export interface VerifyOptions extends Common {
    command: "verify";
    from: Target;
    backup: string;
    /** As RestoreOptions.name. */
    name: string | undefined;
    scratchDatabaseUrl: string;
    checksumPass: ChecksumPassMode;
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

/**
 * The URL in the variable VARIABLE names. A value that is no variable name is not shown: it may be the
 * URL itself, password included, given to the wrong option.
 */
function readUrlVariable(variable: string, option: string, env: Variables): string {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
        throw usageError(
            `${option} takes the name of an environment variable (letters, digits and "_", not starting with a digit), such as ${JOB_ENV.scratchDatabaseUrl}`,
        );
    }
    const value = env[variable];
    if (value === undefined || value.trim() === "") {
        throw usageError(`${option} ${variable}: the variable is ${value === undefined ? "not set" : "empty"}; it must hold the database URL`);
    }
    return value.trim();
}

/** --checksum-pass, or restore's --skip-checksum-pass, its older spelling of "never"; auto when neither is given. */
function checksumPassOf(given: string | undefined, skip: boolean): ChecksumPassMode {
    if (given !== undefined && !(CHECKSUM_PASS_MODES as readonly string[]).includes(given)) {
        throw usageError(`--checksum-pass "${given}" is not allowed: use ${CHECKSUM_PASS_MODES.join(", ")}`);
    }
    if (skip && given !== undefined && given !== "never") {
        throw usageError(
            `--checksum-pass ${given} and --skip-checksum-pass contradict each other (--skip-checksum-pass is --checksum-pass never): pass one of them`,
        );
    }
    return skip ? "never" : ((given as ChecksumPassMode | undefined) ?? "auto");
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
    // One of --X, --X-file and --X-env (those the command declares), else X's own variable.
    const url = (name: string): string | undefined => {
        const given = [name, `${name}-file`, `${name}-env`].filter((option) => str(option) !== undefined).map((option) => `--${option}`);
        if (given.length > 1)
            throw usageError(`${given.slice(0, -1).join(", ")} and ${given.at(-1)} are ${given.length === 2 ? "both" : "all"} given: use one`);
        const file = str(`${name}-file`);
        if (file !== undefined) return readUrlFile(file, `--${name}-file`);
        const variable = str(`${name}-env`);
        if (variable !== undefined) return readUrlVariable(variable, `--${name}-env`, env);
        return text(name)?.value;
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
                checksumPass: checksumPassOf(text("checksum-pass")?.value, flag("skip-checksum-pass")),
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
                checksumPass: checksumPassOf(text("checksum-pass")?.value, false),
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
