// Runs the backup job's CLI as a real child process (`node --import tsx job/src/cli.ts`), the way
// an operator or the container does: no in-process shortcuts, exit codes and signals are real.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "vitest";
import { JOB_ENV } from "../../src/contract.js";

/** The repository root (this file is job/test/support/cli.ts). */
export const REPO_ROOT = resolve(__dirname, "..", "..", "..");
export const CLI_ENTRY = join(REPO_ROOT, "job", "src", "cli.ts");

export interface LogLine {
    level: "info" | "warn" | "error";
    message: string;
    timestamp: string;
    context?: Record<string, unknown>;
    [extra: string]: unknown;
}

/** A CloudWatch Embedded Metric Format record (has an `_aws` member). */
export interface MetricRecord {
    _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[] };
    [member: string]: unknown;
}

export interface CliResult {
    /** Exit code; null when the process ended by a signal. */
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    /** stdout and stderr lines (errors are on stderr) that are JSON log lines (level + message). */
    logs: LogLine[];
    /** stdout and stderr lines that are EMF metric records. */
    metrics: MetricRecord[];
    /** stdout and stderr lines that are neither (e.g. `list` output, or anything malformed). */
    otherLines: string[];
    timedOut: boolean;
}

export interface CliOptions {
    /**
     * Added to a minimal base environment (PATH, HOME, locale, TMPDIR) and BACKUP_EMF_METRICS=1, as in the
     * task definitions: nothing else leaks in from the test runner. A key set to undefined is removed.
     */
    env?: Record<string, string | undefined>;
    /** Written to stdin, which is then closed; without it stdin is /dev/null. */
    input?: string | Buffer;
    /** SIGKILL after this long (default 120 s); the result then has timedOut: true. */
    timeoutMs?: number;
    cwd?: string;
    /** Script to run instead of job/src/cli.ts (the harness's own test uses a stand-in). */
    entry?: string;
}

export interface RunningCli {
    child: ChildProcess;
    /** Settles when the process has exited and its output is complete. */
    result: Promise<CliResult>;
    /** Log lines parsed so far. */
    logs(): LogLine[];
    /** Resolves with the first log line (seen so far or later) that matches. */
    waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

const BASE_ENV_KEYS = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "USER"];

export function baseEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
    const env: Record<string, string> = {};
    for (const key of BASE_ENV_KEYS) {
        const value = source[key];
        if (value !== undefined) env[key] = value;
    }
    return env;
}

function isLogLine(value: unknown): value is LogLine {
    if (typeof value !== "object" || value === null) return false;
    const line = value as Record<string, unknown>;
    return typeof line["level"] === "string" && typeof line["message"] === "string";
}

/** Splits CLI stdout into log lines, metric records and everything else. */
export function parseOutput(stdout: string): Pick<CliResult, "logs" | "metrics" | "otherLines"> {
    const logs: LogLine[] = [];
    const metrics: MetricRecord[] = [];
    const otherLines: string[] = [];
    for (const line of stdout.split("\n")) {
        if (line.trim() === "") continue;
        let parsed: unknown;
        try {
            parsed = JSON.parse(line);
        } catch {
            otherLines.push(line);
            continue;
        }
        if (typeof parsed === "object" && parsed !== null && "_aws" in parsed) metrics.push(parsed as MetricRecord);
        else if (isLogLine(parsed)) logs.push(parsed);
        else otherLines.push(line);
    }
    return { logs, metrics, otherLines };
}

/** tsx is a root dev dependency, not the job's: resolve it from the repository root. */
function tsxLoaderUrl(): string {
    return pathToFileURL(createRequire(join(REPO_ROOT, "package.json")).resolve("tsx")).href;
}

export function spawnCli(args: readonly string[], options: CliOptions = {}): RunningCli {
    const env: Record<string, string> = { ...baseEnv(), [JOB_ENV.emfMetrics]: "1" };
    for (const [key, value] of Object.entries(options.env ?? {})) {
        if (value === undefined) delete env[key];
        else env[key] = value;
    }
    const child = spawn(process.execPath, ["--import", tsxLoaderUrl(), options.entry ?? CLI_ENTRY, ...args], {
        cwd: options.cwd ?? REPO_ROOT,
        env,
        stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    let stdout = "";
    let stderr = "";
    let parsed: LogLine[] = [];
    const listeners = new Set<() => void>();
    const complete = (text: string) => text.slice(0, text.lastIndexOf("\n") + 1);
    const update = () => {
        parsed = parseOutput(complete(stdout) + complete(stderr)).logs;
        for (const listener of listeners) listener();
    };
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        update();
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
        update();
    });
    let timedOut = false;
    let closed = false;
    const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
    }, options.timeoutMs ?? 120_000);
    const result = new Promise<CliResult>((resolvePromise, reject) => {
        child.once("error", (error) => {
            clearTimeout(timer);
            reject(error);
        });
        child.once("close", (code, signal) => {
            closed = true;
            clearTimeout(timer);
            for (const listener of listeners) listener();
            resolvePromise({ code, signal, stdout, stderr, ...parseOutput(`${stdout}\n${stderr}`), timedOut });
        });
    });
    return {
        child,
        result,
        logs: () => parsed,
        waitForLog(predicate, timeoutMs = 60_000) {
            return new Promise<LogLine>((resolvePromise, reject) => {
                const check = () => {
                    const found = parsed.find(predicate);
                    if (found) {
                        done();
                        resolvePromise(found);
                    } else if (closed) {
                        done();
                        reject(
                            new Error(
                                `waitForLog: the CLI exited (${child.exitCode ?? child.signalCode}) before a matching log line; ` +
                                    `stdout:\n${stdout}\nstderr:\n${stderr}`,
                            ),
                        );
                    }
                };
                const timer = setTimeout(() => {
                    done();
                    reject(new Error(`waitForLog: no matching log line after ${timeoutMs} ms; stdout so far:\n${stdout}`));
                }, timeoutMs);
                const done = () => {
                    clearTimeout(timer);
                    listeners.delete(check);
                };
                listeners.add(check);
                check();
            });
        },
    };
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
    return spawnCli(args, options).result;
}

/** The one error line of a failed run (a run that logs more than one fails the test). */
export function errorOf(result: CliResult): LogLine {
    const errors = result.logs.filter((l) => l.level === "error");
    expect(errors, result.stdout + result.stderr).toHaveLength(1);
    return errors[0]!;
}
