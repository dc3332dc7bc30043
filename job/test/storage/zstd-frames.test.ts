// The direct restore path's hold on the compressed stream, against the real zstd: what the job passes
// on before it releases the tail never decodes to the content's last byte (so pg_restore can never
// read its archive's end, and never reach its COMMIT), for every kind of block zstd writes; a stream
// that is not whole zstd frames is told.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DumpFeed } from "../../src/storage/dump-feed.js";
import { ZSTD_MAX_BLOCK_BYTES, type ZstdFrameWalk } from "../../src/storage/zstd-frames.js";
import { copyingSink, readerOf } from "../support/dump-feed.js";

function zstd(args: string[], input: Buffer): { stdout: Buffer; status: number | null } {
    const result = spawnSync("zstd", [...args, "-c", "-q"], { input, maxBuffer: 64 * 1024 * 1024 });
    return { stdout: result.stdout, status: result.status };
}

/** Deterministic bytes that do not compress: zstd stores them in raw blocks. */
function incompressible(bytes: number): Buffer {
    const out: Buffer[] = [];
    for (let i = 0; out.length * 32 < bytes; i++) out.push(createHash("sha256").update(String(i)).digest());
    return Buffer.concat(out).subarray(0, bytes);
}

const text = Buffer.from(
    Array.from({ length: 40_000 }, (_, i) => `${i}\tguest ${(i * 7919) % 10_007}\t2026-0${(i % 9) + 1}-1${i % 10}\t${"x".repeat(i % 40)}\n`).join(""),
);
/** Each kind of stream zstd writes: compressed blocks, raw blocks, RLE blocks, and content ending on a block boundary (then zstd adds an empty last block). */
const CONTENTS: Record<string, Buffer> = {
    "compressible text": text,
    "incompressible bytes (raw blocks)": incompressible(700_000),
    "one repeated byte (RLE blocks)": Buffer.alloc(600_000, 7),
    "exactly 4 blocks of content": Buffer.concat([text, incompressible(1_000_000)]).subarray(0, 4 * ZSTD_MAX_BLOCK_BYTES),
    "a mix, compressed at level 19": Buffer.concat([incompressible(200_000), text.subarray(0, 300_000), Buffer.alloc(150_000)]),
};

/** Read sizes, some of a byte or two, so that headers straddle reads (and the held end spans many of them). */
const READ_SIZES = [1, 2, 3, 5, 4096, 7, 65_536, 1, 131_075, 13];

/** Runs `compressed` through the walk and the hold of the direct restore's feed, read into its reused buffers. */
async function hold(compressed: Buffer, release: boolean): Promise<{ passed: Buffer; frames: ZstdFrameWalk; holder: { tail: Buffer } }> {
    const { sink, finished } = copyingSink();
    const feed = new DumpFeed({ sink, holdEnd: true, release: () => release, failedOnItsOwn: async () => false });
    await feed.run({ reader: readerOf(compressed, READ_SIZES) });
    return { passed: await finished, frames: feed.frames, holder: { tail: feed.heldEnd } };
}

describe("zstd frames and the held tail (direct restore)", () => {
    for (const [name, content] of Object.entries(CONTENTS)) {
        it(`${name}: the bytes passed before release decode to a strict prefix; released, to everything`, async () => {
            const compressed = zstd(name.includes("level 19") ? ["-19"] : ["-3"], content).stdout;
            const held = await hold(compressed, false);
            expect(held.frames.defect).toBeUndefined();
            // At most one block (and its header), the empty last block and the checksum stay here.
            expect(held.holder.tail.length).toBeLessThanOrEqual(ZSTD_MAX_BLOCK_BYTES + 3 + 3 + 4);
            // Buffers compared with equals(): toEqual walks them byte by byte, slowly.
            expect(Buffer.concat([held.passed, held.holder.tail]).equals(compressed)).toBe(true);
            const partial = zstd(["-d"], held.passed);
            expect(partial.status).not.toBe(0);
            expect(partial.stdout.length).toBeLessThan(content.length);
            expect(content.subarray(0, partial.stdout.length).equals(partial.stdout)).toBe(true);

            const released = await hold(compressed, true);
            expect(released.passed.equals(compressed)).toBe(true);
            const whole = zstd(["-d"], released.passed);
            expect(whole.status).toBe(0);
            expect(whole.stdout.equals(content)).toBe(true);
        });
    }

    it("frames one after the other are whole zstd streams; a skippable frame is refused (the backups never have one)", async () => {
        const first = zstd(["-3"], text.subarray(0, 100_000)).stdout;
        const both = Buffer.concat([first, zstd(["-3", "--no-check"], text.subarray(100_000)).stdout]);
        const { frames, passed, holder } = await hold(both, false);
        expect(frames.defect).toBeUndefined();
        const whole = zstd(["-d"], Buffer.concat([passed, holder.tail]));
        expect(whole.status).toBe(0);
        expect(whole.stdout.equals(text)).toBe(true);
        const skippable = Buffer.concat([Buffer.from([0x5a, 0x2a, 0x4d, 0x18]), Buffer.from([5, 0, 0, 0]), Buffer.from("skip!")]);
        expect((await hold(Buffer.concat([first, skippable]), true)).frames.defect).toBe(`a skippable zstd frame at byte ${first.length}`);
    });

    it("why whole frames are checked: zstd writes all the content of a stream that lacks only its checksum, then fails", async () => {
        const content = incompressible(4 * ZSTD_MAX_BLOCK_BYTES);
        const compressed = zstd(["-3"], content).stdout;
        const cut = compressed.subarray(0, compressed.length - 4);
        const decoded = zstd(["-d"], cut);
        expect(decoded.status).not.toBe(0);
        // pg_restore would have its archive whole, and commit, while zstd fails.
        expect(decoded.stdout.equals(content)).toBe(true);
        expect((await hold(cut, true)).frames.defect).toBe(`cut inside a zstd frame, at byte ${cut.length}`);
    });

    it("a stream cut anywhere inside a frame is a defect (the direct restore then keeps its end back)", async () => {
        const compressed = zstd(["-3"], CONTENTS["exactly 4 blocks of content"]!).stdout;
        for (const cut of [1, 4, 5, 6, 100, 40_000, compressed.length - 8, compressed.length - 4, compressed.length - 1]) {
            const { frames } = await hold(compressed.subarray(0, cut), true);
            expect(frames.defect, `cut at ${cut}`).toBe(`cut inside a zstd frame, at byte ${cut}`);
        }
        expect((await hold(Buffer.alloc(0), true)).frames.defect).toBe("no zstd frame");
    });

    it("bytes that are not zstd: a defect, and nothing after the bad header is passed on or held", async () => {
        const compressed = zstd(["-3"], text).stdout;
        const garbage = Buffer.concat([compressed, Buffer.from("PGDMP not zstd"), incompressible(300_000)]);
        const { frames, passed, holder } = await hold(garbage, false);
        expect(frames.defect).toBe(`no zstd frame magic number at byte ${compressed.length}`);
        // The bad magic number itself, and nothing after it.
        expect(passed.length + holder.tail.length).toBe(compressed.length + 4);
    });
});
