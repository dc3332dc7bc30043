import { PassThrough, Readable } from "node:stream";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MAX_PART_SIZE_MIB, checkUploadMemory, parseCli } from "../src/args.js";
import { directEndpointFor, parseDatabaseUrl, refusePoolerHost, withDatabase } from "../src/postgres/dburl.js";
import { isRetryableConnectError, isAuthError } from "../src/postgres/db.js";
import { emfRecord, stageMetrics } from "../src/observability/emf.js";
import { ExitCode, JobError, toJobError } from "../src/errors.js";
import { HashingGate } from "../src/storage/hashing.js";
import { formatBackupId, formatCompactUtc, parseBackupId } from "../src/storage/ids.js";
import { formatListTable } from "../src/commands/list.js";
import { EventEmitter } from "node:events";
import { createLogger, formatLogLine, logProcessWarnings } from "../src/observability/log.js";
import { manifestProblems, parseManifest, serializeManifest, sortNewestFirst, type Manifest } from "../src/storage/manifest.js";
import { formatBytes, formatDuration, progressFigures, renderProgressBar } from "../src/observability/progress.js";
import { redact, registerSecret } from "../src/observability/redact.js";
import { backoffDelay, withRetry } from "../src/postgres/retry.js";
import { monitorSettingsFromEnv, validateCrontab } from "../src/observability/sentry.js";
import { dumpPath, idFromDumpName, idFromManifestName, manifestPath, parseTarget, s3Key } from "../src/storage/target.js";
import { cleanPreludeSql } from "../src/postgres/clean.js";
import { S3_MAX_PARTS, encryptionParams, guardBody, maxMultipartBytes, runToken } from "../src/storage/s3.js";
import { mapLimit } from "../src/storage/backups.js";
import { RequestTimeoutError, sdkLogger, withDeadline } from "../src/storage/s3-deadline.js";
import { constants as bufferConstants } from "node:buffer";
import { dumpTooLargeError, lockTimeoutError, lockedTables } from "../src/commands/backup.js";
import { kmsKeyFromEnv } from "../src/storage/open.js";
import { compareCounts, isScratchDatabaseName, scratchDatabaseName } from "../src/commands/verify.js";
import { isToolNewEnough, majorLabel, parseServerVersionNum, parseToolVersion } from "../src/postgres/versions.js";

function exitOf(fn: () => unknown): number | undefined {
    try {
        fn();
    } catch (error) {
        return error instanceof JobError ? error.exitCode : -1;
    }
    return undefined;
}

function messageOf(fn: () => unknown): string {
    try {
        fn();
    } catch (error) {
        return (error as Error).message;
    }
    return "";
}

function sampleManifest(overrides: Partial<Manifest> = {}): Manifest {
    const id = overrides.id ?? "hotel_20261124T030000Z";
    return {
        manifestVersion: 1,
        id,
        name: "hotel",
        database: "hotel",
        serverVersion: "15.18 (Debian 15.18-0+deb12u1)",
        serverMajor: "15",
        pgDumpVersion: "pg_dump (PostgreSQL) 15.18",
        pgDumpMajor: "15",
        format: "custom",
        compression: { algorithm: "zstd", level: 3 },
        dump: `dumps/${id}.pgdump.zst`,
        bytes: 1234,
        sha256: "a".repeat(64),
        startedAt: "2026-11-24T03:00:00.000Z",
        finishedAt: "2026-11-24T03:00:05.000Z",
        durationSeconds: 5,
        tables: [{ schema: "public", name: "guests", rows: 3 }],
        largeObjects: 0,
        tool: { name: "@hotelgenius/backup-job", version: "0.1.0" },
        ...overrides,
    };
}

describe("ids", () => {
    it("formats and parses backup ids in UTC", () => {
        const at = new Date("2026-11-24T09:57:43.123Z");
        expect(formatCompactUtc(at)).toBe("20261124T095743Z");
        expect(formatBackupId("hotel_prod", at)).toBe("hotel_prod_20261124T095743Z");
        expect(parseBackupId("hotel_prod_20261124T095743Z")).toEqual({ name: "hotel_prod", startedAt: new Date("2026-11-24T09:57:43Z") });
        expect(parseBackupId("hotel_prod")).toBeUndefined();
    });
});

