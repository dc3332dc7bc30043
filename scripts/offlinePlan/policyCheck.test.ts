// `npm run policy:check` as a person runs it: help, a mistyped file, a file that is no plan.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { USAGE } from "./policyCheck.js";

const ROOT = path.resolve(__dirname, "..", "..");
const scratch = mkdtempSync(path.join(tmpdir(), "policy-check-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function policyCheck(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
        const { stdout, stderr } = await promisify(execFile)("npm", ["--prefix", ROOT, "run", "--silent", "policy:check", "--", ...args], { cwd });
        return { code: 0, stdout, stderr };
    } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
}

describe("npm run policy:check", () => {
    it("--help prints the usage and checks nothing", async () => {
        expect(await policyCheck(["--help"])).toEqual({ code: 0, stdout: `${USAGE}\n`, stderr: "" });
    });

    it("a file that does not exist is one line and exit 2, before any plan is checked", async () => {
        const result = await policyCheck(["plans/prod.json", "plans/prdo.json"]);
        expect(result).toEqual({ code: 2, stdout: "", stderr: `policy:check: ${path.join(ROOT, "plans", "prdo.json")} does not exist\n` });
    });

    it("a file that is not a plan is named, with what is expected", async () => {
        writeFileSync(path.join(scratch, "broken.json"), "{");
        writeFileSync(path.join(scratch, "other.json"), '{"name":"x"}');
        const broken = await policyCheck(["broken.json"], scratch);
        expect(broken.code).toBe(2);
        expect(broken.stderr).toMatch(new RegExp(`^policy:check: ${path.join(scratch, "broken.json")}: not JSON \\(.+\\); expected an offline plan`));
        const other = await policyCheck([path.join(scratch, "other.json")]);
        expect(other.code).toBe(2);
        expect(other.stderr).toContain('other.json: not an offline plan (no "stack" and "resources")');
        expect(`${broken.stderr}${other.stderr}`).not.toMatch(/\n\s+at /);
    });

    it("an unknown option is refused with the usage", async () => {
        const result = await policyCheck(["--json"]);
        expect(result.code).toBe(2);
        expect(result.stderr).toBe(`policy:check: unknown option --json\n${USAGE}\n`);
    });

    it("reads a relative path from the directory the command was typed in", async () => {
        const result = await policyCheck(["prod.json"], path.join(ROOT, "plans"));
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/^prod: \d+ resources, 0 policy violations\n$/);
    });
});
