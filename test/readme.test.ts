// The README's and docs' examples work as written: every JSON example parses as it stands, and every
// command that prints JSON for another program prints nothing else on stdout (npm's banner included).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
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