describe("targets", () => {
    it("parses file and s3 targets", () => {
        expect(parseTarget("file://./backups", "--to", "/srv")).toMatchObject({ kind: "file", dir: "/srv/backups" });
        expect(parseTarget("file:///var/b", "--to", "/srv")).toMatchObject({ kind: "file", dir: "/var/b" });
        expect(parseTarget("s3://my-bucket/prod/db/", "--to", "/")).toMatchObject({ kind: "s3", bucket: "my-bucket", prefix: "prod/db" });
        expect(parseTarget("s3://my-bucket", "--to", "/")).toMatchObject({ kind: "s3", bucket: "my-bucket", prefix: "" });
    });
    it("rejects bad targets with exit 2 and names the option", () => {
        expect(exitOf(() => parseTarget("ftp://x", "--to", "/"))).toBe(ExitCode.Usage);
        expect(messageOf(() => parseTarget("s3://My_Bucket/x", "--from", "/"))).toMatch(/--from .*invalid bucket name "My_Bucket"/);
        expect(messageOf(() => parseTarget("file://", "BACKUP_TARGET", "/"))).toMatch(/BACKUP_TARGET "file:\/\/" has no directory/);
        expect(exitOf(() => parseTarget("s3://bucket/../x", "--to", "/"))).toBe(ExitCode.Usage);
    });
    it("lays out keys under the prefix", () => {
        expect(s3Key({ prefix: "prod" }, dumpPath("a_20260101T000000Z"))).toBe("prod/dumps/a_20260101T000000Z.pgdump.zst");
        expect(s3Key({ prefix: "" }, manifestPath("a_20260101T000000Z"))).toBe("manifests/a_20260101T000000Z.json");
        expect(idFromManifestName("a_20260101T000000Z.json")).toBe("a_20260101T000000Z");
        expect(idFromManifestName("a_20260101T000000Z.json.partial")).toBeUndefined();
        expect(idFromDumpName("a_20260101T000000Z.pgdump.zst.partial")).toBeUndefined();
    });
    it("gives each S3 run its own dump key (a run token), and still reads the id from it", () => {
        expect(dumpPath("a.b_20260101T000000Z", "0badf00d")).toBe("dumps/a.b_20260101T000000Z.0badf00d.pgdump.zst");
        expect(idFromDumpName("a.b_20260101T000000Z.0badf00d.pgdump.zst")).toBe("a.b_20260101T000000Z");
        expect(idFromDumpName("a.b_20260101T000000Z.pgdump.zst")).toBe("a.b_20260101T000000Z");
        expect(runToken()).toMatch(/^[0-9a-f]{8}$/);
        expect(runToken()).not.toBe(runToken());
    });
});

