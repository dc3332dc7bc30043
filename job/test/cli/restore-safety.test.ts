// Restore must commit everything or nothing: interrupted mid-stream (job or pg_restore killed, the
// download reset or cut short), or fed bytes other than the manifest's (an object changed between
// the checksum pass and the restore pass, a truncated dump with a matching manifest), the target
// database stays exactly as it was, for restore, restore --clean and verify's scratch restore. The
// same recording proxy also shows which encryption headers uploads carry.
import { createHash } from "node:crypto";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli, spawnCli, type CliResult, type RunningCli } from "../support/cli.js";
import { createVariedDatabase, fingerprint, type DatabaseFingerprint } from "../support/fixtures.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";
import { waitForDescendant } from "../../tools/servers/proc.js";
import { startS3, type S3Server } from "../../tools/servers/s3.js";

const BUCKET = "restore-safety";
let pg: PgCluster;
let s3: S3Server;
let proxy: Server;
let proxyEnv: Record<string, string>;
let bulkId: string;
let smallId: string;
let mediumId: string;
let mediumDump: string;
/**
 * Where a stalled read leaves a restore in progress: past zstd's first read (it reads its input
 * 128 KiB at a time, and decodes nothing before) and short of the last zstd block, which the direct
 * path holds back until the whole dump is read.
 */
let inProgressAt: number;
/** The medium dump's size: a read stalled one byte short of it holds everything but the end. */
let mediumBytes: number;
/** A backup whose dump ends in incompressible bytes (zstd's raw blocks). */
let rawTailId: string;
let oldFingerprint: DatabaseFingerprint;
let emptyFingerprint: DatabaseFingerprint;

type Mode = "restore" | "restore --clean" | "verify";
const MODES: Mode[] = ["restore", "restore --clean", "verify"];

/** Where each mode's own copy of the medium backup lives. */
function prefixOf(mode: Mode): string {
    return `medium-${mode.replace(/\W+/g, "-")}`;
}

/**
 * A loopback proxy in front of the S3 server that can act on the SECOND download of a dump under a
 * prefix (the restore pass, after the checksum pass): serve it slowly, cut it, or serve other bytes.
 * Plans are per prefix, so that restore, restore --clean and verify can run side by side.
 */
interface ReadPlan {
    slowSecondRead: boolean;
    replaceSecondReadWith: Buffer | undefined;
    dumpReads: number;
    /** Serve this many bytes of the second read, then act. */
    faultAt: number | undefined;
    fault: "stall" | "reset" | "cut" | undefined;
    /** Set when a stalled read reached its stall point; calling it sends the rest. */
    releaseStall: (() => void) | undefined;
}
const plans = new Map<string, ReadPlan>();

function planFor(prefix: string): ReadPlan {
    let plan = plans.get(prefix);
    if (plan === undefined) {
        plan = { slowSecondRead: false, replaceSecondReadWith: undefined, dumpReads: 0, faultAt: undefined, fault: undefined, releaseStall: undefined };
        plans.set(prefix, plan);
    }
    return plan;
}
/** Encryption headers of every PUT/POST the proxy forwarded. */
const writes: { method: string; url: string; sse: unknown; kmsKey: unknown }[] = [];

function forward(req: IncomingMessage, onAnswer: (answer: IncomingMessage) => void, fail: () => void) {
    const target = new URL(s3.endpoint);
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, onAnswer);
    upstream.once("error", fail);
    req.pipe(upstream);
}

/** Sends `at` bytes of the answer, then stalls (until released), resets the connection, or closes it early. */
function serveWithFault(plan: ReadPlan, answer: IncomingMessage, res: ServerResponse, at: number, fault: "stall" | "reset" | "cut") {
    const body: Buffer[] = [];
    answer.on("data", (chunk: Buffer) => body.push(chunk));
    answer.on("end", () => {
        const bytes = Buffer.concat(body);
        res.write(bytes.subarray(0, at));
        if (fault === "reset") return void setTimeout(() => res.socket?.resetAndDestroy(), 100);
        if (fault === "cut") return void setTimeout(() => res.socket?.destroySoon(), 100);
        plan.releaseStall = () => res.end(bytes.subarray(at));
    });
}

