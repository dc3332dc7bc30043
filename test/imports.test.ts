// Import rules of the repository's layout, read from the sources as text: programs and tools never
// import from a test folder, the backup job's commands never import each other, and the job reads its
// environment in one module.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const COMMANDS_DIR = "job/src/commands";
const JOB_ENVIRONMENT = "job/src/environment.ts";

function trackedSources(): string[] {
    return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts"], { cwd: ROOT, encoding: "utf8" })
        .split("\n")
        .filter((file) => file !== "" && !file.endsWith(".d.ts"));
}

/** Relative imports (static, dynamic, re-exports) of a file, resolved to repository paths. */
function relativeImports(file: string): string[] {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)"(\.{1,2}\/[^"]+)"/gm)].map((m) => m[1]!);
    return specifiers.map((spec) => path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
}

const isTestCode = (file: string) => file.endsWith(".test.ts") || file.split("/").includes("test");

describe("import rules", () => {
    it("finds the imports it checks", () => {
        expect(relativeImports("job/src/cli.ts")).toContain("job/src/args.js");
        expect(relativeImports("job/src/cli.ts")).toContain("job/src/commands/backup.js");
        expect(relativeImports("scripts/bench-backup.ts").some((target) => target.startsWith("job/tools/"))).toBe(true);
    });

    it("no program or tool imports from a test folder", () => {
        const offenders = trackedSources()
            .filter((file) => !isTestCode(file))
            .flatMap((file) =>
                relativeImports(file)
                    .filter(isTestCode)
                    .map((target) => `${file} imports ${target}`),
            );
        expect(offenders).toEqual([]);
    });

    it("the backup job's commands are siblings: no command module imports another", () => {
        const commands = trackedSources().filter((file) => path.posix.dirname(file) === COMMANDS_DIR);
        expect(commands.length).toBeGreaterThanOrEqual(4);
        const offenders = commands.flatMap((file) =>
            relativeImports(file)
                .filter((target) => path.posix.dirname(target) === COMMANDS_DIR)
                .map((target) => `${file} imports ${target}`),
        );
        expect(offenders).toEqual([]);
    });

    it("the backup job reads process.env in one module only, which the CLI calls once", () => {
        const jobSources = trackedSources().filter((file) => file.startsWith("job/src/"));
        expect(jobSources).toContain(JOB_ENVIRONMENT);
        const readers = jobSources.filter((file) => /\bprocess\.env\b/.test(readFileSync(path.join(ROOT, file), "utf8")));
        expect(readers).toEqual([JOB_ENVIRONMENT]);
        const calls = jobSources.flatMap((file) => [...readFileSync(path.join(ROOT, file), "utf8").matchAll(/\breadEnvironment\(/g)].map(() => file));
        expect(calls.filter((file) => file !== JOB_ENVIRONMENT)).toEqual(["job/src/cli.ts"]);
    });
});