describe("database urls", () => {
    it("moves the password out of the URL", () => {
        const db = parseDatabaseUrl("postgresql://app:s%40cret@db.example:5432/hotel?sslmode=require", "--database-url");
        expect(db).toMatchObject({ password: "s@cret", host: "db.example", database: "hotel" });
        expect(db.withoutPassword).toBe("postgresql://app@db.example:5432/hotel?sslmode=require");
        expect(withDatabase("postgresql://a:b@h:1/postgres", "scratch_1")).toBe("postgresql://a:b@h:1/scratch_1");
    });
    it("rejects non-postgres URLs and missing databases", () => {
        expect(messageOf(() => parseDatabaseUrl("mysql://u:p@h/db", "--database-url"))).toMatch(/scheme "mysql:"/);
        expect(messageOf(() => parseDatabaseUrl("postgresql://u:p@h", "--database-url"))).toMatch(/names no database/);
        expect(messageOf(() => parseDatabaseUrl("postgresql://u:hunter22@h", "--database-url"))).not.toContain("hunter22");
    });
    it("refuses Neon pooler hosts and names the direct endpoint", () => {
        expect(directEndpointFor("ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech")).toBe("ep-cool-darkness-123456.us-east-2.aws.neon.tech");
        expect(directEndpointFor("ep-cool-darkness-123456.us-east-2.aws.neon.tech")).toBeUndefined();
        const db = parseDatabaseUrl("postgresql://u:p@ep-x-1-pooler.eu-central-1.aws.neon.tech/neondb", "--database-url");
        expect(exitOf(() => refusePoolerHost(db, "--database-url"))).toBe(ExitCode.Usage);
        expect(messageOf(() => refusePoolerHost(db, "--database-url"))).toContain('direct endpoint "ep-x-1.eu-central-1.aws.neon.tech"');
    });
    it("retries refused connections and timeouts, never authentication failures", () => {
        expect(isRetryableConnectError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe(true);
        expect(isRetryableConnectError(new Error("Connection terminated due to connection timeout"))).toBe(true);
        expect(isRetryableConnectError(Object.assign(new Error("the database system is starting up"), { code: "57P03" }))).toBe(true);
        const auth = Object.assign(new Error('password authentication failed for user "x"'), { code: "28P01" });
        expect(isRetryableConnectError(auth)).toBe(false);
        expect(isAuthError(auth)).toBe(true);
    });
});

describe("versions", () => {
    it("parses tool banners and server_version_num across numbering schemes", () => {
        const v15 = parseToolVersion("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)");
        expect(majorLabel(v15)).toBe("15");
        expect(v15.number).toBe("15.18");
        expect(parseServerVersionNum(170002, "17.2").number).toBe("17.2");
        const v96 = parseToolVersion("pg_dump (PostgreSQL) 9.6.24");
        expect(majorLabel(v96)).toBe("9.6");
        const s17 = parseServerVersionNum(170002, "17.2");
        expect(isToolNewEnough(v15, s17)).toBe(false);
        expect(isToolNewEnough(parseToolVersion("pg_dump (PostgreSQL) 17.0"), s17)).toBe(true);
        expect(isToolNewEnough(v15, parseServerVersionNum(90624, "9.6.24"))).toBe(true);
        expect(isToolNewEnough(v96, parseServerVersionNum(100001, "10.1"))).toBe(false);
        expect(() => parseToolVersion("zstd")).toThrow(/cannot read/);
    });
});

describe("manifest", () => {
    it("accepts a complete manifest and round-trips it", () => {
        const m = sampleManifest();
        expect(manifestProblems(m)).toEqual([]);
        expect(parseManifest(serializeManifest(m), "x", m.id)).toEqual(m);
    });
    it("lists every problem of a damaged manifest with exit 7", () => {
        const bad = { ...sampleManifest(), sha256: "xyz", tables: [{ schema: "public", name: "t", rows: -1 }] };
        expect(manifestProblems(bad)).toEqual([expect.stringMatching(/^sha256 must be/), expect.stringMatching(/^tables must be/)]);
        expect(exitOf(() => parseManifest(JSON.stringify(bad), "m.json", bad.id))).toBe(ExitCode.Verification);
        expect(exitOf(() => parseManifest("{", "m.json", "m"))).toBe(ExitCode.Verification);
        expect(manifestProblems({ ...sampleManifest(), dump: "dumps/other_20260101T000000Z.pgdump.zst" })).toEqual([expect.stringMatching(/does not match id/)]);
    });
    it("accepts a dump key with a run token (and old manifests without one), never another backup's dump", () => {
        const m = sampleManifest();
        expect(manifestProblems({ ...m, dump: `dumps/${m.id}.0badf00d.pgdump.zst` })).toEqual([]);
        expect(manifestProblems({ ...m, dump: `dumps/${m.id}.pgdump.zst` })).toEqual([]);
        expect(manifestProblems({ ...m, dump: "dumps/other_20260101T000000Z.0badf00d.pgdump.zst" })).toEqual([expect.stringMatching(/does not match id/)]);
        expect(manifestProblems({ ...m, dump: `dumps/${m.id}.NOTHEX00.pgdump.zst` })).toEqual([expect.stringMatching(/does not match id/)]);
    });
    it("sorts newest first by start time, not by key", () => {
        const a = sampleManifest({ id: "zeta_20260101T000000Z", startedAt: "2026-01-01T00:00:00.000Z" });
        const b = sampleManifest({ id: "alpha_20260102T000000Z", startedAt: "2026-01-02T00:00:00.000Z" });
        expect(sortNewestFirst([a, b]).map((m) => m.id)).toEqual([b.id, a.id]);
    });
    it("renders the list table", () => {
        const table = formatListTable([sampleManifest()]);
        expect(table.split("\n")[0]).toMatch(/^ID\s+STARTED \(UTC\)\s+SIZE/);
        expect(table).toContain("hotel_20261124T030000Z  2026-11-24T03:00:00Z  1.2 KiB");
    });
});

describe("redaction and logs", () => {
    it("masks URL passwords and registered secrets", () => {
        expect(redact("connect postgresql://app:pa55word@h:5432/db failed")).toBe("connect postgresql://app:***@h:5432/db failed");
        expect(redact("host=h password=pa55word user=x")).toBe("host=h password=*** user=x");
        registerSecret("Zq9-registered-secret");
        expect(redact('FATAL: role "x" pw Zq9-registered-secret')).toBe('FATAL: role "x" pw ***');
    });
    it("writes the log-line contract and never a password", () => {
        const line = JSON.parse(formatLogLine("error", "failed", { url: "postgres://u:topsecret@h/db" }, new Date("2026-01-01T00:00:00Z")));
        expect(line).toEqual({ level: "error", message: "failed", timestamp: "2026-01-01T00:00:00.000Z", context: { url: "postgres://u:***@h/db" } });
        const lines: string[] = [];
        createLogger((l) => lines.push(l)).info("plain");
        expect(JSON.parse(lines[0]!)).not.toHaveProperty("context");
    });
    it("turns process warnings into JSON warn lines instead of Node's plain-text printer", () => {
        const emitter = new EventEmitter();
        const printed: unknown[] = [];
        emitter.on("warning", (warning) => printed.push(warning));
        const lines: string[] = [];
        logProcessWarnings(emitter, createLogger((l) => lines.push(l), () => new Date("2026-01-01T00:00:00Z")));
        emitter.emit("warning", Object.assign(new Error("The AWS SDK for JavaScript (v3)\nwill require node >=22."), { name: "NodeVersionSupportWarning", code: "X1" }));
        expect(printed).toEqual([]);
        expect(lines.map((l) => JSON.parse(l))).toEqual([
            { level: "warn", message: "The AWS SDK for JavaScript (v3)\nwill require node >=22.", timestamp: "2026-01-01T00:00:00.000Z", context: { warning: "NodeVersionSupportWarning", code: "X1" } },
        ]);
    });
    it("builds EMF records with the contract's namespace, dimension and units", () => {
        const r = emfRecord("hotel", [{ name: "BackupSuccess", unit: "Count", value: 1 }, ...stageMetrics({ Dump: 1.23456 })], new Date(1000));
        expect(r).toEqual({
            _aws: { Timestamp: 1000, CloudWatchMetrics: [{ Namespace: "HotelGenius/Backup", Dimensions: [["Database"]], Metrics: [{ Name: "BackupSuccess", Unit: "Count" }, { Name: "DumpDuration", Unit: "Seconds" }] }] },
            Database: "hotel",
            BackupSuccess: 1,
            DumpDuration: 1.235,
        });
    });
    it("maps unknown errors to exit 1", () => {
        expect(toJobError(new Error("boom")).exitCode).toBe(ExitCode.Internal);
    });
});

describe("progress", () => {
    it("computes rate and ETA and renders a bar", () => {
        expect(progressFigures({ bytes: 50, total: 200, elapsedSeconds: 5 })).toEqual({ bytes: 50, total: 200, percent: 25, bytesPerSecond: 10, etaSeconds: 15 });
        expect(renderProgressBar("restore", { bytes: 512 * 1024, total: 1024 * 1024, elapsedSeconds: 1 }, 10)).toBe(
            "restore [#####-----]  50.0%  512.0 KiB / 1.0 MiB  512.0 KiB/s  ETA 00:01",
        );
        expect(renderProgressBar("backup", { bytes: 2048, total: undefined, elapsedSeconds: 2 })).toBe("backup 2.0 KiB  1.0 KiB/s");
        expect(formatBytes(10)).toBe("10 B");
        expect(formatDuration(3725)).toBe("1:02:05");
    });
});

describe("retry", () => {
    it("backs off exponentially with a cap and stops at the bound", async () => {
        expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, { baseMs: 500, maxMs: 3000 }))).toEqual([500, 1000, 2000, 3000, 3000]);
        const delays: number[] = [];
        let calls = 0;
        await expect(
            withRetry(
                async () => {
                    calls++;
                    throw new Error("refused");
                },
                { attempts: 3, baseMs: 10, maxMs: 100 },
                { isRetryable: () => true, sleep: async (ms) => void delays.push(ms) },
            ),
        ).rejects.toThrow("refused");
        expect(calls).toBe(3);
        expect(delays).toEqual([10, 20]);
    });
    it("does not retry non-retryable errors", async () => {
        let calls = 0;
        await expect(
            withRetry(
                async () => {
                    calls++;
                    throw new Error("auth");
                },
                { attempts: 5, baseMs: 1, maxMs: 1 },
                { isRetryable: () => false },
            ),
        ).rejects.toThrow("auth");
        expect(calls).toBe(1);
    });
});