/** The dump's key relative to its prefix, as its manifest names it (dump keys carry a per-run token). */
async function dumpKeyOf(prefix: string, id: string): Promise<string> {
    return (JSON.parse((await s3.getObject(BUCKET, `${prefix}/manifests/${id}.json`)).toString("utf8")) as { dump: string }).dump;
}

beforeAll(async () => {
    [pg, s3] = await Promise.all([startPostgres(), startS3()]);
    await s3.createBucket(BUCKET);
    proxy = createServer((req, res) => {
        const isDumpRead = req.method === "GET" && /\.pgdump\.zst(\?|$)/.test(req.url ?? "");
        if (req.method === "PUT" || req.method === "POST") {
            writes.push({
                method: req.method,
                url: req.url ?? "",
                sse: req.headers["x-amz-server-side-encryption"],
                kmsKey: req.headers["x-amz-server-side-encryption-aws-kms-key-id"],
            });
        }
        const plan = planFor(decodeURIComponent((req.url ?? "").split("/")[2] ?? ""));
        const secondRead = isDumpRead && ++plan.dumpReads === 2;
        forward(
            req,
            (answer) => {
                if (secondRead && plan.replaceSecondReadWith) {
                    answer.resume();
                    const headers = { ...answer.headers, "content-length": String(plan.replaceSecondReadWith.length) };
                    delete headers["etag"];
                    res.writeHead(answer.statusCode ?? 200, headers);
                    // Everything but the last byte, then a pause: the restore has all of the other dump's
                    // data long before the job can compare hashes at the end of the stream.
                    const bytes = plan.replaceSecondReadWith;
                    res.write(bytes.subarray(0, bytes.length - 1));
                    setTimeout(() => res.end(bytes.subarray(bytes.length - 1)), 300);
                    return;
                }
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                if (secondRead && plan.fault !== undefined) return void serveWithFault(plan, answer, res, plan.faultAt ?? 0, plan.fault);
                if (!(secondRead && plan.slowSecondRead)) return void answer.pipe(res);
                // About 3 MiB/s: the restore is provably in progress for seconds.
                answer.on("data", (chunk: Buffer) => {
                    res.write(chunk);
                    answer.pause();
                    setTimeout(() => answer.resume(), 20);
                });
                answer.on("end", () => res.end());
            },
            () => res.destroy(),
        );
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyEnv = { ...s3.env, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };

    const bulkUrl = await createVariedDatabase(pg, "bulk", { guests: 200, bulkMiB: 24 });
    const smallUrl = await createVariedDatabase(pg, "small", { guests: 100 });
    const backup = async (url: string, name: string) => {
        const result = await runCli(["backup", "--database-url", url, "--to", `s3://${BUCKET}/${name}`], { env: s3.env });
        expect(result.code, result.stdout + result.stderr).toBe(0);
        return String(result.logs.find((l) => l.message === "backup complete")!.context!["id"]);
    };
    const mediumUrl = await createVariedDatabase(pg, "medium", { guests: 1000 });
    bulkId = await backup(bulkUrl, "bulk");
    smallId = await backup(smallUrl, "small");
    mediumId = await backup(mediumUrl, "medium");
    // One copy per mode: each has its own read plan.
    const admin = s3.client();
    mediumDump = await dumpKeyOf("medium", mediumId);
    for (const mode of MODES) {
        for (const key of [mediumDump, `manifests/${mediumId}.json`]) {
            await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefixOf(mode)}/${key}`, Body: await s3.getObject(BUCKET, `medium/${key}`) }));
        }
    }

    // The same backup cut to 60 %, with its manifest edited to match: it passes the checksum pass.
    const manifest = JSON.parse((await s3.getObject(BUCKET, `medium/manifests/${mediumId}.json`)).toString("utf8")) as Record<string, unknown>;
    const dump = await s3.getObject(BUCKET, `medium/${mediumDump}`);
    mediumBytes = dump.length;
    inProgressAt = Math.floor(dump.length * 0.7);
    const truncated = dump.subarray(0, Math.floor(dump.length * 0.6));
    const edited = { ...manifest, bytes: truncated.length, sha256: createHash("sha256").update(truncated).digest("hex") };
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: `truncated/${mediumDump}`, Body: truncated }));
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: `truncated/manifests/${mediumId}.json`, Body: JSON.stringify(edited) }));
    // A dump that ends in incompressible bytes (a large object of random bytes: large objects come last
    // in the archive), so that zstd stores its last blocks raw, cut where nothing of the archive is
    // missing, only the zstd frame's 4-byte checksum, its manifest edited to match: zstd writes the
    // whole archive before it fails for the missing checksum, and pg_restore, given the end, commits.
    const rawTailUrl = await pg.createDatabase("raw_tail");
    await pg.query(
        "raw_tail",
        "CREATE TABLE note (t text); INSERT INTO note VALUES ('before the large object'); " +
            "SELECT lo_from_bytea(0, decode(string_agg(md5(i::text || random()::text), ''), 'hex')) FROM generate_series(1, 20000) i",
    );
    rawTailId = await backup(rawTailUrl, "raw-tail");
    const rawTailDump = await dumpKeyOf("raw-tail", rawTailId);
    const rawTail = await s3.getObject(BUCKET, `raw-tail/${rawTailDump}`);
    const unchecked = rawTail.subarray(0, rawTail.length - 4);
    const rawTailManifest = JSON.parse((await s3.getObject(BUCKET, `raw-tail/manifests/${rawTailId}.json`)).toString("utf8")) as Record<string, unknown>;
    const uncheckedManifest = { ...rawTailManifest, bytes: unchecked.length, sha256: createHash("sha256").update(unchecked).digest("hex") };
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: `no-checksum/${rawTailDump}`, Body: unchecked }));
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: `no-checksum/manifests/${rawTailId}.json`, Body: JSON.stringify(uncheckedManifest) }));
    // Whole, but its zstd checksum altered, the manifest edited to match.
    const badChecksum = Buffer.from(rawTail);
    badChecksum[badChecksum.length - 1]! ^= 0xff;
    const badChecksumManifest = { ...rawTailManifest, sha256: createHash("sha256").update(badChecksum).digest("hex") };
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: `bad-checksum/${rawTailDump}`, Body: badChecksum }));
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: `bad-checksum/manifests/${rawTailId}.json`, Body: JSON.stringify(badChecksumManifest) }));

    // What --clean targets hold before: other tables and rows, which must survive every failed restore.
    await createVariedDatabase(pg, "old_template", { guests: 40 });
    await pg.query("old_template", "CREATE TABLE legacy_only (note text); INSERT INTO legacy_only VALUES ('kept'), ('also kept')");
    oldFingerprint = await fingerprint(pg, "old_template");
    await pg.createDatabase("empty_reference");
    emptyFingerprint = await fingerprint(pg, "empty_reference");
});

beforeEach(() => {
    for (const plan of plans.values()) plan.releaseStall?.();
    plans.clear();
});

afterAll(async () => {
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    await Promise.all([pg?.stop(), s3?.stop()]);
});

async function userRelations(database: string): Promise<number> {
    const [row] = await pg.query<{ n: number }>(
        database,
        "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') " +
            "AND n.nspname NOT LIKE 'pg_toast%'",
    );
    return row!.n;
}

async function restoreBackends(): Promise<unknown[]> {
    return pg.query("postgres", "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'hotelgenius-backup%'");
}

function errorOf(result: CliResult) {
    return result.logs.find((l) => l.level === "error");
}

describe("restore safety", () => {
    it("SIGTERM mid-restore: exit 143, pg_restore ended, nothing committed", async () => {
        planFor("bulk").slowSecondRead = true;
        const url = await pg.createDatabase("sigterm_target");
        const run = spawnCli(["restore", "--from", `s3://${BUCKET}/bulk`, "--backup", bulkId, "--database-url", url], { env: proxyEnv });
        await run.waitForLog((l) => l.message === "dump checksum verified");
        // Wait until pg_restore's transaction has visibly started work on the target.
        const deadline = Date.now() + 10_000;
        while (
            Date.now() < deadline &&
            (
                await pg.query(
                    "postgres",
                    "SELECT 1 FROM pg_stat_activity WHERE application_name = 'hotelgenius-backup-pg_restore' AND datname = 'sigterm_target' AND xact_start " +
                        "IS NOT NULL",
                )
            ).length === 0
        ) {
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const sent = Date.now();
        run.child.kill("SIGTERM");
        const result = await run.result;
        expect(Date.now() - sent).toBeLessThan(10_000);
        expect(result.code).toBe(143);
        expect(errorOf(result)?.message).toBe("interrupted by SIGTERM; nothing was committed, the target database is as it was");
        expect(await userRelations("sigterm_target")).toBe(0);
        const deadlineGone = Date.now() + 5_000;
        while (Date.now() < deadlineGone && (await restoreBackends()).length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(await restoreBackends()).toEqual([]);
    });
});

let targets = 0;

/** Starts `mode` on the backup `id` under `prefix`; for restores, a fresh target (a copy of old_template for --clean). */
async function start(mode: Mode, prefix: string, id: string): Promise<{ run: RunningCli; target: string | undefined }> {
    const from = ["--from", `s3://${BUCKET}/${prefix}`, "--backup", id];
    if (mode === "verify") return { run: spawnCli(["verify", ...from, "--scratch-database-url", pg.url("postgres")], { env: proxyEnv }), target: undefined };
    const target = `target_${++targets}`;
    if (mode === "restore") await pg.createDatabase(target);
    else await pg.query("postgres", `CREATE DATABASE ${target} TEMPLATE old_template`);
    const args = ["restore", ...from, "--database-url", pg.url(target), ...(mode === "restore --clean" ? ["--clean"] : [])];
    return { run: spawnCli(args, { env: proxyEnv }), target };
}

async function scratchDatabases(): Promise<string[]> {
    return (await pg.query<{ datname: string }>("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'hotelgenius\\_verify\\_%' ORDER BY 1")).map(
        (r) => r.datname,
    );
}

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
}

/**
 * The restoring session (pg_restore's own, or psql's when the job runs SQL of its own in the
 * transaction) has its transaction open and has written in it: the proxy stalls the rest of the dump.
 */
async function restoreInProgress(plan: ReadPlan, target: string | undefined): Promise<void> {
    await waitFor("the stalled read", async () => plan.releaseStall !== undefined);
    const database = target === undefined ? "datname LIKE 'hotelgenius\\_verify\\_%'" : `datname = '${target}'`;
    const sql = `SELECT 1 FROM pg_stat_activity WHERE application_name = 'hotelgenius-backup-pg_restore' AND backend_xid IS NOT NULL AND ${database}`;
    await waitFor("the restoring session to write in its transaction", async () => (await pg.query("postgres", sql)).length > 0);
}

/** Nothing was committed: the target is exactly as before (verify: its scratch database is gone). */
async function expectUnchanged(mode: Mode, target: string | undefined): Promise<void> {
    if (mode === "verify") return void expect(await scratchDatabases()).toEqual([]);
    await waitFor(
        "the restore session to end",
        async () => (await pg.query("postgres", `SELECT 1 FROM pg_stat_activity WHERE datname = '${target}'`)).length === 0,
    );
    expect(await fingerprint(pg, target!)).toEqual(mode === "restore" ? emptyFingerprint : oldFingerprint);
}

/** Runs `scenario` for restore, restore --clean and verify side by side, each on its own copy of the backup. */
function inEveryMode(scenario: (mode: Mode, prefix: string, plan: ReadPlan) => Promise<void>): () => Promise<void> {
    return async () => {
        const results = await Promise.allSettled(MODES.map((mode) => scenario(mode, prefixOf(mode), planFor(prefixOf(mode)))));
        const failed = results.flatMap((r, i) => (r.status === "rejected" ? [`${MODES[i]}: ${String(r.reason)}`] : []));
        expect(failed).toEqual([]);
    };
}

/** The job killed (-9) while its read of the dump is stalled `stallAt()` bytes in: nothing committed. */
function killTheJob(stallAt: () => number): () => Promise<void> {
    return inEveryMode(async (mode, prefix, plan) => {
        plan.fault = "stall";
        plan.faultAt = stallAt();
        const { run, target } = await start(mode, prefix, mediumId);
        await restoreInProgress(plan, target);
        run.child.kill("SIGKILL");
        expect((await run.result).signal).toBe("SIGKILL");
        plan.releaseStall?.();
        if (mode !== "verify") return expectUnchanged(mode, target);
        // The killed drill left its scratch database, with nothing committed in it; the next verify drops it.
        await waitFor(
            "the restore session to end",
            async () => (await pg.query("postgres", "SELECT 1 FROM pg_stat_activity WHERE datname LIKE 'hotelgenius\\_verify\\_%'")).length === 0,
        );
        const [left] = await scratchDatabases();
        expect(await userRelations(left!)).toBe(0);
        const next = await runCli(["verify", "--from", `s3://${BUCKET}/${prefix}`, "--backup", mediumId, "--scratch-database-url", pg.url("postgres")], {
            env: proxyEnv,
        });
        expect(next.code, next.stdout).toBe(0);
        expect(next.logs.find((l) => l.message === "leftover scratch database dropped")?.context).toMatchObject({ scratch: left });
        expect(await scratchDatabases()).toEqual([]);
    });
}

describe("all or nothing (restore, restore --clean, verify)", () => {
    it(
        "the job killed (-9) mid-restore: the transaction is rolled back",
        killTheJob(() => inProgressAt),
    );

    it(
        "pg_restore killed mid-restore: exit 8, nothing committed",
        inEveryMode(async (mode, prefix, plan) => {
            plan.fault = "stall";
            plan.faultAt = inProgressAt;
            const { run, target } = await start(mode, prefix, mediumId);
            await restoreInProgress(plan, target);
            process.kill((await waitForDescendant(run.child.pid!, "pg_restore")).pid, "SIGKILL");
            plan.releaseStall?.();
            const result = await run.result;
            expect(result.code, result.stdout).toBe(8);
            expect(errorOf(result)?.message).toMatch(/^the restore failed, nothing was committed: .*pg_restore was killed by SIGKILL/);
            await expectUnchanged(mode, target);
        }),
    );

    it.each(["reset", "cut"] as const)("the S3 download %s mid-body: exit 6, nothing committed", (fault) =>
        inEveryMode(async (mode, prefix, plan) => {
            plan.fault = fault;
            plan.faultAt = 30_000;
            const { run, target } = await start(mode, prefix, mediumId);
            const result = await run.result;
            expect(result.code, result.stdout).toBe(6);
            expect(errorOf(result)?.message).toMatch(/^reading the dump of "medium_\d{8}T\d{6}Z" failed: /);
            await expectUnchanged(mode, target);
        })(),
    );

    it(
        "the object overwritten after the checksum pass (another dump): exit 7, nothing committed",
        inEveryMode(async (mode, prefix, plan) => {
            plan.replaceSecondReadWith = await s3.getObject(BUCKET, `small/${await dumpKeyOf("small", smallId)}`);
            const { run, target } = await start(mode, prefix, mediumId);
            const result = await run.result;
            expect(plan.dumpReads).toBe(2);
            expect(result.code, result.stdout).toBe(7);
            expect(errorOf(result)?.message).toMatch(/^the dump of "medium_\d{8}T\d{6}Z" changed while it was being restored .*nothing was committed$/);
            await expectUnchanged(mode, target);
        }),
    );

    it(
        "bytes damaged after 'dump checksum verified': exit 7 with an error line, nothing committed",
        inEveryMode(async (mode, prefix, plan) => {
            const damaged = Buffer.from(await s3.getObject(BUCKET, `medium/${mediumDump}`));
            damaged[Math.floor(damaged.length / 2)]! ^= 0xff;
            plan.replaceSecondReadWith = damaged;
            const { run, target } = await start(mode, prefix, mediumId);
            const result = await run.result;
            expect(result.logs.map((l) => l.message)).toContain("dump checksum verified");
            expect(result.code, result.stdout).toBe(7);
            expect(errorOf(result)?.message).toMatch(/changed while it was being restored/);
            expect(result.logs.map((l) => l.message)).not.toContain("restore complete");
            await expectUnchanged(mode, target);
        }),
    );

    it(
        "a truncated dump whose manifest was edited to match: exit 8, nothing committed",
        inEveryMode(async (mode) => {
            const { run, target } = await start(mode, "truncated", mediumId);
            const result = await run.result;
            expect(result.logs.map((l) => l.message)).toContain("dump checksum verified");
            expect(result.code, result.stdout).toBe(8);
            expect(errorOf(result)?.message).toMatch(/^the restore failed, nothing was committed: zstd exited with code 1: .*pg_restore exited with code 1: /s);
            await expectUnchanged(mode, target);
        }),
    );
});

describe("the held end of the dump (pg_restore connected to the target itself)", () => {
    it(
        "the job killed (-9) while it holds the end of the dump, read whole but the last byte: nothing committed",
        killTheJob(() => mediumBytes - 1),
    );

    it(
        "the restore's session ended by the server (pg_terminate_backend) mid-restore: exit 8, nothing committed",
        inEveryMode(async (mode, prefix, plan) => {
            plan.fault = "stall";
            plan.faultAt = inProgressAt;
            const { run, target } = await start(mode, prefix, mediumId);
            await restoreInProgress(plan, target);
            const database = target === undefined ? "datname LIKE 'hotelgenius\\_verify\\_%'" : `datname = '${target}'`;
            const ended = await pg.query<{ ended: boolean }>(
                "postgres",
                `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = 'hotelgenius-backup-pg_restore' AND ${database}`,
            );
            expect(ended).toEqual([{ ended: true }]);
            plan.releaseStall?.();
            const result = await run.result;
            expect(result.code, result.stdout).toBe(8);
            expect(errorOf(result)?.message).toMatch(/nothing was committed: .*(terminat|server closed the connection)/s);
            await expectUnchanged(mode, target);
        }),
    );

    it(
        "a dump missing only its zstd checksum, with a manifest edited to match: the end is not released, exit 8, nothing committed",
        inEveryMode(async (mode) => {
            const { run, target } = await start(mode, "no-checksum", rawTailId);
            const result = await run.result;
            expect(result.logs.map((l) => l.message)).toContain("dump checksum verified");
            expect(result.code, result.stdout).toBe(8);
            expect(errorOf(result)?.message).toMatch(
                mode === "restore --clean"
                    ? // The guarded path: pg_restore wrote all its SQL, but zstd failed, so the job sends no COMMIT.
                      /^the restore failed, nothing was committed: zstd exited with code 1: /
                    : /^the restore failed, nothing was committed: zstd exited with code 1: .*pg_restore exited with code 1: .*; the dump is not whole zstd frames \(cut inside a zstd frame, at byte \d+\), so its end was held back$/s,
            );
            await expectUnchanged(mode, target);
        }),
    );
});

describe("a whole dump whose zstd checksum alone is wrong", () => {
    it(
        "with a manifest edited to match: exit 8, nothing committed (zstd withholds the end of what it decoded when the checksum fails)",
        inEveryMode(async (mode) => {
            const { run, target } = await start(mode, "bad-checksum", rawTailId);
            const result = await run.result;
            expect(result.code, result.stdout).toBe(8);
            expect(errorOf(result)?.message).toMatch(
                /^the restore failed, nothing was committed: zstd exited with code 1: .*Restored data doesn't match checksum/s,
            );
            await expectUnchanged(mode, target);
        }),
    );
});

describe("verify's scratch databases", () => {
    it("a verify never drops the scratch database of another verify that is still running", async () => {
        const plan = planFor("medium");
        plan.fault = "stall";
        // Stalled before zstd has a whole read to decode: with pg_restore waiting inside a COPY, any DROP
        // DATABASE on the server (the second verify's own cleanup) would wait for it (PostgreSQL 15's
        // DROP DATABASE waits for every session to absorb a barrier, which one blocked in COPY input does not).
        plan.faultAt = 30_000;
        const { run: first } = await start("verify", "medium", mediumId);
        // The scratch database exists and the drill is reading the dump.
        await waitFor("the stalled read", async () => plan.releaseStall !== undefined);
        const [live] = await scratchDatabases();
        const second = await runCli(["verify", "--from", `s3://${BUCKET}/small`, "--backup", smallId, "--scratch-database-url", pg.url("postgres")], {
            env: proxyEnv,
        });
        expect(second.code, second.stdout).toBe(0);
        // Not even tried: its lock is held (a DROP would also fail while the drill is connected, with a warning).
        expect(second.logs.filter((l) => /scratch database/.test(l.message) && l.level !== "info")).toEqual([]);
        expect(second.logs.map((l) => l.message)).not.toContain("leftover scratch database dropped");
        expect(await scratchDatabases()).toEqual([live]);
        plan.releaseStall!();
        const result = await first.result;
        expect(result.code, result.stdout).toBe(0);
        expect(await scratchDatabases()).toEqual([]);
    });
});

describe("S3 encryption headers", () => {
    it("names the KMS key on every object it creates when BACKUP_KMS_KEY_ARN is set", async () => {
        const key = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        writes.length = 0;
        const result = await runCli(["backup", "--database-url", pg.url("bulk"), "--to", `s3://${BUCKET}/kms`], {
            env: { ...proxyEnv, BACKUP_KMS_KEY_ARN: key },
        });
        expect(result.code, result.stdout + result.stderr).toBe(0);
        const creates = writes.filter((w) => (w.method === "POST" && /[?&]uploads/.test(w.url)) || (w.method === "PUT" && !/[?&]partNumber=/.test(w.url)));
        // CreateMultipartUpload for the dump, PutObject for the manifest.
        expect(creates.map((w) => w.method).sort()).toEqual(["POST", "PUT"]);
        for (const w of creates) expect(w).toMatchObject({ sse: "aws:kms", kmsKey: key });
        expect(writes.filter((w) => /[?&]partNumber=/.test(w.url)).length).toBeGreaterThanOrEqual(2);
    });

    it("rejects a key that is not a full ARN (exit 2)", async () => {
        const result = await runCli(["backup", "--database-url", pg.url("small"), "--to", `s3://${BUCKET}/kms-bad`], {
            env: { ...proxyEnv, BACKUP_KMS_KEY_ARN: "alias/backups" },
        });
        expect(result.code).toBe(2);
        expect(errorOf(result)?.message).toMatch(/^BACKUP_KMS_KEY_ARN "alias\/backups" is not a KMS key ARN/);
    });
});
