// The offline plan as a user runs it: a separate process per stack, as `npm run plan` does.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { type Plan, stackNames } from "../scripts/planFormat.js";

const ROOT = path.resolve(__dirname, "..");
const run = promisify(execFile);
const scratch = mkdtempSync(path.join(tmpdir(), "plan-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function plan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
        const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/plan.ts", ...args], {
            cwd: ROOT,
            maxBuffer: 64 * 1024 * 1024,
        });
        return { code: 0, stdout, stderr };
    } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
}

/** A copy of prod's settings file with some project keys replaced. */
function prodWith(overrides: Record<string, unknown>): string {
    const document = parse(readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8"));
    for (const [key, value] of Object.entries(overrides)) document.config[key] = value;
    const file = path.join(scratch, `Pulumi.bad-${Object.keys(overrides).join("-").replace(/[^a-z-]/gi, "")}.yaml`);
    writeFileSync(file, stringify(document));
    return file;
}

const stacks = stackNames(ROOT);

describe("committed plans", () => {
    it("covers prod and staging", () => {
        expect(stacks).toEqual(["prod", "staging"]);
    });

    it.each(stacks)("plans/%s.json matches the program (run `npm run plan:update` when this fails)", async (stack) => {
        const result = await plan(["--stack", stack, "--json"]);
        // Both stack files still carry placeholder recipients and health URLs: warnings only (pulumi up refuses them).
        const lines = result.stderr.split("\n").filter((line) => line !== "");
        expect(lines.every((line) => line.startsWith("warning: [runtime] ") && line.endsWith("(an error on pulumi up)")), result.stderr).toBe(true);
        expect(result.code).toBe(0);
        const committed = readFileSync(path.join(ROOT, "plans", `${stack}.json`), "utf8");
        expect(result.stdout === committed, `plans/${stack}.json is stale: run npm run plan:update and commit it`).toBe(true);
    });

    it("prod and staging share no physical name, so both fit in one AWS account", () => {
        // Inline role policies are named within their role, not the account.
        const roleScoped = new Set(["aws:iam/rolePolicy:RolePolicy"]);
        const physicalNames = (stack: string) => {
            const document: Plan = JSON.parse(readFileSync(path.join(ROOT, "plans", `${stack}.json`), "utf8"));
            return document.resources
                .filter((resource) => resource.type.startsWith("aws:") && !roleScoped.has(resource.type))
                .map((resource) => resource.inputs[resource.type === "aws:s3/bucket:Bucket" ? "bucket" : "name"])
                .filter((value): value is string => typeof value === "string");
        };
        const prod = physicalNames("prod");
        const staging = physicalNames("staging");
        expect(prod.length).toBeGreaterThan(0);
        expect(prod.filter((name) => staging.includes(name))).toEqual([]);
    });
});

describe("what the real stack settings plan", () => {
    const load = (stack: string): Plan => JSON.parse(readFileSync(path.join(ROOT, "plans", `${stack}.json`), "utf8"));
    const dataTypes = ["aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"];

    it("prod protects and retains every bucket, key and lock configuration; staging none, so it can be torn down", () => {
        // The alerts topics' keys encrypt notifications in flight, not backups: only the backup storage's are guarded.
        const guarded = (stack: string) =>
            load(stack)
                .resources.filter((resource) => dataTypes.includes(resource.type) && resource.name.startsWith("backups-"))
                .map((resource) => [resource.name, resource.protect, resource.retainOnDelete]);
        const names = ["backups-bucket", "backups-key", "backups-object-lock", "backups-replica-bucket", "backups-replica-key", "backups-replica-object-lock"].sort();
        expect(guarded("prod").map(([name]) => name).sort()).toEqual(names);
        expect(guarded("prod").every(([, protect, retain]) => protect === true && retain === true)).toBe(true);
        expect(guarded("staging").every(([, protect, retain]) => protect === false && retain === false)).toBe(true);
    });

    it("prod locks backups in compliance mode and keeps the replica in another region", () => {
        const prod = load("prod");
        for (const resource of prod.resources.filter((r) => r.type === "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")) {
            expect(resource.inputs["rule"]).toEqual({ defaultRetention: { mode: "COMPLIANCE", days: 35 } });
        }
        const regions = prod.resources.filter((r) => r.type === "pulumi:providers:aws").map((r) => [r.name, r.inputs["region"]]);
        expect(regions).toEqual([
            ["aws-primary", "eu-west-3"],
            ["aws-replica", "eu-central-1"],
            ["aws-us-east-1", "us-east-1"],
        ]);
        const replicaBucket = prod.resources.find((r) => r.name === "backups-replica-bucket");
        expect(replicaBucket?.provider).toBe("aws-replica");
    });
});

describe("plan command line", () => {
    it("prints a grouped, readable plan without --json", async () => {
        const result = await plan(["--stack", "staging"]);
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/^Plan for hotelgenius-ops \/ staging: \d+ resources to create/);
        expect(result.stdout).toContain('hotelgenius:ops:BackupStorage "backups"');
        expect(result.stdout).toContain("Outputs:");
    });

    it("warns, and still plans, when alerts would go to a reserved example domain", async () => {
        const result = await plan(["--stack", "prod"]);
        expect(result.code).toBe(0);
        expect(result.stderr).toContain("warning: [runtime] alertEmails: ops@hotelgenius.example is on a reserved example domain");
        expect(result.stderr).toContain("warning: [runtime] healthCheckUrl: https://app.hotelgenius.example/health is on a reserved example domain");
        const real = prodWith({ "hotelgenius-ops:alertEmails": ["oncall@hotelgenius.eu"], "hotelgenius-ops:healthCheckUrl": "https://app.hotelgenius.eu/health" });
        const clean = await plan(["--stack", "prod", "--config-file", real]);
        expect(clean.code).toBe(0);
        expect(clean.stderr).toBe("");
    });

    it("rejects a missing stack name with the stacks that exist", async () => {
        const result = await plan([]);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain("--stack is required (one of: prod, staging)");
    });

    it("rejects a settings file that does not exist, naming it", async () => {
        const result = await plan(["--stack", "prod", "--config-file", path.join(scratch, "nope.yaml")]);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain("nope.yaml does not exist");
    });

    it("reports every bad setting at once, each by key and value, and plans nothing", async () => {
        const file = prodWith({
            "hotelgenius-ops:backupSchedule": "cron(0 3 * * * *)",
            "hotelgenius-ops:backupScheduleTimezone": "Mars/Olympus_Mons",
            "hotelgenius-ops:replicaRegion": "us-east-1",
            "hotelgenius-ops:alertEmails": ["oncall(at)hotelgenius"],
            "hotelgenius-ops:transitionToIaDays": 10,
            "hotelgenius-ops:retentionDays": 30,
        });
        const result = await plan(["--stack", "prod", "--config-file", file, "--json"]);
        expect(result.code).toBe(3);
        expect(result.stdout).toBe("");
        for (const fragment of [
            "hotelgenius-ops:backupSchedule",
            "cron(0 3 * * * *)",
            "hotelgenius-ops:backupScheduleTimezone",
            "Mars/Olympus_Mons",
            "hotelgenius-ops:replicaRegion",
            "hotelgenius-ops:alertEmails",
            "oncall(at)hotelgenius",
            "hotelgenius-ops:transitionToIaDays",
            "hotelgenius-ops:retentionDays",
        ]) {
            expect(result.stderr).toContain(fragment);
        }
    });

    it("refuses bad alert settings, each by key, value and what is allowed", async () => {
        const file = prodWith({
            "hotelgenius-ops:healthCheckUrl": "http://app.hotelgenius.eu/health",
            "hotelgenius-ops:backupMissingAfterHours": 500,
            "hotelgenius-ops:healthCheckRegions": ["eu-west-1", "eu-west-3"],
        });
        const result = await plan(["--stack", "prod", "--config-file", file]);
        expect(result.code).toBe(3);
        expect(result.stdout).toBe("");
        expect(result.stderr.split("\n").filter((line) => line !== "")).toEqual([
            'hotelgenius-ops:healthCheckUrl: "http://app.hotelgenius.eu/health"; must use https://, not http://: the check must prove the certificate and TLS work too',
            'hotelgenius-ops:healthCheckRegions: "[\\"eu-west-1\\",\\"eu-west-3\\"]"; must name Route 53 checker regions only (us-east-1, us-west-1, us-west-2, eu-west-1, ap-southeast-1, ap-southeast-2, ap-northeast-1, sa-east-1); not: eu-west-3',
            'hotelgenius-ops:backupMissingAfterHours: "500"; must be a whole number from 2 to 168 (CloudWatch evaluates at most 7 days)',
        ]);
    });

    it("names a settings file that is not valid YAML", async () => {
        const file = path.join(scratch, "Pulumi.broken.yaml");
        writeFileSync(file, "config:\n  aws:region: [us-east-1\n");
        const result = await plan(["--stack", "prod", "--config-file", file]);
        expect(result.code).toBe(3);
        expect(result.stderr).toContain(`${file}: invalid YAML`);
    });

    it("refuses an empty required secret without echoing secrets", async () => {
        const file = prodWith({ "hotelgenius-ops:databaseUrl": { secure: "" } });
        const result = await plan(["--stack", "prod", "--config-file", file]);
        expect(result.code).toBe(3);
        expect(result.stderr).toContain("hotelgenius-ops:databaseUrl");
    });
});
