import { FileStorage } from "./storage-file.js";
import { S3Storage, type S3Options } from "./storage-s3.js";
import type { Storage } from "./storage.js";
import type { Target } from "./target.js";

const DEFAULT_S3: S3Options = { partSizeBytes: 16 * 1024 * 1024, queueSize: 3 };

export function openStorage(target: Target, s3: S3Options = DEFAULT_S3): Storage {
    return target.kind === "file" ? new FileStorage(target.dir) : new S3Storage(target.bucket, target.prefix, s3);
}