describe("hashing gate", () => {
    it("hashes what passes through and ends only when the gate resolves", async () => {
        const data = Buffer.from("some dump bytes");
        const gate = new HashingGate(async () => undefined);
        const out: Buffer[] = [];
        gate.on("data", (c: Buffer) => out.push(c));
        await new Promise((resolve, reject) => {
            gate.on("end", resolve).on("error", reject);
            Readable.from([data]).pipe(gate);
        });
        expect(Buffer.concat(out)).toEqual(data);
        expect(gate.digest).toBe(createHash("sha256").update(data).digest("hex"));
        expect(gate.bytes).toBe(data.length);
    });
    it("can hold the last chunk back until the gate has passed", async () => {
        let release!: () => void;
        const gate = new HashingGate(() => new Promise<void>((resolve) => (release = resolve)), true);
        const out: string[] = [];
        gate.on("data", (c: Buffer) => out.push(c.toString()));
        const ended = new Promise((resolve) => gate.on("end", resolve));
        gate.write("a");
        gate.write("b");
        gate.end("c");
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(out).toEqual(["a", "b"]);
        release();
        await ended;
        expect(out).toEqual(["a", "b", "c"]);
    });
    it("turns a failed producer into a stream error instead of a clean end", async () => {
        const gate = new HashingGate(async () => {
            throw new JobError(ExitCode.Dump, "pg_dump died");
        });
        const source = new PassThrough();
        source.pipe(gate);
        gate.resume();
        const outcome = new Promise((resolve) => {
            gate.on("end", () => resolve("end")).on("error", (e) => resolve(e.message));
        });
        source.end("partial");
        expect(await outcome).toBe("pg_dump died");
    });
    it("fails as soon as more than the limit arrives, without passing the excess on", async () => {
        const gate = new HashingGate(async () => undefined, false, { maxBytes: 5, error: () => new JobError(ExitCode.Storage, "too large") });
        const out: string[] = [];
        gate.on("data", (c: Buffer) => out.push(c.toString()));
        const outcome = new Promise((resolve) => {
            gate.on("end", () => resolve("end")).on("error", (e) => resolve(e.message));
        });
        gate.write("abc");
        gate.write("de");
        gate.write("f");
        expect(await outcome).toBe("too large");
        expect(out.join("")).toBe("abcde");
    });
    it("lets exactly the limit through", async () => {
        const gate = new HashingGate(async () => undefined, false, { maxBytes: 5, error: () => new Error("too large") });
        gate.resume();
        const outcome = new Promise((resolve) => {
            gate.on("end", () => resolve("end")).on("error", (e) => resolve(e.message));
        });
        gate.end("abcde");
        expect(await outcome).toBe("end");
    });
});

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
            `the compressed dump grew past 78.1 GiB, the most s3://bkt/prod can take in 10,000 multipart parts of --part-size-mib 8: run the backup again with a larger --part-size-mib (e.g. 16; allowed 5-${MAX_PART_SIZE_MIB}, memory is part size x (queue size + 1))`,
        );
        // Never suggests a value the option refuses.
        expect(dumpTooLargeError(maxMultipartBytes(3000 * 1024 * 1024), 3000, "s3://b").message).toContain(`e.g. ${MAX_PART_SIZE_MIB};`);
        expect(dumpTooLargeError(maxMultipartBytes(MAX_PART_SIZE_MIB * 1024 * 1024), MAX_PART_SIZE_MIB, "s3://b").message).toMatch(/--part-size-mib is already at its maximum of \d+: the dump is too large/);
    });
});

