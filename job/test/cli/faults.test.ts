// Every failure must end with a clear error, its own exit code, no manifest, nothing half-written
// listed in the target, no pg_dump left running, and the source database untouched.
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sessionsLeft } from "../support/sessions.js";
import { type CliResult, errorOf, runCli, spawnCli } from "../support/cli.js";
import { olderClientBinDir } from "../support/fake-bin.js";
import { createVariedDatabase, fingerprint, type DatabaseFingerprint } from "../support/fixtures.js";
import { startPostgres, freePort, type PgCluster } from "../../tools/servers/postgres.js";
import { descendants, filesOpenForWriting, waitForDescendant } from "../../tools/servers/proc.js";
import { startS3, unreachableEndpoint, type S3Server } from "../../tools/servers/s3.js";

const BUCKET = "fault-backups";
let pg: PgCluster;
let s3: S3Server;
let work: string;
let hotelUrl: string;
let bulkUrl: string;
const before: Record<string, DatabaseFingerprint> = {};

beforeAll(async () => {
    [pg, s3] = await Promise.all([startPostgres(), startS3()]);
    await s3.createBucket(BUCKET);
    work = mkdtempSync(join(tmpdir(), "job-faults-"));
    hotelUrl = await createVariedDatabase(pg, "hotel", { guests: 500 });
    // Incompressible bytes: the dump spans several 5 MiB parts, so faults can strike mid-upload.
    bulkUrl = await createVariedDatabase(pg, "bulk", { guests: 200, bulkMiB: 30 });
    before["hotel"] = await fingerprint(pg, "hotel");
    before["bulk"] = await fingerprint(pg, "bulk");
});

afterEach(() => s3.clearFaults());

