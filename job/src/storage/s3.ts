import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ExitCode, JobError, errorMessage } from "../errors.js";
import { PartUploadError, uploadStream } from "./multipart.js";
import type { Logger } from "../observability/log.js";
import { serializeManifest, type Manifest } from "./manifest.js";
import { RequestTimeoutError, deadlineReason, requestDeadline, sdkLogger, withDeadline } from "./s3-deadline.js";
import { dumpPath, manifestPath, s3Key } from "./target.js";
import type { DumpSource, DumpStability, Storage, WrittenDump, WriteOptions } from "./storage.js";
import { whenAborted } from "../process/abort.js";

export interface S3Options {
    partSizeBytes: number;
    queueSize: number;
    kmsKeyArn: string | undefined;
    /** The client's region (JobEnvironment.awsRegion). */
    region: string;
    /** Deadline of every request; for GetObject of the response headers, then of each wait for body bytes. */
    requestTimeoutMs: number;
    logger: Logger;
}

/** Encryption headers for PutObject and CreateMultipartUpload (UploadPart carries none). */
export function encryptionParams(kmsKeyArn: string | undefined): { ServerSideEncryption?: "aws:kms"; SSEKMSKeyId?: string } {
    return kmsKeyArn === undefined ? {} : { ServerSideEncryption: "aws:kms", SSEKMSKeyId: kmsKeyArn };
}

function isNotFound(error: unknown): boolean {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}

/** What a person without AWS credentials should set: the SDK's own message only lists where it looked. */
const NO_CREDENTIALS_HINT =
    "no AWS credentials were found: set AWS_PROFILE to a profile of ~/.aws/config (after `aws sso login --profile NAME` for an SSO profile), " +
    "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";

function storageError(message: string, error: unknown, context: Record<string, unknown>): JobError {
    const e = error as { name?: string; code?: string };
    const detail = errorMessage(error) || e?.name || e?.code || "unknown error";
    const hint = e?.name === "CredentialsProviderError" ? `; ${NO_CREDENTIALS_HINT}` : "";
    return new JobError(
        ExitCode.Storage,
        `${message}: ${detail}${hint}`,
        { ...context, ...(error instanceof RequestTimeoutError ? { timedOut: true } : {}) },
        { cause: error },
    );
}

function httpStatus(error: unknown): number | undefined {
    return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** A short random token in each run's dump key: two runs with the same backup id never write the same object. */
export function runToken(): string {
    return randomBytes(4).toString("hex");
}

/** S3 accepts at most this many parts in one multipart upload. */
export const S3_MAX_PARTS = 10_000;

/** The largest object a streamed multipart upload with fixed-size parts can hold. */
export function maxMultipartBytes(partSizeBytes: number): number {
    return partSizeBytes * S3_MAX_PARTS;
}

/**
 * The SDK reads region, credentials and AWS_ENDPOINT_URL_S3 from the environment itself. Request
 * deadlines are the job's own (sendWithDeadline): the SDK's requestTimeout would only log a warning.
 */
export function createS3Client(logger: Logger, region: string): S3Client {
    return new S3Client({
        region,
        maxAttempts: 3,
        requestHandler: { connectionTimeout: 5_000 },
        logger: sdkLogger(logger),
    });
}

/**
 * A GetObject body with a stall deadline: fails when the server sends nothing for idleMs while the
 * reader is waiting for bytes (time the reader spends applying backpressure does not count), and
 * turns a body cut short (a reset, or fewer bytes than Content-Length) into a storage error.
 */
export function guardBody(body: Readable, what: string, expectedBytes: number | undefined, idleMs: number, context: Record<string, unknown>): Readable {
    let bytes = 0;
    let timer: NodeJS.Timeout | undefined;
    const disarm = () => {
        clearTimeout(timer);
        timer = undefined;
    };
    const arm = () => {
        timer ??= setTimeout(() => {
            guarded.destroy(
                new JobError(ExitCode.Storage, `reading ${what} stalled: no bytes for ${idleMs / 1000} s after ${bytes} bytes (--request-timeout)`, {
                    ...context,
                    bytes,
                    timedOut: true,
                }),
            );
        }, idleMs);
    };
    const guarded = new Readable({
        read() {
            arm();
            body.resume();
        },
        destroy(error, callback) {
            disarm();
            body.destroy();
            callback(error);
        },
    });
    body.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        disarm();
        if (guarded.push(chunk)) arm();
        else body.pause();
    });
    body.once("end", () => {
        disarm();
        if (expectedBytes !== undefined && bytes !== expectedBytes) {
            guarded.destroy(
                new JobError(ExitCode.Storage, `reading ${what} failed: the download ended after ${bytes} of ${expectedBytes} bytes`, {
                    ...context,
                    bytes,
                    expectedBytes,
                }),
            );
        } else {
            guarded.push(null);
        }
    });
    body.once("error", (error) => guarded.destroy(storageError(`reading ${what} failed after ${bytes} bytes`, error, { ...context, bytes })));
    body.pause();
    return guarded;
}

