import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { encryptionParams } from "../../src/storage/s3.js";
import { kmsKeyFromEnv } from "../../src/storage/open.js";
import { exitOf } from "../support/errors.js";

describe("KMS settings", () => {
    it("accepts only full key ARNs and turns them into SSE-KMS parameters", () => {
        const arn = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab";
        expect(kmsKeyFromEnv({ BACKUP_KMS_KEY_ARN: arn })).toBe(arn);
        expect(kmsKeyFromEnv({})).toBeUndefined();
        expect(exitOf(() => kmsKeyFromEnv({ BACKUP_KMS_KEY_ARN: "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab" }))).toBe(ExitCode.Usage);
        expect(encryptionParams(arn)).toEqual({ ServerSideEncryption: "aws:kms", SSEKMSKeyId: arn });
        expect(encryptionParams(undefined)).toEqual({});
    });
});
