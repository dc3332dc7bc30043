// The backup job of a prod-like stack under the mock runtime: exact inputs of what matters for
// security and for the backups actually running (secrets, IAM, network, schedules, task size).
// Variants (an image given by URI, an own VPC, Sentry) live in variants.test.ts: the Pulumi
// runtime is process-global, so one program run per file.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { JOB_ENV } from "../../job/src/contract.js";
import { backupJobProgram, prodSettings } from "../../test/fixtures.js";
import { MOCK_ACCOUNT, onlyResourceNamed, runOffline, type OfflineRun, type RecordedResource } from "../../scripts/offlinePlan/mockRuntime.js";
import { BACKUP_JOB_TYPE, drillCommand } from "./component.js";
import {
    backupTaskPermissions,
    drillTaskPermissions,
    ecsTasksTrustPolicy,
    executionPermissions,
    jobKeyStatements,
    schedulerPermissions,
    schedulerTrustPolicy,
} from "./policies.js";
import { jobImageTag, JOB_DIR } from "./image.js";
import { guardedKeyPolicy } from "../shared/guardedKey.js";

const settings = prodSettings();
const REGION = settings.region;
const AT = `${REGION}:${MOCK_ACCOUNT}`;
const STEM = "hotelgenius-ops-prod";
const LOG_GROUP = `/ecs/${STEM}/backup-job`;
const LOG_GROUP_ARN = `arn:aws:logs:${AT}:log-group:${LOG_GROUP}`;
const JOB_KEY_ARN = `arn:aws:kms:${AT}:key/backup-job-key`;
const BACKUP_KEY_ARN = `arn:aws:kms:${AT}:key/backups-key`;
const REPOSITORY = `${STEM}/backup-job`;
const REPOSITORY_URL = `${MOCK_ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${REPOSITORY}`;
const secretArn = (id: string) => `arn:aws:secretsmanager:${AT}:secret:${STEM}/backup-job/${id}-AbCdEf`;
const roleArn = (name: string) => `arn:aws:iam::${MOCK_ACCOUNT}:role/${STEM}-${name}`;
const BACKUP_DEFINITION_ARN = `arn:aws:ecs:${AT}:task-definition/${STEM}-backup:1`;
const DRILL_DEFINITION_ARN = `arn:aws:ecs:${AT}:task-definition/${STEM}-restore-drill:1`;
const CLUSTER_ARN = `arn:aws:ecs:${AT}:cluster/${STEM}-backup`;
const DLQ_ARN = `arn:aws:sqs:${AT}:${STEM}-backup-schedule-dlq`;
const DEFAULT_SUBNETS = ["a", "b", "c"].map((zone) => `subnet-default-${REGION}${zone}`);

let run: OfflineRun;

beforeAll(async () => {
    run = await runOffline({ stack: "prod", config: { "aws:region": REGION }, load: backupJobProgram(settings) });
});

const named = (name: string): RecordedResource => onlyResourceNamed(run, name);
const json = (name: string, input: string): any => JSON.parse(named(name).inputs[input] as string);
const container = (name: string): any => json(name, "containerDefinitions")[0];
const OBJECTS = { bucketArn: "arn:aws:s3:::hotelgenius-ops-prod-backups", keyArn: BACKUP_KEY_ARN, region: REGION, layout: settings.storage.layout };

