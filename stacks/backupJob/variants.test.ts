// The backup job with the settings that change its shape: an image given by URI (nothing built, no
// repository), an own VPC without public IPs, Sentry check-ins, x86, no Container Insights. And the
// component's own argument checks.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { backupJobProgram, stagingSettings } from "../../test/fixtures.js";
import { MOCK_ACCOUNT, onlyResourceNamed, runOffline, type OfflineRun } from "../../scripts/offlinePlan/mockRuntime.js";
import { BackupJob } from "./component.js";
import { ecrRepositoryArn } from "./image.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const IMAGE = `111111111111.dkr.ecr.eu-west-3.amazonaws.com/shared/backup-job:1.4.0@${DIGEST}`;
const SUBNETS = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"];
const settings = stagingSettings({
    job: {
        imageUri: IMAGE,
        network: { vpcId: "vpc-0123456789abcdef0", subnetIds: SUBNETS },
        assignPublicIp: false,
        architecture: "X86_64",
        cpu: 512,
        memory: 4096,
        containerInsights: false,
        logRetentionDays: 30,
        sentryDsn: pulumi.secret("https://0123abcd@o0.ingest.de.sentry.io/42"),
    },
});
let run: OfflineRun;

beforeAll(async () => {
    run = await runOffline({ stack: "staging", config: { "aws:region": settings.region }, load: backupJobProgram(settings) });
});

const container = (name: string): any => JSON.parse(onlyResourceNamed(run, name).inputs["containerDefinitions"] as string)[0];
const policy = (name: string): any => JSON.parse(onlyResourceNamed(run, name).inputs["policy"] as string);

describe("BackupJob (image by URI, own VPC, Sentry)", () => {
    it("builds nothing and creates no repository; both tasks run the given image", () => {
        expect(run.resources.filter((resource) => ["docker-build:index:Image", "aws:ecr/repository:Repository"].includes(resource.type))).toEqual([]);
        expect(container("backup-job-backup-task-definition").image).toBe(IMAGE);
        expect(container("backup-job-drill-task-definition").image).toBe(IMAGE);
        expect(policy("backup-job-backup-execution-policy").Statement.find((s: { Sid: string }) => s.Sid === "PullJobImage").Resource).toBe(
            "arn:aws:ecr:eu-west-3:111111111111:repository/shared/backup-job",
        );
    });

    it("runs on x86 with the given size, and without Container Insights", () => {
        const definition = onlyResourceNamed(run, "backup-job-backup-task-definition").inputs;
        expect([definition["cpu"], definition["memory"], definition["runtimePlatform"]]).toEqual([
            "512",
            "4096",
            { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        ]);
        expect(onlyResourceNamed(run, "backup-job-cluster").inputs["settings"]).toEqual([{ name: "containerInsights", value: "disabled" }]);
        expect(onlyResourceNamed(run, "backup-job-logs").inputs["retentionInDays"]).toBe(30);
    });

    it("uses the given VPC and subnets without public IPs", () => {
        expect(onlyResourceNamed(run, "backup-job-security-group").inputs["vpcId"]).toBe("vpc-0123456789abcdef0");
        const network = (onlyResourceNamed(run, "backup-job-backup-schedule").inputs["target"] as any).ecsParameters.networkConfiguration;
        expect(network).toEqual({ subnets: SUBNETS, securityGroups: ["sg-backup-job-security-group"], assignPublicIp: false });
        expect(run.outputs["runBackupCommand"]).toContain(`subnets=[${SUBNETS.join(",")}]`);
        expect(run.outputs["runBackupCommand"]).toContain("assignPublicIp=DISABLED");
    });

    it("gives the backup its Sentry DSN as a secret, readable by the backup's execution role only", () => {
        const dsnArn = `arn:aws:secretsmanager:eu-west-1:${MOCK_ACCOUNT}:secret:hotelgenius-ops-staging/backup-job/sentry-dsn-AbCdEf`;
        expect(onlyResourceNamed(run, "backup-job-sentry-dsn-value").inputs["secretString"]).toBe("[secret]");
        expect(container("backup-job-backup-task-definition").secrets).toEqual([
            {
                name: "DATABASE_URL",
                valueFrom: `arn:aws:secretsmanager:eu-west-1:${MOCK_ACCOUNT}:secret:hotelgenius-ops-staging/backup-job/database-url-AbCdEf`,
            },
            { name: "SENTRY_DSN", valueFrom: dsnArn },
        ]);
        const secretsOf = (name: string) => policy(name).Statement.find((s: { Sid: string }) => s.Sid === "ReadJobSecrets").Resource;
        expect(secretsOf("backup-job-backup-execution-policy")).toContain(dsnArn);
        expect(secretsOf("backup-job-drill-execution-policy")).not.toContain(dsnArn);
        expect(JSON.stringify(container("backup-job-backup-task-definition"))).not.toContain("0123abcd");
    });
});

describe("BackupJob argument checks", () => {
    it("refuses every bad argument at once, before registering anything", () => {
        const bad = stagingSettings({ job: { cpu: 1024, memory: 1024, network: undefined, assignPublicIp: false, imageUri: "ghcr.io/x/job:latest" } });
        const args = {
            project: bad.project,
            stack: bad.stack,
            protectData: false,
            region: bad.region,
            settings: bad.job,
            databaseUrl: bad.databaseUrl,
            bucketName: "b",
            bucketArn: "arn:aws:s3:::b",
            backupKeyArn: "arn:aws:kms:eu-west-1:000000000000:key/k",
            layout: bad.storage.layout,
        };
        const before = run.resources.length;
        expect(() => new BackupJob("bad-job", args)).toThrow(
            new RegExp(
                [
                    "^BackupJob arguments are invalid:",
                    "  - settings\\.memory 1024 is not a memory size Fargate accepts with cpu 1024.*",
                    "  - settings\\.assignPublicIp is false in the default VPC.*",
                    '  - settings\\.imageUri "ghcr\\.io/x/job:latest" must be .*$',
                ].join("\n"),
            ),
        );
        expect(run.resources.length).toBe(before);
    });
});

describe("ecrRepositoryArn", () => {
    it("names the repository of an ECR image and nothing for another registry", () => {
        expect(ecrRepositoryArn(IMAGE)).toBe("arn:aws:ecr:eu-west-3:111111111111:repository/shared/backup-job");
        expect(ecrRepositoryArn(`ghcr.io/hotelgenius/backup-job@${DIGEST}`)).toBeUndefined();
    });
});
