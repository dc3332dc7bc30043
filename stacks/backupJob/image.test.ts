import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildContextFiles, contentTag, JOB_DIR, jobImageTag } from "./image.js";

const scratch = mkdtempSync(path.join(tmpdir(), "job-image-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function jobDir(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(scratch, "job-"));
    for (const [name, content] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), content);
    }
    return dir;
}

const BASE = { Dockerfile: "FROM node", "package.json": "{}", "package-lock.json": "{}", "tsconfig.json": "{}", "src/cli.ts": "main()", "src/lib/x.ts": "x" };

describe("the job image's content tag", () => {
    it("covers what the Dockerfile copies and nothing the build ignores", () => {
        const dir = jobDir({ ...BASE, "test/a.test.ts": "t", "node_modules/m/index.js": "m", "README.md": "r" });
        expect(buildContextFiles(dir)).toEqual(["Dockerfile", "package-lock.json", "package.json", "src/cli.ts", "src/lib/x.ts", "tsconfig.json"]);
        expect(jobImageTag(dir, { PG_MAJOR: "17" })).toBe(jobImageTag(jobDir(BASE), { PG_MAJOR: "17" }));
    });

    it("changes with a source file, a renamed file, or a build argument", () => {
        const tag = jobImageTag(jobDir(BASE), { PG_MAJOR: "17" });
        expect(tag).toMatch(/^job-[0-9a-f]{16}$/);
        expect(jobImageTag(jobDir({ ...BASE, "src/cli.ts": "main();" }), { PG_MAJOR: "17" })).not.toBe(tag);
        expect(contentTag([{ name: "a", content: "bc" }], {})).not.toBe(contentTag([{ name: "ab", content: "c" }], {}));
        expect(jobImageTag(jobDir(BASE), { PG_MAJOR: "16" })).not.toBe(tag);
    });

    it("reads the real job directory", () => {
        expect(buildContextFiles(JOB_DIR)).toContain("src/cli.ts");
        expect(buildContextFiles(JOB_DIR)).toContain("Dockerfile");
    });
});
