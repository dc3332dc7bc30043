// --checksum-pass auto: the pass runs where it protects something (--clean; a dump that could change
// without its manifest) and is left out where it cannot (a private folder; an S3 dump pinned to its
// object version). How often a run opens a file:// dump is counted by the CLI itself
// (support/counting-cli.ts); S3 reads by the recording proxy, which answers as a versioned bucket.
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, type CliResult } from "../support/cli.js";
import { createVariedDatabase, fingerprint, type DatabaseFingerprint } from "../support/fixtures.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";
import { startS3, type S3Server } from "../../tools/servers/s3.js";

const COUNTING_CLI = join(__dirname, "..", "support", "counting-cli.ts");
const BUCKET = "checksum-pass";
const READ_ONCE = "the dump is read once and checked as it is restored, before the COMMIT";
let pg: PgCluster;
let s3: S3Server;
let work: string;
let sourceUrl: string;
let source: DatabaseFingerprint;
/** A file backup in a folder only root can write to (this test's mkdtemp, under the sticky /tmp). */
let privateDir: string;
let fileId: string;
let targets = 0;

beforeAll(async () => {
    [pg, s3] = await Promise.all([startPostgres(), startS3()]);
    await s3.createBucket(BUCKET);
    work = mkdtempSync(join(tmpdir(), "job-checksum-pass-"));
    sourceUrl = await createVariedDatabase(pg, "hotel", { guests: 300 });
    source = await fingerprint(pg, "hotel");
    privateDir = join(work, "private");
    const backup = await runCli(["backup", "--database-url", sourceUrl, "--to", `file://${privateDir}`]);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    fileId = String(backup.logs.find((l) => l.message === "backup complete")!.context!["id"]);
});

