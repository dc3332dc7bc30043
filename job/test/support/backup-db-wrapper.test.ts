// scripts/backup-db.sh is the by-hand entry point people already know; it lives in scripts/ but is
// tested here, next to the harness that starts the real server it needs.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, REPO_ROOT } from "./cli.js";
import { createVariedDatabase } from "./fixtures.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";

const WRAPPER = join(REPO_ROOT, "scripts", "backup-db.sh");

describe("scripts/backup-db.sh", () => {
    let cluster: PgCluster;
    let url: string;
    let cwd: string;
    beforeAll(async () => {
        cluster = await startPostgres();
        url = await createVariedDatabase(cluster, "hotelgenius", { guests: 200 });
        cwd = mkdtempSync(join(tmpdir(), "wrapper-"));
    });
    afterAll(async () => {
        rmSync(cwd, { recursive: true, force: true });
        await cluster?.stop();
    });

    const wrapper = (args: string[], env: Record<string, string>) =>
        spawnSync(WRAPPER, args, { cwd, env: { ...baseEnv(), PATH: `${cluster.binDir}:${process.env["PATH"]}`, ...env }, encoding: "utf8", timeout: 120_000 });

    it("backs up DATABASE_URL into ./backups of the caller's directory", () => {
        const result = wrapper([], { DATABASE_URL: url });
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        const dumps = readdirSync(join(cwd, "backups", "dumps"));
        const manifests = readdirSync(join(cwd, "backups", "manifests"));
        expect(dumps).toHaveLength(1);
        expect(dumps[0]).toMatch(/^hotelgenius_\d{8}T\d{6}Z\.pgdump\.zst$/);
        expect(manifests).toEqual([dumps[0]?.replace(".pgdump.zst", ".json")]);
        expect(result.stdout).not.toContain(cluster.password);
    });

    it("passes options through and keeps the job's exit codes", () => {
        const result = wrapper(["--name", "by-hand", "--to", `file://${join(cwd, "elsewhere")}`], { DATABASE_URL: url });
        expect(result.status).toBe(0);
        expect(readdirSync(join(cwd, "elsewhere", "manifests"))[0]).toMatch(/^by-hand_/);
        expect(wrapper([], { DATABASE_URL: cluster.url("hotelgenius", { password: "wrong" }) }).status).toBe(3);
        expect(wrapper(["--compression-level", "99"], { DATABASE_URL: url }).status).toBe(2);
    });

    it("prints its usage line", () => {
        const result = wrapper(["--help"], {});
        expect(result.status).toBe(0);
        expect(result.stdout).toMatch(/^usage: scripts\/backup-db\.sh /);
    });
});
