// The offline plan as a user runs it: a separate process per stack, as `npm run plan` does.
// Each process plans the whole program (seconds each), so one process serves every test that reads the
// same command line, and the tests that spawn run concurrently, one per core: more would only slow each
// other down (and a test's timeout runs from its start, not while it waits for a slot).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import { type Plan, parsePlan, stackNames, readCommittedPlan } from "../scripts/offlinePlan/planFormat.js";

const ROOT = path.resolve(__dirname, "..");
const run = promisify(execFile);
vi.setConfig({ maxConcurrency: availableParallelism() });
const scratch = mkdtempSync(path.join(tmpdir(), "plan-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface PlanResult {
    code: number;
    stdout: string;
    stderr: string;
}

const planRuns = new Map<string, Promise<PlanResult>>();

/** `node --import tsx scripts/offlinePlan/plan.ts ARGS`, what `npm run plan` runs, once per distinct command line. */
function plan(args: string[]): Promise<PlanResult> {
    const key = JSON.stringify(args);
    if (!planRuns.has(key)) planRuns.set(key, spawnPlan(args));
    return planRuns.get(key)!;
}

async function spawnPlan(args: string[]): Promise<PlanResult> {
    try {
        const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/offlinePlan/plan.ts", ...args], {
            cwd: ROOT,
            maxBuffer: 64 * 1024 * 1024,
        });
        return { code: 0, stdout, stderr };
    } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
}