afterAll(async () => {
    await Promise.all([pg?.stop(), s3?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs the CLI and returns, besides its result, every dump file it opened, in order. */
async function counted(args: string[], env: Record<string, string> = {}): Promise<{ result: CliResult; opens: string[] }> {
    const log = join(work, `opens-${++targets}.log`);
    writeFileSync(log, "");
    const result = await runCli(args, { entry: COUNTING_CLI, env: { ...env, OPEN_LOG: log } });
    return { result, opens: readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

async function restoreInto(from: string, extra: string[] = [], env: Record<string, string> = {}) {
    const database = `target_${++targets}`;
    const url = await pg.createDatabase(database);
    return { ...(await counted(["restore", "--from", from, "--database-url", url, ...extra], env)), database };
}

function passLine(result: CliResult) {
    return result.logs.find((l) => l.message.startsWith("checksum pass"));
}

/** A copy of the private backup at `dir`, for a test to change the folder's modes or owners. */
function copyBackup(dir: string): string {
    cpSync(privateDir, dir, { recursive: true });
    return join(dir, "dumps", `${fileId}.pgdump.zst`);
}

describe("file:// under auto", () => {
    it("a private folder: no pass, the dump opened once, restored identically", async () => {
        const { result, opens, database } = await restoreInto(`file://${privateDir}`);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        const dump = join(privateDir, "dumps", `${fileId}.pgdump.zst`);
        expect(opens).toEqual([dump]);
        expect(passLine(result)).toMatchObject({
            level: "info",
            message: `checksum pass skipped: the dump ${dump} is in a private folder: it and every folder above it are owned by uid ${process.geteuid!() === 0 ? "0" : `0 or ${process.geteuid!()}`}, and none is writable by group or others (sticky folders such as /tmp aside); ${READ_ONCE}`,
            context: { backup: fileId, checksumPass: "auto", reason: expect.stringContaining("is in a private folder") },
        });
        expect(result.logs.map((l) => l.message)).not.toContain("dump checksum verified");
        expect(await fingerprint(pg, database)).toEqual(source);
    });

    it("--checksum-pass always in the same folder: the pass runs, two opens", async () => {
        const { result, opens } = await restoreInto(`file://${privateDir}`, ["--checksum-pass", "always"]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(opens).toHaveLength(2);
        expect(passLine(result)).toMatchObject({ message: "checksum pass: --checksum-pass always", context: { checksumPass: "always" } });
        expect(result.logs.map((l) => l.message)).toContain("dump checksum verified");
    });

    it("a folder above the dump writable by group: the pass runs first, naming the folder", async () => {
        const shared = join(work, "shared");
        mkdirSync(shared);
        copyBackup(join(shared, "target"));
        chmodSync(shared, 0o775);
        const { result, opens } = await restoreInto(`file://${join(shared, "target")}`);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(opens).toHaveLength(2);
        const reason = `folder ${shared} is writable by group`;
        expect(passLine(result)).toMatchObject({
            message: `checksum pass: ${reason}, so the dump could change without its manifest`,
            context: { checksumPass: "auto", reason: `${reason}, so the dump could change without its manifest` },
        });
        expect(result.logs.map((l) => l.message)).toContain("dump checksum verified");
    });

    it.runIf(process.geteuid?.() === 0)("a dump owned by another uid (nobody): the pass runs first", async () => {
        const dump = copyBackup(join(work, "foreign"));
        chownSync(dump, 65534, 65534);
        const { result, opens } = await restoreInto(`file://${join(work, "foreign")}`);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(opens).toEqual([dump, dump]);
        expect(passLine(result)?.message).toBe(
            `checksum pass: dump ${dump} is owned by uid 65534, neither root nor this job's uid 0, so the dump could change without its manifest`,
        );
    });

    it("a symbolic link to the private folder, in a folder others can write to: judged and read at the real path, once", async () => {
        const open = join(work, "open-to-all");
        mkdirSync(open);
        chmodSync(open, 0o777);
        symlinkSync(privateDir, join(open, "link"));
        const { result, opens } = await restoreInto(`file://${join(open, "link")}`);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        // Not the link's name: whoever can write to `open` could repoint it after the judgement.
        expect(opens).toEqual([join(privateDir, "dumps", `${fileId}.pgdump.zst`)]);
        expect(passLine(result)?.message).toMatch(/^checksum pass skipped: the dump .* is in a private folder/);
    });

    it("--clean: the pass runs in a private folder too, before the drops", async () => {
        const { database } = await restoreInto(`file://${privateDir}`);
        const { result, opens } = await counted(["restore", "--from", `file://${privateDir}`, "--database-url", pg.url(database), "--clean"]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(opens).toHaveLength(2);
        expect(passLine(result)).toMatchObject({
            message: "checksum pass: --clean: a damaged dump is refused before the drops lock the database",
            context: { checksumPass: "auto" },
        });
    });

    it("verify in a private folder: no pass, one open, the drill passes", async () => {
        const { result, opens } = await counted(["verify", "--from", `file://${privateDir}`, "--scratch-database-url", pg.url("postgres")]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(opens).toHaveLength(1);
        expect(passLine(result)?.message).toMatch(/^checksum pass skipped: the dump .* is in a private folder/);
        expect(result.logs.map((l) => l.message)).toContain("verify passed");
    });
});

describe("s3:// pinned to the dump's object version", () => {
    const target = `s3://${BUCKET}/pinned`;
    let id: string;
    let manifest: { dump: string; dumpVersionId?: string };

    beforeAll(async () => {
        s3.setVersioning(true);
        const backup = await runCli(["backup", "--database-url", sourceUrl, "--to", target], { env: s3.env });
        s3.setVersioning(false);
        expect(backup.code, backup.stdout + backup.stderr).toBe(0);
        id = String(backup.logs.find((l) => l.message === "backup complete")!.context!["id"]);
        manifest = JSON.parse((await s3.getObject(BUCKET, `pinned/manifests/${id}.json`)).toString("utf8"));
    });

    const dumpReads = () => s3.requests.filter((r) => r.operation === "GetObject" && r.key === `pinned/${manifest.dump}`);

    it("the manifest holds the version the upload created", () => {
        expect(manifest.dumpVersionId).toBeDefined();
        expect(manifest.dumpVersionId).toBe(s3.versionOf(BUCKET, `pinned/${manifest.dump}`));
    });

    it("auto: no pass, one GetObject of exactly that version, restored identically", async () => {
        const before = dumpReads().length;
        const { result, database } = await restoreInto(target, [], s3.env);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(
            dumpReads()
                .slice(before)
                .map((r) => [r.versionId, r.status]),
        ).toEqual([[manifest.dumpVersionId, 200]]);
        expect(passLine(result)).toMatchObject({
            message: `checksum pass skipped: the dump is pinned to S3 version ${manifest.dumpVersionId}, which no upload can change; ${READ_ONCE}`,
            context: { checksumPass: "auto" },
        });
        expect(await fingerprint(pg, database)).toEqual(source);
    });

    it("the dump uploaded again, same bytes (a new version): the pinned version is asked for, never the newest (exit 6: the proxy keeps one version)", async () => {
        const copy = "overwritten";
        const key = `${copy}/${manifest.dump}`;
        const admin = s3.client();
        const body = await s3.getObject(BUCKET, `pinned/${manifest.dump}`);
        s3.setVersioning(true);
        let first: string;
        try {
            await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
            first = s3.versionOf(BUCKET, key)!;
            // The same bytes again: a read of the newest version would restore them without a fault.
            await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
        } finally {
            s3.setVersioning(false);
        }
        await admin.send(
            new PutObjectCommand({ Bucket: BUCKET, Key: `${copy}/manifests/${id}.json`, Body: JSON.stringify({ ...manifest, dumpVersionId: first }) }),
        );
        const { result, database } = await restoreInto(`s3://${BUCKET}/${copy}`, [], s3.env);
        expect(result.code, result.stdout + result.stderr).toBe(6);
        expect(errorOf(result).message).toBe(`dump s3://${BUCKET}/${key} (version ${first}) of backup "${id}" is missing`);
        expect(s3.requests.filter((r) => r.operation === "GetObject" && r.key === key).map((r) => r.versionId)).toEqual([first]);
        expect(await pg.query(database, "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace")).toEqual([{ n: 0 }]);
    });

    it("a manifest whose dumpVersionId is not a non-empty string is damaged: exit 7, nothing read", async () => {
        const admin = s3.client();
        for (const [prefix, bad] of [
            ["bad-version-number", 42],
            ["bad-version-empty", ""],
        ] as const) {
            await admin.send(
                new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${manifest.dump}`, Body: await s3.getObject(BUCKET, `pinned/${manifest.dump}`) }),
            );
            const damaged = { ...manifest, dumpVersionId: bad };
            await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/manifests/${id}.json`, Body: JSON.stringify(damaged) }));
            const before = s3.requests.filter((r) => r.operation === "GetObject" && r.key.endsWith(".pgdump.zst")).length;
            const { result } = await restoreInto(`s3://${BUCKET}/${prefix}`, ["--backup", id], s3.env);
            expect(result.code, result.stdout + result.stderr).toBe(7);
            expect(errorOf(result).message).toContain(`dumpVersionId must be a non-empty string (the dump's S3 version id) (got ${JSON.stringify(bad)})`);
            expect(s3.requests.filter((r) => r.operation === "GetObject" && r.key.endsWith(".pgdump.zst")).length).toBe(before);
        }
    });

    it("a backup to an unversioned bucket has no version: auto keeps the pass, as before", async () => {
        const backup = await runCli(["backup", "--database-url", sourceUrl, "--to", `s3://${BUCKET}/unversioned`], { env: s3.env });
        expect(backup.code, backup.stdout + backup.stderr).toBe(0);
        const unversionedId = String(backup.logs.find((l) => l.message === "backup complete")!.context!["id"]);
        const written = JSON.parse((await s3.getObject(BUCKET, `unversioned/manifests/${unversionedId}.json`)).toString("utf8"));
        expect(written).not.toHaveProperty("dumpVersionId");
        const { result } = await restoreInto(`s3://${BUCKET}/unversioned`, [], s3.env);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(passLine(result)?.message).toBe(
            "checksum pass: the manifest pins no S3 version of the dump (written to a bucket without versioning, or by an older job), so the dump " +
                "could change without its manifest",
        );
        const reads = s3.requests.filter((r) => r.operation === "GetObject" && r.key === `unversioned/${written.dump}`);
        expect(reads.map((r) => r.versionId)).toEqual([undefined, undefined]);
    });
});