describe("bounds on waiting and memory", () => {
    const base = ["backup", "--database-url", "postgresql://u@h/db"];
    it("defaults: 120 s per S3 request, 300 s lock wait, 6 h maximum runtime (none for restore)", () => {
        expect(parseCli(base, {}, "/")).toMatchObject({ requestTimeoutSeconds: 120, lockWaitTimeoutSeconds: 300, maxRuntimeSeconds: 21_600 });
        expect(parseCli(["verify", "--scratch-database-url", "postgresql://u@h/db"], {}, "/")).toMatchObject({ requestTimeoutSeconds: 120, maxRuntimeSeconds: 21_600 });
        expect(parseCli(["restore", "--database-url", "postgresql://u@h/db"], {}, "/")).toMatchObject({ maxRuntimeSeconds: 0 });
        expect(parseCli(["list"], {}, "/")).toMatchObject({ requestTimeoutSeconds: 120 });
    });
    it("takes each bound from its option, else its variable, and names whichever is wrong", () => {
        const env = { BACKUP_REQUEST_TIMEOUT_SECONDS: "30", BACKUP_LOCK_WAIT_TIMEOUT_SECONDS: "60", BACKUP_MAX_RUNTIME_SECONDS: "0" };
        expect(parseCli(base, env, "/")).toMatchObject({ requestTimeoutSeconds: 30, lockWaitTimeoutSeconds: 60, maxRuntimeSeconds: 0 });
        expect(parseCli([...base, "--request-timeout", "5", "--lock-wait-timeout", "1", "--max-runtime", "7200"], env, "/")).toMatchObject({
            requestTimeoutSeconds: 5,
            lockWaitTimeoutSeconds: 1,
            maxRuntimeSeconds: 7200,
        });
        expect(messageOf(() => parseCli(base, { BACKUP_LOCK_WAIT_TIMEOUT_SECONDS: "5m" }, "/"))).toBe('BACKUP_LOCK_WAIT_TIMEOUT_SECONDS "5m" is not allowed: use a whole number from 1 to 86400');
        expect(messageOf(() => parseCli([...base, "--max-runtime", "1.5"], {}, "/"))).toBe('--max-runtime "1.5" is not allowed: use a whole number from 0 to 604800');
        expect(messageOf(() => parseCli([...base, "--request-timeout", "0"], {}, "/"))).toBe('--request-timeout "0" is not allowed: use a whole number from 1 to 3600');
    });
    it("refuses a part size no Node Buffer can hold, with the real maximum", () => {
        expect(MAX_PART_SIZE_MIB).toBe(Math.min(5120, Math.floor(bufferConstants.MAX_LENGTH / 1024 / 1024)));
        expect(messageOf(() => parseCli([...base, "--part-size-mib", String(MAX_PART_SIZE_MIB + 1)], {}, "/", 2 ** 50))).toBe(
            `--part-size-mib "${MAX_PART_SIZE_MIB + 1}" is not allowed: use a whole number from 5 to ${MAX_PART_SIZE_MIB}`,
        );
        expect(parseCli([...base, "--part-size-mib", String(MAX_PART_SIZE_MIB)], {}, "/", 2 ** 50)).toMatchObject({ partSizeMiB: MAX_PART_SIZE_MIB });
    });
    it("refuses part buffers (part size x (queue size + 1)) larger than the memory there is", () => {
        const oneGiB = 1024 * 1024 * 1024;
        expect(() => checkUploadMemory(64, 2, oneGiB)).not.toThrow();
        expect(messageOf(() => checkUploadMemory(512, 2, oneGiB))).toBe(
            "--part-size-mib 512 x (--upload-queue-size 2 + 1) = 1536 MiB of part buffers does not fit in this machine's 1024 MiB of memory: use a --part-size-mib of at most 170 or a smaller --upload-queue-size",
        );
        expect(exitOf(() => parseCli([...base, "--part-size-mib", "512"], {}, "/", oneGiB))).toBe(ExitCode.Usage);
    });
});

