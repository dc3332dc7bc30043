/** Exit codes of the backup job; the README and alarms depend on these numbers. */
export const ExitCode = {
    Ok: 0,
    Internal: 1,
    Usage: 2,
    Connection: 3,
    Version: 4,
    Dump: 5,
    Storage: 6,
    Verification: 7,
    Restore: 8,
    Refused: 9,
    /** A table lock was not granted within --lock-wait-timeout (a migration?): retry later. */
    LockTimeout: 10,
    /** --max-runtime reached; the run was stopped as on SIGTERM. */
    TimedOut: 124,
    Interrupted: 130,
    Terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure: carries the exit code and structured context for the error log line. */
export class JobError extends Error {
    readonly exitCode: ExitCodeValue;
    readonly context: Record<string, unknown>;

    constructor(exitCode: ExitCodeValue, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
        super(message, options);
        this.name = "JobError";
        this.exitCode = exitCode;
        this.context = context;
    }
}

export function usageError(message: string, context: Record<string, unknown> = {}): JobError {
    return new JobError(ExitCode.Usage, message, context);
}

/** Anything that is not a JobError is a bug: exit 1, keep the message. */
export function toJobError(error: unknown): JobError {
    if (error instanceof JobError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new JobError(ExitCode.Internal, `unexpected internal error: ${message}`, {}, { cause: error });
}

export function errorMessage(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
