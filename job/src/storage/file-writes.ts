/** What the writes below need of an open file: a FileHandle, or a test's stand-in. */
export interface WritableFile {
    writev(buffers: Buffer[]): Promise<{ bytesWritten: number }>;
    datasync(): Promise<void>;
}

/**
 * Writes the stream in batches of at least WRITE_BATCH_BYTES (one writev each) instead of one write per
 * chunk as it arrives (64 KiB from a pipe): a thousand fewer round trips through the thread pool per
 * 100 MiB of dump. Every SYNC_EVERY_BYTES it starts a datasync in the background, so that the disk
 * writes overlap the dump and the final sync has only the last part left to wait for; a failure of one
 * of them fails the write (Linux reports a writeback error to one sync call only).
 */
export async function writeCoalesced(handle: WritableFile, body: AsyncIterable<Buffer>): Promise<void> {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let unsynced = 0;
    let syncing: Promise<void> | undefined;
    let syncFailure: { error: unknown } | undefined;
    const flush = async () => {
        if (syncFailure !== undefined) throw syncFailure.error;
        await writeAll(handle, batch);
        unsynced += batchBytes;
        batch = [];
        batchBytes = 0;
        if (unsynced < SYNC_EVERY_BYTES || syncing !== undefined) return;
        unsynced = 0;
        syncing = handle.datasync().then(
            () => {
                syncing = undefined;
            },
            (error: unknown) => {
                syncFailure ??= { error };
                syncing = undefined;
            },
        );
    };
    try {
        for await (const chunk of body) {
            batch.push(chunk);
            batchBytes += chunk.length;
            if (batchBytes >= WRITE_BATCH_BYTES) await flush();
        }
        if (batchBytes > 0) await flush();
    } finally {
        await syncing;
    }
    if (syncFailure !== undefined) throw syncFailure.error;
}

export const WRITE_BATCH_BYTES = 1024 * 1024;
export const SYNC_EVERY_BYTES = 16 * 1024 * 1024;

/** writev may write less than asked (a full disk, a signal): the rest is written until all is. */
export async function writeAll(handle: WritableFile, buffers: Buffer[]): Promise<void> {
    let rest = buffers;
    while (rest.length > 0) {
        const total = rest.reduce((n, b) => n + b.length, 0);
        const { bytesWritten } = await handle.writev(rest);
        if (bytesWritten === total) return;
        // No progress and no error is not a condition a regular file reports; never spin on it.
        if (bytesWritten <= 0) throw new Error(`writev wrote ${bytesWritten} of ${total} bytes`);
        let skip = bytesWritten;
        const next: Buffer[] = [];
        for (const b of rest) {
            if (skip >= b.length) skip -= b.length;
            else {
                next.push(skip > 0 ? b.subarray(skip) : b);
                skip = 0;
            }
        }
        rest = next;
    }
}