describe("lock wait", () => {
    it("reads the locked table from pg_dump's stderr, and nothing from other failures", () => {
        const stderr =
            "pg_dump: error: query failed: ERROR:  canceling statement due to statement timeout\npg_dump: detail: Query was: LOCK TABLE public.guests IN ACCESS SHARE MODE";
        expect(lockedTables(stderr)).toBe("public.guests");
        expect(lockedTables('pg_dump: error: could not obtain lock on relation "public.guests"\nThis usually means that someone requested an ACCESS EXCLUSIVE lock')).toBe("public.guests");
        expect(lockedTables("pg_dump: error: connection to server failed: FATAL:  terminating connection due to administrator command")).toBeUndefined();
        const error = lockTimeoutError("pg_dump", "public.guests", 300, {});
        expect(error.exitCode).toBe(ExitCode.LockTimeout);
        expect(error.context).toEqual({ table: "public.guests", lockWaitTimeoutSeconds: 300, retryable: true });
    });
});

describe("S3 request deadlines", () => {
    it("aborts a request that outlives its deadline with an error naming it", async () => {
        const never = (signal: AbortSignal) =>
            new Promise<never>((_resolve, reject) => signal.addEventListener("abort", () => reject(Object.assign(new Error("Request aborted"), { name: "AbortError" }))));
        await expect(withDeadline("S3 HeadBucket of b", 50, never)).rejects.toEqual(new RequestTimeoutError("S3 HeadBucket of b", 50));
        await expect(withDeadline("S3 HeadBucket of b", 50, never)).rejects.toThrow("S3 HeadBucket of b got no answer within 0.05 s (--request-timeout)");
        await expect(withDeadline("x", 1000, async () => "answer")).resolves.toBe("answer");
    });
    it("turns the SDK's plain-text warnings into JSON warn lines and drops its per-command records", () => {
        const lines: string[] = [];
        const sdk = sdkLogger(createLogger((l) => lines.push(l), () => new Date(0)));
        sdk.warn("@smithy/node-http-handler - [WARN] a request has exceeded the configured 1000 ms requestTimeout.");
        sdk.error({ clientName: "S3Client", commandName: "UploadPartCommand", input: { Body: Buffer.from("secret bytes") } });
        sdk.info({ clientName: "S3Client", input: {} });
        expect(lines.map((l) => JSON.parse(l))).toEqual([
            {
                level: "warn",
                message: "@smithy/node-http-handler - [WARN] a request has exceeded the configured 1000 ms requestTimeout.",
                timestamp: "1970-01-01T00:00:00.000Z",
                context: { source: "aws-sdk" },
            },
        ]);
    });
    it("a download body: fails when the server sends nothing while the reader waits, not while the reader is slow", async () => {
        const source = new PassThrough();
        const guarded = guardBody(source, "s3://b/k", 6, 100, {});
        source.write("abc");
        const chunks: Buffer[] = [];
        const reading = (async () => {
            for await (const chunk of guarded) {
                chunks.push(chunk as Buffer);
                // A reader slower than the stall deadline: backpressure is not a stall.
                await new Promise((resolve) => setTimeout(resolve, 250));
            }
        })();
        await new Promise((resolve) => setTimeout(resolve, 50));
        source.end("def");
        await reading;
        expect(Buffer.concat(chunks).toString()).toBe("abcdef");
        const stalled = new PassThrough();
        stalled.write("abc");
        await expect(Readable.from(guardBody(stalled, "s3://b/k", 6, 100, { backup: "x" })).toArray()).rejects.toMatchObject({
            exitCode: ExitCode.Storage,
            message: "reading s3://b/k stalled: no bytes for 0.1 s after 3 bytes (--request-timeout)",
        });
    });
    it("a download cut short is a storage error (exit 6)", async () => {
        await expect(Readable.from(guardBody(Readable.from([Buffer.from("abc")]), "s3://b/k", 6, 1000, {})).toArray()).rejects.toMatchObject({
            exitCode: ExitCode.Storage,
            message: "reading s3://b/k failed: the download ended after 3 of 6 bytes",
        });
        const reset = new PassThrough();
        setTimeout(() => reset.destroy(Object.assign(new Error("aborted"), { code: "ECONNRESET" })), 20);
        await expect(Readable.from(guardBody(reset, "s3://b/k", 6, 1000, {})).toArray()).rejects.toMatchObject({
            exitCode: ExitCode.Storage,
            message: "reading s3://b/k failed after 0 bytes: aborted",
        });
    });
});

