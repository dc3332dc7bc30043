import { Upload } from "@aws-sdk/lib-storage";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { spawn, spawnSync } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseOutput, runCli, spawnCli } from "./cli.js";
import { olderClientBinDir } from "./fake-bin.js";
import {
    descendants,
    filesOpenForWriting,
    isWriteMode,
    parseStat,
    parseStatusKiB,
    peakRssBytes,
    treeCpuSeconds,
    waitForDescendant,
} from "../../tools/servers/proc.js";
import { createVariedDatabase, fingerprint } from "./fixtures.js";
import { newestVersionDir, parseMajorVersion, startPostgres, tail, type PgCluster } from "../../tools/servers/postgres.js";
import { classifyRequest, startS3, unreachableEndpoint, type S3Server } from "../../tools/servers/s3.js";

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

async function uploadStream(s3: S3Server, bucket: string, key: string, data: Buffer): Promise<void> {
    const body = new PassThrough();
    const upload = new Upload({ client: s3.client(), params: { Bucket: bucket, Key: key, Body: body } });
    const done = upload.done();
    body.end(data);
    await done;
}

describe("pure helpers", () => {
    it("picks the newest PostgreSQL bin directory", () => {
        expect(newestVersionDir(["/usr/lib/postgresql/9/bin", "/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/15/bin"])).toBe("/usr/lib/postgresql/17/bin");
    });
    it("parses major versions from --version output", () => {
        expect(parseMajorVersion("postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)")).toBe(15);
        expect(parseMajorVersion("pg_dump (PostgreSQL) 17.2")).toBe(17);
        expect(() => parseMajorVersion("zstd v1.5.4")).toThrow(/cannot parse/);
    });
    it("keeps the last lines of a log", () => {
        expect(tail("a\nb\nc\n", 2)).toBe("b\nc");
    });
    it("classifies S3 requests", () => {
        expect(classifyRequest("PUT", "/bkt/dumps/a.zst?partNumber=2&uploadId=ab12&x-id=UploadPart")).toMatchObject({
            operation: "UploadPart",
            bucket: "bkt",
            key: "dumps/a.zst",
            partNumber: 2,
            uploadId: "ab12",
        });
        expect(classifyRequest("DELETE", "/bkt/dumps/a.zst?uploadId=ab12").operation).toBe("AbortMultipartUpload");
        expect(classifyRequest("POST", "/bkt/dumps/a.zst?uploads").operation).toBe("CreateMultipartUpload");
        expect(classifyRequest("PUT", "/bkt/manifests/a.json?x-id=PutObject").operation).toBe("PutObject");
        expect(classifyRequest("GET", "/bkt?list-type=2&prefix=dumps%2F").operation).toBe("ListObjects");
    });
    it("splits CLI output into logs, metrics and other lines", () => {
        const out = [
            JSON.stringify({ level: "info", message: "hi", timestamp: "2026-01-01T00:00:00.000Z" }),
            JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [] }, BackupSuccess: 1 }),
            "plain text",
            "",
        ].join("\n");
        const parsed = parseOutput(out);
        expect(parsed.logs.map((l) => l.message)).toEqual(["hi"]);
        expect(parsed.metrics).toHaveLength(1);
        expect(parsed.otherLines).toEqual(["plain text"]);
    });
});

