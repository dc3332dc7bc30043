// Hashes a dump file while zstd is still writing it (file:// backups, where zstd's stdout is the file).
import { createHash } from "node:crypto";
import fs from "node:fs/promises";

const READ_BYTES = 1024 * 1024;
/**
 * How long to wait before reading again once the reader has caught up with the writer: zstd -3 writes
 * about 1 MiB in that time on the benchmark's machine, so a read rarely returns less.
 */
const CAUGHT_UP_WAIT_MS = 20;

export interface FileDigest {
    bytes: number;
    sha256: string;
}

/**
 * Reads `path` from its start as another process appends to it, and to its end once `writerExited`
 * has resolved: every byte the writer wrote is in the file by the time it exits (its write(2) calls
 * returned), so a read that starts after that and finds nothing more is at the end. One reused
 * buffer; `bytes` is the count so far (progress), `afterRead` runs after each read with its size.
 * The file's size at the end must be what was read (a file truncated or rewritten under the reader is
 * an error, not a digest of something else). A stop (signal) ends it with the signal's reason.
 */
export class GrowingFileHasher {
    bytes = 0;

    constructor(
        private readonly path: string,
        private readonly writerExited: Promise<unknown>,
        private readonly signal: AbortSignal,
        private readonly afterRead: (bytes: number) => void = () => undefined,
    ) {}

    async digest(): Promise<FileDigest> {
        let writerDone = false;
        void this.writerExited.then(() => (writerDone = true));
        const hash = createHash("sha256");
        const buffer = Buffer.allocUnsafe(READ_BYTES);
        const handle = await fs.open(this.path, "r");
        try {
            for (;;) {
                this.signal.throwIfAborted();
                // Read before looking: only a read that started after the writer exited may end the loop.
                const atEndIfEmpty = writerDone;
                const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.bytes);
                if (bytesRead > 0) {
                    hash.update(buffer.subarray(0, bytesRead));
                    this.bytes += bytesRead;
                    this.afterRead(bytesRead);
                }
                if (bytesRead === 0 && atEndIfEmpty) break;
                // Caught up (a short read): let the writer get ahead, so that reads stay large and few.
                if (bytesRead < buffer.length && !writerDone) {
                    await Promise.race([this.writerExited, new Promise((resolve) => setTimeout(resolve, CAUGHT_UP_WAIT_MS))]);
                }
            }
            const { size } = await handle.stat();
            if (size !== this.bytes) throw new Error(`${this.path} is ${size} bytes after ${this.bytes} were read: it changed under the reader`);
        } finally {
            await handle.close();
        }
        return { bytes: this.bytes, sha256: hash.digest("hex") };
    }
}