function alreadyWritten(id: string, display: string): string {
    return (
        `backup "${id}" already exists in ${display}: another run with the same --name started in the same second and wrote it first; this run's dump is ` +
        `not listed (pass another --name or run again)`
    );
}

/** Reads a small body whole; rejects as soon as `signal` aborts (the body's socket is then destroyed). */
async function readWithin(body: Readable, signal: AbortSignal): Promise<string> {
    const chunks: Buffer[] = [];
    const onAbort = () => body.destroy(signal.reason as Error);
    const stopWatching = whenAborted(signal, onAbort);
    try {
        for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
    } finally {
        stopWatching();
    }
    return Buffer.concat(chunks).toString("utf8");
}

/** s3:// target: a streamed multipart upload (bounded memory: partSize x (queueSize + 1)), aborted on any failure. */
export class S3Storage implements Storage {
    readonly display: string;
    readonly maxDumpBytes: number;
    private readonly client: S3Client;

    constructor(
        private readonly bucket: string,
        private readonly prefix: string,
        private readonly options: S3Options,
    ) {
        this.display = `s3://${bucket}${prefix ? `/${prefix}` : ""}`;
        this.maxDumpBytes = maxMultipartBytes(options.partSizeBytes);
        this.client = createS3Client(options.logger, options.region);
    }

    private bounded<Output>(what: string, send: (abortSignal: AbortSignal) => Promise<Output>): Promise<Output> {
        return withDeadline(what, this.options.requestTimeoutMs, send);
    }

    private key(relative: string): string {
        return s3Key({ prefix: this.prefix }, relative);
    }

    private ctx(extra: Record<string, unknown> = {}): Record<string, unknown> {
        return { target: this.display, ...extra };
    }

    async check(): Promise<void> {
        try {
            const head = new HeadBucketCommand({ Bucket: this.bucket });
            await this.bounded(`S3 HeadBucket of ${this.bucket}`, (abortSignal) => this.client.send(head, { abortSignal }));
        } catch (error) {
            // HeadBucket answers have no body, so the SDK can only call them "UnknownError".
            const status = httpStatus(error);
            if (status === 404)
                throw new JobError(ExitCode.Storage, `S3 bucket "${this.bucket}" does not exist (HeadBucket answered 404)`, this.ctx({ bucket: this.bucket }));
            if (status === 403) {
                throw new JobError(
                    ExitCode.Storage,
                    `access to S3 bucket "${this.bucket}" is denied (HeadBucket answered 403): check the task role's s3:ListBucket permission`,
                    this.ctx({ bucket: this.bucket }),
                );
            }
            throw storageError(`S3 bucket ${this.bucket} is not reachable`, error, this.ctx());
        }
    }

    async writeDump(id: string, body: Readable, options: WriteOptions): Promise<WrittenDump> {
        const relative = dumpPath(id, runToken());
        const key = this.key(relative);
        try {
            const versionId = await uploadStream(
                body,
                {
                    client: this.client,
                    bucket: this.bucket,
                    key,
                    objectParams: { ContentType: "application/zstd", ...encryptionParams(this.options.kmsKeyArn) },
                    logger: this.options.logger,
                },
                { partSizeBytes: this.options.partSizeBytes, queueSize: this.options.queueSize, requestTimeoutMs: this.options.requestTimeoutMs },
                options.signal,
            );
            return versionId === undefined ? { dump: relative } : { dump: relative, versionId };
        } catch (error) {
            if (options.signal.aborted) throw options.signal.reason ?? error;
            if (error instanceof JobError) throw error;
            if (error instanceof PartUploadError)
                throw storageError(`uploading a part of s3://${this.bucket}/${key} failed`, error.cause, this.ctx({ part: error.partNumber }));
            throw storageError(`uploading s3://${this.bucket}/${key} failed`, error, this.ctx());
        }
    }

    /**
     * Only the first run to write a backup id's manifest wins: If-None-Match: * makes S3 refuse to
     * replace an existing manifest (412). S3-compatible servers that ignore the header (s3rver 3.7.1
     * does) are covered by the HeadObject just before, which leaves a window of one request.
     */
    async putManifest(manifest: Manifest): Promise<void> {
        const key = this.key(manifestPath(manifest.id));
        const taken = () => new JobError(ExitCode.Storage, alreadyWritten(manifest.id, this.display), this.ctx({ id: manifest.id, dump: manifest.dump }));
        if (await this.manifestExists(manifest.id)) throw taken();
        try {
            const put = new PutObjectCommand({
                Bucket: this.bucket,
                Key: key,
                Body: serializeManifest(manifest),
                ContentType: "application/json",
                IfNoneMatch: "*",
                ...encryptionParams(this.options.kmsKeyArn),
            });
            await this.bounded(`S3 PutObject of s3://${this.bucket}/${key}`, (abortSignal) => this.client.send(put, { abortSignal }));
        } catch (error) {
            // 409: a concurrent conditional write to the same key is still in progress.
            if (httpStatus(error) === 412 || httpStatus(error) === 409) throw taken();
            throw storageError(`writing manifest s3://${this.bucket}/${key} failed`, error, this.ctx());
        }
    }