describe("cli arguments", () => {
    const env = {};
    it("parses backup options with defaults and env fallbacks", () => {
        const parsed = parseCli(["backup"], { DATABASE_URL: "postgresql://u:p@h/db", BACKUP_TARGET: "s3://bkt/prod" }, "/");
        expect(parsed).toMatchObject({ command: "backup", databaseUrl: "postgresql://u:p@h/db", target: { kind: "s3", bucket: "bkt", prefix: "prod" }, compressionLevel: 3, compressionThreads: 1, partSizeMiB: 8, uploadQueueSize: 2, connectAttempts: 5 });
        expect(parseCli(["backup", "--database-url", "postgresql://u@h/db", "--to", "file:///b", "--compression-level", "9"], env, "/")).toMatchObject({ compressionLevel: 9, target: { kind: "file", dir: "/b" } });
    });
    it("names the argument, the bad value and what is allowed", () => {
        expect(messageOf(() => parseCli(["backup", "--database-url", "postgresql://u@h/db", "--compression-level", "25"], env, "/"))).toBe('--compression-level "25" is not allowed: use a whole number from 1 to 19');
        expect(messageOf(() => parseCli(["backup", "--bogus"], env, "/"))).toMatch(/unknown option "--bogus" for "backup": allowed are --database-url, --to, --name, /);
        expect(messageOf(() => parseCli(["frobnicate"], env, "/"))).toBe('unknown command "frobnicate": allowed are backup, restore, verify, list');
        expect(messageOf(() => parseCli(["restore", "--database-url", "postgresql://u@h/db", "--backup", "nope"], env, "/"))).toMatch(/--backup "nope" is not allowed/);
        expect(exitOf(() => parseCli(["backup"], env, "/"))).toBe(ExitCode.Usage);
        expect(exitOf(() => parseCli(["backup", "--database-url", "postgresql://u@h/db", "--name", "bad name"], env, "/"))).toBe(ExitCode.Usage);
    });
    it("never takes the restore target from DATABASE_URL", () => {
        expect(messageOf(() => parseCli(["restore"], { DATABASE_URL: "postgresql://u@h/prod" }, "/"))).toMatch(/--database-url is required/);
    });
    it("prints help", () => {
        expect(parseCli(["--help"], env, "/")).toMatchObject({ command: "help" });
        expect(parseCli(["verify", "--help"], env, "/")).toMatchObject({ command: "help", text: expect.stringContaining("--scratch-database-url") });
    });
});

