// The task runs with a read-only root filesystem as the image's non-root user, and Fargate mounts
// its volumes root-owned (aws/containers-roadmap#938): a /tmp volume would not be writable by the job
// anyway. This proves the job needs no writable place at all: the compiled CLI (as the image runs
// it, no tsx and its cache) backs up, lists, verifies and restores as `nobody`, with its working
// directory and HOME read-only and read-only file systems over /tmp, /var/tmp and /dev/shm, so that
// pg_dump, psql, zstd and Node itself could not write anywhere either. A negative control shows the
// sandbox refuses a write. It needs root (a mount namespace, then setpriv to nobody) and a checkout nobody can
// reach: skipped otherwise.
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVariedDatabase, fingerprint } from "../support/fixtures.js";
import { parseOutput, REPO_ROOT, type CliResult } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";
import { startS3, type S3Server } from "../../tools/servers/s3.js";

const JOB_DIR = join(REPO_ROOT, "job");
const BUCKET = "read-only-root";
const isRoot = process.getuid?.() === 0;
/**
 * nobody must be able to reach the checkout (the compiled CLI and node_modules live in it): a clone inside a private
 * directory (`mktemp -d` makes one 0700) is out of its reach, and the proof cannot run there.
 */
const reachableByNobody = REPO_ROOT.split("/").every((_, index, parts) => {
    const directory = parts.slice(0, index + 1).join("/") || "/";
    return (statSync(directory).mode & 0o001) !== 0;
});

let pg: PgCluster;
let s3: S3Server;
let sourceUrl: string;
let build: string;
let readOnlyDir: string;

beforeAll(async () => {
    if (!isRoot) return;
    // Compiled like the image's build stage, beside job/ so Node resolves the workspace's node_modules;
    // the CLI reads its version from the package.json one level above dist/, as in the image.
    mkdirSync(join(JOB_DIR, ".tmp"), { recursive: true });
    build = mkdtempSync(join(JOB_DIR, ".tmp", "read-only-root-"));
    execFileSync(
        process.execPath,
        [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json", "--outDir", join(build, "dist")],
        {
            cwd: JOB_DIR,
        },
    );
    copyFileSync(join(JOB_DIR, "package.json"), join(build, "package.json"));
    readOnlyDir = mkdtempSync(join(build, "cwd-"));
    chmodSync(readOnlyDir, 0o555);
    chmodSync(build, 0o755);
    [pg, s3] = await Promise.all([startPostgres(), startS3()]);
    await s3.createBucket(BUCKET);
    sourceUrl = await createVariedDatabase(pg, "hotel");
}, 300_000);

afterAll(async () => {
    await Promise.all([pg?.stop(), s3?.stop()]);
    if (build) rmSync(build, { recursive: true, force: true });
});

/** The compiled CLI as nobody, in a mount namespace where nothing it could write to is writable. */
function sandboxedCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    const script =
        // Read-only bind mounts over themselves, not empty tmpfs: a checkout (and the compiled CLI) under /tmp stays visible.
        "for d in /tmp /var/tmp /dev/shm; do mount --bind $d $d && mount -o remount,bind,ro $d || exit 1; done && " +
        'cd "$READ_ONLY_DIR" && exec setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs -- "$@"';
    const environment = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: readOnlyDir, TMPDIR: "/tmp", READ_ONLY_DIR: readOnlyDir, ...s3.env, ...env };
    return new Promise((resolve) => {
        execFile(
            "unshare",
            ["--mount", "--propagation", "private", "sh", "-c", script, "sandbox", process.execPath, join(build, "dist", "cli.js"), ...args],
            { env: environment, maxBuffer: 64 * 1024 * 1024, timeout: 180_000 },
            (error, stdout, stderr) => {
                const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
                resolve({ code, signal: error?.signal ?? null, stdout, stderr, ...parseOutput(`${stdout}\n${stderr}`), timedOut: error?.killed === true });
            },
        );
    });
}

describe.skipIf(!isRoot || !reachableByNobody)("the job with nowhere to write (nobody, read-only cwd, HOME, /tmp, /var/tmp, /dev/shm)", () => {
    const target = `s3://${BUCKET}/postgres`;
    let id: string;

    it("backs up to S3", async () => {
        const result = await sandboxedCli(["backup", "--database-url", sourceUrl, "--to", target, "--pg-bin", pg.binDir]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        id = String(result.logs.find((line) => line.message === "backup complete")!.context!["id"]);
        expect(id).toMatch(/^hotel_\d{8}T\d{6}Z$/);
    });

    it("lists it", async () => {
        const result = await sandboxedCli(["list", "--from", target, "--json"]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.stdout).toContain(id);
    });

    it("verifies it in a scratch database (the restore drill)", async () => {
        const result = await sandboxedCli(["verify", "--from", target, "--scratch-database-url", pg.url("postgres"), "--pg-bin", pg.binDir]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
    });

    it("restores it, row for row", async () => {
        const restored = await pg.createDatabase("restored");
        const result = await sandboxedCli(["restore", "--from", target, "--backup", id, "--database-url", restored, "--pg-bin", pg.binDir]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(await fingerprint(pg, "restored")).toEqual(await fingerprint(pg, "hotel"));
    });

    it.each([
        ["the working directory, as nobody", () => `${readOnlyDir}/backups`, "EACCES|ENOENT|EROFS"], // ENOENT or EROFS when the checkout lies under the read-only /tmp
        // Node's recursive mkdir reports ENOENT, not EROFS, on a read-only file system (/tmp itself exists).
        ["/tmp, read-only even for root", () => "/tmp/backups", "ENOENT|EROFS"],
    ])("negative control: the sandbox refuses a write into %s (a file:// backup there fails)", async (_where, directory, code) => {
        const result = await sandboxedCli(["backup", "--database-url", sourceUrl, "--to", `file://${directory()}`, "--pg-bin", pg.binDir]);
        expect(result.code).not.toBe(0);
        expect(result.logs.find((line) => line.level === "error")?.message, result.stdout).toMatch(new RegExp(`is not writable: (${code}):`));
    });
});
