// There is no Docker engine here, so the image is not built in tests; this keeps what the
// Dockerfile copies real: every source path exists from the repository root (the documented build
// context) and gets past .dockerignore, and the entrypoint is what the build script produces.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");
const dockerfile = readFileSync(path.join(ROOT, "job", "Dockerfile"), "utf8");
const ignore = readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));

/** Sources of the COPY instructions that read the build context (not --from=stage). */
function contextSources(): string[] {
    return dockerfile
        .split("\n")
        .filter((line) => /^COPY\s/.test(line) && !line.includes("--from="))
        .flatMap((line) => line.trim().split(/\s+/).slice(1, -1));
}

/** .dockerignore as BuildKit reads this file: `*` excludes everything, then each `!path` lets that path (and what is under it) back in. */
function included(source: string): boolean {
    expect(ignore[0]).toBe("*");
    return ignore.slice(1).some((pattern) => {
        const allowed = pattern.replace(/^!/, "").replace(/\/$/, "");
        return source === allowed || source.startsWith(`${allowed}/`);
    });
}

describe("job/Dockerfile", () => {
    it("documents the build from the repository root", () => {
        expect(dockerfile).toContain("docker build -f job/Dockerfile --build-arg PG_MAJOR=17 -t hotelgenius-backup-job .");
    });

    it.each(contextSources())("copies %s, which exists and is not ignored", (source) => {
        expect(existsSync(path.join(ROOT, source)), source).toBe(true);
        expect(included(source), `${source} must be let in by .dockerignore`).toBe(true);
    });

    it("builds on the Node of .nvmrc (the current LTS, not Node 20), pinned by its full version tag", () => {
        const image = /^ARG NODE_IMAGE=(.+)$/m.exec(dockerfile)?.[1];
        const nvmrc = readFileSync(path.join(ROOT, ".nvmrc"), "utf8").trim();
        expect(image).toBe(`node:${nvmrc}-trixie-slim`);
        expect(Number(nvmrc.split(".")[0])).toBeGreaterThanOrEqual(26);
        expect(dockerfile.match(/^FROM .+$/gm)).toEqual(["FROM ${NODE_IMAGE} AS build", "FROM ${NODE_IMAGE} AS production-dependencies", "FROM ${NODE_IMAGE}"]);
    });

    it("installs from the one workspace lockfile and runs the compiled CLI", () => {
        expect(contextSources()).toEqual(expect.arrayContaining(["package-lock.json", "job/package.json", "job/src"]));
        expect(existsSync(path.join(ROOT, "job", "package-lock.json"))).toBe(false);
        const buildConfig = JSON.parse(readFileSync(path.join(ROOT, "job", "tsconfig.build.json"), "utf8")) as {
            compilerOptions: { outDir: string; rootDir: string };
        };
        expect(buildConfig.compilerOptions).toMatchObject({ outDir: "dist", rootDir: "src" });
        expect(dockerfile).toContain("COPY --from=build /build/job/dist ./dist");
        expect(dockerfile).toMatch(/ENTRYPOINT \["node", "\/app\/dist\/cli\.js"\]/);
        expect(existsSync(path.join(ROOT, "job", "src", "cli.ts"))).toBe(true);
    });
});