    async manifestExists(id: string): Promise<boolean> {
        const key = this.key(manifestPath(id));
        try {
            const head = new HeadObjectCommand({ Bucket: this.bucket, Key: key });
            await this.bounded(`S3 HeadObject of s3://${this.bucket}/${key}`, (abortSignal) => this.client.send(head, { abortSignal }));
            return true;
        } catch (error) {
            if (isNotFound(error)) return false;
            throw storageError(`checking manifest of ${id} failed`, error, this.ctx());
        }
    }

    locate(relative: string): string {
        return `s3://${this.bucket}/${this.key(relative)}`;
    }

    async readObject(relative: string): Promise<string | undefined> {
        const key = this.key(relative);
        // A manifest is small: one deadline covers the request and its body.
        const deadline = requestDeadline(`S3 GetObject of s3://${this.bucket}/${key}`, this.options.requestTimeoutMs);
        try {
            const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: deadline.signal });
            return await readWithin(res.Body as Readable, deadline.signal);
        } catch (caught) {
            const error = deadlineReason(caught, deadline.signal) ?? (deadline.signal.aborted ? deadline.signal.reason : caught);
            if (isNotFound(error)) return undefined;
            throw storageError(`reading s3://${this.bucket}/${key} failed`, error, this.ctx());
        } finally {
            deadline.clear();
        }
    }

    /**
     * Every key under a prefix, page after page (never assume fewer than 1000). This uses
     * ListObjects (v1) with Marker = the last key seen: AWS returns the same keys in the same order as
     * with v2, and S3-compatible servers that cannot paginate v2 still work (s3rver builds v2
     * continuation tokens with DES, which OpenSSL 3 no longer offers, so any truncated v2 page fails).
     */
    async listNames(sub: string): Promise<string[]> {
        const prefix = `${this.key(sub)}/`;
        const names: string[] = [];
        let marker: string | undefined;
        try {
            for (;;) {
                const command = new ListObjectsCommand({ Bucket: this.bucket, Prefix: prefix, Marker: marker });
                const what = `S3 ListObjects of s3://${this.bucket}/${prefix}${marker === undefined ? "" : ` after ${marker}`}`;
                const page = await this.bounded(what, (abortSignal) => this.client.send(command, { abortSignal }));
                const keys = (page.Contents ?? []).map((obj) => obj.Key).filter((key): key is string => key !== undefined);
                for (const key of keys) names.push(key.slice(prefix.length));
                if (!page.IsTruncated || keys.length === 0) break;
                marker = keys[keys.length - 1];
            }
        } catch (error) {
            throw storageError(`listing s3://${this.bucket}/${prefix} failed`, error, this.ctx());
        }
        return names;
    }

    /**
     * An object version never changes (a PUT to the same key makes a new version): a dump whose
     * manifest names its version is read as exactly that version by openDump. S3 answers a bucket
     * whose versioning is suspended with version "null", which the next PUT of the key replaces.
     */
    async dumpStability(manifest: Manifest): Promise<DumpStability> {
        const version = manifest.dumpVersionId;
        if (version === undefined) {
            return {
                fixed: false,
                reason: "the manifest pins no S3 version of the dump (written to a bucket without versioning, or by an older job)",
            };
        }
        if (version === "null") return { fixed: false, reason: 'the manifest pins S3 version "null", which the next upload to the same key replaces' };
        return { fixed: true, reason: `the dump is pinned to S3 version ${version}, which no upload can change` };
    }

    async openDump(manifest: Manifest): Promise<DumpSource> {
        const key = this.key(manifest.dump);
        const version = manifest.dumpVersionId;
        const where = `s3://${this.bucket}/${key}${version === undefined ? "" : ` (version ${version})`}`;
        try {
            const get = new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(version === undefined ? {} : { VersionId: version }) });
            const res = await this.bounded(`S3 GetObject of ${where}`, (abortSignal) => this.client.send(get, { abortSignal }));
            return {
                stream: guardBody(res.Body as Readable, where, res.ContentLength, this.options.requestTimeoutMs, this.ctx({ backup: manifest.id })),
            };
        } catch (error) {
            if (isNotFound(error)) {
                throw new JobError(ExitCode.Storage, `dump ${where} of backup "${manifest.id}" is missing`, this.ctx({ backup: manifest.id }));
            }
            throw storageError(`reading ${where} failed`, error, this.ctx());
        }
    }
}
