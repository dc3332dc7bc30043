// file:// backups: zstd writes the dump file itself, the job hashes what is in the file, and zstd dies with the job.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli } from "../support/cli.js";
import { createVariedDatabase } from "../support/fixtures.js";
import { sessionsLeft } from "../support/sessions.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";
import { waitForCommandLine } from "../../tools/servers/proc.js";

let cluster: PgCluster;
let work: string;
let url: string;

beforeAll(async () => {
    cluster = await startPostgres();
    work = mkdtempSync(join(tmpdir(), "job-dump-file-"));
    url = await createVariedDatabase(cluster, "hotel", { guests: 300 });
});

afterAll(async () => {
    await cluster?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * Holds an ACCESS EXCLUSIVE lock on the guests table: pg_dump waits at its LOCK TABLE, with zstd
 * already started and nothing dumped, until release().
 */
async function holdGuestsLock(): Promise<{ release(): Promise<void> }> {
    const client = new pg.Client({ connectionString: cluster.url("hotel") });
    await client.connect();
    await client.query("BEGIN");
    await client.query("LOCK TABLE public.guests IN ACCESS EXCLUSIVE MODE");
    return {
        async release() {
            await client.query("ROLLBACK");
            await client.end();
        },
    };
}

/** Until the process has exited: reaped, or a zombie waiting for its new parent to reap it. */
async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const state = () => {
        try {
            return /^State:\s+(\w)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
        } catch {
            return undefined;
        }
    };
    while (Date.now() < deadline) {
        const now = state();
        if (now === undefined || now === "Z") return true;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
}

/** Until pg_dump's session waits for the lock: past importing the job's snapshot, so it can only go on once the lock is released. */
async function waitForPgDumpLockWait(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
        const rows = await cluster.query(
            "postgres",
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'hotelgenius-backup-pg_dump' AND wait_event_type = 'Lock'",
        );
        if (rows.length > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("pg_dump never waited for the lock");
}

/** The target's one manifest, whose size and sha256 must be those of the dump file as stored. */
function expectManifestOfStoredFile(dir: string): { dump: string } {
    const [manifestName] = readdirSync(join(dir, "manifests"));
    const manifest = JSON.parse(readFileSync(join(dir, "manifests", manifestName!), "utf8")) as { dump: string; bytes: number; sha256: string };
    const dump = readFileSync(join(dir, manifest.dump));
    expect({ bytes: manifest.bytes, sha256: manifest.sha256 }).toEqual({ bytes: dump.length, sha256: createHash("sha256").update(dump).digest("hex") });
    return manifest;
}

/** The dump's zstd, not the `zstd --version` of the tool check that may still be running. */
const waitForCompressor = (pid: number) => waitForCommandLine(pid, /(^|\s)zstd -\d+ -T\d+ -c -q$/);

function finishedFiles(dir: string): string[] {
    return ["dumps", "manifests"].flatMap((sub) =>
        existsSync(join(dir, sub))
            ? readdirSync(join(dir, sub))
                  .filter((name) => !name.endsWith(".partial"))
                  .map((name) => `${sub}/${name}`)
            : [],
    );
}

describe("file:// backup, zstd writing the dump file", () => {
    it("zstd's stdout is the dump's .partial file, and the manifest's sha256 and size are the finished file's", async () => {
        const dir = join(work, "direct");
        const lock = await holdGuestsLock();
        const run = spawnCli(["backup", "--database-url", url, "--to", `file://${dir}`, "--pg-bin", cluster.binDir]);
        try {
            const zstd = await waitForCompressor(run.child.pid!);
            expect(readlinkSync(`/proc/${zstd.pid}/fd/1`)).toMatch(new RegExp(`^${dir}/dumps/hotel_\\d{8}T\\d{6}Z\\.pgdump\\.zst\\.partial$`));
        } finally {
            await lock.release();
        }
        const result = await run.result;
        expect(result.code, result.stdout + result.stderr).toBe(0);
        const manifest = expectManifestOfStoredFile(dir);
        expect(readdirSync(join(dir, "dumps"))).toEqual([manifest.dump.replace("dumps/", "")]);
    });

    it("the job killed outright (SIGKILL): zstd dies with it, pg_dump ends, nothing finished is left", async () => {
        const dir = join(work, "killed");
        const lock = await holdGuestsLock();
        const run = spawnCli(["backup", "--database-url", url, "--to", `file://${dir}`, "--pg-bin", cluster.binDir, "--lock-wait-timeout", "60"]);
        let zstdPid: number;
        try {
            zstdPid = (await waitForCompressor(run.child.pid!)).pid;
            await waitForPgDumpLockWait();
            run.child.kill("SIGKILL");
            expect((await run.result).signal).toBe("SIGKILL");
            // Nothing but the kernel can stop zstd now: it is waiting for pg_dump, which waits for the lock.
            expect(await waitUntilGone(zstdPid, 5_000)).toBe(true);
        } finally {
            await lock.release();
        }
        // With the lock released pg_dump writes, meets the closed pipe, and ends with its session.
        expect(await sessionsLeft(cluster, "hotelgenius-backup-pg_dump", 10_000)).toEqual([]);
        expect(finishedFiles(dir)).toEqual([]);
    });

    it("without setpriv on PATH the dump passes through the job as before, and is the same kind of whole, checked dump", async () => {
        const dir = join(work, "no-setpriv");
        const bin = mkdtempSync(join(tmpdir(), "path-without-setpriv-"));
        symlinkSync("/usr/bin/zstd", join(bin, "zstd"));
        const lock = await holdGuestsLock();
        const run = spawnCli(["backup", "--database-url", url, "--to", `file://${dir}`, "--pg-bin", cluster.binDir], { env: { PATH: bin } });
        try {
            const zstd = await waitForCompressor(run.child.pid!);
            expect(readlinkSync(`/proc/${zstd.pid}/fd/1`)).toMatch(/^socket:\[\d+\]$/);
        } finally {
            await lock.release();
            rmSync(bin, { recursive: true, force: true });
        }
        const result = await run.result;
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expectManifestOfStoredFile(dir);
    });
});
