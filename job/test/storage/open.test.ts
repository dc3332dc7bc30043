import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { encryptionParams } from "../../src/storage/s3.js";
import { kmsKeyFromEnv } from "../../src/storage/open.js";
import { exitOf } from "../support/errors.js";

const JOB_DIR = path.join(__dirname, "..", "..");

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

describe("loading the S3 module", () => {
    // In a fresh process: which modules a file:// or s3:// target loads, read from require.cache.
    const loadedSdk = (url: string): boolean => {
        const script = `
            const { openStorage } = require("./src/storage/open.ts");
            const { parseTarget } = require("./src/storage/target.ts");
            const { readEnvironment } = require("./src/environment.ts");
            const logger = { info() {}, warn() {}, error() {}, record() {} };
            openStorage(parseTarget(${JSON.stringify(url)}, "--to", "/tmp"), { requestTimeoutSeconds: 5, logger, environment: readEnvironment() }).then((storage) => {
                const sdk = Object.keys(require.cache).some((path) => path.includes("@aws-sdk/client-s3"));
                process.stdout.write(JSON.stringify({ display: storage.display, sdk }));
            });`;
        const result = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
            cwd: JOB_DIR,
            encoding: "utf8",
            env: { ...process.env, AWS_REGION: "eu-west-3" },
        });
        if (result.status !== 0) throw new Error(result.stderr);
        const out = JSON.parse(result.stdout) as { display: string; sdk: boolean };
        expect(out.display).toBe(url);
        return out.sdk;
    };

    it("is skipped for a file:// target and loaded for an s3:// one", () => {
        expect(loadedSdk("file:///tmp/backups")).toBe(false);
        expect(loadedSdk("s3://bucket/prefix")).toBe(true);
    });
});
