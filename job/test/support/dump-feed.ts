// Sources and sinks for DumpFeed's tests: a reader that fills the feed's own (reused) buffers in
// chunks of chosen sizes, and sinks that keep a copy of what they take.
import { Writable } from "node:stream";
import type { DumpReader } from "../../src/storage/storage.js";

export interface TestReader extends DumpReader {
    /** Reads that returned bytes. */
    reads: number;
    /** The distinct buffers the feed read into. */
    buffers: Set<Buffer>;
    closed: boolean;
}

/** Reads `data` into the buffer it is given, `sizes[i]` bytes at most per read, the sizes taken in turn. */
export function readerOf(data: Buffer, sizes: number[]): TestReader {
    let at = 0;
    const reader: TestReader = {
        reads: 0,
        buffers: new Set(),
        closed: false,
        async read(into: Buffer) {
            reader.buffers.add(into);
            const n = Math.min(sizes[reader.reads % sizes.length]!, into.length, data.length - at);
            if (n === 0) return 0;
            data.copy(into, 0, at, at + n);
            at += n;
            reader.reads += 1;
            return n;
        },
        async close() {
            reader.closed = true;
        },
    };
    return reader;
}

/**
 * A sink that copies what it takes (the feed reads into a buffer again once the sink called back).
 * `delay(i)`: milliseconds before the i-th write calls back, undefined for at once; `stalled` holds
 * every callback until release().
 */
export function copyingSink(options: { delay?: (write: number) => number | undefined; stalled?: boolean } = {}): {
    sink: Writable;
    taken: Buffer[];
    finished: Promise<Buffer>;
    release: () => void;
} {
    const taken: Buffer[] = [];
    let held: (() => void)[] | undefined = options.stalled ? [] : undefined;
    const sink = new Writable({
        highWaterMark: 16 * 1024,
        write(chunk: Buffer, _encoding, callback) {
            taken.push(Buffer.from(chunk));
            const ms = options.delay?.(taken.length);
            if (held !== undefined) held.push(callback);
            else if (ms === undefined) callback();
            else setTimeout(callback, ms);
        },
    });
    const finished = new Promise<Buffer>((resolve, reject) => {
        sink.on("finish", () => resolve(Buffer.concat(taken)));
        sink.on("error", reject);
    });
    const release = () => {
        const waiting = held ?? [];
        held = undefined;
        for (const callback of waiting) callback();
    };
    return { sink, taken, finished, release };
}