describe("process inspection", () => {
    it("parses /proc stat and status lines", () => {
        expect(parseStat("4242 (odd) name) S 17 4242 4242 0 -1 4194304 120 0 0 0 250 30 7 5 20 0 1 0")).toEqual({
            pid: 4242,
            comm: "odd) name",
            ppid: 17,
            cpuTicks: 280,
            childCpuTicks: 12,
        });
        expect(parseStatusKiB("Name:\tnode\nVmHWM:\t  51200 kB\nVmRSS:\t  40000 kB\n", "VmHWM")).toBe(51200);
        expect(parseStatusKiB("Name:\tnode\n", "VmHWM")).toBeUndefined();
        expect([isWriteMode("0100000"), isWriteMode("0100001"), isWriteMode("02100002")]).toEqual([false, true, true]);
    });

    it("finds descendants, their memory and the files they write", async () => {
        const dir = mkdtempSync(join(tmpdir(), "proc-harness-"));
        const written = join(dir, "scratch.bin");
        const shell = spawn("sh", ["-c", `sleep 30 3>"${written}" & wait`], { stdio: "ignore" });
        try {
            const sleeper = await waitForDescendant(shell.pid as number, "sleep", 5_000);
            expect(descendants(shell.pid as number).map((p) => p.comm)).toEqual(["sleep"]);
            expect(peakRssBytes(sleeper.pid)).toBeGreaterThan(0);
            expect(filesOpenForWriting(sleeper.pid)).toEqual([written]);
            expect(filesOpenForWriting(shell.pid as number)).toEqual([]);
        } finally {
            for (const child of descendants(shell.pid as number)) process.kill(child.pid, "SIGKILL");
            shell.kill("SIGKILL");
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("counts the CPU of a tree's children after they have ended", async () => {
        // A child burns about half a second of CPU and exits; the shell waits for it, then sleeps.
        const shell = spawn("sh", ["-c", "sh -c 'i=0; while [ $i -lt 600000 ]; do i=$((i+1)); done'; sleep 30"], { stdio: "ignore" });
        try {
            await waitForDescendant(shell.pid as number, "sleep", 20_000);
            expect(descendants(shell.pid as number).map((p) => p.comm)).toEqual(["sleep"]);
            expect(treeCpuSeconds(shell.pid as number)).toBeGreaterThan(0.2);
            expect(treeCpuSeconds(2 ** 22 + 12_345)).toBeUndefined();
        } finally {
            for (const child of descendants(shell.pid as number)) process.kill(child.pid, "SIGKILL");
            shell.kill("SIGKILL");
        }
    });

    it("provides older client stand-ins for the version guard", () => {
        const fake = olderClientBinDir(14, "15.14");
        try {
            expect(spawnSync(join(fake.dir, "pg_dump"), ["--version"], { encoding: "utf8" }).stdout.trim()).toBe("pg_dump (PostgreSQL) 14.13");
            const dump = spawnSync(join(fake.dir, "pg_dump"), ["-Fc", "postgresql://x@127.0.0.1/db"], { encoding: "utf8" });
            expect(dump.status).toBe(1);
            expect(dump.stderr).toMatch(/server version mismatch/);
        } finally {
            fake.remove();
        }
    });
});

describe("PostgreSQL cluster", () => {
    let cluster: PgCluster;
    beforeAll(async () => {
        cluster = await startPostgres();
    });
    afterAll(async () => {
        await cluster?.stop();
    });

    it("runs the installed server binaries on loopback only", async () => {
        const version = spawnSync(join(cluster.binDir, "postgres"), ["--version"], { encoding: "utf8" }).stdout;
        expect(cluster.serverMajor).toBe(parseMajorVersion(version));
        const [row] = await cluster.query<{ listen_addresses: string }>("postgres", "SHOW listen_addresses");
        expect(row?.listen_addresses).toBe("127.0.0.1");
    });

    it("accepts the generated password and rejects a wrong one", async () => {
        await cluster.createDatabase("auth check");
        const good = new pg.Client({ connectionString: cluster.url("auth check") });
        await good.connect();
        expect((await good.query("SELECT current_database() AS db")).rows).toEqual([{ db: "auth check" }]);
        await good.end();
        const bad = new pg.Client({ connectionString: cluster.url("auth check", { password: "not-the-password" }) });
        await expect(bad.connect()).rejects.toMatchObject({ code: "28P01" });
        await cluster.dropDatabase("auth check");
        expect(await cluster.query("postgres", "SELECT 1 FROM pg_database WHERE datname = 'auth check'")).toEqual([]);
    });

    it("terminates other sessions on a database", async () => {
        await cluster.createDatabase("victim");
        const session = new pg.Client({ connectionString: cluster.url("victim") });
        session.on("error", () => undefined);
        await session.connect();
        expect(await cluster.terminateBackends("victim")).toBe(1);
        await expect(session.query("SELECT 1")).rejects.toThrow();
        await cluster.dropDatabase("victim");
    });

    it("builds a varied database whose fingerprint is stable and sensitive to one changed row", async () => {
        await createVariedDatabase(cluster, "varied_a");
        await createVariedDatabase(cluster, "varied_b");
        const a = await fingerprint(cluster, "varied_a");
        expect(await fingerprint(cluster, "varied_b")).toEqual(a);

        expect(a.tables["public.guests"]?.rowCount).toBe(3000);
        expect(a.tables["public.bookings"]?.rowCount).toBe(6000);
        expect(a.tables["public.bookings_2025"]?.rowCount).toBeGreaterThan(0);
        expect(a.tables["public.bookings_2026"]?.rowCount).toBeGreaterThan(0);
        expect(a.tables['ops."Room Types"']?.rowCount).toBe(4);
        expect(a.tables["public.audit_log"]?.rowCount).toBe(3300);
        expect(a.sequences["public.invoice_number_seq"]).toBe("48213");
        expect(Object.values(a.largeObjects)).toHaveLength(1);
        for (const kind of [
            "view public.guest_revenue",
            "function stay_total",
            "trigger guests_audit",
            "enum mood",
            "domain email_address",
            "partition bookings_2025",
        ]) {
            expect(a.objects.some((line) => line.startsWith(kind))).toBe(true);
        }

        await cluster.query("varied_b", "UPDATE bookings SET nights = nights + 1 WHERE id = (SELECT min(id) FROM bookings_2025)");
        const b = await fingerprint(cluster, "varied_b");
        const changed = Object.keys(a.tables).filter((name) => a.tables[name]?.checksum !== b.tables[name]?.checksum);
        expect(changed.sort()).toEqual(["public.bookings", "public.bookings_2025"]);
        expect(b.tables["public.bookings"]?.rowCount).toBe(a.tables["public.bookings"]?.rowCount);
    });

    it("adds incompressible bulk data on request", async () => {
        await createVariedDatabase(cluster, "bulky", { guests: 10, bulkMiB: 6 });
        const [row] = await cluster.query<{ bytes: string }>("bulky", "SELECT sum(length(payload))::text AS bytes FROM bulk_payload");
        expect(Number(row?.bytes)).toBe(6 * 1024 * 1024);
    });
});

describe("PostgreSQL cluster kept in a directory", () => {
    it("is started again with its data and password on the next call", async () => {
        const parent = mkdtempSync(join(tmpdir(), "pg-kept-"));
        // The server runs as the postgres OS user, which must be able to reach the directory.
        chmodSync(parent, 0o755);
        const dir = join(parent, "cluster");
        try {
            const first = await startPostgres({ directory: dir });
            await first.createDatabase("survivor");
            await first.stop();
            const second = await startPostgres({ directory: dir });
            try {
                expect(second.password).toBe(first.password);
                expect(await second.query("survivor", "SELECT current_database() AS db")).toEqual([{ db: "survivor" }]);
            } finally {
                await second.stop();
            }
        } finally {
            rmSync(parent, { recursive: true, force: true });
        }
    });
});

describe("S3 server", () => {
    let s3: S3Server;
    beforeAll(async () => {
        s3 = await startS3();
        await s3.createBucket("harness-bucket");
    });
    afterAll(async () => {
        await s3?.stop();
    });

    it("round-trips a multipart upload through the proxy", async () => {
        const data = randomBytes(12 * 1024 * 1024);
        await uploadStream(s3, "harness-bucket", "dumps/ok.bin", data);
        expect(sha256(await s3.getObject("harness-bucket", "dumps/ok.bin"))).toBe(sha256(data));
        expect(await s3.listKeys("harness-bucket", "dumps/")).toEqual(["dumps/ok.bin"]);
        expect(s3.requests.filter((r) => r.operation === "UploadPart" && r.status === 200)).toHaveLength(3);
        expect(s3.pendingMultipartUploads("harness-bucket")).toEqual([]);
    });

    it("fails part uploads after N parts, and the aborted upload leaves nothing behind", async () => {
        s3.failUploadPartsAfter(1);
        try {
            await expect(uploadStream(s3, "harness-bucket", "dumps/broken.bin", randomBytes(16 * 1024 * 1024))).rejects.toMatchObject({
                name: "InternalError",
            });
        } finally {
            s3.clearFaults();
        }
        const mine = s3.requests.filter((r) => r.key === "dumps/broken.bin");
        expect(mine.filter((r) => r.operation === "UploadPart" && r.status === 200)).toHaveLength(1);
        expect(mine.some((r) => r.operation === "UploadPart" && r.status === 500 && r.injected)).toBe(true);
        expect(mine.filter((r) => r.operation === "AbortMultipartUpload").map((r) => r.status)).toEqual([204]);
        expect(await s3.listKeys("harness-bucket")).toEqual(["dumps/ok.bin"]);
        expect(s3.pendingMultipartUploads("harness-bucket")).toEqual([]);
    });

    it("keeps an unfinished multipart upload visible until it is aborted", async () => {
        s3.setFaults({ uploadPartDelayMs: 300 });
        const body = new PassThrough();
        const upload = new Upload({ client: s3.client(), params: { Bucket: "harness-bucket", Key: "dumps/slow.bin", Body: body } });
        const done = upload.done().catch((error: Error) => error);
        body.write(randomBytes(11 * 1024 * 1024));
        await s3.waitForRequests((r) => r.key === "dumps/slow.bin" && r.operation === "UploadPart", 1);
        expect(s3.pendingMultipartUploads("harness-bucket")).toHaveLength(1);
        await upload.abort();
        body.destroy();
        await done;
        s3.clearFaults();
        await s3.waitForRequests((r) => r.key === "dumps/slow.bin" && r.operation === "AbortMultipartUpload", 1);
        expect(s3.pendingMultipartUploads("harness-bucket")).toEqual([]);
    });

    it("offers an endpoint where nothing listens", async () => {
        const client = s3.client(await unreachableEndpoint());
        await expect(client.send(new ListObjectsV2Command({ Bucket: "harness-bucket" }))).rejects.toMatchObject({
            code: "ECONNREFUSED",
        });
    });

    it("hands out the environment a job process needs", () => {
        expect(s3.env).toEqual({
            AWS_ENDPOINT_URL_S3: s3.endpoint,
            AWS_REGION: "us-east-1",
            AWS_ACCESS_KEY_ID: "S3RVER",
            AWS_SECRET_ACCESS_KEY: "S3RVER",
        });
        expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    });
});

describe("CLI runner", () => {
    let dir: string;
    let entry: string;
    beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), "cli-harness-"));
        entry = join(dir, "stand-in.ts");
        // A stand-in with the CLI's output shape, so the runner is tested independently of the job.
        writeFileSync(
            entry,
            `const log = (message: string) => console.log(JSON.stringify({ level: "info", message, timestamp: new Date().toISOString() }));
            log("started " + process.argv.slice(2).join(" ") + " " + (process.env.DATABASE_URL ?? "no-url") + " " + (process.env.LEAKED ?? "clean"));
            process.on("SIGTERM", () => { log("terminating"); process.exit(143); });
            if (process.argv[2] === "wait") setInterval(() => log("working"), 50);
            else process.exit(5);`,
        );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("returns exit code, parsed logs and only the given environment", async () => {
        process.env["LEAKED"] = "leaked";
        try {
            const result = await runCli(["backup", "--x"], { entry, env: { DATABASE_URL: "postgres://u@h/db" }, timeoutMs: 30_000 });
            expect(result.code).toBe(5);
            expect(result.signal).toBeNull();
            expect(result.logs.map((l) => l.message)).toEqual(["started backup --x postgres://u@h/db clean"]);
        } finally {
            delete process.env["LEAKED"];
        }
    });

    it("lets a test wait for a log line, then signal the process", async () => {
        const running = spawnCli(["wait"], { entry, timeoutMs: 30_000 });
        await running.waitForLog((line) => line.message === "working");
        running.child.kill("SIGTERM");
        const result = await running.result;
        expect(result.code).toBe(143);
        expect(result.logs.at(-1)?.message).toBe("terminating");
    });

    it("kills a process that outlives its timeout", async () => {
        const result = await runCli(["wait"], { entry, timeoutMs: 1_500 });
        expect(result.timedOut).toBe(true);
        expect(result.signal).toBe("SIGKILL");
    });
});
