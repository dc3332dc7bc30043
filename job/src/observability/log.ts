import { redact } from "./redact.js";

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

export function createLogger(write: (line: string) => void, clock: () => Date = () => new Date()): Logger {
    const emit = (level: Level) => (message: string, context?: Record<string, unknown>) => write(`${formatLogLine(level, message, context, clock())}\n`);
    return {
        info: emit("info"),
        warn: emit("warn"),
        error: emit("error"),
        record: (value) => write(`${redact(JSON.stringify(value))}\n`),
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
