// The restore's one-loop read of the dump: what reaches zstd, what is held back and what is hashed,
// whatever the read sizes, with read buffers reused, a consumer that stalls or fails, and a stop.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { DumpFeed } from "../../src/storage/dump-feed.js";
import type { DumpSource } from "../../src/storage/storage.js";
import { ZSTD_MAX_BLOCK_BYTES } from "../../src/storage/zstd-frames.js";
import { copyingSink, readerOf } from "../support/dump-feed.js";

const MiB = 1024 * 1024;

function compress(content: Buffer): Buffer {
    return spawnSync("zstd", ["-3", "-c", "-q"], { input: content, maxBuffer: 64 * MiB }).stdout;
}

/** Deterministic bytes that do not compress: zstd stores them in raw blocks of 128 KiB. */
function incompressible(bytes: number): Buffer {
    const out = Buffer.alloc(bytes);
    for (let at = 0, i = 0; at < bytes; at += 32, i++) createHash("sha256").update(String(i)).digest().copy(out, at);
    return out;
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Where each block header of a single-frame zstd stream starts (RFC 8878: frame header, then 3-byte block headers). */
function blockHeaders(compressed: Buffer): number[] {
    const descriptor = compressed[4]!;
    const singleSegment = (descriptor & 0x20) !== 0;
    const sizeFlag = descriptor >> 6;
    const contentSizeBytes = sizeFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][sizeFlag]!;
    const headers: number[] = [];
    for (let at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][descriptor & 3]! + contentSizeBytes; ; ) {
        headers.push(at);
        const value = compressed.readUIntLE(at, 3);
        at += 3 + (((value >> 1) & 3) === 1 ? 1 : value >>> 3);
        if ((value & 1) === 1) return headers;
    }
}

function piecesOf(data: Buffer, size: number): Buffer[] {
    return Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size));
}

/** A feed of `compressed` into a sink that copies what it takes; `release` decides about the held end. */
function feedOf(release: boolean, sinkOptions: Parameters<typeof copyingSink>[0] = {}) {
    const sink = copyingSink(sinkOptions);
    const feed = new DumpFeed({ sink: sink.sink, holdEnd: true, release: () => release, failedOnItsOwn: async () => false });
    return { feed, ...sink };
}

// Three raw blocks and a compressed one: a dump whose last content block starts 128 KiB + 3 bytes before its end (minus the checksum).
const content = Buffer.concat([incompressible(3 * ZSTD_MAX_BLOCK_BYTES), Buffer.from("the end of the archive\n".repeat(3000))]);
const compressed = compress(content);
const headers = blockHeaders(compressed);
const lastContentStart = headers.at(-1)!;

describe("DumpFeed: the direct restore's read", () => {
    it("the test dump is what the tests below assume: several blocks, the last one with content", () => {
        expect(headers.length).toBeGreaterThanOrEqual(4);
        expect(compressed.readUIntLE(lastContentStart, 3) >>> 3).toBeGreaterThan(0);
    });

    it("a read ending at every byte around every block header: everything before the last content block is passed on, the rest held", async () => {
        for (const header of headers) {
            for (let split = header - 4; split <= header + 4; split++) {
                const { feed, finished } = feedOf(false);
                await feed.run({ reader: readerOf(compressed, [split, MiB]) });
                const passed = await finished;
                expect(passed.length, `split at ${split}`).toBe(lastContentStart);
                expect(Buffer.concat([passed, feed.heldEnd]).equals(compressed), `split at ${split}`).toBe(true);
                expect(feed.frames.defect).toBeUndefined();
            }
        }
    });

    it("reads into at most three buffers, read into again while the held end spans many reads: the held end is a copy", async () => {
        for (const size of [1000, 4093, ZSTD_MAX_BLOCK_BYTES + 3, MiB]) {
            const reader = readerOf(compressed, [size]);
            const { feed, finished } = feedOf(true);
            await feed.run({ reader });
            expect((await finished).equals(compressed), `reads of ${size}`).toBe(true);
            expect(feed.heldEnd.equals(compressed.subarray(lastContentStart)), `reads of ${size}`).toBe(true);
            expect(reader.buffers.size).toBeLessThanOrEqual(3);
            expect(reader.closed).toBe(true);
            expect([feed.bytes, feed.digest]).toEqual([compressed.length, sha256(compressed)]);
        }
    });

    it("a stream's chunks (S3), not reused: the same bytes passed and held", async () => {
        const { feed, finished } = feedOf(false);
        await feed.run({ stream: Readable.from(piecesOf(compressed, 777)) });
        expect((await finished).length).toBe(lastContentStart);
        expect(feed.heldEnd.equals(compressed.subarray(lastContentStart))).toBe(true);
        expect(feed.digest).toBe(sha256(compressed));
    });

    it("a slow consumer gets every byte in order, and the held end only when released", async () => {
        const slow = feedOf(true, { delay: (write) => (write % 3 === 0 ? 2 : undefined) });
        await slow.feed.run({ reader: readerOf(compressed, [70_000, 3, 200_000]) });
        expect((await slow.finished).equals(compressed)).toBe(true);
    });
});

describe("DumpFeed without a target: the checksum pass", () => {
    it("reads and hashes the whole dump, into one buffer (a file) or chunk by chunk (a stream)", async () => {
        const reader = readerOf(compressed, [MiB, 5]);
        const fromFile = new DumpFeed();
        await fromFile.run({ reader });
        expect([fromFile.bytes, fromFile.digest, reader.buffers.size, reader.closed]).toEqual([compressed.length, sha256(compressed), 1, true]);
        const fromStream = new DumpFeed();
        await fromStream.run({ stream: Readable.from(piecesOf(compressed, 1000)) });
        expect([fromStream.bytes, fromStream.digest]).toEqual([compressed.length, sha256(compressed)]);
    });
});

