// The structure of a zstd stream (RFC 8878), walked as it passes: frame headers and block headers
// only, never the compressed content (about one block header per 128 KiB of output).

/**
 * RFC 8878 §3.1.1.2: a block holds at most Block_Maximum_Size = min(Window_Size, 128 KiB) bytes of
 * content and, compressed, no more than that either. The bytes that can follow the last block with
 * content are its successor's 3-byte header (an empty last block, as the zstd CLI writes when the
 * input ends on a block boundary) and the 4-byte content checksum.
 */
export const ZSTD_MAX_BLOCK_BYTES = 128 * 1024;

const FRAME_MAGIC = 0xfd2fb528;
/**
 * 0x184D2A50 to 0x184D2A5F: skippable frames (RFC 8878 §3.1.2), content a decoder ignores. The zstd
 * CLI that writes the backups never writes one; refused, they cannot make the hold keep bytes that
 * come after the last content (up to 4 GiB each).
 */
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

type Stage = "magic" | "frameHeader" | "blockHeader" | "skip";

/**
 * Follows the frames that the bytes given to walk() form, chunk after chunk. `defect` says whether
 * the stream is anything but whole zstd frames (every block, the last one flagged, the checksum its
 * frame header announces); walking stops at the end of the first bad header (the stream cannot be
 * decoded beyond it anyway), so that what comes after is never passed on or held in memory.
 * `contentStart` is where the latest block with content begins: the stream's last byte of content
 * is at or after it.
 */
export class ZstdFrameWalk {
    private stage: Stage = "magic";
    /** Header bytes gathered across chunks for the current stage. */
    private header = Buffer.alloc(0);
    private headerSize = 4;
    /** Bytes of block content, checksum or skippable frame still to pass before the next header. */
    private skipping = 0;
    private afterSkip: Stage = "blockHeader";
    private checksumBytes = 0;
    private offset = 0;
    private latestContentStart = 0;
    private frames = 0;
    private problem: string | undefined;

    /** Why the stream is not one whole zstd stream, or undefined when it is. */
    get defect(): string | undefined {
        if (this.problem !== undefined) return this.problem;
        if (this.stage !== "magic" || this.header.length > 0) return `cut inside a zstd frame, at byte ${this.offset}`;
        if (this.frames === 0) return "no zstd frame";
        return undefined;
    }

    get contentStart(): number {
        return this.latestContentStart;
    }

    /** Returns how many bytes of the chunk were walked: all of them, or up to the end of a bad header (none once one was met). */
    walk(chunk: Buffer): number {
        let at = 0;
        while (at < chunk.length && this.problem === undefined) {
            if (this.skipping > 0) {
                const n = Math.min(this.skipping, chunk.length - at);
                this.skipping -= n;
                at += n;
                this.offset += n;
                if (this.skipping === 0) this.stage = this.afterSkip;
                continue;
            }
            const n = Math.min(this.headerSize - this.header.length, chunk.length - at);
            this.header = Buffer.concat([this.header, chunk.subarray(at, at + n)]);
            at += n;
            this.offset += n;
            if (this.header.length === this.headerSize) this.onHeader();
        }
        return at;
    }

    private expect(stage: Stage, size: number): void {
        this.stage = stage;
        this.header = Buffer.alloc(0);
        this.headerSize = size;
    }

    private skip(bytes: number, then: Stage): void {
        this.expect(then, then === "magic" ? 4 : 3);
        this.afterSkip = then;
        this.skipping = bytes;
        if (bytes > 0) this.stage = "skip";
    }

    private onHeader(): void {
        const h = this.header;
        if (this.stage === "magic") {
            const magic = h.readUInt32LE(0);
            if (magic === FRAME_MAGIC) this.expect("frameHeader", 1);
            else if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) this.problem = `a skippable zstd frame at byte ${this.offset - 4}`;
            else this.problem = `no zstd frame magic number at byte ${this.offset - 4}`;
        } else if (this.stage === "frameHeader") {
            const descriptor = h[0]!;
            // The descriptor, read first, says how many header bytes follow it.
            const size = 1 + frameHeaderRest(descriptor);
            if (h.length < size) this.headerSize = size;
            else if ((descriptor & 0x08) !== 0) this.problem = `reserved bit set in a zstd frame header at byte ${this.offset - h.length}`;
            else {
                this.checksumBytes = (descriptor & 0x04) !== 0 ? 4 : 0;
                this.frames += 1;
                this.expect("blockHeader", 3);
            }
        } else if (this.stage === "blockHeader") {
            const value = h[0]! | (h[1]! << 8) | (h[2]! << 16);
            const type = (value >> 1) & 3;
            const size = value >>> 3;
            if (type === 3 || size > ZSTD_MAX_BLOCK_BYTES) {
                this.problem = `invalid zstd block header at byte ${this.offset - 3}`;
                return;
            }
            // RLE: one byte in the stream, `size` bytes of content.
            const stored = type === 1 ? 1 : size;
            if (size > 0) this.latestContentStart = this.offset - 3;
            if ((value & 1) === 1) this.skip(stored + this.checksumBytes, "magic");
            else this.skip(stored, "blockHeader");
        }
    }
}

/** Bytes of a frame header after its descriptor byte: window descriptor, dictionary id, content size. */
function frameHeaderRest(descriptor: number): number {
    const singleSegment = (descriptor & 0x20) !== 0;
    const sizeFlag = descriptor >> 6;
    const dictionaryBytes = [0, 1, 2, 4][descriptor & 3]!;
    const contentSizeBytes = sizeFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][sizeFlag]!;
    return (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes;
}
