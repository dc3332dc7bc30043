// Cloning a stack: the override logic on its own, the clone of prod planned offline (no physical name
// shared with prod, the policy pack passes), and scripts/clone-stack.sh end to end against a stand-in
// `pulumi` (there is no Pulumi CLI here) that records what it was asked to do.
import { execFile, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { cloneStackFile, NON_PRODUCTION_OVERRIDES } from "./cloneStack.js";
import { type Plan, parsePlan, readCommittedPlan } from "./offlinePlan/planFormat.js";
import { planViolations } from "./offlinePlan/policyCheck.js";

const ROOT = path.resolve(__dirname, "..");
const PROD_FILE = readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
const scratch = mkdtempSync(path.join(tmpdir(), "clone-stack-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Fake URLs on reserved names: never real credentials.
const PROD_URL = "postgresql://backup:prod-not-a-password@ep-prod.eu-central-1.aws.neon.example.invalid/hotelgenius?sslmode=require";
const CLONE_URL = "postgresql://backup:qa-not-a-password@ep-qa.eu-central-1.aws.neon.example.invalid/hotelgenius?sslmode=require";
const PROD_NEON_KEY = "napi_prod_not_a_real_key_000000";
const CLONE_NEON_KEY = "napi_qa_not_a_real_key_0000000";

/** Physical names that are unique per account (or globally, for buckets): scoped names (inline role policies) left out. */
function physicalNames(plan: Plan): string[] {
    const scoped = new Set([
        "aws:iam/rolePolicy:RolePolicy",
        "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
    ]);
    return plan.resources
        .filter((resource) => resource.type.startsWith("aws:") && !scoped.has(resource.type))
        .flatMap((resource) => (resource.type === "aws:s3/bucket:Bucket" ? [resource.inputs["bucket"]] : [resource.inputs["name"], resource.inputs["family"]]))
        .filter((name): name is string => typeof name === "string");
}

describe("cloneStackFile", () => {
    const options = { stack: "qa", from: "prod", alertEmails: ["qa-alerts@hotelgenius.example"], healthCheckUrl: "https://qa.hotelgenius.eu/health" };

    it("copies prod's settings, applies each override with its reason, and sets the clone's own alert recipients", () => {
        const { text } = cloneStackFile(PROD_FILE, options);
        const config = parse(text).config as Record<string, unknown>;
        expect(config["aws:region"]).toBe("eu-west-3");
        expect(config["hotelgenius-ops:alertEmails"]).toEqual(["qa-alerts@hotelgenius.example"]);
        for (const override of NON_PRODUCTION_OVERRIDES) {
            expect(config[`hotelgenius-ops:${override.setting}`]).toBe(override.value);
            expect(text).toContain(`# ${override.why}\n  hotelgenius-ops:${override.setting}:`);
        }
    });

    it("never copies a secret or the source's ESC environments, and keeps the clone's own secrets provider settings", () => {
        const secrets =
            "  hotelgenius-ops:databaseUrl:\n    secure: v1:prod-ciphertext\n  sentry:token:\n    secure: v1:other\n  custom:nested:\n    inner:\n      " +
            "secure: v1:deep\n";
        const source = `encryptionsalt: v1:clone-salt\nsecretsprovider: awskms://alias/qa\n${PROD_FILE}${secrets}`;
        const result = cloneStackFile(source, options);
        expect(result.text).not.toMatch(/secure:|ciphertext|hotelgenius\/prod|environment:/);
        expect(result.secretsToSet.sort()).toEqual(["custom:nested", "hotelgenius-ops:databaseUrl", "hotelgenius-ops:neonApiKey", "sentry:token"]);
        expect(result.droppedEnvironments).toEqual(["hotelgenius/prod"]);
        const document = parse(result.text);
        expect(document.encryptionsalt).toBe("v1:clone-salt");
        expect(document.secretsprovider).toBe("awskms://alias/qa");
    });

    it("lists the Neon API key to set even when the source takes it from ESC (not in its file)", () => {
        expect(cloneStackFile(PROD_FILE, options).secretsToSet).toEqual(["hotelgenius-ops:neonApiKey"]);
    });

    it("gives the clone its own Neon project, named after it, and never adopts the source's", () => {
        const config = parse(cloneStackFile(PROD_FILE, options).text).config;
        expect(parse(PROD_FILE).config["hotelgenius-ops:neonProjectId"]).toBeDefined();
        expect(config["hotelgenius-ops:neonProjectName"]).toBe(`hotelgenius-${options.stack}`);
        expect(config["hotelgenius-ops:neonRefreshFrom"]).toBe("prod");
        expect(config).not.toHaveProperty("hotelgenius-ops:neonProjectId");
    });

    it("asks for the database URLs of a source that is not on Neon", () => {
        const document = parse(PROD_FILE);
        delete document.config["hotelgenius-ops:neonProjectName"];
        delete document.config["hotelgenius-ops:neonProjectId"];
        expect(cloneStackFile(stringify(document), options).secretsToSet).toEqual(["hotelgenius-ops:databaseUrl", "hotelgenius-ops:scratchDatabaseUrl"]);
    });

    it("refuses bad options, all at once, naming each", () => {
        expect(() => cloneStackFile(PROD_FILE, { stack: "prod", from: "prod", alertEmails: [], healthCheckUrl: "https://prod.hotelgenius.eu/health" })).toThrow(
            /--stack "prod" is the source stack itself[\s\S]*--alert-email is required/,
        );
        expect(() => cloneStackFile(PROD_FILE, { ...options, stack: "qa/x", alertEmails: ["not-an-address"] })).toThrow(
            /--stack: stack name "qa\/x" \(4 characters\) is not allowed; allowed: at most 27 characters[\s\S]*--alert-email "not-an-address" is not an email address/,
        );
    });

    it("Pulumi.staging.yaml is prod cloned through the same overrides", () => {
        const staging = parse(readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8")).config as Record<string, unknown>;
        const cloned = parse(
            cloneStackFile(PROD_FILE, {
                stack: "staging",
                from: "prod",
                alertEmails: staging["hotelgenius-ops:alertEmails"] as string[],
                healthCheckUrl: staging["hotelgenius-ops:healthCheckUrl"] as string,
            }).text,
        ).config;
        expect(staging).toEqual(cloned);
    });
});

describe("a clone of prod, planned offline", () => {
    let plan: Plan;
    beforeAll(async () => {
        const file = path.join(scratch, "Pulumi.qa.yaml");
        // What clone-stack.sh leaves: the rewritten copy plus the clone's own database URL, stored as a secret,
        // and the drill's scratch server URL its next steps ask for.
        const { text } = cloneStackFile(PROD_FILE, {
            stack: "qa",
            from: "prod",
            alertEmails: ["qa-alerts@hotelgenius.example"],
            healthCheckUrl: "https://qa.hotelgenius.eu/health",
        });
        writeFileSync(file, `${text}  hotelgenius-ops:neonApiKey:\n    secure: v1:qa-ciphertext\n`);
        const { stdout } = await promisify(execFile)(
            process.execPath,
            ["--import", "tsx", "scripts/offlinePlan/plan.ts", "--stack", "qa", "--config-file", file, "--json"],
            {
                cwd: ROOT,
                maxBuffer: 64 * 1024 * 1024,
            },
        );
        plan = parsePlan(stdout);
    }, 120_000);

    it("shares no physical name with prod", () => {
        const prod: Plan = readCommittedPlan("prod");
        const clone = physicalNames(plan);
        expect(clone.length).toBeGreaterThanOrEqual(5);
        expect(clone.filter((name) => physicalNames(prod).includes(name))).toEqual([]);
        expect(clone.every((name) => name.includes("qa"))).toBe(true);
    });

    it("creates its own Neon project with a day of history, the target of prod's refresh, never adopting prod's", () => {
        const project = plan.resources.find((resource) => resource.name === "neon-project");
        expect(project?.inputs).toEqual({
            __provider: "[dynamic provider code]",
            name: "hotelgenius-qa",
            regionId: "aws-eu-central-1",
            pgVersion: 17,
            historyRetentionSeconds: 86_400,
            refreshFrom: "prod",
        });
        expect(project?.protect).toBe(false);
    });

    it("passes the policy pack, with nothing protected and the lighter lock", () => {
        expect(planViolations(plan)).toEqual([]);
        expect(plan.resources.filter((resource) => resource.protect)).toEqual([]);
        const lock = plan.resources.find((resource) => resource.name === "backups-object-lock");
        expect(lock?.inputs["rule"]).toEqual({ defaultRetention: { mode: "GOVERNANCE", days: 1 } });
    });

    it("cannot plan without its own Neon API key: prod's is not inherited through ESC", async () => {
        const file = path.join(scratch, "Pulumi.nourl.yaml");
        writeFileSync(
            file,
            cloneStackFile(PROD_FILE, {
                stack: "nourl",
                from: "prod",
                alertEmails: ["qa-alerts@hotelgenius.example"],
                healthCheckUrl: "https://qa.hotelgenius.eu/health",
            }).text,
        );
        const result = await promisify(execFile)(
            process.execPath,
            ["--import", "tsx", "scripts/offlinePlan/plan.ts", "--stack", "nourl", "--config-file", file],
            {
                cwd: ROOT,
            },
        ).then(
            () => ({ code: 0, stderr: "" }),
            (error: { code: number; stderr: string }) => error,
        );
        expect(result.code).toBe(3);
        expect(result.stderr).toContain("hotelgenius-ops:neonApiKey: not set; required with neonProjectName");
    });
});

/** A `pulumi` stand-in: answers what clone-stack.sh asks and records each call (never a secret's value) in calls.log. */
const FAKE_PULUMI = `#!/usr/bin/env bash
set -euo pipefail
echo "$*" >> "$FAKE_DIR/calls.log"
case "$1 $2" in
    "stack ls") echo "$FAKE_STACKS" ;;
    "whoami --verbose") echo "Backend URL: file://fake-backend" ;;
    "config get") echo "$FAKE_SOURCE_SECRET" ;;
    "stack init")
        name="$3"; from="$5"
        { echo "encryptionsalt: v1:fake-salt"; cat "Pulumi.$from.yaml"; } > "Pulumi.$name.yaml" ;;
    "config set")
        value="$(cat)"; key="\${!#}"
        printf '%s' "$value" > "$FAKE_DIR/secret-value"
        printf '  %s:\\n    secure: v1:fake-ciphertext\\n' "$key" >> "Pulumi.$4.yaml" ;;
    *) echo "fake pulumi: unexpected call: $*" >&2; exit 64 ;;
esac
`;

describe("scripts/clone-stack.sh", () => {
    let repo: string;
    let fakeDir: string;

    beforeAll(() => {
        // A copy of what the script touches, so the clone's Pulumi.<name>.yaml never lands in this checkout.
        repo = path.join(scratch, "repo");
        for (const entry of ["scripts", "stacks", "job/src", "Pulumi.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml", "package.json", "tsconfig.json"]) {
            cpSync(path.join(ROOT, entry), path.join(repo, entry), { recursive: true });
        }
        symlinkSync(path.join(ROOT, "node_modules"), path.join(repo, "node_modules"));
        fakeDir = path.join(scratch, "fake-bin");
        mkdirSync(fakeDir);
        writeFileSync(path.join(fakeDir, "pulumi"), FAKE_PULUMI);
        chmodSync(path.join(fakeDir, "pulumi"), 0o755);
    });

    const clone = (args: string[], env: Record<string, string> = {}) => {
        rmSync(path.join(fakeDir, "calls.log"), { force: true });
        const result = spawnSync(path.join(repo, "scripts", "clone-stack.sh"), args, {
            cwd: scratch,
            encoding: "utf8",
            input: "",
            timeout: 60_000,
            env: {
                PATH: `${fakeDir}:${process.env["PATH"]}`,
                HOME: process.env["HOME"] ?? scratch,
                FAKE_DIR: fakeDir,
                FAKE_STACKS: JSON.stringify([{ name: "prod" }, { name: "staging" }]),
                FAKE_SOURCE_SECRET: PROD_NEON_KEY,
                CLONE_NEON_API_KEY: CLONE_NEON_KEY,
                ...env,
            },
        });
        const calls = existsSync(path.join(fakeDir, "calls.log")) ? readFileSync(path.join(fakeDir, "calls.log"), "utf8").trim().split("\n") : [];
        return { ...result, calls };
    };

    it("creates the stack from prod, rewrites its settings, stores its own Neon API key as a secret, and prints the next steps", () => {
        const result = clone(["qa", "--alert-email", "qa-alerts@hotelgenius.example", "--health-check-url", "https://qa.hotelgenius.eu/health"]);
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        expect(result.calls).toEqual([
            "stack ls --json",
            "config get --stack prod hotelgenius-ops:neonApiKey",
            "stack init qa --copy-config-from prod --no-select",
            "config set --stack qa --secret hotelgenius-ops:neonApiKey",
        ]);
        expect(readFileSync(path.join(fakeDir, "secret-value"), "utf8")).toBe(CLONE_NEON_KEY);
        const file = readFileSync(path.join(repo, "Pulumi.qa.yaml"), "utf8");
        expect(file).not.toContain("hotelgenius/prod");
        const config = parse(file).config;
        expect(config["hotelgenius-ops:neonApiKey"]).toEqual({ secure: "v1:fake-ciphertext" });
        expect(config["hotelgenius-ops:neonProjectName"]).toBe("hotelgenius-qa");
        expect(config).not.toHaveProperty("hotelgenius-ops:neonProjectId");
        expect(result.stdout).toContain("npm run plan -- --stack qa");
        expect(result.stdout).toContain("scripts/preview.sh qa");
        expect(result.stdout).toContain("scripts/clone-stack.sh qa --refresh");
        expect(config["hotelgenius-ops:neonRefreshFrom"]).toBe("prod");
        expect(result.stdout).not.toContain(CLONE_NEON_KEY);
    });

    it("asks a source that is not on Neon for the clone's own database URL instead", () => {
        const document = parse(readFileSync(path.join(repo, "Pulumi.prod.yaml"), "utf8"));
        delete document.config["hotelgenius-ops:neonProjectName"];
        delete document.config["hotelgenius-ops:neonProjectId"];
        writeFileSync(path.join(repo, "Pulumi.legacy.yaml"), stringify(document));
        const args = ["urlclone", "--from", "legacy", "--alert-email", "a@hotelgenius.example", "--health-check-url", "https://u.hotelgenius.eu/health"];
        const env = { FAKE_STACKS: JSON.stringify([{ name: "legacy" }]), FAKE_SOURCE_SECRET: PROD_URL, CLONE_DATABASE_URL: CLONE_URL };
        const result = clone(args, env);
        expect(result.stderr).toBe("");
        expect(result.calls).toContain("config set --stack urlclone --secret hotelgenius-ops:databaseUrl");
        expect(readFileSync(path.join(fakeDir, "secret-value"), "utf8")).toBe(CLONE_URL);
        const samePlace = clone(["urlclone2", ...args.slice(1)], { ...env, CLONE_DATABASE_URL: PROD_URL.replace("prod-not-a-password", "other") });
        expect(samePlace.status).toBe(3);
        expect(samePlace.stderr).toContain("points at legacy's database");
        expect(samePlace.stderr).not.toContain("other");
        expect(samePlace.calls.filter((call) => call.startsWith("stack init"))).toEqual([]);
    });

    it.each(["staging_2", "a.b", "feature-guest-portal-redesign", "QA"])(
        "refuses the stack name %s, which the program would refuse, before asking or writing anything",
        (name) => {
            const result = clone([name, "--alert-email", "qa-alerts@hotelgenius.example", "--health-check-url", "https://qa.hotelgenius.eu/health"]);
            expect(result.status).toBe(2);
            expect(result.stderr).toBe(
                `stack name "${name}" (${name.length} characters) is not allowed; allowed: at most 27 characters of lowercase letters, digits and hyphens, ` +
                    "starting and ending with a letter or digit (every physical name of the stack carries it)\n",
            );
            expect(result.calls).toEqual([]);
            expect(existsSync(path.join(repo, `Pulumi.${name}.yaml`))).toBe(false);
        },
    );

    it("refuses a stack that already exists, as a file or in the backend, before creating anything", () => {
        const asFile = clone(["qa", "--alert-email", "qa-alerts@hotelgenius.example", "--health-check-url", "https://qa.hotelgenius.eu/health"]);
        expect(asFile.status).toBe(3);
        expect(asFile.stderr).toContain("Pulumi.qa.yaml already exists: refusing to overwrite stack qa");
        const inBackend = clone(["demo", "--alert-email", "a@hotelgenius.example", "--health-check-url", "https://demo.hotelgenius.eu/health"], {
            FAKE_STACKS: JSON.stringify([{ name: "acme/hotelgenius-ops/demo" }]),
        });
        expect(inBackend.status).toBe(3);
        expect(inBackend.stderr).toContain("stack demo already exists");
        expect([...asFile.calls, ...inBackend.calls].filter((call) => call.startsWith("stack init"))).toEqual([]);
    });

    it("points at `pulumi stack init` for a committed stack file such as staging's", () => {
        spawnSync("git", ["init", "-q"], { cwd: repo });
        spawnSync("git", ["add", "Pulumi.staging.yaml"], { cwd: repo });
        const result = clone(["staging", "--alert-email", "a@hotelgenius.example", "--health-check-url", "https://staging.hotelgenius.eu/health"]);
        expect(result.status).toBe(3);
        expect(result.stderr).toContain("It is committed (already prod plus the overrides): create the stack from it with `pulumi stack init staging`");
        expect(result.stderr).toContain("give it its own Neon API key");
        expect(result.stderr).toContain("then load its data with `scripts/clone-stack.sh staging --refresh`");
        expect(result.calls).toEqual([]);
    });

    it("refuses prod's Neon API key, without printing it", () => {
        const result = clone(["demo2", "--alert-email", "a@hotelgenius.example", "--health-check-url", "https://demo2.hotelgenius.eu/health"], {
            CLONE_NEON_API_KEY: PROD_NEON_KEY,
        });
        expect(result.status).toBe(3);
        expect(result.stderr).toContain("the Neon API key given for demo2 is prod's");
        expect(result.stderr).not.toContain(PROD_NEON_KEY);
        expect(result.calls.filter((call) => call.startsWith("stack init"))).toEqual([]);
    });

    it("checks its options before creating anything", () => {
        const badEmail = clone(["demo3", "--alert-email", "nobody", "--health-check-url", "https://demo3.hotelgenius.eu/health"]);
        expect(badEmail.status).toBe(2);
        expect(badEmail.stderr).toContain('--alert-email "nobody" is not an email address');
        expect(badEmail.calls.filter((call) => call.startsWith("stack init"))).toEqual([]);
        expect(clone(["prod"]).status).toBe(2);
        expect(clone([]).status).toBe(2);
    });
});
