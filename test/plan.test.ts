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
        expect(result.stderr).toBe("");
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
        const guarded = (stack: string) =>
            load(stack)
                // The backup job's own key encrypts its logs and secrets, not backups: it follows the stack's lifecycle.
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
        ]);
        const replicaBucket = prod.resources.find((r) => r.name === "backups-replica-bucket");
        expect(replicaBucket?.provider).toBe("aws-replica");
    });
});

describe("the scheduled backup job in the real stacks' plans", () => {
    const load = (stack: string): Plan => JSON.parse(readFileSync(path.join(ROOT, "plans", `${stack}.json`), "utf8"));

    it.each(["prod", "staging"])("%s plans the image, cluster, task definitions, log group, secrets, roles, schedules and DLQ under its own names", (stack) => {
        const plan = load(stack);
        const job = plan.resources.filter((resource) => resource.name.startsWith("backup-job"));
        const counts: Record<string, number> = {};
        for (const resource of job) counts[resource.type] = (counts[resource.type] ?? 0) + 1;
        expect(counts).toEqual({
            "hotelgenius:ops:BackupJob": 1,
            "docker-build:index:Image": 1,
            "aws:ecr/repository:Repository": 1,
            "aws:ecr/lifecyclePolicy:LifecyclePolicy": 1,
            "aws:ecs/cluster:Cluster": 1,
            "aws:ecs/taskDefinition:TaskDefinition": 2,
            "aws:cloudwatch/logGroup:LogGroup": 1,
            "aws:kms/key:Key": 1,
            "aws:kms/alias:Alias": 1,
            "aws:secretsmanager/secret:Secret": 2,
            "aws:secretsmanager/secretVersion:SecretVersion": 2,
            "aws:iam/role:Role": 5,
            "aws:iam/rolePolicy:RolePolicy": 5,
            "aws:ec2/securityGroup:SecurityGroup": 1,
            "aws:sqs/queue:Queue": 1,
            "aws:scheduler/schedule:Schedule": 2,
        });
        const schedules = job.filter((resource) => resource.type === "aws:scheduler/schedule:Schedule");
        expect(schedules.map((schedule) => [schedule.inputs["name"], schedule.inputs["scheduleExpression"], schedule.inputs["scheduleExpressionTimezone"]])).toEqual([
            [`hotelgenius-ops-${stack}-backup`, "cron(0 2 * * ? *)", "UTC"],
            [`hotelgenius-ops-${stack}-restore-drill`, "cron(0 5 ? * MON *)", "UTC"],
        ]);
        for (const version of job.filter((resource) => resource.type === "aws:secretsmanager/secretVersion:SecretVersion")) {
            expect(version.inputs["secretString"]).toBe("[secret]");
        }
        expect(plan.outputs["runBackupCommand"]).toMatch(new RegExp(`^aws ecs run-task --region eu-west-3 --cluster hotelgenius-ops-${stack}-backup --launch-type FARGATE `));
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

    it("refuses the backup task's bad settings before planning: a Fargate size that does not exist, a run in the skipped hour, no public IP in the default VPC", async () => {
        const file = prodWith({
            "hotelgenius-ops:jobCpu": 1024,
            "hotelgenius-ops:jobMemory": 1536,
            "hotelgenius-ops:backupSchedule": "cron(30 2 * * ? *)",
            "hotelgenius-ops:backupScheduleTimezone": "Europe/Paris",
            "hotelgenius-ops:jobAssignPublicIp": false,
        });
        const result = await plan(["--stack", "prod", "--config-file", file, "--json"]);
        expect(result.code).toBe(3);
        expect(result.stdout).toBe("");
        expect(result.stderr.trim().split("\n")).toEqual([
            expect.stringMatching(/^hotelgenius-ops:jobMemory: "1536"; is not a memory size Fargate accepts with cpu 1024; allowed: 2048-8192 in steps of 1024 MiB$/),
            expect.stringMatching(/^hotelgenius-ops:jobAssignPublicIp: "false"; must be true in the default VPC/),
            expect.stringMatching(/^hotelgenius-ops:backupSchedule: "cron\(30 2 \* \* \? \*\)"; fires at 02:30 Europe\/Paris, which does not exist on \d{4}-03-\d\d/),
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
