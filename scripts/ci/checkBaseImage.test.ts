// scripts/ci/check-base-image.sh runs only in CI, where Docker and the registry are reachable. Here it
// runs against a `docker` on PATH that answers as the registry would, to prove the script refuses a
// tag that resolves to no digest or to an image whose Node is not the one in .nvmrc.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");
const NVMRC = readFileSync(path.join(ROOT, ".nvmrc"), "utf8").trim();
const DIGEST = `sha256:${"ab".repeat(32)}`;
const dirs: string[] = [];
afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the script with a `docker` that resolves any tag to `digest` and whose image prints `nodeVersion`; the calls it got are returned. */
function run(digest: string, nodeVersion: string) {
    const bin = mkdtempSync(path.join(tmpdir(), "fake-docker-"));
    dirs.push(bin);
    const calls = path.join(bin, "calls");
    writeFileSync(
        path.join(bin, "docker"),
        `#!/usr/bin/env bash\necho "$*" >> ${calls}\nif [[ $1 == buildx ]]; then echo '"${digest}"'; else echo '${nodeVersion}'; fi\n`,
    );
    chmodSync(path.join(bin, "docker"), 0o755);
    const result = spawnSync("bash", [path.join(ROOT, "scripts", "ci", "check-base-image.sh")], {
        encoding: "utf8",
        env: { ...process.env, PATH: `${bin}:${process.env["PATH"]}`, GITHUB_STEP_SUMMARY: "" },
    });
    return { ...result, calls: readFileSync(calls, "utf8").trim().split("\n") };
}

describe("check-base-image.sh", () => {
    const image = /^ARG NODE_IMAGE=(.+)$/m.exec(readFileSync(path.join(ROOT, "job", "Dockerfile"), "utf8"))?.[1];

    it("resolves job/Dockerfile's tag, then runs that exact digest and accepts .nvmrc's Node", () => {
        const result = run(DIGEST, `v${NVMRC}`);
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        expect(result.calls).toEqual([`buildx imagetools inspect ${image} --format {{json .Manifest.Digest}}`, `run --rm node@${DIGEST} node --version`]);
    });

    it("refuses an image whose Node is not .nvmrc's", () => {
        const result = run(DIGEST, "v20.20.2");
        expect(result.status).toBe(1);
        expect(result.stderr).toContain(`runs Node v20.20.2; .nvmrc says v${NVMRC}`);
    });

    it("refuses an answer that is no digest, before running anything", () => {
        const result = run("not-found", `v${NVMRC}`);
        expect(result.status).toBe(1);
        expect(result.stderr).toContain("not a sha256 digest");
        expect(result.calls).toHaveLength(1);
    });
});
