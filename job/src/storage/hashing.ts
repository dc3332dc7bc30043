import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/**
 * Passes bytes through while hashing them. Its end is gated: the stream only finishes once `gate`
 * resolves, so a consumer (an S3 upload, a renamed file, pg_restore) never sees a clean end of a
 * stream whose producer failed; a rejected gate turns into a stream error instead.
 */
export class HashingGate extends Transform {
    private readonly hash = createHash("sha256");
    bytes = 0;
    digest: string | undefined;

    /**
     * limit: fail the stream (with limit.error()) as soon as more than limit.maxBytes arrive, before
     * passing the excess on; the upload of a dump too large for its target is stopped with a clear
     * cause instead of failing later inside the storage client.
     */
    constructor(
        private readonly gate: (digest: string, bytes: number) => Promise<void> = async () => undefined,
        private readonly limit?: { maxBytes: number; error: () => Error },
    ) {
        super({ highWaterMark: 1024 * 1024 });
    }

    override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
        this.hash.update(chunk);
        this.bytes += chunk.length;
        if (this.limit !== undefined && this.bytes > this.limit.maxBytes) {
            callback(this.limit.error());
            return;
        }
        callback(null, chunk);
    }

    override _flush(callback: TransformCallback): void {
        this.digest = this.hash.digest("hex");
        this.gate(this.digest, this.bytes).then(
            () => callback(),
            (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
    }
}
