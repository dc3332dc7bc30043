// scripts/preview.sh and scripts/drift-check.sh run the same Pulumi commands as the workflows. There is
// no Pulumi CLI here: a stand-in `pulumi` prints the arguments it was given (and, on stderr, where it ran).
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const scratch = mkdtempSync(path.join(tmpdir(), "pulumi-wrappers-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// A checkout whose dependencies are "installed", so the scripts install nothing.
for (const script of ["preview.sh", "drift-check.sh"]) cpSync(path.join(ROOT, "scripts", script), path.join(scratch, "scripts", script));
mkdirSync(path.join(scratch, "node_modules"));
mkdirSync(path.join(scratch, "policy", "node_modules"), { recursive: true });
mkdirSync(path.join(scratch, "bootstrap"));
mkdirSync(path.join(scratch, "bin"));
writeFileSync(path.join(scratch, "bin", "pulumi"), '#!/bin/sh\necho "pulumi $*"\necho "in $PWD" >&2\n');
chmodSync(path.join(scratch, "bin", "pulumi"), 0o755);

function run(script: string, args: string[]) {
    return spawnSync(path.join(scratch, "scripts", script), args, {
        encoding: "utf8",
        env: { PATH: `${path.join(scratch, "bin")}:${process.env["PATH"]}` },
    });
}

describe("scripts/preview.sh", () => {
    it("previews the stack with its diff and the policy pack, passing extra options on", () => {
        const result = run("preview.sh", ["staging", "--save-plan", "plan.json"]);
        expect(result.status).toBe(0);
        expect(result.stdout.trim()).toBe("pulumi preview --stack staging --diff --policy-pack policy --save-plan plan.json");
    });

    it("needs a stack name", () => {
        const result = run("preview.sh", []);
        expect(result.status).toBe(2);
        expect(result.stderr).toMatch(/^usage: scripts\/preview\.sh STACK/);
    });
});

describe("scripts/drift-check.sh", () => {
    it("checks prod by default with refresh and expect-no-changes, which writes no state", () => {
        const result = run("drift-check.sh", []);
        expect(result.status).toBe(0);
        expect(result.stdout.trim()).toBe("pulumi preview --stack prod --refresh --expect-no-changes --diff --policy-pack policy");
        expect(run("drift-check.sh", ["staging"]).stdout).toContain("--stack staging ");
        expect(result.stderr.trim()).toBe(`in ${scratch}`);
    });

    it("checks the account program's stack from bootstrap/, with the repository's policy pack", () => {
        const result = run("drift-check.sh", ["account"]);
        expect(result.status).toBe(0);
        expect(result.stdout.trim()).toBe("pulumi preview --stack account --refresh --expect-no-changes --diff --policy-pack ../policy");
        expect(result.stderr.trim()).toBe(`in ${path.join(scratch, "bootstrap")}`);
    });
});
