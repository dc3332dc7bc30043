// Which backup a reference names: ids that must match their manifest, "latest" beside damaged
// manifests, how list shows them, and relative file:// targets run through npm. Real CLI, PostgreSQL, S3.
import { spawnSync } from "node:child_process";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { baseEnv, REPO_ROOT, runCli, type CliResult } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";
import { startS3, type S3Server } from "../../tools/servers/s3.js";

let pg: PgCluster;
let s3: S3Server;
let work: string;
let sourceUrl: string;
const BUCKET = "refs-backups";

beforeAll(async () => {
    [pg, s3] = await Promise.all([startPostgres(), startS3()]);
    await s3.createBucket(BUCKET);
    sourceUrl = await pg.createDatabase("hotel");
    await pg.query("hotel", "CREATE TABLE guests (id int PRIMARY KEY); INSERT INTO guests SELECT generate_series(1, 11)");
    work = mkdtempSync(join(tmpdir(), "job-refs-"));
});

afterAll(async () => {
    await Promise.all([pg?.stop(), s3?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
});

function stderrLogs(result: CliResult): { level: string; message: string; context?: Record<string, unknown> }[] {
    return result.stderr
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l));
}

async function backup(to: string, env: Record<string, string> = {}): Promise<string> {
    const result = await runCli(["backup", "--database-url", sourceUrl, "--to", to, "--pg-bin", pg.binDir], { env });
    expect(result.code, result.stdout).toBe(0);
    return String(result.logs.find((l) => l.message === "backup complete")!.context!["id"]);
}

async function restore(from: string, ref: string, env: Record<string, string> = {}): Promise<CliResult> {
    const database = `restored_${Math.random().toString(36).slice(2, 10)}`;
    return runCli(["restore", "--from", from, "--backup", ref, "--database-url", await pg.createDatabase(database), "--pg-bin", pg.binDir], { env });
}

describe("backup references on file://", () => {
    let dir: string;
    let to: string;
    let id: string;
    const FUTURE = "hotel_20990101T000000Z";
    const PAST = "hotel_20000101T000000Z";

    beforeAll(async () => {
        dir = join(work, "file-target");
        to = `file://${dir}`;
        id = await backup(to);
    });

    it("--backup ID refuses a manifest whose own id names another backup (exit 7, both ids)", async () => {
        copyFileSync(join(dir, "manifests", `${id}.json`), join(dir, "manifests", `${FUTURE}.json`));
        const result = await restore(to, FUTURE);
        expect(result.code).toBe(ExitCode.Verification);
        expect(result.logs.at(-1)!.message).toMatch(new RegExp(`stored as backup "${FUTURE}" but its own id is "${id}"`));
    });

    it("latest fails (exit 7) when a damaged manifest may be newer than the newest valid one, naming --backup ID", async () => {
        for (const command of ["restore", "verify"]) {
            const result =
                command === "restore"
                    ? await restore(to, "latest")
                    : await runCli(["verify", "--from", to, "--scratch-database-url", pg.url("postgres"), "--pg-bin", pg.binDir]);
            expect(result.code, result.stdout).toBe(ExitCode.Verification);
            const message = result.logs.at(-1)!.message;
            expect(message).toContain(`manifest manifests/${FUTURE}.json is damaged and it may be newer than the newest valid backup "${id}"`);
            expect(message).toContain("pass --backup ID to choose an older backup on purpose");
        }
        expect((await restore(to, id)).code).toBe(0);
    });

    it("list shows a damaged manifest as a DAMAGED row and a --json entry, where its time puts it", async () => {
        writeFileSync(join(dir, "manifests", `${PAST}.json`), "{ not json");
        const table = await runCli(["list", "--from", to]);
        expect(table.code).toBe(0);
        const rows = table.stdout.trimEnd().split("\n");
        expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(["ID", FUTURE, id, PAST]);
        expect(rows[1]).toMatch(/^hotel_20990101T000000Z\s+2099-01-01T00:00:00Z\s+DAMAGED\s+manifest .* is stored as backup/);
        expect(rows[3]).toMatch(/DAMAGED\s+manifest .* is not valid JSON/);
        const json = await runCli(["list", "--from", to, "--json"]);
        const entries = JSON.parse(json.stdout) as { id: string; damaged?: string; key?: string; sha256?: string }[];
        expect(entries.map((e) => [e.id, e.damaged === undefined])).toEqual([
            [FUTURE, false],
            [id, true],
            [PAST, false],
        ]);
        expect(entries[2]).toEqual({ id: PAST, key: `manifests/${PAST}.json`, damaged: expect.stringMatching(/is not valid JSON/) });
        expect(
            stderrLogs(json)
                .filter((l) => l.message === "damaged manifest")
                .map((l) => l.context!["id"]),
        ).toEqual([FUTURE, PAST]);
    });

    it("latest takes the newest valid backup when every damaged manifest is older, and says so", async () => {
        rmSync(join(dir, "manifests", `${FUTURE}.json`));
        const result = await restore(to, "latest");
        expect(result.code, result.stdout).toBe(0);
        expect(result.logs.find((l) => l.level === "warn")).toMatchObject({
            message: "ignoring a damaged manifest older than the latest backup",
            context: { id: PAST },
        });
        expect(result.logs.find((l) => l.message === "restore complete")).toBeDefined();
    });
});

describe("backup references on s3://", () => {
    it("lists a damaged manifest and refuses latest when it may be newer", async () => {
        const to = `s3://${BUCKET}/prod`;
        const id = await backup(to, s3.env);
        await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: "prod/manifests/hotel_20990101T000000Z.json", Body: '{"manifestVersion": 1}' }));
        const listed = await runCli(["list", "--from", to, "--json"], { env: s3.env });
        expect(listed.code, listed.stderr).toBe(0);
        expect(JSON.parse(listed.stdout).map((e: { id: string; damaged?: string }) => [e.id, e.damaged !== undefined])).toEqual([
            ["hotel_20990101T000000Z", true],
            [id, false],
        ]);
        const result = await restore(to, "latest", s3.env);
        expect(result.code).toBe(ExitCode.Verification);
        expect(result.logs.at(-1)!.message).toContain("manifest manifests/hotel_20990101T000000Z.json is damaged");
    });
});

describe("relative file:// targets through npm run", () => {
    it("resolve against the caller's directory (INIT_CWD), not the repository root", () => {
        const caller = mkdtempSync(join(work, "caller-"));
        const npm = (args: string[]) =>
            spawnSync("npm", ["--prefix", REPO_ROOT, "run", "--silent", "backup-job", "--", ...args], {
                cwd: caller,
                env: baseEnv(),
                encoding: "utf8",
                timeout: 120_000,
            });
        // A name of its own: on the old code this run wrote into the repository root.
        const relative = `rel-${process.pid}-${Date.now()}`;
        try {
            const result = npm(["backup", "--database-url", sourceUrl, "--to", `file://${relative}/backups`, "--pg-bin", pg.binDir]);
            expect(result.status, result.stdout + result.stderr).toBe(0);
            expect(readdirSync(join(caller, relative, "backups", "manifests"))).toHaveLength(1);
            expect(existsSync(join(REPO_ROOT, relative))).toBe(false);
            const listed = npm(["list", "--from", `file://${relative}/backups`, "--json"]);
            expect(JSON.parse(listed.stdout)).toHaveLength(1);
        } finally {
            rmSync(join(REPO_ROOT, relative), { recursive: true, force: true });
        }
    });
});