afterAll(async () => {
    await Promise.all([pg?.stop(), s3?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
    const found: string[] = [];
    for (const sub of ["dumps", "manifests"]) {
        try {
            for (const name of readdirSync(join(dir, sub))) found.push(`${sub}/${name}`);
        } catch {
            // never created: nothing written
        }
    }
    return found;
}

/** pg_dump's backend carries this application_name; it must be gone once the CLI has exited. */
async function expectNoPgDumpBackend(): Promise<void> {
    expect(await sessionsLeft(pg)).toEqual([]);
}

async function expectSourceUntouched(db: "hotel" | "bulk"): Promise<void> {
    expect(await fingerprint(pg, db)).toEqual(before[db]);
}

async function expectNothingInS3(prefix: string): Promise<void> {
    expect(await s3.listKeys(BUCKET, prefix)).toEqual([]);
    expect(s3.pendingMultipartUploads(BUCKET)).toEqual([]);
}

function metricOf(result: CliResult) {
    return result.metrics.at(-1);
}

describe("preflight faults", () => {
    it("database unreachable: bounded retries, then exit 3", async () => {
        const dir = join(work, "unreachable");
        const url = `postgresql://nobody:not-a-real-secret@127.0.0.1:${await freePort()}/hotel`;
        const started = Date.now();
        const result = await runCli(["backup", "--database-url", url, "--to", `file://${dir}`, "--connect-attempts", "3"]);
        expect(result.code).toBe(3);
        expect(errorOf(result).message).toMatch(/^cannot connect to postgresql:\/\/nobody:\*\*\*@127\.0\.0\.1:\d+\/hotel \(3 attempts\): .*ECONNREFUSED/);
        expect(errorOf(result).context).toMatchObject({ attempts: 3 });
        expect(result.logs.filter((l) => l.message.startsWith("database connection failed, retrying"))).toHaveLength(2);
        expect(Date.now() - started).toBeLessThan(15_000);
        expect(result.stdout).not.toContain("not-a-real-secret");
        expect(metricOf(result)).toMatchObject({ BackupSuccess: 0 });
        expect(filesUnder(dir)).toEqual([]);
    });

    it("SIGINT while waiting for the database: exit 130", async () => {
        const url = `postgresql://nobody:not-a-real-secret@127.0.0.1:${await freePort()}/hotel`;
        const run = spawnCli(["backup", "--database-url", url, "--to", `file://${join(work, "sigint")}`, "--connect-attempts", "10"]);
        await run.waitForLog((l) => l.message.startsWith("database connection failed, retrying"));
        run.child.kill("SIGINT");
        const result = await run.result;
        expect(result.code).toBe(130);
        expect(errorOf(result).message).toBe("interrupted by SIGINT; cleanup done, no backup was recorded");
    });

    it("wrong password: exit 3 at once, never retried, password never logged", async () => {
        const dir = join(work, "wrong-password");
        const url = pg.url("hotel", { password: "wrong-password-123" });
        const result = await runCli(["backup", "--database-url", url, "--to", `file://${dir}`]);
        expect(result.code).toBe(3);
        expect(errorOf(result).message).toMatch(/^authentication failed to .* \(1 attempt\): password authentication failed for user "harness_admin"/);
        // One attempt was made, not the five --connect-attempts allows.
        expect(errorOf(result).context).toMatchObject({ attempts: 1 });
        expect(result.logs.filter((l) => l.message.startsWith("database connection failed, retrying"))).toEqual([]);
        expect(result.stdout + result.stderr).not.toContain("wrong-password-123");
        expect(filesUnder(dir)).toEqual([]);
        await expectSourceUntouched("hotel");
    });

    it("Neon pooler host: exit 2 naming the direct endpoint", async () => {
        const result = await runCli([
            "backup",
            "--database-url",
            "postgresql://app:not-a-real-secret@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require",
            "--to",
            `file://${join(work, "pooler")}`,
        ]);
        expect(result.code).toBe(2);
        expect(errorOf(result).message).toContain('Use the direct endpoint "ep-cool-darkness-123456.us-east-2.aws.neon.tech"');
        expect(result.stdout).not.toContain("not-a-real-secret");
        expect(filesUnder(join(work, "pooler"))).toEqual([]);
    });

    it("bad arguments: exit 2 naming the argument, the value and what is allowed", async () => {
        const result = await runCli(["backup", "--database-url", hotelUrl, "--to", "ftp://host/x"]);
        expect(result.code).toBe(2);
        expect(errorOf(result).message).toBe('--to "ftp://host/x" is not a supported target: use s3://BUCKET[/PREFIX] or file://DIR');
    });

    it("pg_dump older than the server: exit 4 naming both versions", async () => {
        const old = olderClientBinDir(pg.serverMajor - 1, "15");
        try {
            const dir = join(work, "old-pg-dump");
            const result = await runCli(["backup", "--database-url", hotelUrl, "--to", `file://${dir}`, "--pg-bin", old.dir]);
            expect(result.code).toBe(4);
            expect(errorOf(result).message).toMatch(
                new RegExp(
                    `^pg_dump ${pg.serverMajor - 1}\\.13 \\(.*/pg_dump\\) is older than the server's PostgreSQL ${pg.serverMajor}\\.\\d+: pg_dump major ` +
                        `${pg.serverMajor - 1} < server major ${pg.serverMajor}\\.`,
                ),
            );
            expect(filesUnder(dir)).toEqual([]);
        } finally {
            old.remove();
        }
    });

    it("zstd missing: exit 2 before connecting", async () => {
        const dir = join(work, "no-zstd");
        const result = await runCli(["backup", "--database-url", hotelUrl, "--to", `file://${dir}`, "--pg-bin", pg.binDir], { env: { PATH: "/nonexistent" } });
        expect(result.code).toBe(2);
        expect(errorOf(result).message).toMatch(/^zstd is not installed or not runnable \(looked on PATH\): /);
        expect(filesUnder(dir)).toEqual([]);
    });

    it("S3 unreachable: exit 6 before any dump starts", async () => {
        const result = await runCli(["backup", "--database-url", hotelUrl, "--to", `s3://${BUCKET}/unreachable`], {
            env: { ...s3.env, AWS_ENDPOINT_URL_S3: await unreachableEndpoint() },
        });
        expect(result.code).toBe(6);
        expect(errorOf(result).message).toMatch(/^S3 bucket fault-backups is not reachable: /);
        await expectNothingInS3("unreachable/");
        await expectNoPgDumpBackend();
    });
});

describe("mid-stream faults (30 MiB incompressible dump, 5 MiB parts)", () => {
    const slowUpload = ["--part-size-mib", "5", "--upload-queue-size", "1", "--progress-interval", "1"];

    function startSlowBackup(prefix: string) {
        s3.setFaults({ uploadPartDelayMs: 700 });
        return spawnCli(["backup", "--database-url", bulkUrl, "--to", `s3://${BUCKET}/${prefix}`, ...slowUpload], { env: s3.env });
    }

    it("S3 failing part uploads: exit 6, multipart upload aborted, pg_dump stopped", async () => {
        s3.failUploadPartsAfter(1);
        const result = await runCli(["backup", "--database-url", bulkUrl, "--to", `s3://${BUCKET}/parts`, ...slowUpload], { env: s3.env });
        expect(result.code).toBe(6);
        expect(errorOf(result).message).toMatch(
            /^uploading a part of s3:\/\/fault-backups\/parts\/dumps\/bulk_\d{8}T\d{6}Z\.[0-9a-f]{8}\.pgdump\.zst failed: /,
        );
        expect(s3.requests.filter((r) => r.key.startsWith("parts/") && r.operation === "AbortMultipartUpload" && r.status === 204)).toHaveLength(1);
        expect(s3.requests.filter((r) => r.key.startsWith("parts/") && r.operation === "CompleteMultipartUpload")).toEqual([]);
        await expectNothingInS3("parts/");
        await expectNoPgDumpBackend();
        await expectSourceUntouched("bulk");
    });

    it("pg_dump killed mid-stream: exit 5 with pg_dump's fate, upload aborted", async () => {
        const run = startSlowBackup("killed");
        await s3.waitForRequests((r) => r.key.startsWith("killed/") && r.operation === "UploadPart");
        const pgDump = await waitForDescendant(run.child.pid!, "pg_dump", 5_000);
        process.kill(pgDump.pid, "SIGKILL");
        const result = await run.result;
        expect(result.code).toBe(5);
        expect(errorOf(result).message).toBe("pg_dump failed: pg_dump was killed by SIGKILL");
        expect(s3.requests.filter((r) => r.key.startsWith("killed/") && r.operation === "AbortMultipartUpload")).toHaveLength(1);
        await expectNothingInS3("killed/");
        await expectNoPgDumpBackend();
    });

    it("backend terminated mid-dump: exit 5 with pg_dump's stderr", async () => {
        const run = startSlowBackup("terminated");
        await s3.waitForRequests((r) => r.key.startsWith("terminated/") && r.operation === "UploadPart");
        const terminated = await pg.query(
            "postgres",
            "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'hotelgenius-backup-pg_dump'",
        );
        expect(terminated).toEqual([{ ok: true }]);
        // pg_dump notices once it reads from its dead connection: let the buffered stream drain at full speed.
        s3.clearFaults();
        const result = await run.result;
        expect(result.code).toBe(5);
        const error = errorOf(result);
        expect(error.message).toMatch(/^pg_dump failed: pg_dump exited with code 1: pg_dump: error: /);
        expect(error.message).toMatch(/terminating connection due to administrator command|server closed the connection unexpectedly/);
        expect(error.context).toMatchObject({ exitCode: 5, pgDumpStderr: expect.stringContaining("pg_dump: error:") });
        await expectNothingInS3("terminated/");
        await expectNoPgDumpBackend();
        await expectSourceUntouched("bulk");
    });

    it("SIGTERM mid-backup: exit 143 within seconds, pg_dump ended, multipart upload aborted", async () => {
        const run = startSlowBackup("sigterm");
        await s3.waitForRequests((r) => r.key.startsWith("sigterm/") && r.operation === "UploadPart");
        await waitForDescendant(run.child.pid!, "pg_dump", 5_000);
        // Streaming end to end: neither the CLI nor pg_dump/zstd holds a regular file open for writing.
        for (const pid of [run.child.pid!, ...descendants(run.child.pid!).map((p) => p.pid)]) expect(filesOpenForWriting(pid)).toEqual([]);
        const progress = await run.waitForLog((l) => l.message === "backup progress");
        expect(progress.context).toMatchObject({ bytes: expect.any(Number), bytesPerSecond: expect.any(Number) });
        const sent = Date.now();
        run.child.kill("SIGTERM");
        const result = await run.result;
        expect(Date.now() - sent).toBeLessThan(10_000);
        expect(result.code).toBe(143);
        expect(errorOf(result).message).toBe("interrupted by SIGTERM; cleanup done, no backup was recorded");
        expect(metricOf(result)).toMatchObject({ BackupSuccess: 0 });
        expect(s3.requests.filter((r) => r.key.startsWith("sigterm/") && r.operation === "AbortMultipartUpload" && r.status === 204)).toHaveLength(1);
        await expectNothingInS3("sigterm/");
        await expectNoPgDumpBackend();
        await expectSourceUntouched("bulk");
    });

    it("pg_dump dying mid-stream to file://: no .partial file left, no manifest", async () => {
        // A pg_dump that streams 1 MiB of a real dump and is then killed (a stand-in via --pg-bin).
        const bin = mkdtempSync(join(tmpdir(), "dying-pg-bin-"));
        const real = join(pg.binDir, "pg_dump");
        writeFileSync(
            join(bin, "pg_dump"),
            `#!/bin/bash\nif [ "$1" = "--version" ]; then exec "${real}" --version; fi\n"${real}" "$@" | head -c 1048576\nkill -9 $$\n`,
            { mode: 0o755 },
        );
        try {
            const dir = join(work, "file-killed");
            const result = await runCli(["backup", "--database-url", bulkUrl, "--to", `file://${dir}`, "--pg-bin", bin]);
            expect(result.code).toBe(5);
            expect(errorOf(result).message).toBe("pg_dump failed: pg_dump was killed by SIGKILL");
            expect(filesUnder(dir)).toEqual([]);
            await expectNoPgDumpBackend();
        } finally {
            rmSync(bin, { recursive: true, force: true });
        }
    });
});

describe("restore faults", () => {
    let target: string;
    let id: string;

    beforeAll(async () => {
        target = `file://${join(work, "good")}`;
        const result = await runCli(["backup", "--database-url", hotelUrl, "--to", target]);
        expect(result.code, result.stdout).toBe(0);
        id = String(result.logs.find((l) => l.message === "backup complete")!.context!["id"]);
    });

    it("pg_restore error: exit 8 and nothing committed", async () => {
        // A role that may connect but not create schemas or tables: the dump's first CREATE fails in
        // pg_restore's own session (an empty target, nothing of the job's own to run: the direct path).
        await pg.createDatabase("no_create_target");
        await pg.query("postgres", "CREATE ROLE no_create LOGIN PASSWORD 'no-create-pw-71'");
        const url = pg.url("no_create_target", { user: "no_create", password: "no-create-pw-71" });
        const result = await runCli(["restore", "--from", target, "--backup", id, "--database-url", url]);
        expect(result.code, result.stdout).toBe(8);
        expect(errorOf(result).message).toMatch(/^the restore failed, nothing was committed: .*pg_restore exited with code 1: .*permission denied/s);
        expect(
            await pg.query(
                "no_create_target",
                "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', " +
                    "'information_schema', 'pg_toast')",
            ),
        ).toEqual([{ n: 0 }]);
    });

    it("pg_restore dying early (zstd then killed by SIGPIPE): the rest is still read and matches, so exit 8 with pg_restore's death, not 'changed'", async () => {
        // A pg_restore that reads 64 KiB of the archive and is then killed (a stand-in via --pg-bin): zstd,
        // with 30 MiB still to write, dies of SIGPIPE. The dump itself is intact.
        const bin = mkdtempSync(join(tmpdir(), "dying-pg-restore-bin-"));
        const real = join(pg.binDir, "pg_restore");
        writeFileSync(
            join(bin, "pg_restore"),
            `#!/bin/bash\nif [ "$1" = "--version" ]; then exec "${real}" --version; fi\nhead -c 65536 >/dev/null\nkill -9 $$\n`,
            {
                mode: 0o755,
            },
        );
        symlinkSync(join(pg.binDir, "psql"), join(bin, "psql"));
        try {
            const from = `file://${join(work, "bulk-for-restore")}`;
            const backup = await runCli(["backup", "--database-url", bulkUrl, "--to", from]);
            expect(backup.code, backup.stdout).toBe(0);
            const url = await pg.createDatabase("pg_restore_dies_target");
            const result = await runCli(["restore", "--from", from, "--database-url", url, "--pg-bin", bin]);
            expect(result.code, result.stdout).toBe(8);
            expect(errorOf(result).message).toMatch(
                /^the restore failed, nothing was committed: zstd was killed by SIGPIPE; pg_restore was killed by SIGKILL$/,
            );
        } finally {
            rmSync(bin, { recursive: true, force: true });
        }
    });

    it("psql missing: exit 2 naming psql, before the backup is read or the target touched", async () => {
        const noPsql = mkdtempSync(join(tmpdir(), "pg-bin-no-psql-"));
        symlinkSync(join(pg.binDir, "pg_restore"), join(noPsql, "pg_restore"));
        try {
            const url = await pg.createDatabase("no_psql_target");
            for (const clean of [[], ["--clean"]]) {
                const result = await runCli(["restore", "--from", target, "--backup", id, "--database-url", url, "--pg-bin", noPsql, ...clean]);
                expect(result.code, result.stdout).toBe(2);
                expect(errorOf(result).message).toMatch(
                    new RegExp(`^cannot run psql \\(${noPsql}/psql, from --pg-bin\\): .*ENOENT.*; restores need psql beside pg_restore$`),
                );
                expect(result.logs.map((l) => l.message)).not.toContain("restore starting");
            }
        } finally {
            rmSync(noPsql, { recursive: true, force: true });
        }
    });

    it("--clean by a role that does not own the target: exit 8 with psql's 'must be owner', nothing changed", async () => {
        await pg.query("postgres", "CREATE ROLE intruder LOGIN PASSWORD 'intruder-test-only'");
        const url = await createVariedDatabase(pg, "owned_target", { guests: 20 });
        await pg.query("owned_target", "GRANT CREATE ON SCHEMA public TO intruder");
        const owned = await fingerprint(pg, "owned_target");
        const result = await runCli([
            "restore",
            "--from",
            target,
            "--backup",
            id,
            "--database-url",
            pg.url("owned_target", { user: "intruder", password: "intruder-test-only" }),
            "--clean",
        ]);
        expect(url).toContain("owned_target");
        expect(result.code, result.stdout).toBe(8);
        expect(errorOf(result).message).toMatch(
            /^psql ended before the restore could commit, nothing was committed: psql exited with code 3: .*ERROR: {2}must be owner of /s,
        );
        expect(await fingerprint(pg, "owned_target")).toEqual(owned);
    });

    it("pg_restore older than the dump's pg_dump: exit 4", async () => {
        const old = olderClientBinDir(pg.serverMajor - 1, "15");
        try {
            const url = await pg.createDatabase("old_restore_target");
            const result = await runCli(["restore", "--from", target, "--database-url", url, "--pg-bin", old.dir]);
            expect(result.code).toBe(4);
            expect(errorOf(result).message).toMatch(
                new RegExp(
                    `^pg_restore ${pg.serverMajor - 1}\\.13 \\(.*\\) is older than pg_dump ${pg.serverMajor}\\.\\d+, which wrote backup "hotel_\\d{8}T\\d{6}Z"`,
                ),
            );
        } finally {
            old.remove();
        }
    });

    it("unknown backup id: exit 6", async () => {
        const result = await runCli(["restore", "--from", target, "--backup", "hotel_19990101T000000Z", "--database-url", pg.url("postgres")]);
        expect(result.code).toBe(6);
        expect(errorOf(result).message).toMatch(/^backup "hotel_19990101T000000Z" not found in file:\/\//);
    });
});
