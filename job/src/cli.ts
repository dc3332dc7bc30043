import { parseCli, type Parsed } from "./args.js";
import { runBackup } from "./backup.js";
import { ExitCode, JobError, errorMessage, toJobError } from "./errors.js";
import { runList } from "./list.js";
import { createLogger, logProcessWarnings, type Logger } from "./log.js";
import { runRestore } from "./restore.js";
import type { Runtime } from "./runtime.js";
import { toolInfo } from "./runtime.js";
import { monitorSettingsFromEnv, startCronMonitor, type CronMonitor } from "./sentry.js";
import { callerDirectory } from "./target.js";
import { runVerify } from "./verify.js";

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

async function execute(parsed: Exclude<Parsed, { command: "help" }>, rt: Runtime): Promise<void> {
    const tool = toolInfo();
    switch (parsed.command) {
        case "backup":
            await runBackup(parsed, rt, tool);
            return;
        case "restore":
            await runRestore(parsed, rt);
            return;
        case "verify":
            await runVerify(parsed, rt);
            return;
        case "list":
            await runList(parsed, rt);
            return;
    }
}

function logFailure(logger: Logger, command: string, error: JobError): void {
    logger.error(error.message, { command, ...error.context, exitCode: error.exitCode, ...(error.exitCode === ExitCode.Internal && error.cause instanceof Error ? { stack: error.cause.stack } : {}) });
}

export async function main(argv: string[]): Promise<number> {
    const command = argv[0] ?? "";
    // A closed reader (`list | head`) must not crash the job; the exit code still tells the outcome.
    process.stdout.on("error", () => undefined);
    // `list` prints its result on stdout; its log lines go to stderr so `--json` stays one JSON document.
    const logger = createLogger(write(command === "list" ? process.stderr : process.stdout));
    logProcessWarnings(process, logger);
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
        const code = signal === "SIGINT" ? ExitCode.Interrupted : ExitCode.Terminated;
        if (controller.signal.aborted) return;
        const outcome = INTERRUPTED[command] ?? INTERRUPTED["list"]!;
        logger.warn(`received ${signal}: ${outcome.stopping}`, { signal });
        controller.abort(new JobError(code, `interrupted by ${signal}; ${outcome.left}`, { signal }));
        setTimeout(() => {
            logger.error(`cleanup after ${signal} did not finish within ${SIGNAL_DEADLINE_MS / 1000}s; exiting`, { signal });
            process.exit(code);
        }, SIGNAL_DEADLINE_MS).unref();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);

    const rt: Runtime = {
        logger,
        signal: controller.signal,
        out: write(process.stdout),
        tty: process.stderr.isTTY ? write(process.stderr) : undefined,
    };

    const started = performance.now();
    let monitor: CronMonitor | undefined;
    let exitCode: number = ExitCode.Ok;
    try {
        // The monitor starts before the rest is parsed, so a misconfigured nightly run reports an error check-in.
        const isBackup = command === "backup" && !argv.includes("--help") && !argv.includes("-h");
        const settings = isBackup ? monitorSettingsFromEnv(process.env) : undefined;
        if (settings) monitor = await startCronMonitor(settings, `${toolInfo().name}@${toolInfo().version}`);
        const parsed: Parsed = parseCli(argv, process.env, callerDirectory(process.env, process.cwd()));
        if (parsed.command === "help") {
            process.stdout.write(`${parsed.text}\n`);
            return ExitCode.Ok;
        }
        await execute(parsed, rt);
    } catch (error) {
        // A signal outranks whatever the interrupted step reported (usually a killed child).
        const jobError = controller.signal.aborted ? (controller.signal.reason as JobError) : toJobError(error);
        if (controller.signal.aborted && !(error instanceof JobError && error === jobError)) {
            logger.warn("step failed while stopping", { error: errorMessage(error) });
        }
        logFailure(logger, command, jobError);
        exitCode = jobError.exitCode;
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

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
            // Lingering sockets (S3 keep-alive, Sentry) must not hold a finished job open, but output
            // queued on a full pipe (a large `list --json`) must be written first.
            process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
        },
        (error: unknown) => {
            process.stderr.write(`fatal: ${errorMessage(error)}\n`);
            process.exit(ExitCode.Internal);
        },
    );
}
