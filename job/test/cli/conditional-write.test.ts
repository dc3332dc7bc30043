// The manifest is written once per backup id: the job asks S3 for a conditional write
// (If-None-Match: *) and treats S3's refusal as "already written". s3rver ignores the header, so these
// tests read what the job SENT through the recording proxy, and make the proxy answer as S3 does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { errorOf, runCli } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";
import { startS3, type S3Server } from "../../tools/servers/s3.js";

let pg: PgCluster;
let s3: S3Server;
const BUCKET = "conditional";

beforeAll(async () => {
    [pg, s3] = await Promise.all([startPostgres(), startS3()]);
    await s3.createBucket(BUCKET);
    await pg.createDatabase("hotel");
    await pg.query("hotel", "CREATE TABLE guests (id int PRIMARY KEY); INSERT INTO guests SELECT generate_series(1, 4)");
});

afterAll(async () => {
    await Promise.all([pg?.stop(), s3?.stop()]);
});

const backup = (prefix: string) =>
    runCli(["backup", "--database-url", pg.url("hotel"), "--to", `s3://${BUCKET}/${prefix}`, "--pg-bin", pg.binDir], { env: s3.env });

describe("the manifest's conditional write", () => {
    it("sends If-None-Match: * on the manifest's PutObject (and only there: the dump's key is the run's own)", async () => {
        const result = await backup("sent");
        expect(result.code, result.stdout + result.stderr).toBe(0);
        const puts = s3.requests.filter((r) => r.operation === "PutObject" && r.key.startsWith("sent/"));
        expect(puts.map((r) => [r.key.replace(/_\d{8}T\d{6}Z/, "_ID").replace(/\.[0-9a-f]{8}\./, ".TOKEN."), r.ifNoneMatch])).toEqual([
            ["sent/dumps/hotel_ID.TOKEN.pgdump.zst", undefined],
            ["sent/manifests/hotel_ID.json", "*"],
        ]);
    });

    it("takes S3's 412 (another run wrote that id's manifest first) as 'already written': exit 6, nothing overwritten", async () => {
        // The dump's PutObject passes; the manifest's is answered as S3 answers a failed If-None-Match.
        s3.setFaults({ fail: { operation: "PutObject", after: 1, status: 412 } });
        try {
            const result = await backup("raced");
            expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Storage);
            expect(errorOf(result).message).toMatch(
                /^backup "hotel_\d{8}T\d{6}Z" already exists in s3:\/\/conditional\/raced: another run with the same --name/,
            );
        } finally {
            s3.clearFaults();
        }
        expect((await s3.listKeys(BUCKET, "raced/manifests/")).length).toBe(0);
    });
});
