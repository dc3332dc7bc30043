import type { Readable } from "node:stream";
import {
    AbortMultipartUploadCommand,
    CompleteMultipartUploadCommand,
    CreateMultipartUploadCommand,
    PutObjectCommand,
    UploadPartCommand,
    type CompletedPart,
    type S3Client,
} from "@aws-sdk/client-s3";
import type { Logger } from "../observability/log.js";
import { deadlineReason, requestDeadline, withDeadline } from "./s3-deadline.js";
import { whenAborted } from "../process/abort.js";

export interface StreamUploadTarget {
    client: S3Client;
    bucket: string;
    key: string;
    /** Headers of the object itself (content type, encryption), sent with PutObject or CreateMultipartUpload. */
    objectParams: { ContentType: string; ServerSideEncryption?: "aws:kms"; SSEKMSKeyId?: string };
    /** Told when the upload could not be aborted (its parts stay billed until the lifecycle rule removes them). */
    logger: Pick<Logger, "warn">;
}

export interface StreamUploadLimits {
    /** Every part but the last is exactly this long. */
    partSizeBytes: number;
    /** Parts in flight at once. */
    queueSize: number;
    /** Deadline of each request (a part, create, complete, abort, PutObject). */
    requestTimeoutMs: number;
    /** After `signal` aborts, how long parts in flight may still finish before they are cancelled. */
    drainMs?: number;
}

/**
 * After SIGTERM the whole cleanup must fit the ECS stop timeout (the CLI gives itself 20 s): parts
 * in flight get this long to finish, then they are cancelled so the upload can still be aborted.
 */
export const PART_DRAIN_MS = 5_000;

/** AbortMultipartUpload is bounded too: a hung request must not keep a stopping task alive. */
const ABORT_REQUEST_TIMEOUT_MS = 10_000;

