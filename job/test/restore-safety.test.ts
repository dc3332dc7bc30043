// Restore must commit everything or nothing: interrupted mid-stream, or fed a dump that changed
// between the checksum pass and the restore pass, the target database stays as it was. The same
// recording proxy also shows which encryption headers uploads carry.
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli, spawnCli, type CliResult } from "./support/cli.js";
import { createVariedDatabase } from "./support/fixtures.js";
import { startPostgres, type PgCluster } from "./support/postgres.js";
import { startS3, type S3Server } from "./support/s3.js";

const BUCKET = "restore-safety";
let pg: PgCluster;
let s3: S3Server;
let proxy: Server;
let proxyEnv: Record<string, string>;
let bulkId: string;
let smallId: string;

/**
 * A loopback proxy in front of the S3 server that can act on the SECOND download of a dump (the
 * restore pass, after the checksum pass): serve it slowly, or serve other bytes instead.
 */
const plan: { slowSecondRead: boolean; replaceSecondReadWith: Buffer | undefined; dumpReads: number } = { slowSecondRead: false, replaceSecondReadWith: undefined, dumpReads: 0 };
/** Encryption headers of every PUT/POST the proxy forwarded. */
const writes: { method: string; url: string; sse: unknown; kmsKey: unknown }[] = [];

function forward(req: IncomingMessage, onAnswer: (answer: IncomingMessage) => void, fail: () => void) {
    const target = new URL(s3.endpoint);
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, onAnswer);
    upstream.once("error", fail);
    req.pipe(upstream);
}

beforeAll(async () => {
    [pg, s3] = await Promise.all([startPostgres(), startS3()]);
    await s3.createBucket(BUCKET);
    proxy = createServer((req, res) => {
        const isDumpRead = req.method === "GET" && /\.pgdump\.zst(\?|$)/.test(req.url ?? "");
        if (req.method === "PUT" || req.method === "POST") {
            writes.push({ method: req.method, url: req.url ?? "", sse: req.headers["x-amz-server-side-encryption"], kmsKey: req.headers["x-amz-server-side-encryption-aws-kms-key-id"] });
        }
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
                    setTimeout(() => res.end(bytes.subarray(bytes.length - 1)), 2_000);
                    return;
                }
                res.writeHead(answer.statusCode ?? 502, answer.headers);
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
    bulkId = await backup(bulkUrl, "bulk");
    smallId = await backup(smallUrl, "small");
});

beforeEach(() => {
    plan.slowSecondRead = false;
    plan.replaceSecondReadWith = undefined;
    plan.dumpReads = 0;
});

afterAll(async () => {
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    await Promise.all([pg?.stop(), s3?.stop()]);
});

async function userRelations(database: string): Promise<number> {
    const [row] = await pg.query<{ n: number }>(
        database,
        "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'",
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
        plan.slowSecondRead = true;
        const url = await pg.createDatabase("sigterm_target");
        const run = spawnCli(["restore", "--from", `s3://${BUCKET}/bulk`, "--backup", bulkId, "--database-url", url], { env: proxyEnv });
        await run.waitForLog((l) => l.message === "dump checksum verified");
        // Wait until pg_restore's transaction has visibly started work on the target.
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline && (await pg.query("postgres", "SELECT 1 FROM pg_stat_activity WHERE application_name = 'hotelgenius-backup-pg_restore' AND datname = 'sigterm_target' AND xact_start IS NOT NULL")).length === 0) {
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const sent = Date.now();
        run.child.kill("SIGTERM");
        const result = await run.result;
        expect(Date.now() - sent).toBeLessThan(10_000);
        expect(result.code).toBe(143);
        expect(errorOf(result)?.message).toMatch(/^interrupted by SIGTERM/);
        expect(await userRelations("sigterm_target")).toBe(0);
        const deadlineGone = Date.now() + 5_000;
        while (Date.now() < deadlineGone && (await restoreBackends()).length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(await restoreBackends()).toEqual([]);
    });

    it("a dump replaced between the checksum pass and the restore pass is not committed (exit 7)", async () => {
        plan.replaceSecondReadWith = await s3.getObject(BUCKET, (await s3.listKeys(BUCKET, `small/dumps/${smallId}.`))[0]!);
        const url = await pg.createDatabase("swapped_target");
        const result = await runCli(["restore", "--from", `s3://${BUCKET}/bulk`, "--backup", bulkId, "--database-url", url], { env: proxyEnv });
        expect(plan.dumpReads).toBe(2);
        expect(result.code).toBe(7);
        expect(errorOf(result)?.message).toMatch(/^the dump of "bulk_\d{8}T\d{6}Z" changed while it was being restored/);
        expect(await userRelations("swapped_target")).toBe(0);
    });
});

describe("S3 encryption headers", () => {
    it("names the KMS key on every object it creates when BACKUP_KMS_KEY_ARN is set", async () => {
        const key = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        writes.length = 0;
        const result = await runCli(["backup", "--database-url", pg.url("bulk"), "--to", `s3://${BUCKET}/kms`], { env: { ...proxyEnv, BACKUP_KMS_KEY_ARN: key } });
        expect(result.code, result.stdout + result.stderr).toBe(0);
        const creates = writes.filter((w) => (w.method === "POST" && /[?&]uploads/.test(w.url)) || (w.method === "PUT" && !/[?&]partNumber=/.test(w.url)));
        // CreateMultipartUpload for the dump, PutObject for the manifest.
        expect(creates.map((w) => w.method).sort()).toEqual(["POST", "PUT"]);
        for (const w of creates) expect(w).toMatchObject({ sse: "aws:kms", kmsKey: key });
        expect(writes.filter((w) => /[?&]partNumber=/.test(w.url)).length).toBeGreaterThanOrEqual(2);
    });

    it("rejects a key that is not a full ARN (exit 2)", async () => {
        const result = await runCli(["backup", "--database-url", pg.url("small"), "--to", `s3://${BUCKET}/kms-bad`], { env: { ...proxyEnv, BACKUP_KMS_KEY_ARN: "alias/backups" } });
        expect(result.code).toBe(2);
        expect(errorOf(result)?.message).toMatch(/^BACKUP_KMS_KEY_ARN "alias\/backups" is not a KMS key ARN/);
    });
});
