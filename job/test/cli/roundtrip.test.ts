// Round trips against a real PostgreSQL cluster, the real pg_dump/pg_restore and a real S3 server.
import { spawn } from "node:child_process";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pgDriver from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { beginSnapshotTransaction } from "../../src/postgres/db.js";
import { runCli, type CliResult } from "../support/cli.js";
import { createVariedDatabase, fingerprint } from "../support/fixtures.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";
import { startS3, type S3Server } from "../../tools/servers/s3.js";

let pg: PgCluster;
let s3: S3Server;
let sourceUrl: string;
let work: string;
const BUCKET = "roundtrip-backups";

beforeAll(async () => {
    [pg, s3] = await Promise.all([startPostgres(), startS3()]);
    await s3.createBucket(BUCKET);
    sourceUrl = await createVariedDatabase(pg, "hotel");
    work = mkdtempSync(join(tmpdir(), "job-roundtrip-"));
});

afterAll(async () => {
    await Promise.all([pg?.stop(), s3?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
});

function errorLine(result: CliResult) {
    return result.logs.find((l) => l.level === "error");
}

/** Relations in the public schema: 0 when a restore committed nothing. */
async function publicRelations(database: string): Promise<number> {
    const [row] = await pg.query<{ n: number }>(
        database,
        "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
    );
    return row!.n;
}

function expectNoSecret(result: CliResult) {
    expect(result.stdout + result.stderr).not.toContain(pg.password);
}

async function backup(target: string, extra: string[] = [], env: Record<string, string> = {}): Promise<{ result: CliResult; id: string }> {
    const result = await runCli(["backup", "--database-url", sourceUrl, "--to", target, ...extra], { env: { ...s3.env, ...env } });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const done = result.logs.find((l) => l.message === "backup complete");
    expect(done).toBeDefined();
    expectNoSecret(result);
    return { result, id: String(done!.context!["id"]) };
}

describe("backup to file:// and restore", () => {
    let target: string;
    let id: string;

    it("writes the dump and a complete manifest, logs JSON lines and EMF metrics", async () => {
        target = `file://${join(work, "file-target")}`;
        const run = await backup(target);
        id = run.id;
        expect(id).toMatch(/^hotel_\d{8}T\d{6}Z$/);
        expect(readdirSync(join(work, "file-target", "dumps"))).toEqual([`${id}.pgdump.zst`]);
        expect(readdirSync(join(work, "file-target", "manifests"))).toEqual([`${id}.json`]);
        const manifest = JSON.parse(readFileSync(join(work, "file-target", "manifests", `${id}.json`), "utf8"));
        expect(manifest).toMatchObject({
            id,
            database: "hotel",
            format: "custom",
            compression: { algorithm: "zstd", level: 3 },
            serverMajor: String(pg.serverMajor),
            largeObjects: 1,
        });
        const dump = readFileSync(join(work, "file-target", "dumps", `${id}.pgdump.zst`));
        expect(manifest.bytes).toBe(dump.length);
        const { createHash } = await import("node:crypto");
        expect(manifest.sha256).toBe(createHash("sha256").update(dump).digest("hex"));
        const counts = Object.fromEntries(manifest.tables.map((t: { schema: string; name: string; rows: number }) => [`${t.schema}.${t.name}`, t.rows]));
        expect(counts).toMatchObject({ "public.guests": 3000, "ops.Room Types": 4, "public.bookings_2025": expect.any(Number) });
        expect(counts["public.bookings_2025"] + counts["public.bookings_2026"] + counts["public.bookings_other"]).toBe(6000);
        expect(counts).not.toHaveProperty("public.bookings");
        for (const line of run.result.logs) expect(Object.keys(line).sort()).toEqual(expect.arrayContaining(["level", "message", "timestamp"]));
        const metric = run.result.metrics.at(-1)!;
        expect(metric._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: "HotelGenius/Backup", Dimensions: [["Database"]] });
        expect(metric).toMatchObject({
            Database: "hotel",
            BackupSuccess: 1,
            BackupBytes: dump.length,
            BackupDuration: expect.any(Number),
            DumpDuration: expect.any(Number),
            UploadDuration: expect.any(Number),
        });
    });

    it("lists it (JSON and table) and restores it into a new database identically", async () => {
        const listed = await runCli(["list", "--from", target, "--json"]);
        expect(listed.code).toBe(0);
        const manifests = JSON.parse(listed.stdout);
        expect(manifests.map((m: { id: string }) => m.id)).toEqual([id]);
        const table = await runCli(["list", "--from", target]);
        expect(table.stdout).toMatch(new RegExp(`^ID\\s+STARTED[^\\n]*\\n${id}\\s`));

        const restoreUrl = await pg.createDatabase("restored_file");
        const restored = await runCli(["restore", "--from", target, "--database-url", restoreUrl, "--checksum-pass", "always"]);
        expect(restored.code, restored.stdout + restored.stderr).toBe(0);
        expect(restored.logs.map((l) => l.message)).toEqual(expect.arrayContaining(["dump checksum verified", "restore complete"]));
        expectNoSecret(restored);
        expect(await fingerprint(pg, "restored_file")).toEqual(await fingerprint(pg, "hotel"));
    });

    it("refuses a non-empty target without --clean (exit 9) and restores over it with --clean", async () => {
        const refused = await runCli(["restore", "--from", target, "--backup", id, "--database-url", pg.url("restored_file")]);
        expect(refused.code).toBe(9);
        expect(errorLine(refused)?.message).toMatch(/refusing to restore into .*restored_file: it already holds \d+ user object\(s\).*--clean/);
        await pg.query("restored_file", "DELETE FROM ops.\"Room Types\" WHERE code = 'STD'; CREATE TABLE junk (x int); CREATE SCHEMA extra");
        const cleaned = await runCli(["restore", "--from", target, "--backup", id, "--database-url", pg.url("restored_file"), "--clean"]);
        expect(cleaned.code, cleaned.stdout + cleaned.stderr).toBe(0);
        expect(await fingerprint(pg, "restored_file")).toEqual(await fingerprint(pg, "hotel"));
    });

    it("verify restores into a scratch database, compares every table and drops it", async () => {
        const verified = await runCli(["verify", "--from", target, "--scratch-database-url", pg.url("postgres")]);
        expect(verified.code, verified.stdout + verified.stderr).toBe(0);
        const results = verified.logs.find((l) => l.message === "verify table results")!.context!["tables"] as { ok: boolean }[];
        expect(results.length).toBeGreaterThanOrEqual(6);
        expect(results.every((r) => r.ok)).toBe(true);
        expect(verified.metrics.at(-1)).toMatchObject({ VerifySuccess: 1 });
        const leftovers = await pg.query("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'hotelgenius\\_verify\\_%'");
        expect(leftovers).toEqual([]);
    });

    it("verify fails with exit 7 when a table's rows differ from the manifest, and still drops the scratch database", async () => {
        const file = join(work, "file-target", "manifests", `${id}.json`);
        const original = readFileSync(file, "utf8");
        const manifest = JSON.parse(original);
        const guests = manifest.tables.find((t: { name: string }) => t.name === "guests");
        guests.rows += 1;
        writeFileSync(file, JSON.stringify(manifest));
        try {
            const verified = await runCli(["verify", "--from", target, "--backup", id, "--scratch-database-url", pg.url("postgres")]);
            expect(verified.code).toBe(7);
            expect(errorLine(verified)?.message).toMatch(/1 of \d+ tables differ from the manifest: public\.guests expected 3001 rows, got 3000/);
            expect(verified.metrics.at(-1)).toMatchObject({ VerifySuccess: 0 });
            expect(await pg.query("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'hotelgenius\\_verify\\_%'")).toEqual([]);
        } finally {
            writeFileSync(file, original);
        }
    });

    it("refuses a corrupted dump before touching the target (exit 7)", async () => {
        const copy = join(work, "corrupt-target");
        const { cpSync } = await import("node:fs");
        cpSync(join(work, "file-target"), copy, { recursive: true });
        const dumpFile = join(copy, "dumps", `${id}.pgdump.zst`);
        const bytes = readFileSync(dumpFile);
        bytes[Math.floor(bytes.length / 2)] ^= 0xff;
        writeFileSync(dumpFile, bytes);
        const targetUrl = await pg.createDatabase("restored_corrupt");
        const result = await runCli(["restore", "--from", `file://${copy}`, "--database-url", targetUrl, "--checksum-pass", "always"]);
        expect(result.code).toBe(7);
        expect(errorLine(result)?.message).toMatch(/checksum mismatch for backup .*nothing was restored/);
        expect(await publicRelations("restored_corrupt")).toBe(0);
    });

    it("--skip-checksum-pass: the same corrupted dump is caught by the restore's own read (exit 7), nothing committed", async () => {
        const copy = join(work, "corrupt-target");
        const targetUrl = await pg.createDatabase("restored_corrupt_once");
        const result = await runCli(["restore", "--from", `file://${copy}`, "--database-url", targetUrl, "--skip-checksum-pass"]);
        expect(result.code, result.stdout + result.stderr).toBe(7);
        expect(result.logs.map((l) => l.message)).not.toContain("dump checksum verified");
        expect(result.logs.map((l) => l.message)).toContain(
            "checksum pass skipped (--checksum-pass never): the dump is read once and checked as it is restored, before the COMMIT",
        );
        expect(errorLine(result)?.message).toMatch(/^the dump of "hotel_\d{8}T\d{6}Z" does not match its manifest \(.*\); nothing was committed$/);
        expect(await publicRelations("restored_corrupt_once")).toBe(0);
    });

    it("--checksum-pass auto in a private folder: the same corrupted dump is read once and refused (exit 7), nothing committed", async () => {
        const copy = join(work, "corrupt-target");
        const targetUrl = await pg.createDatabase("restored_corrupt_auto");
        const result = await runCli(["restore", "--from", `file://${copy}`, "--database-url", targetUrl]);
        expect(result.code, result.stdout + result.stderr).toBe(7);
        const messages = result.logs.map((l) => l.message);
        expect(messages).not.toContain("dump checksum verified");
        expect(messages).toContainEqual(
            expect.stringMatching(/^checksum pass skipped: the dump \/.*\/corrupt-target\/dumps\/hotel_\w+\.pgdump\.zst is in a private folder/),
        );
        expect(errorLine(result)?.message).toMatch(/^the dump of "hotel_\d{8}T\d{6}Z" does not match its manifest \(.*\); nothing was committed$/);
        expect(await publicRelations("restored_corrupt_auto")).toBe(0);
    });
});

describe("backup to s3:// and restore", () => {
    const target = `s3://${BUCKET}/prod/db`;
    let id: string;

    it("uploads dump then manifest, lists it and restores it identically", async () => {
        let result: CliResult;
        ({ id, result } = await backup(target));
        // Every line is JSON for CloudWatch: Node's and the SDK's warnings included, nothing on stderr.
        expect(result.stderr).toBe("");
        expect(result.otherLines).toEqual([]);
        // The dump's key carries the run's token; the manifest names it.
        expect(await s3.listKeys(BUCKET)).toEqual([
            expect.stringMatching(new RegExp(`^prod/db/dumps/${id}\\.[0-9a-f]{8}\\.pgdump\\.zst$`)),
            `prod/db/manifests/${id}.json`,
        ]);
        const manifest = JSON.parse((await s3.getObject(BUCKET, `prod/db/manifests/${id}.json`)).toString("utf8")) as { dump: string };
        expect(`prod/db/${manifest.dump}`).toBe((await s3.listKeys(BUCKET, "prod/db/dumps/"))[0]);
        const listed = await runCli(["list", "--from", target, "--json"], { env: s3.env });
        expect(listed.code, listed.stderr).toBe(0);
        expect(JSON.parse(listed.stdout).map((m: { id: string }) => m.id)).toEqual([id]);

        const restoreUrl = await pg.createDatabase("restored_s3");
        const restored = await runCli(["restore", "--from", target, "--backup", "latest", "--database-url", restoreUrl], { env: s3.env });
        expect(restored.code, restored.stdout + restored.stderr).toBe(0);
        expect(await fingerprint(pg, "restored_s3")).toEqual(await fingerprint(pg, "hotel"));
        // The checksum pass and the restore pass each read the object once; nothing else.
        expect(s3.requests.filter((r) => r.operation === "GetObject" && r.key.endsWith(".pgdump.zst"))).toHaveLength(2);
    });

    it("--skip-checksum-pass reads the dump object once and restores it identically", async () => {
        const dumpReads = () => s3.requests.filter((r) => r.operation === "GetObject" && r.key.endsWith(".pgdump.zst")).length;
        const before = dumpReads();
        const restoreUrl = await pg.createDatabase("restored_s3_once");
        const restored = await runCli(["restore", "--from", target, "--backup", id, "--database-url", restoreUrl, "--skip-checksum-pass"], { env: s3.env });
        expect(restored.code, restored.stdout + restored.stderr).toBe(0);
        expect(restored.logs.map((l) => l.message)).not.toContain("dump checksum verified");
        expect(await fingerprint(pg, "restored_s3_once")).toEqual(await fingerprint(pg, "hotel"));
        expect(dumpReads() - before).toBe(1);
    });

    it("keeps the archive selectively restorable: zstd -d | pg_restore -t one table", async () => {
        const dump = await s3.getObject(BUCKET, (await s3.listKeys(BUCKET, `prod/db/dumps/${id}.`))[0]!);
        const one = await pg.createDatabase("restored_one_table");
        const status = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
            const restore = spawn(join(pg.binDir, "pg_restore"), ["--no-owner", "--no-acl", "--exit-on-error", "-t", "audit_log", "-d", one], {
                env: { ...process.env, PGPASSWORD: pg.password },
                stdio: ["pipe", "ignore", "pipe"],
            });
            const zstd = spawn("zstd", ["-d", "-c", "-q"], { stdio: ["pipe", "pipe", "inherit"] });
            zstd.stdout.pipe(restore.stdin);
            restore.stdin.on("error", () => undefined);
            zstd.stdin.end(dump);
            let stderr = "";
            restore.stderr.on("data", (c) => (stderr += c));
            restore.on("close", (code) => resolve({ code, stderr }));
        });
        expect(status.code, status.stderr).toBe(0);
        const restored = await fingerprint(pg, "restored_one_table");
        expect(Object.keys(restored.tables)).toEqual(["public.audit_log"]);
        expect(restored.tables["public.audit_log"]).toEqual((await fingerprint(pg, "hotel")).tables["public.audit_log"]);
    });

    it("ignores a dump without a manifest, with a warning", async () => {
        await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: "prod/db/dumps/hotel_20200101T000000Z.pgdump.zst", Body: "half a dump" }));
        const listed = await runCli(["list", "--from", target, "--json"], { env: s3.env });
        expect(listed.code).toBe(0);
        expect(JSON.parse(listed.stdout).map((m: { id: string }) => m.id)).toEqual([id]);
        const warning = listed.stderr
            .split("\n")
            .filter((l) => l.startsWith("{"))
            .map((l) => JSON.parse(l))
            .find((l) => l.level === "warn" && l.context?.dump !== undefined);
        expect(warning).toMatchObject({
            message: "ignoring dump without manifest (incomplete or failed backup)",
            context: { dump: "dumps/hotel_20200101T000000Z.pgdump.zst" },
        });
        const restored = await runCli(["restore", "--from", target, "--backup", "hotel_20200101T000000Z", "--database-url", pg.url("postgres")], {
            env: s3.env,
        });
        expect(restored.code).toBe(6);
    });

    it("lists past the first 1000 keys (pagination), newest first by start time", async () => {
        const original = JSON.parse((await s3.getObject(BUCKET, `prod/db/manifests/${id}.json`)).toString("utf8"));
        const client = s3.client();
        const base = Date.parse("2025-01-01T00:00:00Z");
        const ids: string[] = [];
        const total = 1005;
        for (let batch = 0; batch < total; batch += 25) {
            await Promise.all(
                Array.from({ length: Math.min(25, total - batch) }, (_, k) => {
                    const n = batch + k;
                    const startedAt = new Date(base + n * 3_600_000);
                    const stamp = startedAt
                        .toISOString()
                        .replace(/\.\d{3}Z$/, "Z")
                        .replace(/[-:]/g, "");
                    // Names sort the other way round from times: "latest" must come from startedAt, not key order.
                    const copyId = `h${String(total - n).padStart(4, "0")}_${stamp}`;
                    ids.push(copyId);
                    const body = JSON.stringify({ ...original, id: copyId, dump: `dumps/${copyId}.pgdump.zst`, startedAt: startedAt.toISOString() });
                    return client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `many/manifests/${copyId}.json`, Body: body }));
                }),
            );
        }
        const listed = await runCli(["list", "--from", `s3://${BUCKET}/many`, "--json"], { env: s3.env });
        expect(listed.code, listed.stderr).toBe(0);
        const manifests = JSON.parse(listed.stdout) as { id: string; startedAt: string }[];
        expect(manifests).toHaveLength(total);
        expect(s3.requests.filter((r) => r.operation === "ListObjects" && r.key === "").length).toBeGreaterThanOrEqual(2);
        const newest = ids.find((x) => x.startsWith("h0001_"))!;
        expect(manifests[0]!.id).toBe(newest);
        expect(manifests.map((m) => Date.parse(m.startedAt))).toEqual([...manifests.map((m) => Date.parse(m.startedAt))].sort((a, b) => b - a));
    });
});

describe("the backup's snapshot transaction", () => {
    it("is repeatable read, read only, exports its snapshot and counts without parallel workers", async () => {
        const client = new pgDriver.Client({ connectionString: sourceUrl });
        await client.connect();
        try {
            const snapshot = await beginSnapshotTransaction(client);
            expect(snapshot).toMatch(/^[0-9A-F]+-[0-9A-F]+-\d+$/);
            const show = async (setting: string) => (await client.query<Record<string, string>>(`SHOW ${setting}`)).rows[0]![setting];
            expect([await show("transaction_isolation"), await show("transaction_read_only"), await show("max_parallel_workers_per_gather")]).toEqual([
                "repeatable read",
                "on",
                "0",
            ]);
            await client.query("ROLLBACK");
            // SET LOCAL: the session is back to the server's setting once the backup's transaction ends.
            expect(await show("max_parallel_workers_per_gather")).toBe("2");
        } finally {
            await client.end();
        }
    });
});
