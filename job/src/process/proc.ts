import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { ExitCode, JobError } from "../errors.js";
import { redact } from "../observability/redact.js";

/** Resolves a PostgreSQL client program: from --pg-bin when given, else from PATH. */
export function pgProgram(pgBin: string | undefined, name: "pg_dump" | "pg_restore" | "psql"): string {
    return pgBin === undefined ? name : path.join(pgBin, name);
}

export interface ExitStatus {
    code: number | null;
    signal: NodeJS.Signals | null;
}

export interface Child {
    process: ChildProcess;
    exited: Promise<ExitStatus>;
    /** The tail of stderr (bounded), redacted. */
    stderr(): string;
    /** SIGTERM now, SIGKILL if still running after graceMs. */
    stop(graceMs?: number): void;
}

const STDERR_LIMIT = 16 * 1024;

export function startChild(command: string, args: string[], options: SpawnOptions): Child {
    const child = spawn(command, args, { ...options, stdio: options.stdio ?? ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_LIMIT);
    });
    const exited = new Promise<ExitStatus>((resolve) => {
        let spawnError: Error | undefined;
        child.once("error", (error) => {
            spawnError = error;
            stderr += `${command}: ${error.message}`;
            // A failed spawn emits no "exit"; "close" still follows.
        });
        child.once("close", (code, signal) => resolve({ code: code ?? (spawnError ? 127 : null), signal }));
    });
    let running = true;
    void exited.then(() => {
        running = false;
    });
    return {
        process: child,
        exited,
        stderr: () => redact(stderr.trim()),
        stop(graceMs = 2000) {
            if (!running) return;
            child.kill("SIGTERM");
            const timer = setTimeout(() => {
                if (running) child.kill("SIGKILL");
            }, graceMs);
            timer.unref();
        },
    };
}

/**
 * util-linux's `setpriv` (in every Debian, the job's image included), found on PATH: `setpriv
 * --pdeathsig KILL -- PROGRAM` asks the kernel to kill PROGRAM when this process dies, by SIGKILL too.
 * A zstd that writes a dump file itself needs that: nothing else would stop it, nor the pg_dump
 * feeding it, if the job were killed outright.
 */
export function findSetpriv(pathVariable: string | undefined): string | undefined {
    for (const dir of (pathVariable ?? "").split(path.delimiter)) {
        if (dir === "") continue;
        const candidate = path.join(dir, "setpriv");
        try {
            accessSync(candidate, constants.X_OK);
            return candidate;
        } catch {
            // not in this directory
        }
    }
    return undefined;
}

/** [command, args] that run `command` so that it dies with this process (see findSetpriv). */
export function diesWithThisProcess(setpriv: string, command: string, args: string[]): [string, string[]] {
    return [setpriv, ["--pdeathsig", "KILL", "--", command, ...args]];
}

export function describeExit(name: string, status: ExitStatus): string {
    return status.signal ? `${name} was killed by ${status.signal}` : `${name} exited with code ${status.code}`;
}

export function succeeded(status: ExitStatus): boolean {
    return status.code === 0 && status.signal === null;
}

/** zstd is needed by every command that touches a dump; a missing one is a configuration error, found before any work. */
export async function requireZstd(): Promise<void> {
    try {
        await toolBanner("zstd");
    } catch (error) {
        throw new JobError(ExitCode.Usage, `zstd is not installed or not runnable (looked on PATH): ${error instanceof Error ? error.message : String(error)}`);
    }
}

/** Runs `<program> --version` and returns its banner. */
export async function toolBanner(program: string): Promise<string> {
    const child = startChild(program, ["--version"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.process.stdout?.setEncoding("utf8");
    child.process.stdout?.on("data", (c: string) => (out += c));
    const status = await child.exited;
    if (!succeeded(status)) throw new Error(`${describeExit(program, status)}${child.stderr() ? `: ${child.stderr()}` : ""}`);
    return out.trim();
}
