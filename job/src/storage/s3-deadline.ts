import type { Logger } from "../observability/log.js";
import { whenAborted } from "../process/abort.js";

/** An S3 request that got no (complete) answer within its deadline; the message names the request. */
export class RequestTimeoutError extends Error {
    constructor(what: string, timeoutMs: number) {
        super(`${what} got no answer within ${timeoutMs / 1000} s (--request-timeout)`);
        this.name = "RequestTimeoutError";
    }
}

/**
 * A timer-based deadline for one request: `signal` aborts with a RequestTimeoutError after
 * timeoutMs, or as soon as `also` aborts. `clear()` stops the timer (e.g. once response headers
 * arrived, so that a long body can still stream).
 */
export function requestDeadline(what: string, timeoutMs: number, also?: AbortSignal): { signal: AbortSignal; clear(): void } {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new RequestTimeoutError(what, timeoutMs)), timeoutMs);
    const stopWatching = also === undefined ? () => undefined : whenAborted(also, () => controller.abort(also.reason));
    return {
        signal: controller.signal,
        clear() {
            clearTimeout(timer);
            stopWatching();
        },
    };
}

/**
 * Runs one request (`send(abortSignal)`, e.g. client.send(command, { abortSignal })) with a
 * whole-request deadline, the SDK's retries included. The SDK's own requestTimeout only logs a
 * warning when a server stops answering; this aborts the request. A request cancelled by its
 * deadline rejects with the RequestTimeoutError itself.
 */
export async function withDeadline<Output>(what: string, timeoutMs: number, send: (abortSignal: AbortSignal) => Promise<Output>): Promise<Output> {
    const deadline = requestDeadline(what, timeoutMs);
    try {
        return await send(deadline.signal);
    } catch (error) {
        throw deadlineReason(error, deadline.signal) ?? error;
    } finally {
        deadline.clear();
    }
}

/** The RequestTimeoutError behind an SDK AbortError, when the deadline is what aborted it. */
export function deadlineReason(error: unknown, signal: AbortSignal): RequestTimeoutError | undefined {
    if (signal.aborted && signal.reason instanceof RequestTimeoutError && (error as { name?: string })?.name === "AbortError") return signal.reason;
    return undefined;
}

/**
 * The SDK writes its warnings (request timeouts, socket capacity) with console.warn as plain text
 * unless the client has a logger: this one turns them into JSON warn lines. The SDK also hands its
 * logger one record object per command (info on success, error on failure) holding the command's
 * input, request bodies included: those are dropped, the job reports every failure itself.
 */
type SdkLogger = Record<"trace" | "debug" | "info" | "warn" | "error", (...args: unknown[]) => void>;

export function sdkLogger(logger: Logger): SdkLogger {
    const text = (args: unknown[]) => args.filter((a): a is string => typeof a === "string").join(" ");
    const emit = (args: unknown[]) => {
        if (text(args) !== "") logger.warn(text(args), { source: "aws-sdk" });
    };
    return { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: (...args) => emit(args), error: (...args) => emit(args) };
}
