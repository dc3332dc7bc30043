// Bounded waits, one winner per backup id, and no deletes: a frozen S3 server, a table held by a
// "migration", a run past its maximum runtime and two runs with the same --name, against the real
// PostgreSQL, pg_dump and s3rver (behind the recording, fault-injecting proxy).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { lockedTables } from "../../src/commands/backup.js";
import { sessionsLeft } from "../support/sessions.js";
import { type CliResult, errorOf, parseOutput, runCli, spawnCli } from "../support/cli.js";
import { createVariedDatabase } from "../support/fixtures.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";
import { startS3, type S3Server } from "../../tools/servers/s3.js";

const BUCKET = "bounds";
let pgc: PgCluster;
let s3: S3Server;
let work: string;
let hotelUrl: string;
let bulkUrl: string;

beforeAll(async () => {
    [pgc, s3] = await Promise.all([startPostgres(), startS3()]);
    await s3.createBucket(BUCKET);
    work = mkdtempSync(join(tmpdir(), "job-bounds-"));
    hotelUrl = await createVariedDatabase(pgc, "hotel", { guests: 300 });
    // Incompressible: the dump spans several 5 MiB parts, so the server can freeze mid-upload.
    bulkUrl = await createVariedDatabase(pgc, "bulk", { guests: 100, bulkMiB: 20 });
});

afterEach(() => s3.clearFaults());

