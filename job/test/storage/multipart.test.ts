// The streaming multipart uploader against real s3rver (through the recording proxy): exact part
// boundaries, what each part carries, all-or-nothing on every failure, and a fixed set of buffers.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { PartUploadError, uploadStream, type StreamUploadLimits } from "../../src/storage/multipart.js";
import { startS3, type RecordedRequest, type S3Server } from "../../tools/servers/s3.js";

const BUCKET = "multipart";
const MiB = 1024 * 1024;
const LIMITS: StreamUploadLimits = { partSizeBytes: 5 * MiB, queueSize: 2, requestTimeoutMs: 30_000 };
const warnings: { message: string; context: Record<string, unknown> | undefined }[] = [];
const logger = { warn: (message: string, context?: Record<string, unknown>) => void warnings.push({ message, context }) };
let s3: S3Server;
let client: S3Client;

beforeAll(async () => {
    s3 = await startS3();
    await s3.createBucket(BUCKET);
    client = s3.client();
});

afterEach(() => {
    s3.clearFaults();
    s3.setVersioning(false);
    vi.restoreAllMocks();
    warnings.length = 0;
});

afterAll(async () => {
    await s3?.stop();
});

/** `data` in chunks of odd sizes, so part boundaries fall inside chunks as they do with a pipe. */
function chunked(data: Buffer, chunkBytes = 100 * 1024 + 7): Readable {
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < data.length; offset += chunkBytes) chunks.push(data.subarray(offset, offset + chunkBytes));
    return Readable.from(chunks, { objectMode: false });
}

function upload(key: string, body: Readable, signal = new AbortController().signal, limits: StreamUploadLimits = LIMITS) {
    return uploadStream(body, { client, bucket: BUCKET, key, objectParams: { ContentType: "application/zstd" }, logger }, limits, signal);
}

function requestsFor(key: string, operation?: RecordedRequest["operation"]): RecordedRequest[] {
    return s3.requests.filter((r) => r.key === key && (operation === undefined || r.operation === operation));
}

function crc32Base64(data: Buffer): string {
    const value = Buffer.alloc(4);
    value.writeUInt32BE(crc32(data));
    return value.toString("base64");
}

async function expectNothingStored(key: string): Promise<void> {
    expect(await s3.listKeys(BUCKET, key)).toEqual([]);
    expect(s3.pendingMultipartUploads(BUCKET)).toEqual([]);
    expect(requestsFor(key, "CompleteMultipartUpload")).toEqual([]);
    expect(requestsFor(key, "AbortMultipartUpload").map((r) => r.status)).toEqual([204]);
}

