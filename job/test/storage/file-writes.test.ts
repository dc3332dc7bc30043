import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SYNC_EVERY_BYTES, WRITE_BATCH_BYTES, type WritableFile, writeAll, writeCoalesced } from "../../src/storage/file-writes.js";

/** A file in memory whose writev writes at most `limit` bytes per call, as a real one may. */
function memoryFile(limit = Number.POSITIVE_INFINITY, datasync: () => Promise<void> = async () => undefined) {
    const written: Buffer[] = [];
    const calls = { writev: 0, datasync: 0 };
    const file: WritableFile = {
        async writev(buffers: Buffer[]) {
            calls.writev += 1;
            let room = limit;
            for (const b of buffers) {
                const n = Math.min(room, b.length);
                written.push(Buffer.from(b.subarray(0, n)));
                room -= n;
                if (room === 0) break;
            }
            return {
                bytesWritten: Math.min(
                    limit,
                    buffers.reduce((n, b) => n + b.length, 0),
                ),
            };
        },
        async datasync() {
            calls.datasync += 1;
            await datasync();
        },
    };
    return { file, calls, content: () => Buffer.concat(written) };
}

async function* chunksOf(data: Buffer, size: number): AsyncGenerator<Buffer> {
    for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

describe("writeAll", () => {
    it("writes every byte, in order, when writev writes only part of what it is given", async () => {
        const buffers = [randomBytes(3000), randomBytes(1), randomBytes(4500)];
        const { file, calls, content } = memoryFile(1000);
        await writeAll(file, buffers);
        expect(content().equals(Buffer.concat(buffers))).toBe(true);
        expect(calls.writev).toBe(8);
    });

    it("fails instead of spinning when writev makes no progress", async () => {
        const { file } = memoryFile(0);
        await expect(writeAll(file, [Buffer.from("x")])).rejects.toThrow("writev wrote 0 of 1 bytes");
    });
});

describe("writeCoalesced", () => {
    it("writes a pipe's 64 KiB chunks in batches of at least 1 MiB, content unchanged", async () => {
        const data = randomBytes(4 * WRITE_BATCH_BYTES + 12_345);
        const { file, calls, content } = memoryFile();
        await writeCoalesced(file, chunksOf(data, 64 * 1024));
        expect(content().equals(data)).toBe(true);
        expect(calls.writev).toBe(5);
    });

    it("starts a datasync every 16 MiB while writing", async () => {
        const data = Buffer.alloc(2 * SYNC_EVERY_BYTES + WRITE_BATCH_BYTES, 7);
        const { file, calls } = memoryFile();
        await writeCoalesced(file, chunksOf(data, WRITE_BATCH_BYTES));
        expect(calls.datasync).toBe(2);
    });

    it("fails when a background datasync failed, though every write after it succeeded (Linux reports a writeback error once)", async () => {
        const data = Buffer.alloc(SYNC_EVERY_BYTES + WRITE_BATCH_BYTES, 1);
        const { file } = memoryFile(Number.POSITIVE_INFINITY, async () => {
            throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
        });
        await expect(writeCoalesced(file, chunksOf(data, WRITE_BATCH_BYTES))).rejects.toThrow("EIO: i/o error, fdatasync");
    });

    it("waits for a datasync still running before it returns", async () => {
        let finish = () => {};
        let finished = false;
        const { file } = memoryFile(
            Number.POSITIVE_INFINITY,
            () =>
                new Promise<void>((resolve) => {
                    finish = () => {
                        finished = true;
                        resolve();
                    };
                }),
        );
        const writing = writeCoalesced(file, chunksOf(Buffer.alloc(SYNC_EVERY_BYTES), WRITE_BATCH_BYTES));
        let returned = false;
        void writing.then(() => (returned = true));
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(returned).toBe(false);
        finish();
        await writing;
        expect(finished).toBe(true);
    });
});
