import { DEFAULT_PART_SIZE_MIB, DEFAULT_UPLOAD_QUEUE_SIZE } from "../args.js";
import { JOB_ENV } from "../contract.js";
import { usageError } from "../errors.js";
import type { Logger } from "../observability/log.js";
import { FileStorage } from "./file.js";
import { S3Storage } from "./s3.js";
import type { Storage } from "./storage.js";
import type { Target } from "./target.js";

export interface StorageSettings {
    /** Deadline of each S3 request, in seconds (--request-timeout). */
    requestTimeoutSeconds: number;
    /** Receives the AWS SDK's own warnings and storage warnings as JSON lines. */
    logger: Logger;
    /** Multipart tuning (backup only). */
    partSizeBytes?: number;
    queueSize?: number;
}

/**
 * BACKUP_KMS_KEY_ARN: uploads name this key explicitly (SSE-KMS), for bucket policies that require
 * the encryption headers. Unset: the bucket's default encryption applies.
 */
export function kmsKeyFromEnv(env: NodeJS.ProcessEnv): string | undefined {
    const raw = env[JOB_ENV.kmsKeyArn];
    if (raw === undefined || raw.trim() === "") return undefined;
    if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(raw.trim())) {
        throw usageError(
            `${JOB_ENV.kmsKeyArn} "${raw}" is not a KMS key ARN: use arn:aws:kms:REGION:ACCOUNT:key/KEY-ID (an alias or bare key id is not accepted by the ` +
                `bucket policy)`,
        );
    }
    return raw.trim();
}

export function openStorage(target: Target, settings: StorageSettings): Storage {
    if (target.kind === "file") return new FileStorage(target.dir);
    return new S3Storage(target.bucket, target.prefix, {
        partSizeBytes: settings.partSizeBytes ?? DEFAULT_PART_SIZE_MIB * 1024 * 1024,
        queueSize: settings.queueSize ?? DEFAULT_UPLOAD_QUEUE_SIZE,
        requestTimeoutMs: settings.requestTimeoutSeconds * 1000,
        logger: settings.logger,
        kmsKeyArn: kmsKeyFromEnv(process.env),
    });
}
