import { createInterface } from "node:readline/promises";
import { writeSync } from "node:fs";
import { parseCli, readLogFormat, type Parsed } from "./args.js";
import { ExitCode, JobError, errorMessage, toJobError } from "./errors.js";
import { readEnvironment } from "./environment.js";
import { emfMetricsEnabled } from "./observability/emf.js";
import { colourWanted, createCliLogger, createStatusLine, formatLogLine, logProcessWarnings, type Logger } from "./observability/log.js";
import type { Runtime } from "./runtime.js";
import { toolInfo } from "./runtime.js";
import { monitorSettingsFromEnv, startCronMonitor, type CronMonitor } from "./observability/sentry.js";
import { callerDirectory } from "./storage/target.js";

/** After a signal, cleanup (pg_dump ended, upload aborted, check-in sent) must fit the ECS stop timeout (30 s default). */
const SIGNAL_DEADLINE_MS = 20_000;

/** What a signal stops, and what it leaves, per command: a stopped restore must not talk about backups. */
const INTERRUPTED: Record<string, { stopping: string; left: string }> = {
    backup: { stopping: "stopping pg_dump, aborting the upload and cleaning up", left: "cleanup done, no backup was recorded" },
    restore: { stopping: "stopping the restore before its COMMIT", left: "nothing was committed, the target database is as it was" },
    verify: { stopping: "stopping the restore drill and dropping its scratch database", left: "the drill did not finish, nothing was verified" },
    list: { stopping: "stopping", left: "nothing was changed" },
};

function write(stream: NodeJS.WriteStream) {
    return (text: string) => void stream.write(text);
}

/**
 * Commands (and the AWS SDK and pg they pull in, about half a second of loading) are loaded only once
 * the signal handlers are in place: a SIGTERM in the first second still gets its log line and exit code.
 */
async function execute(parsed: Exclude<Parsed, { command: "help" | "version" }>, rt: Runtime): Promise<void> {
    switch (parsed.command) {
        case "backup":
            await (await import("./commands/backup.js")).runBackup(parsed, rt, toolInfo());
            return;
        case "restore":
            await (await import("./commands/restore.js")).runRestore(parsed, rt);
            return;
        case "verify":
            await (await import("./commands/verify.js")).runVerify(parsed, rt);
            return;
        case "list":
            await (await import("./commands/list.js")).runList(parsed, rt);
            return;
    }
}

/**
 * --max-runtime: Fargate has no run timeout, so a run that hangs anywhere (a lock, a stalled server,
 * a slow restore) is stopped like on SIGTERM, with its own exit code and an error check-in.
 */
function limitRuntime(seconds: number, controller: AbortController, logger: Logger, started: number): NodeJS.Timeout | undefined {
    if (seconds === 0) return undefined;
    const left = Math.max(0, seconds * 1000 - (performance.now() - started));
    return setTimeout(() => {
        if (controller.signal.aborted) return;
        logger.warn(`maximum runtime of ${seconds} s reached (--max-runtime): stopping pg_dump/pg_restore, aborting the upload and cleaning up`, {
            maxRuntimeSeconds: seconds,
        });
        controller.abort(
            new JobError(ExitCode.TimedOut, `stopped after the maximum runtime of ${seconds} s (--max-runtime); nothing was recorded or committed`, {
                maxRuntimeSeconds: seconds,
            }),
        );
        forceExitAfterCleanupDeadline(logger, "the maximum runtime", ExitCode.TimedOut);
    }, left);
}

function forceExitAfterCleanupDeadline(logger: Logger, what: string, code: number): void {
    setTimeout(() => {
        logger.error(`cleanup after ${what} did not finish within ${SIGNAL_DEADLINE_MS / 1000}s; exiting`, { exitCode: code });
        process.exit(code);
    }, SIGNAL_DEADLINE_MS).unref();
}

function logFailure(logger: Logger, command: string, error: JobError): void {
    logger.error(error.message, {
        command,
        ...error.context,
        exitCode: error.exitCode,
        ...(error.exitCode === ExitCode.Internal && error.cause instanceof Error ? { stack: error.cause.stack } : {}),
    });
}

/** A question on standard error, answered on standard input; a stop request (Ctrl-C) ends the wait. */
function askOnTerminal(signal: AbortSignal) {
    return async (question: string): Promise<string> => {
        // terminal: false leaves Ctrl-C to the terminal, which sends SIGINT to the process as everywhere else.
        const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
        try {
            process.stderr.write(question);
            return await rl.question("", { signal });
        } finally {
            rl.close();
        }
    };
}