describe("uploadStream", () => {
    it("cuts exact parts across chunk boundaries; each part is CRC32-checked and not hashed twice", async () => {
        const data = randomBytes(12.5 * MiB);
        await upload("exact/dump", chunked(data));

        expect((await s3.getObject(BUCKET, "exact/dump")).equals(data)).toBe(true);
        const parts = requestsFor("exact/dump", "UploadPart").sort((a, b) => a.partNumber! - b.partNumber!);
        expect(parts.map((p) => [p.partNumber, p.contentLength, p.status])).toEqual([
            [1, 5 * MiB, 200],
            [2, 5 * MiB, 200],
            [3, 2.5 * MiB, 200],
        ]);
        const slices = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB, 10 * MiB), data.subarray(10 * MiB)];
        expect(parts.map((p) => p.checksumCrc32)).toEqual(slices.map(crc32Base64));
        expect(parts.map((p) => p.contentSha256)).toEqual(["UNSIGNED-PAYLOAD", "UNSIGNED-PAYLOAD", "UNSIGNED-PAYLOAD"]);
        expect(requestsFor("exact/dump", "CreateMultipartUpload")).toHaveLength(1);
        expect(requestsFor("exact/dump", "CompleteMultipartUpload").map((r) => r.status)).toEqual([200]);
        expect(s3.pendingMultipartUploads(BUCKET)).toEqual([]);
    });

    it("a body of exactly two parts makes two parts, not an empty third", async () => {
        const data = randomBytes(10 * MiB);
        await upload("two/dump", chunked(data, 64 * 1024));
        expect((await s3.getObject(BUCKET, "two/dump")).equals(data)).toBe(true);
        expect(requestsFor("two/dump", "UploadPart").map((p) => p.contentLength)).toEqual([5 * MiB, 5 * MiB]);
    });

    it("a body smaller than one part is one PutObject, no multipart upload", async () => {
        const data = randomBytes(300 * 1024);
        await upload("small/dump", chunked(data));
        expect(requestsFor("small/dump").map((r) => r.operation)).toEqual(["PutObject"]);
        expect((await s3.getObject(BUCKET, "small/dump")).equals(data)).toBe(true);
    });

    it("resolves with the version id a versioned bucket gives the object (CompleteMultipartUpload or PutObject), none without versioning", async () => {
        expect(await upload("unversioned/dump", chunked(randomBytes(300 * 1024)))).toBeUndefined();
        s3.setVersioning(true);
        const multipart = await upload("versioned/multipart", chunked(randomBytes(6 * MiB)));
        const single = await upload("versioned/single", chunked(randomBytes(300 * 1024)));
        expect(requestsFor("versioned/multipart", "CompleteMultipartUpload")).toHaveLength(1);
        expect(requestsFor("versioned/single").map((r) => r.operation)).toEqual(["PutObject"]);
        expect([multipart, single]).toEqual([s3.versionOf(BUCKET, "versioned/multipart"), s3.versionOf(BUCKET, "versioned/single")]);
        expect(multipart).toMatch(/^[\w-]{22}$/);
        expect(single).not.toBe(multipart);
    });

    it("an empty body is stored as an empty object", async () => {
        await upload("empty/dump", Readable.from([]));
        expect((await s3.getObject(BUCKET, "empty/dump")).length).toBe(0);
    });

    it("reuses queueSize + 1 part buffers however long the stream", async () => {
        const allocations = vi.spyOn(Buffer, "allocUnsafeSlow");
        const data = randomBytes(41 * MiB);
        await upload("flat/dump", chunked(data));
        expect((await s3.getObject(BUCKET, "flat/dump")).equals(data)).toBe(true);
        expect(requestsFor("flat/dump", "UploadPart")).toHaveLength(9);
        expect(allocations.mock.calls.filter(([size]) => size === LIMITS.partSizeBytes)).toHaveLength(LIMITS.queueSize + 1);
    });

    it("a failing last part: rejects naming the part, aborts, never completes", async () => {
        s3.failUploadPartsAfter(2);
        const error = await upload("last-part/dump", chunked(randomBytes(12 * MiB))).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(PartUploadError);
        expect((error as PartUploadError).partNumber).toBe(3);
        expect((error as PartUploadError).message).toMatch(/^part 3 failed: /);
        await expectNothingStored("last-part/dump");
    });

    it("a failing part stops the stream feeding it", async () => {
        s3.failUploadPartsAfter(0);
        let produced = 0;
        const endless = new Readable({
            read() {
                produced += 1;
                this.push(randomBytes(64 * 1024));
            },
        });
        await expect(upload("endless/dump", endless)).rejects.toBeInstanceOf(PartUploadError);
        expect(endless.destroyed).toBe(true);
        // One part failed (after the SDK's retries) long before 100 MiB were produced.
        expect(produced * 64 * 1024).toBeLessThan(100 * MiB);
        await expectNothingStored("endless/dump");
    });

    it("a body failing mid-stream: rejects with the body's error, aborts, nothing stored", async () => {
        const failure = new Error("pg_dump died");
        const data = randomBytes(12 * MiB);
        const body = new Readable({ read() {} });
        body.push(data.subarray(0, 11 * MiB));
        setTimeout(() => body.destroy(failure), 200);
        await expect(upload("body-error/dump", body)).rejects.toBe(failure);
        await expectNothingStored("body-error/dump");
    });

    it("an abort after the body ended: the last part is not sent and nothing is completed", async () => {
        const controller = new AbortController();
        s3.setFaults({ uploadPartDelayMs: 300 });
        const data = randomBytes(11 * MiB);
        const body = chunked(data);
        body.once("end", () => setTimeout(() => controller.abort(new Error("SIGTERM")), 50));
        await expect(upload("late-abort/dump", body, controller.signal)).rejects.toThrow("SIGTERM");
        expect(requestsFor("late-abort/dump", "UploadPart").map((r) => r.partNumber)).not.toContain(3);
        await expectNothingStored("late-abort/dump");
    });

    it("an abort while parts hang: they get drainMs, are cancelled, and the upload is still aborted", async () => {
        const held = 2_000;
        s3.setFaults({ uploadPartDelayMs: held });
        const controller = new AbortController();
        const body = chunked(randomBytes(12 * MiB));
        setTimeout(() => controller.abort(new Error("SIGTERM")), 300);
        const started = Date.now();
        await expect(upload("hung/dump", body, controller.signal, { ...LIMITS, drainMs: 200 })).rejects.toThrow("SIGTERM");
        // Cancelled at about 300 + 200 ms, long before the proxy would have answered the parts.
        expect(Date.now() - started).toBeLessThan(held);
        expect(requestsFor("hung/dump", "AbortMultipartUpload").map((r) => r.status)).toEqual([204]);
        expect(requestsFor("hung/dump", "CompleteMultipartUpload")).toEqual([]);
        // Once the held parts would have reached s3rver, nothing of the upload is left.
        await new Promise((resolve) => setTimeout(resolve, held + 500 - (Date.now() - started)));
        expect(requestsFor("hung/dump", "UploadPart").map((r) => r.status)).toEqual([0, 0]);
        expect(s3.pendingMultipartUploads(BUCKET)).toEqual([]);
        expect(await s3.listKeys(BUCKET, "hung/")).toEqual([]);
    });

    it("a server that stops answering a part: the part fails at its deadline, naming it, and the upload is aborted", async () => {
        s3.setFaults({ stall: { operation: "UploadPart", after: 1, mode: "no-read" } });
        const started = Date.now();
        const failure = await upload("stalled/dump", chunked(randomBytes(12 * MiB)), undefined, { ...LIMITS, requestTimeoutMs: 1_000 }).catch(
            (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(PartUploadError);
        expect((failure as PartUploadError).message).toBe(
            "part 2 failed: S3 UploadPart 2 of s3://multipart/stalled/dump got no answer within 1 s (--request-timeout)",
        );
        expect(Date.now() - started).toBeLessThan(5_000);
        await expectNothingStored("stalled/dump");
    });

    it("a server that never answers CompleteMultipartUpload: rejected at the deadline, upload aborted", async () => {
        s3.setFaults({ stall: { operation: "CompleteMultipartUpload", mode: "no-answer" } });
        const started = Date.now();
        await expect(upload("stalled-complete/dump", chunked(randomBytes(6 * MiB)), undefined, { ...LIMITS, requestTimeoutMs: 1_000 })).rejects.toThrow(
            "S3 CompleteMultipartUpload of s3://multipart/stalled-complete/dump got no answer within 1 s (--request-timeout)",
        );
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(requestsFor("stalled-complete/dump", "AbortMultipartUpload").map((r) => r.status)).toEqual([204]);
        expect(s3.pendingMultipartUploads(BUCKET)).toEqual([]);
    });

    it("a failed AbortMultipartUpload is reported with the upload id, key and the bytes left behind", async () => {
        s3.setFaults({ failAbort: true, failUploadPartsAfter: 1 });
        await expect(upload("abort-fails/dump", chunked(randomBytes(12 * MiB)))).rejects.toBeInstanceOf(PartUploadError);
        const uploadId = requestsFor("abort-fails/dump", "AbortMultipartUpload")[0]?.uploadId;
        expect(uploadId).toMatch(/^[0-9a-f]+$/);
        expect(warnings).toEqual([
            {
                message: expect.stringMatching(
                    /^could not abort the multipart upload: its parts stay stored \(and billed\) until the bucket's abort-incomplete-uploads lifecycle rule/,
                ),
                context: { target: "s3://multipart/abort-fails/dump", uploadId, partsStored: 1, bytesLeft: 5 * MiB, error: expect.any(String) },
            },
        ]);
        s3.clearFaults();
    });
});
