// The one by-hand invocation the README teaches, `node_modules/.bin/backup-job`, is the job's own
// process: a supervisor's SIGTERM sent to exactly that process stops the run and cleans up.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pgDriver from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { baseEnv, parseOutput, REPO_ROOT } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";
import { descendantCommandLines, waitForCommandLine } from "../../tools/servers/proc.js";

let pg: PgCluster;
let work: string;
let holder: pgDriver.Client;

beforeAll(async () => {
    pg = await startPostgres();
    await pg.createDatabase("hotel");
    await pg.query("hotel", "CREATE TABLE guests (id int); INSERT INTO guests SELECT generate_series(1, 100)");
    work = mkdtempSync(join(tmpdir(), "job-signals-"));
    // pg_dump waits for this lock (for up to --lock-wait-timeout), so the run is caught mid-dump.
    holder = new pgDriver.Client({ connectionString: pg.url("hotel") });
    await holder.connect();
    await holder.query("BEGIN; LOCK TABLE guests IN ACCESS EXCLUSIVE MODE");
});

afterAll(async () => {
    await holder?.end();
    await pg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    return new Promise((resolve) => child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Running, not a zombie: a child that ended after its parent is reaped by PID 1, which in a container may never do it. */
function alive(pid: number): boolean {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
        return false;
    }
}

function backupArgs(dir: string): string[] {
    return ["backup", "--database-url", pg.url("hotel"), "--to", `file://${dir}`, "--pg-bin", pg.binDir];
}

describe("SIGTERM to the process an operator started", () => {
    it("node_modules/.bin/backup-job: exit 143, pg_dump and zstd gone, no backup recorded, nothing partial left", async () => {
        const dir = join(work, "bin");
        const job = spawn(join(REPO_ROOT, "node_modules", ".bin", "backup-job"), backupArgs(dir), {
            cwd: REPO_ROOT,
            env: baseEnv(),
            stdio: ["ignore", "pipe", "pipe"],
        });
        const result = exited(job);
        const pgDump = await waitForCommandLine(job.pid!, /pg_dump .*--dbname=/);
        const zstd = await waitForCommandLine(job.pid!, /^zstd -\d/);
        // The job itself runs in this very process: pg_dump and zstd are its children.
        expect(descendantCommandLines(job.pid!).filter((c) => /node|tsx/.test(c.line))).toEqual([]);
        job.kill("SIGTERM");
        const { code, stdout, stderr } = await result;
        expect(code, stdout + stderr).toBe(ExitCode.Terminated);
        expect(
            parseOutput(stdout)
                .logs.filter((l) => l.level === "error")
                .map((l) => l.message),
        ).toEqual(["interrupted by SIGTERM; cleanup done, no backup was recorded"]);
        expect([pgDump, zstd].filter((p) => alive(p.pid))).toEqual([]);
        expect(readdirSync(join(dir, "manifests"))).toEqual([]);
        expect(readdirSync(join(dir, "dumps"))).toEqual([]);
    });
});
