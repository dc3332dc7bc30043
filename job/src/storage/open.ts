import { DEFAULT_PART_SIZE_MIB, DEFAULT_UPLOAD_QUEUE_SIZE } from "../options.js";
import { JOB_ENV } from "../contract.js";
import type { JobEnvironment, Variables } from "../environment.js";
import { usageError } from "../errors.js";
import type { Logger } from "../observability/log.js";
import { FileStorage } from "./file.js";
import type { Storage } from "./storage.js";
import type { Target } from "./target.js";

export interface StorageSettings {
    /** Deadline of each S3 request, in seconds (--request-timeout). */
    requestTimeoutSeconds: number;
    /** Receives the AWS SDK's own warnings and storage warnings as JSON lines. */
    logger: Logger;
    /** The region and the key of an s3:// target come from it. */
    environment: JobEnvironment;
    /** Multipart tuning (backup only). */
    partSizeBytes?: number;
    queueSize?: number;
}

/**
 * BACKUP_KMS_KEY_ARN: uploads name this key explicitly (SSE-KMS), for bucket policies that require
 * the encryption headers. Unset: the bucket's default encryption applies.
 */
export function kmsKeyFromEnv(env: Variables): string | undefined {
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

/**
 * The S3 module (and the AWS SDK behind it) is loaded only for an s3:// target: a file:// run does not
 * pay for loading it (about 70 ms of CPU, far more wall time on a busy machine).
 */
export async function openStorage(target: Target, settings: StorageSettings): Promise<Storage> {
    if (target.kind === "file") return new FileStorage(target.dir);
    const { S3Storage } = await import("./s3.js");
    return new S3Storage(target.bucket, target.prefix, {
        partSizeBytes: settings.partSizeBytes ?? DEFAULT_PART_SIZE_MIB * 1024 * 1024,
        queueSize: settings.queueSize ?? DEFAULT_UPLOAD_QUEUE_SIZE,
        requestTimeoutMs: settings.requestTimeoutSeconds * 1000,
        logger: settings.logger,
        kmsKeyArn: kmsKeyFromEnv(settings.environment.variables),
        region: settings.environment.awsRegion,
    });
}