/** An UploadPart that failed after the SDK's own retries; the stream was stopped because of it. */
export class PartUploadError extends Error {
    constructor(
        readonly partNumber: number,
        override readonly cause: unknown,
    ) {
        super(`part ${partNumber} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
        this.name = "PartUploadError";
    }
}

/**
 * Parts are sent without a SHA-256 of their body in the signature (UNSIGNED-PAYLOAD): hashing every
 * part a second time cost as much CPU as the dump's own sha256. Each part still carries a CRC32
 * checksum header, which is signed and which S3 verifies against the body before accepting the part,
 * and the whole dump's sha256 goes into the manifest; AWS's own transfer clients send parts this way.
 */
function sendUnsignedPayload(command: UploadPartCommand): UploadPartCommand {
    command.middlewareStack.add(
        (next) => async (args) => {
            const request = args.request as { headers?: Record<string, string> };
            if (request.headers) request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
            return next(args);
        },
        { step: "build", name: "backupUnsignedPayload" },
    );
    return command;
}

/**
 * Streams `body` into one S3 object in a single pass, with bounded memory.
 *
 * Bytes are copied into a small pool of part buffers (queueSize in flight + 1 filling) that are
 * reused for the whole upload: no per-part allocation, so memory stays flat and the process does
 * not pay page faults and garbage collection for every part (lib-storage concatenated a fresh
 * buffer per part, which was a quarter of this process's CPU in a backup).
 *
 * All or nothing: a body error, a failed part (after the SDK's retries) or `signal` stops reading,
 * waits for the parts in flight (after `signal`, at most drainMs), aborts the multipart upload and
 * rejects; the object only exists once CompleteMultipartUpload (or, for a body smaller than one
 * part, PutObject) succeeded.
 * A failed part destroys `body` with a PartUploadError, so its producer is stopped at once.
 *
 * Resolves with the version id S3 gave the object (x-amz-version-id of the PutObject or
 * CompleteMultipartUpload answer): present when the bucket is versioned, undefined otherwise.
 */
export async function uploadStream(body: Readable, target: StreamUploadTarget, limits: StreamUploadLimits, signal: AbortSignal): Promise<string | undefined> {
    const { client, bucket, key } = target;
    const { partSizeBytes, queueSize, requestTimeoutMs, drainMs = PART_DRAIN_MS } = limits;
    const where = `s3://${bucket}/${key}`;
    const free: Buffer[] = [];
    const inFlight = new Set<Promise<void>>();
    const completed: CompletedPart[] = [];
    let uploadId: string | undefined;
    let partNumber = 0;
    let storedBytes = 0;
    let current: Buffer | undefined;
    let filled = 0;
    let partFailure: PartUploadError | undefined;

    /** Why the upload must not go on, if it must not: checked before every request that adds to the object. */
    const stopReason = (): unknown => (signal.aborted ? (signal.reason ?? new Error("upload aborted")) : undefined) ?? partFailure ?? body.errored ?? undefined;
    const throwIfStopped = () => {
        const reason = stopReason();
        if (reason !== undefined) throw reason;
    };

    // Cancelling a part request is a last resort: a part cancelled on the client may still land on
    // the server after AbortMultipartUpload (AWS then asks for another abort; the bucket's
    // abort-incomplete-uploads rule removes what is left), so parts in flight first get drainMs.
    const cancelParts = new AbortController();
    let drainTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
        // Failing the body stops reading at once and, through it, whatever produces the stream.
        if (!body.destroyed) body.destroy(stopReason() as Error);
        drainTimer = setTimeout(() => cancelParts.abort(signal.reason), drainMs);
    };
    const stopWatching = whenAborted(signal, onAbort);

    const startPart = async (buffer: Buffer, length: number) => {
        while (inFlight.size >= queueSize) await Promise.race(inFlight);
        throwIfStopped();
        if (uploadId === undefined) {
            const create = new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...target.objectParams, ChecksumAlgorithm: "CRC32" });
            const created = await withDeadline(`S3 CreateMultipartUpload of ${where}`, requestTimeoutMs, (abortSignal) => client.send(create, { abortSignal }));
            uploadId = created.UploadId;
        }
        const number = ++partNumber;
        const command = sendUnsignedPayload(
            new UploadPartCommand({
                Bucket: bucket,
                Key: key,
                UploadId: uploadId,
                PartNumber: number,
                Body: buffer.subarray(0, length),
                ChecksumAlgorithm: "CRC32",
            }),
        );
        const deadline = requestDeadline(`S3 UploadPart ${number} of ${where}`, requestTimeoutMs, cancelParts.signal);
        const sent: Promise<void> = client
            .send(command, { abortSignal: deadline.signal })
            .then((result) => {
                if (!result.ETag) throw new Error("the response has no ETag");
                completed.push({ PartNumber: number, ETag: result.ETag, ...(result.ChecksumCRC32 ? { ChecksumCRC32: result.ChecksumCRC32 } : {}) });
                storedBytes += length;
                free.push(buffer);
            })
            .catch((caught: unknown) => {
                const error = deadlineReason(caught, deadline.signal) ?? caught;
                // A part cancelled because the upload was aborted did not fail: the abort is the reason.
                if (!signal.aborted) partFailure ??= new PartUploadError(number, error);
                if (!body.destroyed) body.destroy(stopReason() as Error);
            });
        const tracked = sent.finally(() => {
            deadline.clear();
            inFlight.delete(tracked);
        });
        inFlight.add(tracked);
    };

    const settle = async () => {
        while (inFlight.size > 0) await Promise.all(inFlight);
    };

    try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
            for (let offset = 0; offset < chunk.length; ) {
                current ??= free.pop() ?? Buffer.allocUnsafeSlow(partSizeBytes);
                const copied = chunk.copy(current, filled, offset, offset + Math.min(chunk.length - offset, partSizeBytes - filled));
                filled += copied;
                offset += copied;
                if (filled === partSizeBytes) {
                    const full = current;
                    current = undefined;
                    filled = 0;
                    await startPart(full, partSizeBytes);
                }
            }
        }
        throwIfStopped();
        if (partNumber === 0) {
            const small = new PutObjectCommand({ Bucket: bucket, Key: key, ...target.objectParams, Body: current?.subarray(0, filled) ?? Buffer.alloc(0) });
            return (await withDeadline(`S3 PutObject of ${where}`, requestTimeoutMs, (abortSignal) => client.send(small, { abortSignal }))).VersionId;
        }
        if (filled > 0) await startPart(current!, filled);
        await settle();
        throwIfStopped();
        if (completed.length !== partNumber) throw new Error(`${completed.length} of ${partNumber} parts were stored`);
        completed.sort((a, b) => a.PartNumber! - b.PartNumber!);
        const complete = new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: completed } });
        const answer = await withDeadline(`S3 CompleteMultipartUpload of ${where}`, requestTimeoutMs, (abortSignal) => client.send(complete, { abortSignal }));
        return answer.VersionId;
    } catch (error) {
        if (!body.destroyed) body.destroy();
        await settle();
        if (uploadId !== undefined) {
            const abort = new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId });
            const abortMs = Math.min(ABORT_REQUEST_TIMEOUT_MS, requestTimeoutMs);
            await withDeadline(`S3 AbortMultipartUpload of ${where}`, abortMs, (abortSignal) => client.send(abort, { abortSignal })).catch(
                (abortError: unknown) => {
                    target.logger.warn(
                        "could not abort the multipart upload: its parts stay stored (and billed) until the bucket's abort-incomplete-uploads lifecycle rule " +
                            "removes them",
                        {
                            target: where,
                            uploadId,
                            partsStored: completed.length,
                            bytesLeft: storedBytes,
                            error: abortError instanceof Error ? abortError.message : String(abortError),
                        },
                    );
                },
            );
        }
        throw error;
    } finally {
        clearTimeout(drainTimer);
        stopWatching();
    }
}
