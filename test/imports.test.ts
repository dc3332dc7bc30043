// Import rules of the repository's layout, read from the sources as text: programs and tools never
// import from a test folder, the backup job's commands never import each other, the job reads its
// environment in one module, and no import of stacks/ runs upward or sideways into another area.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const COMMANDS_DIR = "job/src/commands";
const JOB_ENVIRONMENT = "job/src/environment.ts";
/**
 * What of the job the program imports: the names both agree on (contract.ts), and the job's reading of a
 * database URL, which the settings check applies so that a stack refuses the URLs the job would refuse
 * (a check written once, not copied). Neither loads Pulumi, the AWS SDK or pg.
 */
const JOB_MODULES_FOR_AREAS = ["job/src/contract.ts", "job/src/postgres/dburl.ts"];
/** The settings core: what areas declare their settings and checks with. The registry above it lists the areas. */
const SETTINGS_CORE = ["stacks/settings/spec.ts", "stacks/settings/checks.ts", "stacks/settings/core.ts"];
const SETTINGS_REGISTRY = "stacks/settings/registry.ts";

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

    describe("stacks/: areas import only themselves, stacks/shared, the settings core and the job's contract and URL rules", () => {
        const sources = trackedSources().filter((file) => file.startsWith("stacks/") && !isTestCode(file));
        /** `stacks/<folder>` of a file under stacks/. */
        const folderOf = (file: string) => file.split("/").slice(0, 2).join("/");
        const asSource = (target: string) => target.replace(/\.js$/, ".ts");
        const offenders = (files: string[], allowed: (file: string, target: string) => boolean) =>
            files.flatMap((file) =>
                relativeImports(file)
                    .map(asSource)
                    .filter((target) => !allowed(file, target))
                    .map((target) => `${file} imports ${target}`),
            );
        const shared = (target: string) => target.startsWith("stacks/shared/");

        it("finds the areas and their imports", () => {
            const areas = new Set(sources.map(folderOf).filter((folder) => !["stacks/shared", "stacks/settings"].includes(folder)));
            expect([...areas].sort()).toEqual(["stacks/alerts", "stacks/backupJob", "stacks/logDrains", "stacks/neon", "stacks/sentry", "stacks/storage"]);
            expect(relativeImports("stacks/storage/args.ts").map(asSource)).toContain("stacks/settings/core.ts");
        });

        it("an area imports itself, stacks/shared, the settings core and the job's contract: nothing of another area, nothing above", () => {
            const areaFiles = sources.filter((file) => !["stacks/shared", "stacks/settings"].includes(folderOf(file)));
            const allowed = (file: string, target: string) =>
                folderOf(target) === folderOf(file) || shared(target) || SETTINGS_CORE.includes(target) || JOB_MODULES_FOR_AREAS.includes(target);
            expect(offenders(areaFiles, allowed)).toEqual([]);
        });

        it("stacks/shared imports only itself, the settings core and the job's contract", () => {
            const allowed = (_file: string, target: string) => shared(target) || SETTINGS_CORE.includes(target) || JOB_MODULES_FOR_AREAS.includes(target);
            expect(
                offenders(
                    sources.filter((file) => folderOf(file) === "stacks/shared"),
                    allowed,
                ),
            ).toEqual([]);
        });

        it("the settings core imports no area; the registry only the areas' settings declarations", () => {
            const allowed = (_file: string, target: string) => shared(target) || SETTINGS_CORE.includes(target);
            expect(offenders(SETTINGS_CORE, allowed)).toEqual([]);
            const declarations = (_file: string, target: string) => allowed(_file, target) || /^stacks\/[A-Za-z]+\/settings\.ts$/.test(target);
            expect(offenders([SETTINGS_REGISTRY], declarations)).toEqual([]);
        });
    });
});
