// A run whose work never settles while nothing is left to wait on: Node would end the process with exit 0,
// which ECS and a shell read as a finished backup. The real CLI's exitWith must turn that into exit 1 with
// its error line. Real child processes: the stand-in entry calls exitWith with a promise nobody resolves.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { CLI_ENTRY, errorOf, runCli } from "../support/cli.js";

let work: string;
let entry: (settles: string) => string;
let entries = 0;

beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "job-unfinished-"));
    entry = (settles) => {
        const file = join(work, `entry-${++entries}.ts`);
        writeFileSync(file, `import { exitWith } from ${JSON.stringify(CLI_ENTRY)};\nexitWith(${settles}, "backup");\n`);
        return file;
    };
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("a run that ends with its work unfinished", () => {
    it("exits 1 (internal error) with one error line naming the command, never 0", async () => {
        const result = await runCli([], { entry: entry("new Promise<number>(() => undefined)") });
        expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Internal);
        expect(errorOf(result).message).toContain("the backup run ended unfinished");
        expect(errorOf(result).context).toMatchObject({ command: "backup", exitCode: ExitCode.Internal });
    });

    it("a run that is ended by the job's own process.exit (the signal cleanup's deadline) keeps that code and writes no such line", async () => {
        const result = await runCli([], { entry: entry("new Promise<number>(() => setTimeout(() => process.exit(143), 10))") });
        expect(result.code, result.stdout + result.stderr).toBe(143);
        expect(result.logs).toEqual([]);
    });

    it("a run that settles keeps its own exit code and writes no such line", async () => {
        const result = await runCli([], { entry: entry("Promise.resolve(0)") });
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.logs).toEqual([]);
    });
});
