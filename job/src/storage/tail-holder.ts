import { Transform, type TransformCallback } from "node:stream";

/**
 * Passes everything through but the last `keep` bytes, which stay here (bounded memory): the
 * consumer never sees the end of the stream unless someone passes `tail` on.
 */
export class TailHolder extends Transform {
    /** The held bytes, in order: chunks (or their ends) as they came, never copied. */
    private held: Buffer[] = [];
    private heldBytes = 0;

    constructor(private readonly keep: number) {
        super({ highWaterMark: 1024 * 1024 });
    }

    /** The held-back end of the stream; complete once the writer has ended. */
    get tail(): Buffer {
        return Buffer.concat(this.held);
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        let release = this.heldBytes - this.keep;
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
}
