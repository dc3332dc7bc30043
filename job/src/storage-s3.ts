import { Readable } from "node:stream";
import {
    DeleteObjectCommand,
    GetObjectCommand,
    HeadBucketCommand,
    HeadObjectCommand,
    ListObjectsCommand,
    PutObjectCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { ExitCode, JobError, errorMessage } from "./errors.js";
import { PartUploadError, uploadStream } from "./multipart.js";
import { isDamaged, parseManifest, serializeManifest, type Manifest } from "./manifest.js";
import { dumpPath, idFromDumpName, idFromManifestName, manifestPath, s3Key } from "./target.js";
import type { ListResult, Storage, WriteOptions } from "./storage.js";

export interface S3Options {
    partSizeBytes: number;
    queueSize: number;
    kmsKeyArn: string | undefined;
}

/** Encryption headers for PutObject and CreateMultipartUpload (UploadPart carries none). */
export function encryptionParams(kmsKeyArn: string | undefined): { ServerSideEncryption?: "aws:kms"; SSEKMSKeyId?: string } {
    return kmsKeyArn === undefined ? {} : { ServerSideEncryption: "aws:kms", SSEKMSKeyId: kmsKeyArn };
}

function isNotFound(error: unknown): boolean {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}

function storageError(message: string, error: unknown, context: Record<string, unknown>): JobError {
    const e = error as { name?: string; code?: string };
    const detail = errorMessage(error) || e?.name || e?.code || "unknown error";
    return new JobError(ExitCode.Storage, `${message}: ${detail}`, context, { cause: error });
}

/** S3 accepts at most this many parts in one multipart upload. */
export const S3_MAX_PARTS = 10_000;

/** The largest object a streamed multipart upload with fixed-size parts can hold. */
export function maxMultipartBytes(partSizeBytes: number): number {
    return partSizeBytes * S3_MAX_PARTS;
}

/** The SDK reads region, credentials and AWS_ENDPOINT_URL_S3 from the environment itself. */
export function createS3Client(): S3Client {
    return new S3Client({
        region: process.env["AWS_REGION"] ?? process.env["AWS_DEFAULT_REGION"] ?? "us-east-1",
        maxAttempts: 3,
        requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
    });
}

/** Manifests are small: fetch several at once so a year of daily backups lists in seconds. */
const MANIFEST_FETCH_CONCURRENCY = 16;

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const index = next++;
            results[index] = await fn(items[index]!);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
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
        this.client = createS3Client();
    }

    private key(relative: string): string {
        return s3Key({ prefix: this.prefix }, relative);
    }

    private ctx(extra: Record<string, unknown> = {}): Record<string, unknown> {
        return { target: this.display, ...extra };
    }

    async check(): Promise<void> {
        try {
            await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
        } catch (error) {
            throw storageError(`S3 bucket ${this.bucket} is not reachable`, error, this.ctx());
        }
    }

    async writeDump(id: string, body: Readable, options: WriteOptions): Promise<void> {
        const key = this.key(dumpPath(id));
        try {
            await uploadStream(
                body,
                { client: this.client, bucket: this.bucket, key, objectParams: { ContentType: "application/zstd", ...encryptionParams(this.options.kmsKeyArn) } },
                { partSizeBytes: this.options.partSizeBytes, queueSize: this.options.queueSize },
                options.signal,
            );
        } catch (error) {
            if (options.signal.aborted) throw options.signal.reason ?? error;
            if (error instanceof JobError) throw error;
            if (error instanceof PartUploadError) throw storageError(`uploading a part of s3://${this.bucket}/${key} failed`, error.cause, this.ctx({ part: error.partNumber }));
            throw storageError(`uploading s3://${this.bucket}/${key} failed`, error, this.ctx());
        }
    }

    async deleteDump(id: string): Promise<void> {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(dumpPath(id)) }));
    }

    async putManifest(manifest: Manifest): Promise<void> {
        const key = this.key(manifestPath(manifest.id));
        try {
            await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: serializeManifest(manifest), ContentType: "application/json", ...encryptionParams(this.options.kmsKeyArn) }));
        } catch (error) {
            throw storageError(`writing manifest s3://${this.bucket}/${key} failed`, error, this.ctx());
        }
    }

    async manifestExists(id: string): Promise<boolean> {
        try {
            await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(manifestPath(id)) }));
            return true;
        } catch (error) {
            if (isNotFound(error)) return false;
            throw storageError(`checking manifest of ${id} failed`, error, this.ctx());
        }
    }

    async getManifest(id: string): Promise<Manifest> {
        const key = this.key(manifestPath(id));
        let text: string;
        try {
            const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
            text = await res.Body!.transformToString("utf8");
        } catch (error) {
            if (isNotFound(error)) {
                throw new JobError(ExitCode.Storage, `backup "${id}" not found in ${this.display} (no ${manifestPath(id)})`, this.ctx({ backup: id, notFound: true }));
            }
            throw storageError(`reading s3://${this.bucket}/${key} failed`, error, this.ctx());
        }
        return parseManifest(text, `s3://${this.bucket}/${key}`, id);
    }

    /**
     * Every key under a prefix, page after page (never assume fewer than 1000). This uses
     * ListObjects (v1) with Marker = the last key seen: AWS returns the same keys in the same order as
     * with v2, and S3-compatible servers that cannot paginate v2 still work (s3rver builds v2
     * continuation tokens with DES, which OpenSSL 3 no longer offers, so any truncated v2 page fails).
     */
    private async listNames(sub: string): Promise<string[]> {
        const prefix = `${this.key(sub)}/`;
        const names: string[] = [];
        let marker: string | undefined;
        try {
            for (;;) {
                const page = await this.client.send(new ListObjectsCommand({ Bucket: this.bucket, Prefix: prefix, Marker: marker }));
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

    async list(): Promise<ListResult> {
        const result: ListResult = { manifests: [], damaged: [], warnings: [] };
        const manifestIds = new Set<string>();
        const ids = (await this.listNames("manifests")).map(idFromManifestName).filter((id): id is string => id !== undefined);
        const outcomes = await mapLimit(ids, MANIFEST_FETCH_CONCURRENCY, async (id) => {
            try {
                return { id, manifest: await this.getManifest(id), error: undefined };
            } catch (error) {
                // An unreachable bucket fails the listing; a manifest deleted meanwhile is skipped, a damaged one reported.
                if (!isDamaged(error) && !(error instanceof JobError && error.context["notFound"] === true)) throw error;
                return { id, manifest: undefined, error };
            }
        });
        for (const outcome of outcomes) {
            if (outcome.manifest !== undefined) {
                result.manifests.push(outcome.manifest);
                manifestIds.add(outcome.id);
            } else if (isDamaged(outcome.error)) {
                result.damaged.push({ id: outcome.id, key: manifestPath(outcome.id), reason: errorMessage(outcome.error) });
            } else {
                result.warnings.push({ message: "ignoring manifest deleted while listing", context: { manifest: manifestPath(outcome.id), error: errorMessage(outcome.error) } });
            }
        }
        for (const name of await this.listNames("dumps")) {
            const id = idFromDumpName(name);
            if (id !== undefined && !manifestIds.has(id)) {
                result.warnings.push({ message: "ignoring dump without manifest (incomplete or failed backup)", context: { dump: dumpPath(id) } });
            }
        }
        return result;
    }

    async openDump(manifest: Manifest): Promise<Readable> {
        const key = this.key(manifest.dump);
        try {
            const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
            return res.Body as Readable;
        } catch (error) {
            if (isNotFound(error)) {
                throw new JobError(ExitCode.Storage, `dump s3://${this.bucket}/${key} of backup "${manifest.id}" is missing`, this.ctx({ backup: manifest.id }));
            }
            throw storageError(`reading s3://${this.bucket}/${key} failed`, error, this.ctx());
        }
    }
}
