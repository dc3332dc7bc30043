import { redact } from "./redact.js";
import type { Variables } from "../environment.js";

export type Level = "info" | "warn" | "error";

export interface LogLine {
    level: Level;
    message: string;
    timestamp: string;
    context?: Record<string, unknown>;
}

export function formatLogLine(level: Level, message: string, context: Record<string, unknown> | undefined, now: Date): string {
    const line: LogLine = { level, message, timestamp: now.toISOString() };
    if (context && Object.keys(context).length > 0) line.context = context;
    // Redacting the serialized line catches secrets nested anywhere in the context.
    return redact(JSON.stringify(line, jsonSafe));
}

function jsonSafe(_key: string, value: unknown): unknown {
    if (typeof value === "bigint") return value.toString();
    if (value instanceof Error) return { name: value.name, message: value.message };
    return value;
}

export interface Logger {
    info(message: string, context?: Record<string, unknown>): void;
    warn(message: string, context?: Record<string, unknown>): void;
    error(message: string, context?: Record<string, unknown>): void;
    /** A raw JSON record on the same stream (CloudWatch EMF). */
    record(value: object): void;
}

/** One JSON line per call, every level and record on one stream: the log-line contract. */
export function createLogger(write: (line: string) => void, clock: () => Date = () => new Date()): Logger {
    const emit = (level: Level) => (message: string, context?: Record<string, unknown>) => write(`${formatLogLine(level, message, context, clock())}\n`);
    return {
        info: emit("info"),
        warn: emit("warn"),
        error: emit("error"),
        record: (value) => write(`${redact(JSON.stringify(value))}\n`),
    };
}

export const LOG_FORMATS = ["json", "text"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** https://no-color.org: any non-empty NO_COLOR turns colour off. */
export function colourWanted(isTTY: boolean, env: Variables): boolean {
    return isTTY && (env["NO_COLOR"] ?? "") === "" && env["TERM"] !== "dumb";
}

/** The one line a person sees while work goes on (progress): log lines are printed above it, never through it. */
export interface StatusLine {
    /** Draws (or redraws) the status line in place. */
    show(text: string): void;
    /** Ends the status line: leaves its last text on the screen. */
    done(text: string): void;
    /** Writes `text` (whole lines) with the status line cleared first and redrawn after. */
    around(write: () => void): void;
}

export function createStatusLine(write: (text: string) => void): StatusLine {
    let current: string | undefined;
    return {
        show(text) {
            current = text;
            write(`\r${text}\x1b[K`);
        },
        done(text) {
            current = undefined;
            write(`\r${text}\x1b[K\n`);
        },
        around(print) {
            if (current !== undefined) write("\r\x1b[K");
            print();
            if (current !== undefined) write(`\r${current}\x1b[K`);
        },
    };
}

const COLOURS: Record<Level, string> = { info: "\x1b[36m", warn: "\x1b[33m", error: "\x1b[31m" };
const DIM = "\x1b[2m";
const RESET = "\x1b[0m";

/** A context value shown on the line itself: short scalars; multi-line text goes below, objects stay in JSON. */
function inlineValue(value: unknown): string | undefined {
    if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
    if (typeof value !== "string" || value.includes("\n") || value.length > 120) return undefined;
    return /[\s"=]/.test(value) || value === "" ? JSON.stringify(value) : value;
}

/**
 * A line for a person: `12:04:05 error  cannot connect to ...  exitCode=3 attempts=1`, then any
 * multi-line context (pg_dump's stderr) indented below. Nested context (session lists) is left to --log-format json.
 */
export function formatTextLine(level: Level, message: string, context: Record<string, unknown> | undefined, now: Date, colour: boolean): string {
    const paint = (code: string, text: string) => (colour ? `${code}${text}${RESET}` : text);
    const fields: string[] = [];
    const blocks: string[] = [];
    for (const [key, value] of Object.entries(context ?? {})) {
        if (value === undefined || value === null) continue;
        const inline = inlineValue(value);
        if (inline !== undefined) fields.push(`${key}=${inline}`);
        else if (typeof value === "string") blocks.push(`  ${key}:\n${value.replace(/\s+$/, "").replace(/^/gm, "    ")}`);
    }
    const time = paint(DIM, now.toISOString().slice(11, 19));
    const head = `${time} ${paint(COLOURS[level], level.padEnd(5))} ${message}${fields.length > 0 ? `  ${paint(DIM, fields.join(" "))}` : ""}`;
    return redact([head, ...blocks].join("\n"));
}

export interface CliLoggerOptions {
    format: LogFormat;
    colour: boolean;
    /** Whether EMF records are written at all (JOB_ENV.emfMetrics, see emfMetricsEnabled in emf.ts). */
    emf: boolean;
    /** Log lines are printed around it when a progress line is on the terminal. */
    status?: StatusLine;
    clock?: () => Date;
}

/**
 * The job's logger: info and warn lines to `out`, error lines to `err` (standard error, which
 * `>/dev/null` does not hide), as JSON lines or, for a person, as text lines.
 */
export function createCliLogger(out: (text: string) => void, err: (text: string) => void, options: CliLoggerOptions): Logger {
    const clock = options.clock ?? (() => new Date());
    const format = (level: Level, message: string, context: Record<string, unknown> | undefined) =>
        options.format === "json" ? formatLogLine(level, message, context, clock()) : formatTextLine(level, message, context, clock(), options.colour);
    const print = (write: (text: string) => void, text: string) => {
        if (options.status === undefined) write(text);
        else options.status.around(() => write(text));
    };
    const emit = (level: Level) => (message: string, context?: Record<string, unknown>) =>
        print(level === "error" ? err : out, `${format(level, message, context)}\n`);
    return {
        info: emit("info"),
        warn: emit("warn"),
        error: emit("error"),
        record: (value) => {
            if (options.emf) print(out, `${redact(JSON.stringify(value))}\n`);
        },
    };
}

/**
 * Node prints process warnings (the AWS SDK's notice about Node versions, deprecations) as plain,
 * multi-line text on stderr; in CloudWatch every one of those lines is an event that no metric
 * filter or drain can parse. This replaces Node's printer with one JSON warn line per warning.
 */
export function logProcessWarnings(emitter: NodeJS.EventEmitter, logger: Logger): void {
    emitter.removeAllListeners("warning");
    emitter.on("warning", (warning: Error & { code?: string }) => {
        logger.warn(warning.message, { warning: warning.name, ...(warning.code ? { code: warning.code } : {}) });
    });
}