export async function main(argv: string[]): Promise<number> {
    const started = performance.now();
    const command = argv[0] ?? "";
    // `list` prints its result on stdout; its log lines go to stderr so `--json` stays one JSON document.
    const logStream = command === "list" ? process.stderr : process.stdout;
    const terminal = Boolean(logStream.isTTY);
    const environment = readEnvironment();
    const logFormat = readLogFormat(argv, environment.variables, terminal);
    const status = process.stderr.isTTY ? createStatusLine(write(process.stderr)) : undefined;
    const logger = createCliLogger(write(logStream), write(process.stderr), {
        format: logFormat.format,
        colour: colourWanted(terminal && Boolean(process.stderr.isTTY), environment.variables),
        emf: emfMetricsEnabled(environment.variables),
        status,
    });
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
        const code = signal === "SIGINT" ? ExitCode.Interrupted : ExitCode.Terminated;
        if (controller.signal.aborted) return;
        const outcome = INTERRUPTED[command] ?? INTERRUPTED["list"]!;
        logger.warn(`received ${signal}: ${outcome.stopping}`, { signal });
        controller.abort(new JobError(code, `interrupted by ${signal}; ${outcome.left}`, { signal }));
        forceExitAfterCleanupDeadline(logger, signal, code);
    };
    // First thing: a stop request during start-up must not kill the process without a word.
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    // A closed reader (`list | head`) must not crash the job; the exit code still tells the outcome.
    process.stdout.on("error", () => undefined);
    logProcessWarnings(process, logger);

    const rt: Runtime = {
        logger,
        signal: controller.signal,
        out: write(process.stdout),
        status,
        ask: process.stdin.isTTY && process.stderr.isTTY ? askOnTerminal(controller.signal) : undefined,
        environment,
    };

    let monitor: CronMonitor | undefined;
    let runtimeLimit: NodeJS.Timeout | undefined;
    let exitCode: number = ExitCode.Ok;
    try {
        // The monitor starts before the rest is parsed, so a misconfigured nightly run reports an error check-in.
        const isBackup = command === "backup" && !argv.includes("--help") && !argv.includes("-h");
        const settings = isBackup ? monitorSettingsFromEnv(environment.variables) : undefined;
        if (settings) monitor = await startCronMonitor(settings, `${toolInfo().name}@${toolInfo().version}`, logger);
        if (logFormat.error) throw logFormat.error;
        const parsed: Parsed = parseCli(argv, environment.variables, callerDirectory(environment.variables, process.cwd()));
        if (parsed.command === "help" || parsed.command === "version") {
            process.stdout.write(`${parsed.text}\n`);
            return ExitCode.Ok;
        }
        if (parsed.command !== "list") runtimeLimit = limitRuntime(parsed.maxRuntimeSeconds, controller, logger, started);
        if (controller.signal.aborted) throw controller.signal.reason;
        await execute(parsed, rt);
    } catch (error) {
        // A signal outranks whatever the interrupted step reported (usually a killed child).
        const jobError = controller.signal.aborted ? (controller.signal.reason as JobError) : toJobError(error);
        if (controller.signal.aborted && !(error instanceof JobError && error === jobError)) {
            logger.warn("step failed while stopping", { error: errorMessage(error) });
        }
        logFailure(logger, command, jobError);
        exitCode = jobError.exitCode;
    } finally {
        clearTimeout(runtimeLimit);
    }
    if (monitor) {
        try {
            await monitor.finish(exitCode === ExitCode.Ok, (performance.now() - started) / 1000);
        } catch (error) {
            logger.warn("could not send the Sentry check-in", { error: errorMessage(error) });
        }
    }
    return exitCode;
}

/** Runs the CLI as the whole process: the exit code is the process's. Called by job/bin/backup-job.cjs too. */
export function run(argv: string[]): void {
    exitWith(main(argv), argv[0] ?? "");
}

/**
 * Ends the process with the outcome of `work`. When nothing is left to wait on but `work` never settled
 * (a promise nobody resolves any more), Node would end the process with exit 0: a backup that did not
 * finish must never read as a success to ECS or a shell, so that ending is an internal error with its line.
 */
export function exitWith(work: Promise<number>, command: string): void {
    let settled = false;
    process.on("exit", (code) => {
        // Only Node's own silent 0: a process.exit(code) of the job (the signal cleanup's deadline) keeps its code.
        if (settled || code !== 0) return;
        const message = `the ${command || "job"} run ended unfinished: nothing was left to wait on before it completed (an internal error)`;
        writeSync(1, `${formatLogLine("error", message, { command, exitCode: ExitCode.Internal }, new Date())}\n`);
        process.exitCode = ExitCode.Internal;
    });
    work.then(
        (code) => {
            settled = true;
            process.exitCode = code;
            // Lingering sockets (S3 keep-alive, Sentry) must not hold a finished job open, but output
            // queued on a full pipe (a large `list --json`) must be written first.
            process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
        },
        (error: unknown) => {
            settled = true;
            process.stderr.write(`fatal: ${errorMessage(error)}\n`);
            process.exit(ExitCode.Internal);
        },
    );
}

if (require.main === module) run(process.argv.slice(2));