describe("DumpFeed: backpressure, a failing consumer, a stop", () => {
    const big = incompressible(24 * MiB);

    it("a stalled consumer: the reader stops after its three buffers, and goes on once the consumer does", async () => {
        const reader = readerOf(big, [MiB]);
        const { sink, finished, release } = copyingSink({ stalled: true });
        const feed = new DumpFeed({ sink, holdEnd: false, failedOnItsOwn: async () => false });
        const running = feed.run({ reader });
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(reader.reads).toBe(3);
        release();
        await running;
        expect((await finished).equals(big)).toBe(true);
    });

    it("a stalled consumer of a stream: no more than about 2 MiB is pulled from it", async () => {
        let pulled = 0;
        let at = 0;
        const stream = new Readable({
            highWaterMark: 64 * 1024,
            read() {
                const chunk = big.subarray(at, at + 64 * 1024);
                at += chunk.length;
                pulled += chunk.length;
                this.push(chunk.length > 0 ? chunk : null);
            },
        });
        const { sink, finished, release } = copyingSink({ stalled: true });
        const feed = new DumpFeed({ sink, holdEnd: false, failedOnItsOwn: async () => false });
        const running = feed.run({ stream });
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(pulled).toBeGreaterThanOrEqual(2 * MiB);
        expect(pulled).toBeLessThan(2.5 * MiB);
        release();
        await running;
        expect((await finished).equals(big)).toBe(true);
    });

    // Compressible by half (Huffman-coded literals): compressed blocks, whose content the frame walk does not read.
    const halfEntropy = Buffer.from(big.map((byte) => byte & 0x0f));
    const whole = compress(halfEntropy);
    /** The start of the second block's content overwritten: zstd fails on it ("Data corruption detected"), the frame walk sees whole frames. */
    const damaged = Buffer.from(whole).fill(0xff, blockHeaders(whole)[1]! + 3, blockHeaders(whole)[1]! + 3 + 8);

    /** The direct path's zstd, its output discarded, fed `dump` whole (release: true). */
    async function feedZstd(dump: Buffer, source: (data: Buffer) => DumpSource, kill: boolean) {
        const zstd = spawn("zstd", ["-d", "-c", "-q"], { stdio: ["pipe", "ignore", "ignore"] });
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
            zstd.on("exit", (code, signal) => resolve({ code, signal })),
        );
        if (kill) zstd.kill("SIGKILL");
        const feed = new DumpFeed({
            sink: zstd.stdin,
            holdEnd: true,
            release: () => true,
            failedOnItsOwn: () => exited.then((status) => status.signal === null && status.code !== 0),
        });
        await feed.run(source(dump));
        return { feed, status: await exited };
    }

    it.each([
        ["file", (data: Buffer): DumpSource => ({ reader: readerOf(data, [MiB]) })],
        ["stream", (data: Buffer): DumpSource => ({ stream: Readable.from(piecesOf(data, 256 * 1024)) })],
    ])("zstd failing on its own mid-stream (%s): the rest of the dump is still read and hashed", async (_name, source) => {
        const { feed, status } = await feedZstd(damaged, source, false);
        expect(status).toEqual({ code: 1, signal: null });
        expect(feed.frames.defect).toBeUndefined();
        expect([feed.bytes, feed.digest]).toEqual([damaged.length, sha256(damaged)]);
    });

    it("zstd killed: reading stops, nothing is hashed to the end", async () => {
        const reader = readerOf(whole, [MiB]);
        const { feed, status } = await feedZstd(whole, () => ({ reader }), true);
        expect(status.signal).toBe("SIGKILL");
        expect(feed.digest).toBeUndefined();
        expect(reader.reads).toBeLessThan(whole.length / MiB / 2);
        expect(reader.closed).toBe(true);
    });

    it("a stop while the consumer stalls: run ends at once, without a digest, the reader closed and the sink not ended", async () => {
        const reader = readerOf(big, [MiB]);
        const { sink } = copyingSink({ stalled: true });
        const feed = new DumpFeed({ sink, holdEnd: false, failedOnItsOwn: async () => false });
        const running = feed.run({ reader });
        await new Promise((resolve) => setTimeout(resolve, 50));
        feed.stop();
        await running;
        expect(feed.digest).toBeUndefined();
        expect(reader.closed).toBe(true);
        expect(sink.writableEnded).toBe(false);
    });

    it("a stop of a stream's read destroys the stream", async () => {
        const stream = Readable.from(piecesOf(big, MiB));
        const { sink } = copyingSink({ stalled: true });
        const feed = new DumpFeed({ sink, holdEnd: false, failedOnItsOwn: async () => false });
        const running = feed.run({ stream });
        await new Promise((resolve) => setTimeout(resolve, 50));
        feed.stop();
        await running;
        expect(stream.destroyed).toBe(true);
        expect(feed.digest).toBeUndefined();
    });

    it("a read that fails: run rejects with its error and the reader is closed", async () => {
        const reader = readerOf(big, [MiB]);
        const read = reader.read;
        reader.read = async (into) => {
            if (reader.reads === 5) throw new Error("EIO: i/o error, read");
            return read(into);
        };
        const { sink } = copyingSink();
        const feed = new DumpFeed({ sink, holdEnd: true, release: () => true, failedOnItsOwn: async () => false });
        await expect(feed.run({ reader })).rejects.toThrow("EIO: i/o error, read");
        expect(reader.closed).toBe(true);
        expect(sink.writableEnded).toBe(false);
    });
});
