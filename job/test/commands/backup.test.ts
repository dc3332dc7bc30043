import { describe, expect, it } from "vitest";
import { MAX_PART_SIZE_MIB } from "../../src/options.js";
import { ExitCode } from "../../src/errors.js";
import { formatBytes } from "../../src/observability/progress.js";
import { S3_MAX_PARTS, maxMultipartBytes } from "../../src/storage/s3.js";
import { dumpFileWriteError, dumpTooLargeError, lockTimeoutError, lockedTables } from "../../src/commands/backup.js";

describe("S3 part limit", () => {
    it("allows 10,000 parts: about 78 GiB at the default 8 MiB", () => {
        expect(S3_MAX_PARTS).toBe(10_000);
        expect(maxMultipartBytes(8 * 1024 * 1024)).toBe(83_886_080_000);
        expect(formatBytes(maxMultipartBytes(8 * 1024 * 1024))).toBe("78.1 GiB");
    });
    it("names the limit, the option and a larger value when a dump outgrows it", () => {
        const error = dumpTooLargeError(maxMultipartBytes(8 * 1024 * 1024), 8, "s3://bkt/prod");
        expect(error.exitCode).toBe(ExitCode.Storage);
        expect(error.message).toBe(
            `the compressed dump grew past 78.1 GiB, the most s3://bkt/prod can take in 10,000 multipart parts of --part-size-mib 8: run the backup again ` +
                `with a larger --part-size-mib (e.g. 16; allowed 5-${MAX_PART_SIZE_MIB}, memory is part size x (queue size + 1))`,
        );
        // Never suggests a value the option refuses.
        expect(dumpTooLargeError(maxMultipartBytes(3000 * 1024 * 1024), 3000, "s3://b").message).toContain(`e.g. ${MAX_PART_SIZE_MIB};`);
        expect(dumpTooLargeError(maxMultipartBytes(MAX_PART_SIZE_MIB * 1024 * 1024), MAX_PART_SIZE_MIB, "s3://b").message).toMatch(
            /--part-size-mib is already at its maximum of \d+: the dump is too large/,
        );
    });
});

describe("lock wait", () => {
    it("reads the locked table from pg_dump's stderr, and nothing from other failures", () => {
        const stderr =
            "pg_dump: error: query failed: ERROR:  canceling statement due to statement timeout\npg_dump: detail: Query was: LOCK TABLE public.guests IN " +
            "ACCESS SHARE MODE";
        expect(lockedTables(stderr)).toBe("public.guests");
        expect(
            lockedTables(
                'pg_dump: error: could not obtain lock on relation "public.guests"\nThis usually means that someone requested an ACCESS EXCLUSIVE lock',
            ),
        ).toBe("public.guests");
        expect(lockedTables("pg_dump: error: connection to server failed: FATAL:  terminating connection due to administrator command")).toBeUndefined();
        const error = lockTimeoutError("pg_dump", "public.guests", 300, {});
        expect(error.exitCode).toBe(ExitCode.LockTimeout);
        expect(error.context).toEqual({ table: "public.guests", lockWaitTimeoutSeconds: 300, retryable: true });
    });
});

describe("dumpFileWriteError: zstd failing to write a file:// dump is a storage failure", () => {
    it("names the file, the error code of a known strerror text, and zstd's words", () => {
        const error = dumpFileWriteError(
            "/backups/dumps/x.pgdump.zst.partial",
            "zstd: error 70 : Write error : cannot write block : No space left on device",
            "file:///backups",
        );
        expect(error?.exitCode).toBe(ExitCode.Storage);
        expect(error?.message).toBe(
            "writing /backups/dumps/x.pgdump.zst.partial failed: ENOSPC: zstd: zstd: error 70 : Write error : cannot write block : No space left on device",
        );
        expect(error?.context).toMatchObject({ target: "file:///backups", code: "ENOSPC" });
    });

    it("a write error of another kind is still a storage failure, without a code", () => {
        const error = dumpFileWriteError("/b/d.partial", "zstd: error 70 : Write error : cannot write block : Bad file descriptor", "file:///b");
        expect(error?.exitCode).toBe(ExitCode.Storage);
        expect(error?.context).not.toHaveProperty("code");
    });

    it("anything but a write error is not (zstd's own failure stays exit 5)", () => {
        expect(dumpFileWriteError("/b/d.partial", "zstd: /*stdin*\\: unsupported format", "file:///b")).toBeUndefined();
    });
});
