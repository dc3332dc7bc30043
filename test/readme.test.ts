// The README's and docs' examples work as written: every JSON example parses as it stands, and the
// README's `--json` plan command prints nothing but its JSON document (npm's banner would break `| jq`).
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

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

describe("README.md's plan command", () => {
    it("the --json example prints one JSON document and nothing else", { timeout: 120_000 }, async () => {
        const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
        const line = /^(npm run --silent plan -- --stack prod --json) \| jq /m.exec(readme);
        expect(line, "the README pipes the JSON plan into jq").not.toBeNull();
        const { stdout } = await promisify(execFile)("sh", ["-c", line![1]!], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
        expect(JSON.parse(stdout)).toMatchObject({ project: "hotelgenius-ops", stack: "prod" });
    });
});
