import { Transform, type TransformCallback } from "node:stream";

/**
 * Passes everything through but the last `keep` bytes, which stay here (bounded memory) until
 * released: the consumer never sees the end of the stream unless someone decides it should. `keep`
 * may also be asked anew for each chunk, given the stream's length so far. With `releaseAtEnd`,
 * asked once the writer has ended: true passes the held tail on before the end, false ends the
 * stream without it.
 */
export class TailHolder extends Transform {
    /** The held bytes, in order: chunks (or their ends) as they came, never copied. */
    private held: Buffer[] = [];
    private heldBytes = 0;
    private length = 0;

    constructor(
        private readonly keep: number | ((length: number) => number),
        private readonly releaseAtEnd: () => boolean = () => false,
    ) {
        super({ highWaterMark: 1024 * 1024 });
    }

    /** The held-back end of the stream; complete once the writer has ended. */
    get tail(): Buffer {
        return Buffer.concat(this.held);
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
        this.length += chunk.length;
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        let release = this.heldBytes - (typeof this.keep === "number" ? this.keep : this.keep(this.length));
        while (release > 0) {
            const first = this.held[0]!;
            const n = Math.min(first.length, release);
            this.push(n === first.length ? first : first.subarray(0, n));
            if (n === first.length) this.held.shift();
            else this.held[0] = first.subarray(n);
            this.heldBytes -= n;
            release -= n;
        }
        callback();
    }

    override _flush(callback: TransformCallback): void {
        callback(null, this.releaseAtEnd() ? this.tail : undefined);
    }
}
