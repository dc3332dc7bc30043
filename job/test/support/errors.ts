import { JobError } from "../../src/errors.js";

/** The exit code `fn` fails with (-1 for an error that is no JobError), or undefined when it does not fail. */
export function exitOf(fn: () => unknown): number | undefined {
    try {
        fn();
    } catch (error) {
        return error instanceof JobError ? error.exitCode : -1;
    }
    return undefined;
}

/** The message `fn` fails with, or "" when it does not fail. */
export function messageOf(fn: () => unknown): string {
    try {
        fn();
    } catch (error) {
        return (error as Error).message;
    }
    return "";
}

/** The JobError `fn` fails with; anything else fails the test. */
export function failure(fn: () => unknown): JobError {
    try {
        fn();
    } catch (error) {
        if (error instanceof JobError) return error;
        throw error;
    }
    throw new Error("expected a JobError");
}