describe("sentry settings", () => {
    it("has no monitor without a DSN and builds the monitor config from env", () => {
        expect(monitorSettingsFromEnv({ BACKUP_SCHEDULE: "0 3 * * *" })).toBeUndefined();
        expect(monitorSettingsFromEnv({ SENTRY_DSN: "http://k@127.0.0.1:1/1", BACKUP_SCHEDULE: "0 3 * * *", BACKUP_SCHEDULE_TIMEZONE: "Europe/Berlin", SENTRY_CHECKIN_MARGIN_MINUTES: "10", SENTRY_MAX_RUNTIME_MINUTES: "90" })).toEqual({
            dsn: "http://k@127.0.0.1:1/1",
            slug: "database-backup",
            environment: undefined,
            config: { schedule: { type: "crontab", value: "0 3 * * *" }, timezone: "Europe/Berlin", checkinMargin: 10, maxRuntime: 90 },
        });
    });
    it("rejects bad schedule settings with exit 2", () => {
        expect(exitOf(() => validateCrontab("0 3 * *", "BACKUP_SCHEDULE"))).toBe(ExitCode.Usage);
        expect(exitOf(() => monitorSettingsFromEnv({ SENTRY_DSN: "x", BACKUP_SCHEDULE: "0 3 * * *", BACKUP_SCHEDULE_TIMEZONE: "Mars/Olympus" }))).toBe(ExitCode.Usage);
        expect(messageOf(() => monitorSettingsFromEnv({ SENTRY_DSN: "x", BACKUP_SCHEDULE: "0 3 * * *", SENTRY_MAX_RUNTIME_MINUTES: "0" }))).toMatch(/SENTRY_MAX_RUNTIME_MINUTES "0"/);
    });
});

describe("verify helpers", () => {
    it("compares counts and reports missing tables", () => {
        const results = compareCounts(
            [
                { schema: "public", name: "a", rows: 2 },
                { schema: "public", name: "b", rows: 3 },
                { schema: "ops", name: "c", rows: 0 },
            ],
            new Map([
                ["public.a", 2],
                ["public.b", 4],
            ]),
        );
        expect(results.map((r) => r.ok)).toEqual([true, false, false]);
        expect(results[2]).toMatchObject({ actual: undefined });
    });
    it("makes valid scratch database names", () => {
        const name = scratchDatabaseName("A-Very.Long_database_name_that_goes_on_and_on_20261124T030000Z", "deadbeef");
        expect(name.length).toBeLessThanOrEqual(63);
        expect(name).toMatch(/^hotelgenius_verify_deadbeef_a_very_long_database_name_that_go/);
        expect(isScratchDatabaseName(name)).toBe(true);
        expect(isScratchDatabaseName("verify_hotel_20261124t030000z_deadbeef")).toBe(false);
    });
});

describe("mapLimit", () => {
    it("keeps order and never runs more than the limit at once", async () => {
        let running = 0;
        let peak = 0;
        const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
            running++;
            peak = Math.max(peak, running);
            await new Promise((resolve) => setTimeout(resolve, n * 2));
            running--;
            return n * 10;
        });
        expect(out).toEqual([50, 10, 40, 20, 30]);
        expect(peak).toBe(2);
    });
});

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

describe("clean prelude", () => {
    it("empties every schema, extension and large object, then recreates a default public schema", () => {
        expect(cleanPreludeSql({ schemas: ["ops", "public", 'we"ird'], extensions: ["citext"], serverMajor: 15 }).split("\n")).toEqual([
            "SET client_min_messages = warning;",
            'DROP EXTENSION IF EXISTS "citext" CASCADE;',
            'DROP SCHEMA IF EXISTS "ops" CASCADE;',
            'DROP SCHEMA IF EXISTS "public" CASCADE;',
            'DROP SCHEMA IF EXISTS "we""ird" CASCADE;',
            "SELECT count(pg_catalog.lo_unlink(oid)) FROM pg_catalog.pg_largeobject_metadata;",
            "CREATE SCHEMA public AUTHORIZATION pg_database_owner;",
            "GRANT USAGE ON SCHEMA public TO PUBLIC;",
            "SET client_min_messages = notice;",
            "",
        ]);
        expect(cleanPreludeSql({ schemas: [], extensions: [], serverMajor: 13 })).toContain("CREATE SCHEMA public;\nGRANT USAGE ON SCHEMA public TO PUBLIC;\nGRANT CREATE ON SCHEMA public TO PUBLIC;");
    });
});
