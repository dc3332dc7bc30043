import fs from "node:fs";
import path from "node:path";
import type { JobEnvironment } from "./environment.js";
import type { Logger, StatusLine } from "./observability/log.js";

/** What commands need from the process, passed in so they stay testable and signal-aware. */
export interface Runtime {
    logger: Logger;
    /** Aborted on SIGTERM/SIGINT with a JobError carrying exit code 143/130. */
    signal: AbortSignal;
    /** Command output (list table/JSON). */
    out(text: string): void;
    /** The terminal's progress line, or undefined when stderr is not a TTY (then progress goes to log lines). */
    status: StatusLine | undefined;
    /** Asks the person at the terminal and returns their answer; undefined when no one can answer (stdin or stderr not a TTY). */
    ask: ((question: string) => Promise<string>) | undefined;
    /** The environment as the process started with it (environment.ts): storage settings and the child programs' variables. */
    environment: JobEnvironment;
}

export interface ToolInfo {
    name: string;
    version: string;
}

/** The job's package.json sits one level above both src/ (tsx) and dist/ (compiled). */
export function toolInfo(): ToolInfo {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { name: string; version: string };
    return { name: pkg.name, version: pkg.version };
}