describe("BackupJob (prod settings)", () => {
    it("registers one component with exactly these resources under it, each named after it", () => {
        const component = named("backup-job");
        expect(component.type).toBe(BACKUP_JOB_TYPE);
        const children = run.resources.filter((resource) => resource.parent === component.urn);
        const counts: Record<string, number> = {};
        for (const child of children) counts[child.type] = (counts[child.type] ?? 0) + 1;
        expect(counts).toEqual({
            "aws:kms/key:Key": 1,
            "aws:kms/alias:Alias": 1,
            "aws:cloudwatch/logGroup:LogGroup": 1,
            "aws:secretsmanager/secret:Secret": 2,
            "aws:secretsmanager/secretVersion:SecretVersion": 2,
            "aws:ecr/repository:Repository": 1,
            "aws:ecr/lifecyclePolicy:LifecyclePolicy": 1,
            "docker-build:index:Image": 1,
            "aws:ecs/cluster:Cluster": 1,
            "aws:iam/role:Role": 5,
            "aws:iam/rolePolicy:RolePolicy": 5,
            "aws:ecs/taskDefinition:TaskDefinition": 2,
            "aws:ec2/securityGroup:SecurityGroup": 1,
            "aws:sqs/queue:Queue": 1,
            "aws:scheduler/schedule:Schedule": 2,
        });
        expect(children.every((child) => child.name.startsWith("backup-job-"))).toBe(true);
    });

    it("runs the nightly backup on Fargate ARM64 with the configured size, as the image's non-root user, read-only, with the longest stop timeout", () => {
        const definition = named("backup-job-backup-task-definition").inputs;
        expect({ ...definition, containerDefinitions: undefined }).toEqual({
            family: `${STEM}-backup`,
            requiresCompatibilities: ["FARGATE"],
            networkMode: "awsvpc",
            cpu: "1024",
            memory: "2048",
            runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "ARM64" },
            executionRoleArn: roleArn("backup-execution"),
            taskRoleArn: roleArn("backup-task"),
            containerDefinitions: undefined,
        });
        const backup = container("backup-job-backup-task-definition");
        expect(backup).toMatchObject({
            name: "backup-job",
            essential: true,
            command: ["backup", "--name", "hotelgenius"],
            user: "node",
            readonlyRootFilesystem: true,
            stopTimeout: 120,
            logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": LOG_GROUP, "awslogs-region": REGION, "awslogs-stream-prefix": "backup" } },
        });
        expect(backup.entryPoint).toBeUndefined();
        // Nothing writable, and no /tmp volume either: the job writes nowhere (job/test/cli/read-only-root.test.ts).
        expect(backup.mountPoints).toBeUndefined();
    });

    it("references the built image by digest, in the stack's repository", () => {
        const digest = `sha256:[0-9a-f]{64}`;
        for (const name of ["backup-job-backup-task-definition", "backup-job-drill-task-definition"]) {
            expect(container(name).image).toMatch(new RegExp(`^${REPOSITORY_URL.replace(/[.]/g, "\\.")}@${digest}$`));
        }
        expect(run.outputs["image"]).toBe(container("backup-job-backup-task-definition").image);
    });

    it("passes the job's settings as environment and every secret only through Secrets Manager", () => {
        const backup = container("backup-job-backup-task-definition");
        expect(backup.environment).toEqual([
            { name: "AWS_REGION", value: REGION },
            { name: "BACKUP_EMF_METRICS", value: "1" },
            { name: "BACKUP_KMS_KEY_ARN", value: BACKUP_KEY_ARN },
            { name: "BACKUP_MAX_RUNTIME_SECONDS", value: "7200" },
            { name: "BACKUP_SCHEDULE", value: "15 3 * * *" },
            { name: "BACKUP_SCHEDULE_TIMEZONE", value: "Europe/Paris" },
            { name: "BACKUP_TARGET", value: "s3://hotelgenius-ops-prod-backups/hotelgenius" },
            { name: "SENTRY_CHECKIN_MARGIN_MINUTES", value: "30" },
            { name: "SENTRY_ENVIRONMENT", value: "prod" },
            { name: "SENTRY_MAX_RUNTIME_MINUTES", value: "125" },
            { name: "SENTRY_MONITOR_SLUG", value: "database-backup" },
        ]);
        expect(backup.secrets).toEqual([{ name: "DATABASE_URL", valueFrom: secretArn("database-url") }]);
        const drill = container("backup-job-drill-task-definition");
        expect(drill.environment).toEqual([
            { name: "AWS_REGION", value: REGION },
            { name: "BACKUP_EMF_METRICS", value: "1" },
            { name: "BACKUP_MAX_RUNTIME_SECONDS", value: "7200" },
            { name: "BACKUP_TARGET", value: "s3://hotelgenius-ops-prod-backups/hotelgenius" },
        ]);
        expect(drill.secrets).toEqual([{ name: "SCRATCH_DATABASE_URL", valueFrom: secretArn("scratch-database-url") }]);
        // The drill verifies the newest backup of the name the backup writes (the stack's backupDatabaseName), not the bucket's newest.
        expect(backup.command).toEqual(["backup", "--name", "hotelgenius"]);
        // The image's entry point (node, PID 1) runs it, and the scratch URL reaches the job only as the variable the option names.
        expect({ entryPoint: drill.entryPoint, command: drill.command }).toEqual({
            entryPoint: undefined,
            command: ["verify", "--name", "hotelgenius", "--scratch-database-url-env", "SCRATCH_DATABASE_URL"],
        });
        // The fixtures' fake password is nowhere in a task definition.
        for (const name of ["backup-job-backup-task-definition", "backup-job-drill-task-definition"]) {
            expect(JSON.stringify(named(name).inputs)).not.toMatch(/not-a-password|postgres:\/\//);
        }
    });

    it("sets only the environment names of the job's contract, and the job reads every one", () => {
        const given = ["backup-job-backup-task-definition", "backup-job-drill-task-definition"].flatMap((name) => {
            const { environment, secrets } = container(name) as { environment: { name: string }[]; secrets: { name: string }[] };
            return [...environment, ...secrets].map((variable) => variable.name);
        });
        const declared: string[] = Object.values(JOB_ENV);
        expect(given.filter((name) => !declared.includes(name))).toEqual([]);
        // The job reads each through the contract's key; the drill's scratch URL through the variable its command names.
        const jobSources = readdirSync(path.join(JOB_DIR, "src"), { recursive: true, encoding: "utf8" })
            .filter((file) => file.endsWith(".ts") && file !== "contract.ts")
            .map((file) => readFileSync(path.join(JOB_DIR, "src", file), "utf8"))
            .join("\n");
        const unread = Object.entries(JOB_ENV).filter(([key, name]) => !jobSources.includes(`JOB_ENV.${key}`) && !drillCommand("hotel").includes(name));
        expect(unread).toEqual([]);
    });

    it("stores both database URLs as secrets encrypted with the job's key, under stack-named prefixes", () => {
        for (const id of ["database-url", "scratch-database-url"]) {
            expect(named(`backup-job-${id}`).inputs).toMatchObject({ namePrefix: `${STEM}/backup-job/${id}-`, kmsKeyId: JOB_KEY_ARN });
            expect(named(`backup-job-${id}-value`).inputs).toEqual({ secretId: `backup-job-${id}-id`, secretString: "[secret]" });
        }
    });

    it("writes logs to a dedicated log group with the configured retention, encrypted with a key CloudWatch Logs may use for it alone", () => {
        expect(named("backup-job-logs").inputs).toEqual({ name: LOG_GROUP, retentionInDays: 90, kmsKeyId: JOB_KEY_ARN });
        expect(named("backup-job-logs").dependsOn).toContain(named("backup-job-key").urn);
        expect(named("backup-job-key").inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
        expect(json("backup-job-key", "policy")).toEqual(
            guardedKeyPolicy(settings.storage.breakGlassRoleArn, settings.storage.kmsDeletionWindowDays, jobKeyStatements(REGION, LOG_GROUP_ARN)),
        );
        expect(JSON.stringify(json("backup-job-key", "policy"))).toContain(`"kms:EncryptionContext:aws:logs:arn":"${LOG_GROUP_ARN}"`);
    });

    it("builds the image for ARM64 from job/Dockerfile, not on preview, under its content tag, into an immutable scanned repository keeping 10", () => {
        expect(named("backup-job-repository").inputs).toEqual({
            name: REPOSITORY,
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            forceDelete: false,
        });
        // Prod's scheduled tasks pull from this repository: it is neither force-deletable nor deletable by a refactor.
        expect([named("backup-job-repository").protect, named("backup-job-repository").retainOnDelete]).toEqual([true, true]);
        expect(json("backup-job-repository-lifecycle", "policy")).toEqual({
            rules: [
                {
                    rulePriority: 1,
                    description: "Keep the last 10 images",
                    selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 10 },
                    action: { type: "expire" },
                },
            ],
        });
        const tag = jobImageTag(JOB_DIR, { PG_MAJOR: "17", platform: "linux/arm64" });
        expect(named("backup-job-image").inputs).toMatchObject({
            context: { location: "job" },
            dockerfile: { location: "job/Dockerfile" },
            platforms: ["linux/arm64"],
            buildArgs: { PG_MAJOR: "17" },
            buildOnPreview: false,
            push: true,
            tags: [`${REPOSITORY_URL}:${tag}`],
            registries: [{ address: REPOSITORY_URL, username: "AWS", password: "[secret]" }],
        });
    });

    it("turns Container Insights on for the cluster", () => {
        expect(named("backup-job-cluster").inputs).toEqual({ name: `${STEM}-backup`, settings: [{ name: "containerInsights", value: "enabled" }] });
    });

    it("gives each role exactly its pure policy: execution roles per task definition, read-write backup, read-only drill, the scheduler", () => {
        const policy = (name: string) => json(`backup-job-${name}-policy`, "policy");
        const repositoryArn = `arn:aws:ecr:${AT}:repository/${REPOSITORY}`;
        expect(policy("backup-execution")).toEqual(
            executionPermissions({
                repositoryArn,
                logGroupArn: LOG_GROUP_ARN,
                secretArns: [secretArn("database-url")],
                secretsKeyArn: JOB_KEY_ARN,
                region: REGION,
            }),
        );
        expect(policy("drill-execution")).toEqual(
            executionPermissions({
                repositoryArn,
                logGroupArn: LOG_GROUP_ARN,
                secretArns: [secretArn("scratch-database-url")],
                secretsKeyArn: JOB_KEY_ARN,
                region: REGION,
            }),
        );
        expect(policy("backup-task")).toEqual(backupTaskPermissions(OBJECTS));
        expect(policy("drill-task")).toEqual(drillTaskPermissions(OBJECTS));
        expect(policy("scheduler")).toEqual(
            schedulerPermissions({
                clusterArn: CLUSTER_ARN,
                taskDefinitionArns: [BACKUP_DEFINITION_ARN, DRILL_DEFINITION_ARN],
                passRoleArns: ["backup-execution", "backup-task", "drill-execution", "drill-task"].map(roleArn),
                deadLetterQueueArn: DLQ_ARN,
            }),
        );
        for (const name of ["backup-execution", "backup-task", "drill-execution", "drill-task"]) {
            expect(json(`backup-job-${name}`, "assumeRolePolicy")).toEqual(ecsTasksTrustPolicy(MOCK_ACCOUNT, REGION));
        }
        expect(json("backup-job-scheduler", "assumeRolePolicy")).toEqual(schedulerTrustPolicy(MOCK_ACCOUNT, REGION));
    });

    it("grants no S3 delete of any kind, and nothing but reads to the drill", () => {
        const actions = (name: string): string[] =>
            json(name, "policy").Statement.flatMap((statement: { Action: string | string[] }) => [statement.Action].flat());
        const everyPolicy = run.resources.filter((resource) => resource.type === "aws:iam/rolePolicy:RolePolicy" && resource.name.startsWith("backup-job-"));
        expect(everyPolicy).toHaveLength(5);
        for (const policy of everyPolicy) expect(actions(policy.name).filter((action) => /^s3:(Delete|\*)|^\*$/.test(action))).toEqual([]);
        expect(actions("backup-job-drill-task-policy").sort()).toEqual(["kms:Decrypt", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]);
        expect(actions("backup-job-backup-task-policy").sort()).toEqual([
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "s3:AbortMultipartUpload",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:PutObject",
            "s3:PutObject",
        ]);
    });

    it("lets nothing in and only HTTPS and PostgreSQL out, in the default VPC", () => {
        expect(named("backup-job-security-group").inputs).toEqual({
            name: `${STEM}-backup-job`,
            description: "Backup job of hotelgenius-ops prod: no inbound; outbound HTTPS (ECR, S3, Secrets Manager, logs, Sentry) and PostgreSQL",
            vpcId: "vpc-default",
            ingress: [],
            egress: [
                {
                    description: "HTTPS: ECR, S3, Secrets Manager, CloudWatch Logs, Sentry",
                    protocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    cidrBlocks: ["0.0.0.0/0"],
                },
                { description: "PostgreSQL: the database and the scratch server", protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] },
            ],
        });
    });

    it(
        "schedules the nightly backup and the weekly drill with EventBridge Scheduler: no flexible window, retries within the check-in margin, failures to " +
            "the DLQ",
        () => {
            const target = (taskDefinitionArn: string) => ({
                arn: CLUSTER_ARN,
                roleArn: roleArn("backup-scheduler"),
                ecsParameters: {
                    taskDefinitionArn,
                    launchType: "FARGATE",
                    platformVersion: "LATEST",
                    taskCount: 1,
                    networkConfiguration: { subnets: DEFAULT_SUBNETS, securityGroups: ["sg-backup-job-security-group"], assignPublicIp: true },
                },
                retryPolicy: { maximumEventAgeInSeconds: 1800, maximumRetryAttempts: 10 },
                deadLetterConfig: { arn: DLQ_ARN },
            });
            expect(named("backup-job-backup-schedule").inputs).toEqual({
                name: `${STEM}-backup`,
                description: "Nightly backup of hotelgenius-ops prod",
                scheduleExpression: "cron(15 3 * * ? *)",
                scheduleExpressionTimezone: "Europe/Paris",
                flexibleTimeWindow: { mode: "OFF" },
                state: "ENABLED",
                target: target(BACKUP_DEFINITION_ARN),
            });
            expect(named("backup-job-drill-schedule").inputs).toEqual({
                name: `${STEM}-restore-drill`,
                description: "Weekly restore drill of hotelgenius-ops prod",
                scheduleExpression: "cron(0 5 ? * MON *)",
                scheduleExpressionTimezone: "Europe/Paris",
                flexibleTimeWindow: { mode: "OFF" },
                state: "ENABLED",
                target: target(DRILL_DEFINITION_ARN),
            });
            for (const name of ["backup-job-backup-schedule", "backup-job-drill-schedule"])
                expect(named(name).dependsOn).toContain(named("backup-job-scheduler-policy").urn);
            expect(named("backup-job-dead-letters").inputs).toEqual({
                name: `${STEM}-backup-schedule-dlq`,
                sqsManagedSseEnabled: true,
                messageRetentionSeconds: 1_209_600,
            });
        },
    );

    it("outputs ready run-task commands with the scheduled network", () => {
        const network =
            `--network-configuration ` +
            `'awsvpcConfiguration={subnets=[${DEFAULT_SUBNETS.join(",")}],securityGroups=[sg-backup-job-security-group],assignPublicIp=ENABLED}'`;
        expect(run.outputs["runBackupCommand"]).toBe(
            `aws ecs run-task --region ${REGION} --cluster ${STEM}-backup --launch-type FARGATE --task-definition ${BACKUP_DEFINITION_ARN} ${network}`,
        );
        expect(run.outputs["runDrillCommand"]).toBe(
            `aws ecs run-task --region ${REGION} --cluster ${STEM}-backup --launch-type FARGATE --task-definition ${DRILL_DEFINITION_ARN} ${network}`,
        );
    });
});
