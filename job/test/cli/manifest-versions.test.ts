// Every manifest format the job ever wrote stays restorable; a newer format is refused, not half-read.
// job/test/fixtures/manifest-v1 is a backup written by the job at commit f1c4fa6 (manifest format 1,
// before manifests were versioned on purpose). Real CLI, PostgreSQL, pg_restore, zstd.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { errorOf, runCli } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";

const FIXTURE = join(__dirname, "..", "fixtures", "manifest-v1");
const ID = "legacy_hotel_20261206T210926Z";

let pg: PgCluster;
let work: string;

beforeAll(async () => {
    pg = await startPostgres();
    work = mkdtempSync(join(tmpdir(), "job-manifest-versions-"));
});

afterAll(async () => {
    await pg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

/** A copy of the fixture target, so no test can change the committed files. */
function copyOfFixture(name: string): string {
    const dir = join(work, name);
    cpSync(FIXTURE, dir, { recursive: true });
    return dir;
}

describe("manifest format 1, as written before this round", () => {
    it("is the fixture it claims to be", () => {
        expect(readdirSync(join(FIXTURE, "manifests"))).toEqual([`${ID}.json`]);
        expect(JSON.parse(readFileSync(join(FIXTURE, "manifests", `${ID}.json`), "utf8"))).toMatchObject({ manifestVersion: 1, id: ID });
    });

    it("restores with today's job, every row as backed up", async () => {
        const from = `file://${copyOfFixture("restore")}`;
        const url = await pg.createDatabase("legacy_restored");
        const result = await runCli(["restore", "--from", from, "--database-url", url, "--pg-bin", pg.binDir]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(await pg.query("legacy_restored", "SELECT code, rate::text FROM rooms ORDER BY code")).toEqual([
            { code: "DLX", rate: "149.50" },
            { code: "STD", rate: "89.00" },
            { code: "STE", rate: "320.00" },
        ]);
        expect(await pg.query("legacy_restored", "SELECT count(*)::int AS n, max(email) AS last FROM guests")).toEqual([{ n: 5, last: "guest5@example.test" }]);
    });

    it("passes today's restore drill", async () => {
        const from = `file://${copyOfFixture("verify")}`;
        const result = await runCli(["verify", "--from", from, "--name", "legacy_hotel", "--scratch-database-url", pg.url("postgres"), "--pg-bin", pg.binDir]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.logs.find((l) => l.message === "verify passed")!.context).toMatchObject({ backup: ID, tables: 2, rows: 8 });
    });
});

describe("a manifest format newer than the job reads", () => {
    it("is refused (exit 7) naming its version and the versions the job reads; list shows it DAMAGED with that reason", async () => {
        const dir = copyOfFixture("future");
        const path = join(dir, "manifests", `${ID}.json`);
        writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, "utf8")), manifestVersion: 2 }));
        const url = await pg.createDatabase("future_restored");
        for (const backup of [ID, "latest"]) {
            const result = await runCli(["restore", "--from", `file://${dir}`, "--backup", backup, "--database-url", url, "--pg-bin", pg.binDir]);
            expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Verification);
            expect(errorOf(result).message).toContain(
                "manifestVersion 2 (written by @hotelgenius/backup-job 0.1.0) is a manifest format this job does not read",
            );
        }
        expect(await pg.query("future_restored", "SELECT relname FROM pg_class WHERE relname IN ('rooms', 'guests')")).toEqual([]);
        const listed = await runCli(["list", "--from", `file://${dir}`, "--json"]);
        expect(JSON.parse(listed.stdout)).toEqual([
            { id: ID, key: `manifests/${ID}.json`, damaged: expect.stringContaining("manifestVersion 2 (written by @hotelgenius/backup-job 0.1.0)") },
        ]);
    });
});
