/**
 * Calls onAbort when the signal aborts, including when it already has: an aborted signal fires no
 * "abort" event any more, so a listener added after the fact would never run (a stop request that came
 * during an await before it would be ignored). Returns what removes the listener.
 */
export function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
    if (signal.aborted) {
        onAbort();
        return () => undefined;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    return () => signal.removeEventListener("abort", onAbort);
}
