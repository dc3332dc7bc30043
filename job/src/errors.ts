import { ExitCode, type ExitCodeValue } from "./contract.js";

// The exit codes are part of the contract with the stack (contract.ts); every module of the job takes them from here.
export { ExitCode, type ExitCodeValue };

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
