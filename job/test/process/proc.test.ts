import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diesWithThisProcess, findSetpriv } from "../../src/process/proc.js";

describe("findSetpriv", () => {
    let withIt: string;
    let notExecutable: string;
    beforeAll(() => {
        withIt = mkdtempSync(join(tmpdir(), "path-setpriv-"));
        symlinkSync("/usr/bin/setpriv", join(withIt, "setpriv"));
        notExecutable = mkdtempSync(join(tmpdir(), "path-setpriv-noexec-"));
        writeFileSync(join(notExecutable, "setpriv"), "", { mode: 0o644 });
    });
    afterAll(() => {
        rmSync(withIt, { recursive: true, force: true });
        rmSync(notExecutable, { recursive: true, force: true });
    });

    it("finds it in the first PATH directory that has it executable", () => {
        expect(findSetpriv(`/nonexistent::${notExecutable}:${withIt}:/usr/bin`)).toBe(join(withIt, "setpriv"));
    });

    it("is undefined without one on PATH, or without PATH", () => {
        expect(findSetpriv(`/nonexistent:${notExecutable}`)).toBeUndefined();
        expect(findSetpriv(undefined)).toBeUndefined();
    });
});

describe("diesWithThisProcess", () => {
    // That the kernel then kills it with the job: job/test/cli/dump-file.test.ts (the job killed outright).
    it("runs the program under setpriv with a parent-death SIGKILL, its arguments unchanged", () => {
        const [command, args] = diesWithThisProcess("/usr/bin/setpriv", "sh", ["-c", 'echo "$1"', "sh", "a b -- --pdeathsig"]);
        expect([command, args.slice(0, 4)]).toEqual(["/usr/bin/setpriv", ["--pdeathsig", "KILL", "--", "sh"]]);
        const run = spawnSync(command, args, { encoding: "utf8" });
        expect(run.status, run.stderr).toBe(0);
        expect(run.stdout).toBe("a b -- --pdeathsig\n");
    });
});
