// The README's examples, copied as they stand: every JSON example parses, and every command that
// prints JSON for another program prints nothing else on stdout (npm's banner included).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
/** Fenced code blocks with their info string. */
const blocks = [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({ lang: match[1]!, body: match[2]! }));
const commandLines = blocks.filter((block) => block.lang === "").flatMap((block) => block.body.split("\n"));

describe("README.md examples", () => {
    it.each(blocks.filter((block) => block.lang === "json").map((block) => [block.body]))("the JSON example parses: %s", (body) => {
        expect(() => JSON.parse(body)).not.toThrow();
    });

    it("runs every `npm run` that prints JSON with --silent, so npm's banner stays off stdout", () => {
        const json = commandLines.filter((line) => /^npm run\b/.test(line) && /--json\b/.test(line.replace(/#.*$/, "")));
        expect(json.length).toBeGreaterThan(0);
        for (const line of json) expect(line, line).toMatch(/^npm run --silent /);
    });

    it("`npm run --silent plan -- --stack prod --json | jq` works exactly as written", () => {
        const line = commandLines.find((candidate) => candidate.startsWith("npm run --silent plan -- --stack prod --json | jq"));
        expect(line).toBeDefined();
        const command = line!.replace(/\s+#.*$/, "");
        const piped = spawnSync("bash", ["-o", "pipefail", "-c", command], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
        expect(piped.status, piped.stderr).toBe(0);
        const plan = JSON.parse(readFileSync(path.join(ROOT, "plans", "prod.json"), "utf8")) as { resources: unknown[] };
        expect(piped.stdout).toBe(`${plan.resources.length}\n`);
    });
});
