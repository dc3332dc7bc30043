// The README's and docs' examples work as written: every JSON example parses as it stands, and every
// command that prints JSON for another program prints nothing else on stdout (npm's banner included);
// the job's commands the README shows parse with the job's own parser, with no URL among their arguments.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseCli } from "../job/src/args.js";
import { JOB_ENV } from "../job/src/contract.js";
import { readCommittedPlan } from "../scripts/offlinePlan/planFormat.js";

const ROOT = path.resolve(__dirname, "..");
const DOCS = [
    "README.md",
    ...readdirSync(path.join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`),
];

describe.each(DOCS)("%s", (file) => {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    const examples = [...text.matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

    it("has JSON examples that parse as they stand", () => {
        for (const example of examples) expect(() => JSON.parse(example), example).not.toThrow();
    });
});

const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
/** Lines of the README's fenced code blocks without an info string: its commands. */
const commandLines = [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].filter((match) => match[1] === "").flatMap((match) => match[2]!.split("\n"));

describe("README.md's commands", () => {
    it("runs every `npm run` that prints JSON with --silent, so npm's banner stays off stdout", () => {
        const json = commandLines.filter((line) => /^npm run\b/.test(line) && /--json\b/.test(line.replace(/#.*$/, "")));
        expect(json.length).toBeGreaterThan(0);
        for (const line of json) expect(line, line).toMatch(/^npm run --silent /);
    });

    it("`npm run --silent plan -- --stack prod --json | jq` works exactly as written", { timeout: 120_000 }, () => {
        const line = commandLines.find((candidate) => candidate.startsWith("npm run --silent plan -- --stack prod --json | jq"));
        expect(line).toBeDefined();
        const command = line!.replace(/\s+#.*$/, "");
        const piped = spawnSync("bash", ["-o", "pipefail", "-c", command], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
        expect(piped.status, piped.stderr).toBe(0);
        const plan = readCommittedPlan("prod");
        expect(piped.stdout).toBe(`${plan.resources.length}\n`);
    });
});

describe("README.md's by-hand runs of the job", () => {
    it("ECS overrides are the job's arguments, parsed as the drill task runs them, with no URL on the RunTask request", () => {
        const examples = [...README.matchAll(/^```json\n([\s\S]*?)^```$/gm)]
            .map((m) => JSON.parse(m[1]!) as { containerOverrides?: { name: string; command: string[] }[] })
            .flatMap((example) => example.containerOverrides ?? []);
        expect(examples.map((override) => override.command[0])).toEqual(["list", "verify"]);
        // What the drill task definition sets (stacks/backupJob/component.ts).
        const drillTask = { [JOB_ENV.target]: "s3://bucket/postgres", [JOB_ENV.scratchDatabaseUrl]: "postgresql://drill@scratch/postgres" };
        for (const { name, command } of examples) {
            expect(name).toBe("backup-job");
            expect(command.join(" ")).not.toContain("://");
            expect(parseCli(command, drillTask, "/").command).toBe(command[0]);
        }
    });

    it("the workstation restore takes its target from a file and parses as written", () => {
        const line = commandLines.find(
            (candidate) => candidate.startsWith("node_modules/.bin/backup-job restore") && candidate.includes("--database-url-file ~/"),
        );
        expect(line).toBeDefined();
        const file = path.join(mkdtempSync(path.join(tmpdir(), "readme-restore-")), "target-url");
        writeFileSync(file, "postgresql://restore@target/hotelgenius\n");
        // The placeholders filled in: the bucket's name and the private file.
        const args = line!
            .split(" ")
            .slice(1)
            .map((arg) => (arg === "~/.hg-target-url" ? file : arg.replace("BUCKET", "hotelgenius-ops-prod-backups")));
        expect(args).toContain(file);
        expect(parseCli(args, {}, "/")).toMatchObject({ command: "restore", databaseUrl: "postgresql://restore@target/hotelgenius", dryRun: true });
    });
});