/** `npm run plan` exactly as the README gives it. */
async function npmPlan(args: string[]): Promise<PlanResult> {
    try {
        const { stdout, stderr } = await run("npm", ["run", "--silent", "plan", "--", ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
        return { code: 0, stdout, stderr };
    } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
}

/** Prod's settings file as a local or s3:// backend needs it: no ESC `environment:`, the Neon API key (if any) stored in the file. */
function prodWithoutEsc(neonApiKey: { secure: string } | undefined): string {
    const document = parse(readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8"));
    delete document.environment;
    if (neonApiKey !== undefined) document.config["hotelgenius-ops:neonApiKey"] = neonApiKey;
    const file = path.join(scratch, `Pulumi.prod-without-esc-${neonApiKey === undefined ? "no-secret" : "secret"}.yaml`);
    writeFileSync(file, stringify(document));
    return file;
}

/** A copy of prod's settings file with some project keys replaced; its name is unique to the overrides, as concurrent tests write them. */
function prodWith(overrides: Record<string, unknown>): string {
    const document = parse(readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8"));
    for (const [key, value] of Object.entries(overrides)) document.config[key] = value;
    const digest = createHash("sha256").update(JSON.stringify(overrides)).digest("hex").slice(0, 12);
    const file = path.join(scratch, `Pulumi.prod-with-${digest}.yaml`);
    // Never rewritten: a concurrent test's plan may be reading it.
    if (!existsSync(file)) writeFileSync(file, stringify(document));
    return file;
}

/** Prod with unrelated bad settings, so that one plan proves each is reported, all at once; tests that check the whole output have their own file. */
function prodWithBadSettings(): string {
    return prodWith({
        "hotelgenius-ops:backupSchedule": "cron(0 3 * * * *)",
        "hotelgenius-ops:backupScheduleTimezone": "Mars/Olympus_Mons",
        "hotelgenius-ops:replicaRegion": "us-east-1",
        "hotelgenius-ops:alertEmails": ["oncall(at)hotelgenius"],
        "hotelgenius-ops:transitionToIaDays": 10,
        "hotelgenius-ops:retentionDays": 30,
        "hotelgenius-ops:logServiceEndpoint": "http://intake.example/v1",
        "hotelgenius-ops:logRetentionDays": 45,
        "hotelgenius-ops:neonApiKey": { secure: "" },
    });
}

const LOG_SERVICE_ENDPOINT = "https://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input";

/** Prod with real alert recipients, pager and health URL (so no warning) and a log service: one plan serves the tests of both. */
function prodWithRealRecipientsAndLogService(): string {
    return prodWith({
        "hotelgenius-ops:alertEmails": ["oncall@hotelgenius.eu"],
        "hotelgenius-ops:healthCheckUrl": "https://app.hotelgenius.eu/health",
        "hotelgenius-ops:pagerEndpoint": "https://oncall.hotelgenius.eu/integrations/sns",
        "hotelgenius-ops:logServiceEndpoint": LOG_SERVICE_ENDPOINT,
        "hotelgenius-ops:logServiceAccessKey": { secure: "v1:not-a-real-ciphertext" },
        "hotelgenius-ops:appLogGroups": ["/hotelgenius/prod/app"],
    });
}

const stacks = stackNames(ROOT);

/** Both stack files still carry placeholder recipients and health URLs: warnings only (pulumi up refuses them). */
function expectOnlyPlaceholderWarnings(stderr: string): void {
    const lines = stderr.split("\n").filter((line) => line !== "");
    expect(
        lines.every((line) => line.startsWith("warning: [runtime] ") && line.endsWith("(an error on pulumi up)")),
        stderr,
    ).toBe(true);
}

describe.concurrent("committed plans", () => {
    it("covers prod and staging", () => {
        expect(stacks).toEqual(["prod", "staging"]);
    });

    it.each(stacks)("plans/%s.json matches the program (run `npm run plan:update` when this fails)", async (stack) => {
        const result = await plan(["--stack", stack, "--json"]);
        expectOnlyPlaceholderWarnings(result.stderr);
        expect(result.code).toBe(0);
        const committed = readFileSync(path.join(ROOT, "plans", `${stack}.json`), "utf8");
        expect(result.stdout === committed, `plans/${stack}.json is stale: run npm run plan:update and commit it`).toBe(true);
    });

    it("prod and staging share no physical name, so both fit in one AWS account", () => {
        // Inline role policies are named within their role, not the account.
        const roleScoped = new Set(["aws:iam/rolePolicy:RolePolicy"]);
        const physicalNames = (stack: string) => {
            const document: Plan = readCommittedPlan(stack);
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
    const load = (stack: string): Plan => readCommittedPlan(stack);
    const storageResources = (stack: string) => load(stack).resources.filter((resource) => resource.component === "backups");

    it("prod protects and retains every storage resource whose loss weakens the backups (all but the key aliases); staging none", () => {
        const prod = storageResources("prod");
        const unguarded = prod.filter((resource) => !resource.protect || !resource.retainOnDelete).map((resource) => resource.type);
        expect(unguarded).toEqual(["aws:kms/alias:Alias", "aws:kms/alias:Alias"]);
        const guardedTypes = new Set(prod.filter((resource) => resource.protect).map((resource) => resource.type.split(":")[2]));
        expect([...guardedTypes].sort()).toEqual(
            [
                "Bucket",
                "BucketLifecycleConfiguration",
                "BucketObjectLockConfiguration",
                "BucketOwnershipControls",
                "BucketPolicy",
                "BucketPublicAccessBlock",
                "BucketReplicationConfig",
                "BucketServerSideEncryptionConfiguration",
                "BucketVersioning",
                "Key",
                "Role",
                "RolePolicy",
            ].sort(),
        );
        expect(storageResources("staging").filter((resource) => resource.protect || resource.retainOnDelete)).toEqual([]);
    });

    it("prod protects and retains the log archive bucket and its key; staging neither", () => {
        const guarded = (stack: string) =>
            load(stack)
                .resources.filter((resource) => ["logs-archive-bucket", "logs-key"].includes(resource.name))
                .map((resource) => [resource.name, resource.protect, resource.retainOnDelete]);
        expect(guarded("prod")).toEqual([
            ["logs-key", true, true],
            ["logs-archive-bucket", true, true],
        ]);
        expect(guarded("staging")).toEqual([
            ["logs-key", false, false],
            ["logs-archive-bucket", false, false],
        ]);
    });

    it("prod never empties a bucket on delete (forceDestroy); staging empties both, so it can be torn down", () => {
        const forceDestroy = (stack: string) =>
            load(stack)
                .resources.filter((resource) => resource.type === "aws:s3/bucket:Bucket")
                .map((resource) => [resource.name, resource.inputs["forceDestroy"]]);
        expect(forceDestroy("prod")).toEqual([
            ["backups-bucket", false],
            ["backups-replica-bucket", false],
            ["logs-archive-bucket", false],
        ]);
        expect(forceDestroy("staging")).toEqual([
            ["backups-bucket", true],
            ["logs-archive-bucket", true],
        ]);
    });

    it("staging keeps no off-site replica: no replica provider, bucket, key, replication, replica topic, rules or replication alarms", () => {
        const staging = load("staging");
        const offSite = staging.resources.filter((resource) => /replica|replication/.test(resource.name) || resource.provider === "aws-replica");
        expect(offSite.map((resource) => resource.name)).toEqual([]);
        expect(staging.outputs["replicationMetricDimensions"]).toEqual([]);
        expect(Object.keys(staging.outputs).filter((name) => ["replicaBucketName", "replicaBucketArn", "replicaKeyArn"].includes(name))).toEqual([]);
        const prod = load("prod");
        expect(prod.resources.filter((resource) => resource.provider === "aws-replica").map((resource) => resource.name)).toContain("backups-replica-bucket");
    });

    it(
        "prod gives every data key (backups, replica, log archive) the guarded key policy: " +
            "no deletion window under 30 days, disabling and policy changes for the break-glass role only",
        () => {
            const keys = load("prod").resources.filter((resource) => resource.type === "aws:kms/key:Key" && /^(backups|logs)-/.test(resource.name));
            expect(keys.map((key) => key.name)).toEqual(["backups-key", "backups-replica-key", "logs-key"]);
            for (const key of keys) {
                const statements = (JSON.parse(key.inputs["policy"] as string) as { Statement: { Sid: string; Condition?: unknown }[] }).Statement;
                expect(statements.map((statement) => [statement.Sid, statement.Condition])).toEqual([
                    ["DelegateToIam", undefined],
                    ["DenyShortDeletionWindow", { NumericLessThan: { "kms:ScheduleKeyDeletionPendingWindowInDays": "30" } }],
                    [
                        "DenyDisableAndPolicyChanges",
                        { ArnNotEquals: { "aws:PrincipalArn": "arn:aws:iam::000000000000:role/security/hotelgenius-break-glass" } },
                    ],
                ]);
                expect(key.inputs["bypassPolicyLockoutSafetyCheck"]).toBe(true);
            }
        },
    );

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

describe.concurrent("the log drain in the plan", () => {
    const drainTypes = (plan: Plan) => plan.resources.filter((resource) => resource.name.startsWith("logs-")).map((resource) => resource.type);
    const resource = (plan: Plan, name: string) => plan.resources.find((candidate) => candidate.name === name)!;

    it("prod without a log service: archive, streams to S3, roles, the forwarder's identity and no secret", () => {
        const prod: Plan = readCommittedPlan("prod");
        expect(drainTypes(prod)).toEqual(
            expect.arrayContaining([
                "aws:s3/bucket:Bucket",
                "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
                "aws:iam/role:Role",
                "aws:iam/user:User",
            ]),
        );
        expect(drainTypes(prod)).not.toContain("aws:secretsmanager/secret:Secret");
        for (const stream of ["logs-cloudwatch", "logs-railway"]) expect(resource(prod, stream).inputs["destination"]).toBe("extended_s3");
        expect(prod.outputs["logForwarderSecretAccessKey"]).toBe("[secret]");
    });

    it("a stack with a log service endpoint plans the HTTPS destination, the key in Secrets Manager, and the filters on its app groups", async () => {
        const result = await plan(["--stack", "prod", "--config-file", prodWithRealRecipientsAndLogService(), "--json"]);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        const withService: Plan = parsePlan(result.stdout);
        for (const stream of ["logs-cloudwatch", "logs-railway"]) {
            const inputs = resource(withService, stream).inputs as { destination: string; httpEndpointConfiguration: Record<string, unknown> };
            expect(inputs.destination).toBe("http_endpoint");
            expect(inputs.httpEndpointConfiguration).toMatchObject({
                url: LOG_SERVICE_ENDPOINT,
                s3BackupMode: "AllData",
                requestConfiguration: { contentEncoding: "GZIP" },
            });
        }
        expect(resource(withService, "logs-service-key-value").inputs["secretString"]).toBe("[secret]");
        expect(result.stdout).not.toContain("not-a-real-ciphertext");
        expect(resource(withService, "logs-app-hotelgenius-prod-app-subscription").inputs["logGroup"]).toBe("/hotelgenius/prod/app");
        expect(resource(withService, "logs-app-hotelgenius-prod-app-error-lines").inputs["pattern"]).toBe('{ $.level = "error" }');
    });

    it("refuses an http:// endpoint and an endpoint without its key, naming both keys", async () => {
        const result = await plan(["--stack", "prod", "--config-file", prodWithBadSettings(), "--json"]);
        expect(result.code).toBe(3);
        expect(result.stderr).toContain('hotelgenius-ops:logServiceEndpoint: "http://intake.example/v1"; must use https://');
        expect(result.stderr).toContain('hotelgenius-ops:logRetentionDays: "45"; must be one of the periods CloudWatch Logs accepts');
        const keyless = await plan(["--stack", "prod", "--config-file", prodWith({ "hotelgenius-ops:logServiceEndpoint": "https://intake.example/v1" })]);
        expect(keyless.code).toBe(3);
        expect(keyless.stderr).toContain("hotelgenius-ops:logServiceAccessKey: not set; required when hotelgenius-ops:logServiceEndpoint is set");
    });
});

describe("the scheduled backup job in the real stacks' plans", () => {
    const load = (stack: string): Plan => readCommittedPlan(stack);

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
        expect(
            schedules.map((schedule) => [schedule.inputs["name"], schedule.inputs["scheduleExpression"], schedule.inputs["scheduleExpressionTimezone"]]),
        ).toEqual([
            [`hotelgenius-ops-${stack}-backup`, "cron(0 2 * * ? *)", "UTC"],
            [`hotelgenius-ops-${stack}-restore-drill`, "cron(0 5 ? * MON *)", "UTC"],
        ]);
        for (const version of job.filter((resource) => resource.type === "aws:secretsmanager/secretVersion:SecretVersion")) {
            expect(version.inputs["secretString"]).toBe("[secret]");
        }
        // Without the variable the job writes no EMF record: BackupSuccess would vanish and the backup-missing alarm page every night.
        const taskDefinitions = job.filter((resource) => resource.type === "aws:ecs/taskDefinition:TaskDefinition");
        for (const definition of taskDefinitions) {
            const raw = definition.inputs["containerDefinitions"];
            const containers = (typeof raw === "string" ? JSON.parse(raw) : raw) as { environment: { name: string; value: string }[] }[];
            expect(containers.map((container) => container.environment.find((variable) => variable.name === "BACKUP_EMF_METRICS")?.value)).toEqual(["1"]);
        }
        expect(plan.outputs["runBackupCommand"]).toMatch(
            new RegExp(`^aws ecs run-task --region eu-west-3 --cluster hotelgenius-ops-${stack}-backup --launch-type FARGATE `),
        );
    });
});

describe.concurrent("plan command line", () => {
    it("prints a grouped, readable plan without --json", async () => {
        const result = await plan(["--stack", "staging"]);
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/^Plan for hotelgenius-ops \/ staging: \d+ resources to create/);
        expect(result.stdout).toContain('hotelgenius:ops:BackupStorage "backups"');
        expect(result.stdout).toContain("Outputs:");
    });

    it("warns, and still plans, when alerts would go to a reserved example domain", async () => {
        const result = await plan(["--stack", "prod", "--json"]);
        expect(result.code).toBe(0);
        expect(result.stderr).toContain("warning: [runtime] alertEmails: ops@hotelgenius.example is on a reserved example domain");
        expect(result.stderr).toContain("warning: [runtime] healthCheckUrl: https://app.hotelgenius.example/health is on a reserved example domain");
        expect(result.stderr).toContain(
            "warning: [runtime] pagerEndpoint: https://oncall.hotelgenius.example/integrations/sns is on a reserved example domain",
        );
        const clean = await plan(["--stack", "prod", "--config-file", prodWithRealRecipientsAndLogService(), "--json"]);
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
        expect(result.stderr).toBe(`--config-file ${path.join(scratch, "nope.yaml")}: ${path.join(scratch, "nope.yaml")} does not exist\n`);
    });

    it("a stack without a settings file is named with the stacks that have one, and no --config-file the user never passed", async () => {
        const result = await plan(["--stack", "dev"]);
        expect(result.code).toBe(2);
        expect(result.stderr).toBe(
            'no settings file for stack "dev": Pulumi.dev.yaml does not exist (stacks with a settings file: prod, staging; or give one with --config-file <path>)\n',
        );
    });

    it("under npm, resolves a relative --config-file against the caller's directory (INIT_CWD), as the backup job does", async () => {
        const dir = path.join(scratch, "caller");
        mkdirSync(dir, { recursive: true });
        copyFileSync(path.join(ROOT, "Pulumi.staging.yaml"), path.join(dir, "my-settings.yaml"));
        const result = await run(
            "npm",
            ["--prefix", ROOT, "run", "--silent", "plan", "--", "--stack", "staging", "--config-file", "my-settings.yaml", "--json"],
            {
                cwd: dir,
                maxBuffer: 64 * 1024 * 1024,
            },
        );
        expect(result.stdout).toBe(readFileSync(path.join(ROOT, "plans", "staging.json"), "utf8"));
    });

    it("reports every bad setting at once, each by key and value, and plans nothing", async () => {
        const result = await plan(["--stack", "prod", "--config-file", prodWithBadSettings(), "--json"]);
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

    it("plans a stack without Pulumi ESC, its secret set with `pulumi config set --secret`, exactly as prod with ESC", async () => {
        // A made-up ciphertext: the offline plan never decrypts, it only sees that the value is there.
        const file = prodWithoutEsc({ secure: "v1:ZmFrZS1ub25jZQ==:ZmFrZS1jaXBoZXJ0ZXh0" });
        expect(readFileSync(file, "utf8")).not.toContain("environment");
        const result = await npmPlan(["--stack", "prod", "--config-file", file, "--json"]);
        expectOnlyPlaceholderWarnings(result.stderr);
        expect(result.code).toBe(0);
        expect(result.stdout).toBe(readFileSync(path.join(ROOT, "plans", "prod.json"), "utf8"));
    });

    it("refuses a stack without Pulumi ESC whose secret is missing, naming the key and how to set it", async () => {
        const result = await plan(["--stack", "prod", "--config-file", prodWithoutEsc(undefined)]);
        expect(result.code).toBe(3);
        expect(result.stdout).toBe("");
        expect(result.stderr).toContain(
            "hotelgenius-ops:neonApiKey: not set; required with neonProjectName: set it with `pulumi config set --secret neonApiKey <value>`",
        );
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
            'hotelgenius-ops:healthCheckUrl: "http://app.hotelgenius.eu/health"; must use https://, not http://: the check must prove the certificate and ' +
                "TLS work too",
            'hotelgenius-ops:healthCheckRegions: "[\\"eu-west-1\\",\\"eu-west-3\\"]"; must name Route 53 checker regions only (us-east-1, us-west-1, ' +
                "us-west-2, eu-west-1, ap-southeast-1, ap-southeast-2, ap-northeast-1, sa-east-1); not: eu-west-3",
            'hotelgenius-ops:backupMissingAfterHours: "500"; must be a whole number from 2 to 168 (CloudWatch evaluates at most 7 days)',
        ]);
    });

    it(
        "refuses the backup task's bad settings before planning: a Fargate size that does not exist, a run in the skipped hour, no public IP in the default " +
            "VPC",
        async () => {
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
                expect.stringMatching(
                    /^hotelgenius-ops:jobMemory: "1536"; is not a memory size Fargate accepts with cpu 1024; allowed: 2048-8192 in steps of 1024 MiB$/,
                ),
                expect.stringMatching(/^hotelgenius-ops:jobAssignPublicIp: "false"; must be true in the default VPC/),
                expect.stringMatching(
                    /^hotelgenius-ops:backupSchedule: "cron\(30 2 \* \* \? \*\)"; fires at 02:30 Europe\/Paris, which does not exist on \d{4}-03-\d\d/,
                ),
            ]);
        },
    );

    it("names a settings file that is not valid YAML", async () => {
        const file = path.join(scratch, "Pulumi.broken.yaml");
        writeFileSync(file, "config:\n  aws:region: [us-east-1\n");
        const result = await plan(["--stack", "prod", "--config-file", file]);
        expect(result.code).toBe(3);
        expect(result.stderr).toContain(`${file}: invalid YAML`);
    });

    it("refuses an empty secret the stack needs (the Neon API key), as not set", async () => {
        const result = await plan(["--stack", "prod", "--config-file", prodWithBadSettings(), "--json"]);
        expect(result.code).toBe(3);
        expect(result.stderr).toContain("hotelgenius-ops:neonApiKey: not set; required with neonProjectName");
    });
});

describe.concurrent("the account program's plan (bootstrap/)", () => {
    const accountWith = (overrides: Record<string, unknown>, label: string): string => {
        const document = parse(readFileSync(path.join(ROOT, "bootstrap", "Pulumi.account.yaml"), "utf8"));
        for (const [key, value] of Object.entries(overrides)) document.config[key] = value;
        const file = path.join(scratch, `Pulumi.account-${label}.yaml`);
        writeFileSync(file, stringify(document));
        return file;
    };

    it("plans/bootstrap-account.json matches the program (run `npm run plan:update` when this fails)", async () => {
        const result = await plan(["--program", "bootstrap", "--stack", "account", "--json"]);
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        const committed = readFileSync(path.join(ROOT, "plans", "bootstrap-account.json"), "utf8");
        expect(result.stdout === committed, "plans/bootstrap-account.json is stale: run npm run plan:update and commit it").toBe(true);
    });

    it("an account whose organization trail is named gets no trail, bucket or trail key, and reports that trail", async () => {
        const orgTrail = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail";
        const result = await plan([
            "--program",
            "bootstrap",
            "--stack",
            "account",
            "--config-file",
            accountWith({ "hotelgenius-account:organizationTrailArn": orgTrail }, "org-trail"),
            "--json",
        ]);
        expect(result.code).toBe(0);
        const withOrgTrail: Plan = parsePlan(result.stdout);
        const own: Plan = readCommittedPlan("bootstrap-account");
        const trailResources = (document: Plan) => document.resources.filter((resource) => resource.name.startsWith("account-trail")).length;
        expect(trailResources(own)).toBeGreaterThan(0);
        expect(trailResources(withOrgTrail)).toBe(0);
        expect(withOrgTrail.resources.filter((resource) => /cloudtrail|s3\/|kms\//.test(resource.type))).toEqual([]);
        expect([withOrgTrail.outputs["trailName"], withOrgTrail.outputs["trailArn"]]).toEqual([orgTrail, orgTrail]);
    });

    it("refuses bad account settings before planning, exit 3, each by key, value and what is allowed", async () => {
        const file = accountWith({ "hotelgenius-account:githubRepository": "a/b", "hotelgenius-account:trailObjectLockDays": 0 }, "bad");
        const result = await plan(["--program", "bootstrap", "--stack", "account", "--config-file", file, "--json"]);
        expect(result.code).toBe(3);
        expect(result.stdout).toBe("");
        expect(result.stderr.trim().split("\n")).toEqual([
            'hotelgenius-account:trailObjectLockDays: "0"; must be a whole number from 1 to 3650',
            'hotelgenius-account:githubRepository: "a/b"; must be a repository name (1-100 letters, digits, . _ -)',
        ]);
    });

    it("names the programs when --program is not one of them", async () => {
        const result = await plan(["--program", "account", "--stack", "account"]);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain('--program "account" is not a program; allowed: main, bootstrap');
    });
});
