export interface BackoffOptions {
    /** Total attempts, including the first. */
    attempts: number;
    baseMs: number;
    maxMs: number;
}

/** Delay before retry number `retry` (1-based): base * 2^(retry-1), capped. */
export function backoffDelay(retry: number, options: Pick<BackoffOptions, "baseMs" | "maxMs">): number {
    return Math.min(options.maxMs, options.baseMs * 2 ** (retry - 1));
}

export interface RetryHooks {
    isRetryable(error: unknown): boolean;
    onRetry?(error: unknown, attempt: number, delayMs: number): void;
    signal?: AbortSignal;
    sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: BackoffOptions, hooks: RetryHooks): Promise<T> {
    const sleep = hooks.sleep ?? defaultSleep;
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn(attempt);
        } catch (error) {
            if (attempt >= options.attempts || !hooks.isRetryable(error) || hooks.signal?.aborted) throw error;
            const delay = backoffDelay(attempt, options);
            hooks.onRetry?.(error, attempt, delay);
            await sleep(delay, hooks.signal);
        }
    }
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
        }
        signal?.addEventListener("abort", done, { once: true });
    });
}