afterAll(async () => {
    await Promise.all([pgc?.stop(), s3?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
});

/** Seconds from the run's first log line to its error line: the CLI's own start-up (slow on a busy machine) is not what is bounded. */
function runSeconds(result: CliResult): number {
    return (Date.parse(errorOf(result).timestamp) - Date.parse(result.logs[0]!.timestamp)) / 1000;
}

/** Every line the job wrote is JSON: log lines or EMF records, nothing else, and only error lines on stderr. */
function expectAllJson(result: CliResult): void {
    expect(result.otherLines).toEqual([]);
    expect(parseOutput(result.stderr).logs.map((line) => line.level)).toEqual(
        result.stderr
            .split("\n")
            .filter(Boolean)
            .map(() => "error"),
    );
}

async function expectNoPgDumpBackend(): Promise<void> {
    expect(await sessionsLeft(pgc)).toEqual([]);
}

function deletesUnder(prefix: string) {
    return s3.requests.filter((r) => r.key.startsWith(prefix) && r.operation === "DeleteObject");
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("every S3 request has a deadline", () => {
    it("a server frozen mid-upload (it stops reading a part): exit 6 at the deadline naming the part, pg_dump gone, nothing listed, no DELETE", async () => {
        s3.setFaults({ stall: { operation: "UploadPart", after: 1, mode: "no-read" } });
        const result = await runCli(
            [
                "backup",
                "--database-url",
                bulkUrl,
                "--to",
                `s3://${BUCKET}/frozen`,
                "--part-size-mib",
                "5",
                "--upload-queue-size",
                "1",
                "--request-timeout",
                "2",
            ],
            { env: s3.env, timeoutMs: 60_000 },
        );
        expect(result.code, result.stdout).toBe(6);
        expect(runSeconds(result), result.stdout).toBeLessThan(10);
        expect(errorOf(result).message).toMatch(
            /^uploading a part of s3:\/\/bounds\/frozen\/dumps\/bulk_\d{8}T\d{6}Z\.[0-9a-f]{8}\.pgdump\.zst failed: S3 UploadPart 2 of s3:\/\/bounds\/frozen\/dumps\/bulk_\S+ got no answer within 2 s \(--request-timeout\)$/,
        );
        expectAllJson(result);
        await expectNoPgDumpBackend();
        expect(await s3.listKeys(BUCKET, "frozen/manifests/")).toEqual([]);
        expect(s3.requests.filter((r) => r.key.startsWith("frozen/") && r.operation === "AbortMultipartUpload").map((r) => r.status)).toEqual([204]);
        expect(deletesUnder("frozen/")).toEqual([]);
    });

    it("a manifest write that never gets an answer: exit 6, the stored dump is left (no DELETE) and not listed", async () => {
        // The small dump is one PutObject and goes through; the second PutObject, the manifest, hangs.
        s3.setFaults({ stall: { operation: "PutObject", after: 1, mode: "no-answer" } });
        const result = await runCli(["backup", "--database-url", hotelUrl, "--to", `s3://${BUCKET}/manifest-stall`, "--request-timeout", "2"], {
            env: s3.env,
            timeoutMs: 60_000,
        });
        expect(result.code, result.stdout).toBe(6);
        expect(errorOf(result).message).toMatch(
            /^writing manifest s3:\/\/bounds\/manifest-stall\/manifests\/hotel_\d{8}T\d{6}Z\.json failed: S3 PutObject of .* got no answer within 2 s/,
        );
        expect(deletesUnder("manifest-stall/")).toEqual([]);
        s3.clearFaults();
        expect(await s3.listKeys(BUCKET, "manifest-stall/")).toEqual([
            expect.stringMatching(/^manifest-stall\/dumps\/hotel_\d{8}T\d{6}Z\.[0-9a-f]{8}\.pgdump\.zst$/),
        ]);
        const list = await runCli(["list", "--from", `s3://${BUCKET}/manifest-stall`, "--json"], { env: s3.env });
        expect(list.code).toBe(0);
        expect(JSON.parse(list.stdout)).toEqual([]);
        expect(list.stderr).toContain("ignoring dump without manifest");
    });

    it("a manifest write that fails: exit 6 and no DELETE of the stored dump (it is left unlisted for the lifecycle rule)", async () => {
        s3.setFaults({ fail: { operation: "PutObject", after: 1 } });
        const result = await runCli(["backup", "--database-url", hotelUrl, "--to", `s3://${BUCKET}/manifest-fails`], { env: s3.env });
        expect(result.code, result.stdout).toBe(6);
        expect(errorOf(result).message).toMatch(/^writing manifest s3:\/\/bounds\/manifest-fails\/manifests\/hotel_\d{8}T\d{6}Z\.json failed: /);
        expect(deletesUnder("manifest-fails/")).toEqual([]);
        expect(await s3.listKeys(BUCKET, "manifest-fails/manifests/")).toEqual([]);
    });

    describe("reads", () => {
        const from = `s3://${BUCKET}/reads`;
        let id: string;
        beforeAll(async () => {
            const result = await runCli(["backup", "--database-url", hotelUrl, "--to", from], { env: s3.env });
            expect(result.code, result.stdout).toBe(0);
            id = String(result.logs.find((l) => l.message === "backup complete")!.context!["id"]);
        });

        it("a download that stalls mid-body during restore: exit 6 naming the object, within the deadline", async () => {
            // The first GetObject is the manifest, the second the dump.
            s3.setFaults({ stall: { operation: "GetObject", after: 1, mode: "mid-body", afterBytes: 1000 } });
            const target = await pgc.createDatabase("stalled_restore");
            const result = await runCli(["restore", "--from", from, "--backup", id, "--database-url", target, "--request-timeout", "2"], {
                env: s3.env,
                timeoutMs: 60_000,
            });
            expect(result.code, result.stdout).toBe(6);
            expect(runSeconds(result), result.stdout).toBeLessThan(10);
            // restore.ts adds which backup it was reading; the storage names the object and the stall.
            expect(errorOf(result).message).toMatch(
                /reading s3:\/\/bounds\/reads\/dumps\/hotel_\S+\.pgdump\.zst stalled: no bytes for 2 s after 1000 bytes \(--request-timeout\)$/,
            );
            expectAllJson(result);
        });

        it("a listing that never gets an answer: list exits 6 naming the request", async () => {
            s3.setFaults({ stall: { operation: "ListObjects", mode: "no-answer" } });
            const result = await runCli(["list", "--from", from, "--request-timeout", "1"], { env: s3.env, timeoutMs: 60_000 });
            expect(result.code, result.stderr).toBe(6);
            expect(result.stderr).toMatch(
                /"message":"listing s3:\/\/bounds\/reads\/manifests\/ failed: S3 ListObjects of s3:\/\/bounds\/reads\/manifests\/ got no answer within 1 s/,
            );
        });

        it("a bad --request-timeout or BACKUP_REQUEST_TIMEOUT_SECONDS: exit 2 naming it", async () => {
            const fromOption = await runCli(["list", "--from", from, "--request-timeout", "0"], { env: s3.env });
            expect(fromOption.code).toBe(2);
            expect(fromOption.stderr).toContain('--request-timeout \\"0\\" is not allowed: use a whole number from 1 to 3600');
            const fromEnv = await runCli(["list", "--from", from], { env: { ...s3.env, BACKUP_REQUEST_TIMEOUT_SECONDS: "soon" } });
            expect(fromEnv.code).toBe(2);
            expect(fromEnv.stderr).toContain('BACKUP_REQUEST_TIMEOUT_SECONDS \\"soon\\" is not allowed');
        });
    });

    it("a missing bucket is named", async () => {
        const result = await runCli(["backup", "--database-url", hotelUrl, "--to", "s3://no-such-bucket/x"], { env: s3.env });
        expect(result.code).toBe(6);
        expect(errorOf(result).message).toBe('S3 bucket "no-such-bucket" does not exist (HeadBucket answered 404)');
    });
});

describe("lock wait", () => {
    it("a table held in ACCESS EXCLUSIVE mode: exit 10 after --lock-wait-timeout, naming the table, retryable", async () => {
        const migration = new pg.Client({ connectionString: pgc.url("hotel") });
        await migration.connect();
        try {
            await migration.query("BEGIN");
            await migration.query("LOCK TABLE public.guests IN ACCESS EXCLUSIVE MODE");
            const dir = join(work, "locked");
            const result = await runCli(["backup", "--database-url", hotelUrl, "--to", `file://${dir}`, "--lock-wait-timeout", "1"], { timeoutMs: 60_000 });
            expect(result.code, result.stdout).toBe(10);
            expect(runSeconds(result), result.stdout).toBeLessThan(10);
            const error = errorOf(result);
            // pg_dump and the row counts wait for the same lock with the same bound: either may report it.
            expect(error.message).toMatch(
                /^(pg_dump|counting rows in the dump's snapshot) could not lock table public\.guests within --lock-wait-timeout 1 s: another session holds a conflicting lock \(e\.g\. a migration holding ACCESS EXCLUSIVE\); retry the backup once it has finished$/,
            );
            expect(error.context).toMatchObject({ table: "public.guests", retryable: true, lockWaitTimeoutSeconds: 1, exitCode: 10 });
            expect(readdirSync(join(dir, "manifests"))).toEqual([]);
            await expectNoPgDumpBackend();

            // The row counts usually report first; pg_dump's own message must name the table too.
            const pgDump = spawnSync(join(pgc.binDir, "pg_dump"), ["--format=custom", "--lock-wait-timeout=1s", `--dbname=${pgc.url("hotel")}`], {
                encoding: "utf8",
                maxBuffer: 64 * 1024 * 1024,
            });
            expect(pgDump.status, pgDump.stderr).toBe(1);
            expect(lockedTables(pgDump.stderr)).toBe("public.guests");
        } finally {
            await migration.end();
        }
    });
});

describe("maximum runtime", () => {
    it("reached while waiting for a table lock: exit 124, and no session of the job stays waiting on the server", async () => {
        const migration = new pg.Client({ connectionString: pgc.url("hotel") });
        await migration.connect();
        try {
            await migration.query("BEGIN");
            await migration.query("LOCK TABLE public.guests IN ACCESS EXCLUSIVE MODE");
            const migrationPid = (await migration.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
            const result = await runCli(
                ["backup", "--database-url", hotelUrl, "--to", `file://${join(work, "locked-long")}`, "--lock-wait-timeout", "120", "--max-runtime", "2"],
                {
                    timeoutMs: 60_000,
                },
            );
            expect(result.code, result.stdout).toBe(124);
            const ourSessions = () =>
                pgc.query("hotel", "SELECT pid FROM pg_stat_activity WHERE datname = 'hotel' AND pid <> pg_backend_pid() AND pid <> $1", [migrationPid]);
            const deadline = Date.now() + 5_000;
            while (Date.now() < deadline && (await ourSessions()).length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
            expect(await ourSessions()).toEqual([]);
        } finally {
            await migration.end();
        }
    });

    it("a run past --max-runtime is stopped like SIGTERM: exit 124, upload aborted, pg_dump gone", async () => {
        s3.setFaults({ uploadPartDelayMs: 3_000 });
        const result = await runCli(
            ["backup", "--database-url", bulkUrl, "--to", `s3://${BUCKET}/slow`, "--part-size-mib", "5", "--upload-queue-size", "1", "--max-runtime", "6"],
            { env: s3.env, timeoutMs: 60_000 },
        );
        expect(result.code, result.stdout).toBe(124);
        expect(runSeconds(result), result.stdout).toBeLessThan(15);
        expect(result.logs.filter((l) => l.message.startsWith("maximum runtime of 6 s reached (--max-runtime)"))).toHaveLength(1);
        expect(errorOf(result).message).toBe("stopped after the maximum runtime of 6 s (--max-runtime); nothing was recorded or committed");
        expect(result.metrics.at(-1)).toMatchObject({ BackupSuccess: 0 });
        // 6 s leaves a loaded machine time to open the upload before the bound (at 3 s a busy CI runner had not yet
        // opened it, so there was nothing to abort); the upload opened is the one aborted.
        const under = (operation: string) => s3.requests.filter((r) => r.key.startsWith("slow/") && r.operation === operation).map((r) => r.status);
        expect(under("CreateMultipartUpload")).toEqual([200]);
        expect(under("AbortMultipartUpload")).toEqual([204]);
        expect(await s3.listKeys(BUCKET, "slow/manifests/")).toEqual([]);
        expect(deletesUnder("slow/")).toEqual([]);
        await expectNoPgDumpBackend();
    });
});

describe("two backups with the same --name at once", () => {
    /** Starts two identical runs until both got the same backup id (they start within the same second). */
    async function race(args: (attempt: number) => string[], env: Record<string, string>): Promise<{ results: CliResult[]; id: string }> {
        for (let attempt = 0; attempt < 6; attempt++) {
            const runs = [spawnCli(args(attempt), { env }), spawnCli(args(attempt), { env })];
            const results = await Promise.all(runs.map((r) => r.result));
            const ids = results.map((r) => String(r.logs.find((l) => l.message === "backup starting")?.context?.["id"]));
            if (ids[0] === ids[1]) return { results, id: ids[0]! };
        }
        throw new Error("the two runs never started within the same second");
    }

    it("file://: exactly one wins, the other fails clearly and leaves the winner's files intact", { timeout: 120_000 }, async () => {
        const dir = join(work, "race");
        const { results, id } = await race((attempt) => ["backup", "--database-url", hotelUrl, "--to", `file://${dir}`, "--name", `race${attempt}`], {});
        const codes = results.map((r) => r.code).sort();
        expect(codes, results.map((r) => r.stdout).join("\n")).toEqual([0, 6]);
        const loser = results.find((r) => r.code === 6)!;
        // Depending on how far the winner got: its manifest exists, or its dump or manifest is being written.
        expect(errorOf(loser).message).toMatch(new RegExp(`^backup "${id}" (already exists|is already being written or exists) in file://`));
        const manifest = JSON.parse(readFileSync(join(dir, "manifests", `${id}.json`), "utf8")) as { dump: string; sha256: string };
        expect(sha256(readFileSync(join(dir, manifest.dump)))).toBe(manifest.sha256);
        expect(readdirSync(join(dir, "dumps")).filter((f) => f.startsWith(id))).toEqual([`${id}.pgdump.zst`]);
        const verify = await runCli(["verify", "--from", `file://${dir}`, "--backup", id, "--scratch-database-url", pgc.url("postgres")]);
        expect(verify.code, verify.stdout).toBe(0);
    });

    it("s3rver 3.7.1 ignores If-None-Match: * (AWS answers 412), so locally only the job's HeadObject check guards the manifest", async () => {
        const client = s3.client();
        const put = (body: string) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "conditional/m.json", Body: body, IfNoneMatch: "*" }));
        await put("first");
        await expect(put("second")).resolves.toBeDefined();
        expect((await s3.getObject(BUCKET, "conditional/m.json")).toString()).toBe("second");
    });

    it("s3://: each run writes its own dump object; every listed manifest names bytes matching its sha256", { timeout: 120_000 }, async () => {
        const prefix = "race";
        const { results, id } = await race(
            (attempt) => ["backup", "--database-url", hotelUrl, "--to", `s3://${BUCKET}/${prefix}`, "--name", `race${attempt}`],
            s3.env,
        );
        const codes = results.map((r) => r.code);
        // s3rver ignores If-None-Match (see README): the check just before the manifest write usually
        // catches the loser, but both may pass it; what must hold either way is below.
        expect(codes).toContain(0);
        for (const loser of results.filter((r) => r.code !== 0)) {
            expect(loser.code).toBe(6);
            // Found at the preflight check (the winner had finished) or just before the manifest write.
            expect(errorOf(loser).message).toMatch(new RegExp(`^backup "${id}" already exists in s3://bounds/race: `));
        }
        // No dump object is ever written twice: each run that got as far as uploading used its own key.
        const putDumps = s3.requests.filter((r) => r.key.startsWith(`${prefix}/dumps/${id}`) && r.operation === "PutObject").map((r) => r.key);
        expect(putDumps.length).toBeGreaterThanOrEqual(1);
        expect(new Set(putDumps).size).toBe(putDumps.length);
        const manifest = JSON.parse((await s3.getObject(BUCKET, `${prefix}/manifests/${id}.json`)).toString("utf8")) as { dump: string; sha256: string };
        expect(sha256(await s3.getObject(BUCKET, `${prefix}/${manifest.dump}`))).toBe(manifest.sha256);
        const verify = await runCli(["verify", "--from", `s3://${BUCKET}/${prefix}`, "--backup", id, "--scratch-database-url", pgc.url("postgres")], {
            env: s3.env,
        });
        expect(verify.code, verify.stdout).toBe(0);
        expect(deletesUnder(`${prefix}/`)).toEqual([]);
    });
});
