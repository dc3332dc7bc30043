// The project file, the stack files, the settings declarations and docs/settings.md describe the
// same settings; these tests keep them from drifting apart.
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { isMap, isScalar, parse, parseDocument } from "yaml";
import { NON_PRODUCTION_OVERRIDES } from "../scripts/cloneStack.js";
import { DOC_PATH, renderSettingsTable, USAGE, withTable } from "../scripts/docs/settingsDoc.js";
import { readStackFile } from "../scripts/offlinePlan/stackFile.js";
import { AREAS, parseSettings, SETTING_NAMES, SETTINGS } from "../stacks/settings/registry.js";
import { OFFLINE_SECRET } from "../stacks/settings/spec.js";

const ROOT = path.resolve(__dirname, "..");
const PROJECT = "hotelgenius-ops";
const STACKS = ["prod", "staging"] as const;
/**
 * What staging changes from prod: the overrides of every non-production clone, and its own app's
 * health URL and Sentry environment; each needs a comment saying why in Pulumi.staging.yaml.
 */
const STAGING_OVERRIDES = [
    ...NON_PRODUCTION_OVERRIDES.map((override) => override.setting),
    "healthCheckUrl",
    "sentryEnvironment",
    "neonProjectName",
    "neonRefreshFrom",
];
/** Prod's settings a clone never copies: staging creates its own Neon project instead of adopting prod's. */
const STAGING_DROPPED = ["neonProjectId"];

const projectFile = parse(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
    name: string;
    runtime: { name: string; options: Record<string, unknown> };
    config: Record<string, { type?: string; description?: string; secret?: boolean; default?: unknown; items?: { type: string } }>;
};
const stackPath = (stack: string) => path.join(ROOT, `Pulumi.${stack}.yaml`);

describe("Pulumi.yaml", () => {
    it("is the hotelgenius-ops Node.js project, run through tsx", () => {
        expect(projectFile.name).toBe(PROJECT);
        expect(projectFile.runtime.name).toBe("nodejs");
        expect(projectFile.runtime.options).toMatchObject({ typescript: false, nodeargs: "--import tsx" });
    });

    it("declares exactly the settings the areas declare, each name once", () => {
        const names = AREAS.flatMap((area) => Object.keys(area.settings));
        expect(new Set(names).size).toBe(names.length);
        expect(Object.keys(projectFile.config).sort()).toEqual([...SETTING_NAMES].sort());
    });

    it.each(SETTING_NAMES)("declares %s with its declaration's type, secrecy, default and description", (name) => {
        const declared = projectFile.config[name]!;
        const setting = SETTINGS[name]!;
        expect(declared.type).toBe(setting.type);
        expect(declared.description).toBe(setting.description);
        if (declared.type === "array") expect(declared.items).toEqual({ type: "string" });
        expect(declared.secret ?? false).toBe(setting.secret ?? false);
        if (setting.optional)
            expect(declared.default, "optional: an empty default, read as unset (the CLI refuses a typed key with no value)").toEqual(
                setting.type === "array" ? [] : "",
            );
        else if (setting.default === undefined) expect(declared).not.toHaveProperty("default");
        else expect(declared.default).toEqual(setting.default);
    });
});

describe("stack files", () => {
    it.each(STACKS)("Pulumi.%s.yaml parses into valid settings", (stack) => {
        const file = readStackFile(stackPath(stack), PROJECT);
        const settings = parseSettings({ project: PROJECT, stack, values: file.values, secretKeys: file.secretKeys });
        expect(settings.region).toBe("eu-west-3");
        expect(settings.storage.replicaRegion).toBe("eu-central-1");
    });

    it.each(STACKS)("Pulumi.%s.yaml derives the database URLs from its Neon project, whose API key comes from its own ESC environment", (stack) => {
        const file = readStackFile(stackPath(stack), PROJECT);
        expect(file.environments).toEqual([`hotelgenius/${stack}`]);
        expect(file.values[`${PROJECT}:neonProjectName`]).toBe(stack === "prod" ? "hotelgenius" : "hotelgenius-staging");
        expect(file.values[`${PROJECT}:neonApiKey`]).toBe(OFFLINE_SECRET);
        expect(file.secretKeys.has(`${PROJECT}:neonApiKey`)).toBe(true);
        expect(file.values).not.toHaveProperty(`${PROJECT}:databaseUrl`);
        expect(file.values).not.toHaveProperty(`${PROJECT}:scratchDatabaseUrl`);
        expect(readFileSync(stackPath(stack), "utf8")).not.toMatch(/postgres(ql)?:\/\/\w+:[^@\s]+@/);
    });

    it("prod keeps its data protected and immutable", () => {
        const file = readStackFile(stackPath("prod"), PROJECT);
        const settings = parseSettings({ project: PROJECT, stack: "prod", values: file.values, secretKeys: file.secretKeys });
        expect(settings.storage.protectData).toBe(true);
        expect(settings.storage.objectLockMode).toBe("COMPLIANCE");
    });

    it("staging differs from prod exactly in the documented overrides", () => {
        const effective = (stack: string) => {
            const { values } = readStackFile(stackPath(stack), PROJECT);
            const keys = new Set([...Object.keys(values), ...SETTING_NAMES.map((name) => `${PROJECT}:${name}`)]);
            return new Map([...keys].map((key) => [key, values[key] ?? fieldDefault(key)]));
        };
        const prod = effective("prod");
        const staging = effective("staging");
        const keys = new Set([...prod.keys(), ...staging.keys()]);
        const differing = [...keys].filter((key) => prod.get(key) !== staging.get(key));
        expect(differing.sort()).toEqual([...STAGING_OVERRIDES, ...STAGING_DROPPED].map((name) => `${PROJECT}:${name}`).sort());
    });

    it("staging explains each override in a comment right above it", () => {
        const document = parseDocument(readFileSync(stackPath("staging"), "utf8"));
        const config = document.get("config");
        if (!isMap(config)) throw new Error("Pulumi.staging.yaml has no config mapping");
        for (const name of STAGING_OVERRIDES) {
            const pair = config.items.find((item) => isScalar(item.key) && item.key.value === `${PROJECT}:${name}`);
            const comment = pair && isScalar(pair.key) ? pair.key.commentBefore : undefined;
            expect(comment?.trim().length ?? 0, `comment above ${name}`).toBeGreaterThan(30);
        }
    });
});

describe("docs/settings.md", () => {
    it("`npm run docs:settings -- --help` prints the usage and leaves the document alone; an unknown argument exits 2", () => {
        const before = statSync(DOC_PATH).mtimeMs;
        const run = (arg: string) => spawnSync(process.execPath, ["--import", "tsx", "scripts/docs/settingsDoc.ts", arg], { cwd: ROOT, encoding: "utf8" });
        const help = run("--help");
        expect(help.status).toBe(0);
        expect(help.stdout).toBe(`${USAGE}\n`);
        const bad = run("--check");
        expect(bad.status).toBe(2);
        expect(bad.stderr).toBe(`docs:settings: unknown argument --check\n${USAGE}\n`);
        expect(statSync(DOC_PATH).mtimeMs).toBe(before);
    });

    it("holds the settings table generated from the declarations (npm run docs:settings)", () => {
        const docs = readFileSync(path.join(ROOT, "docs", "settings.md"), "utf8");
        expect(docs).toBe(withTable(docs, renderSettingsTable()));
    });
});

function fieldDefault(key: string): string | undefined {
    if (!key.startsWith(`${PROJECT}:`)) return undefined;
    const value = SETTINGS[key.slice(PROJECT.length + 1)]?.default;
    return value === undefined ? undefined : String(value);
}
