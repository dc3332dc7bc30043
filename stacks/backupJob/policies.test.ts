import { describe, expect, it } from "vitest";
import {
    backupTaskPermissions,
    drillTaskPermissions,
    ecsTasksTrustPolicy,
    executionPermissions,
    jobKeyStatements,
    schedulerPermissions,
    schedulerTrustPolicy,
} from "./policies.js";

const BUCKET = "arn:aws:s3:::hotelgenius-ops-prod-backups";
const KEY = "arn:aws:kms:eu-west-3:000000000000:key/backups";
const OBJECTS = {
    bucketArn: BUCKET,
    keyArn: KEY,
    region: "eu-west-3",
    layout: { root: "postgres", dumpPrefix: "postgres/dumps/", manifestPrefix: "postgres/manifests/" },
};
const S3_KEY_CONDITION = {
    StringEquals: { "kms:ViaService": "s3.eu-west-3.amazonaws.com" },
    StringLike: { "kms:EncryptionContext:aws:s3:arn": [BUCKET, `${BUCKET}/postgres/dumps/*`, `${BUCKET}/postgres/manifests/*`] },
};
const LIST_ROOT = {
    Sid: "ListBackupRoot",
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: BUCKET,
    Condition: { StringLikeIfExists: { "s3:prefix": ["postgres/*"] } },
};

describe("task roles", () => {
    it("backup: lists the root, checks its manifest is new, writes dumps and manifests, aborts its uploads; no delete", () => {
        expect(backupTaskPermissions(OBJECTS).Statement).toEqual([
            LIST_ROOT,
            { Sid: "CheckManifestIsNew", Effect: "Allow", Action: "s3:GetObject", Resource: `${BUCKET}/postgres/manifests/*` },
            { Sid: "WriteDumps", Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"], Resource: `${BUCKET}/postgres/dumps/*` },
            { Sid: "WriteManifests", Effect: "Allow", Action: "s3:PutObject", Resource: `${BUCKET}/postgres/manifests/*` },
            { Sid: "EncryptBackups", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: KEY, Condition: S3_KEY_CONDITION },
        ]);
    });

    it("drill: read-only on dumps (their pinned versions too) and manifests", () => {
        expect(drillTaskPermissions(OBJECTS).Statement).toEqual([
            LIST_ROOT,
            { Sid: "ReadBackups", Effect: "Allow", Action: "s3:GetObject", Resource: [`${BUCKET}/postgres/dumps/*`, `${BUCKET}/postgres/manifests/*`] },
            { Sid: "ReadPinnedDumps", Effect: "Allow", Action: "s3:GetObjectVersion", Resource: `${BUCKET}/postgres/dumps/*` },
            { Sid: "DecryptBackups", Effect: "Allow", Action: "kms:Decrypt", Resource: KEY, Condition: S3_KEY_CONDITION },
        ]);
    });

    it("only ECS tasks of this account and region, and only the scheduler of this account, assume the roles", () => {
        expect(ecsTasksTrustPolicy("000000000000", "eu-west-3").Statement).toEqual([
            {
                Sid: "EcsTasksOfThisAccount",
                Effect: "Allow",
                Principal: { Service: "ecs-tasks.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": "000000000000" }, ArnLike: { "aws:SourceArn": "arn:aws:ecs:eu-west-3:000000000000:*" } },
            },
        ]);
        expect(schedulerTrustPolicy("000000000000", "eu-west-3").Statement).toEqual([
            {
                Sid: "SchedulerOfThisAccount",
                Effect: "Allow",
                Principal: { Service: "scheduler.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": "000000000000" },
                    ArnLike: { "aws:SourceArn": "arn:aws:scheduler:eu-west-3:000000000000:schedule-group/default" },
                },
            },
        ]);
    });
});

describe("executionPermissions", () => {
    const grants = { logGroupArn: "arn:aws:logs:eu-west-3:0:log-group:/ecs/x", secretArns: ["arn:s1"], secretsKeyArn: "arn:k", region: "eu-west-3" };

    it("pulls from its ECR repository, reads its secrets through Secrets Manager, writes its log group", () => {
        expect(executionPermissions({ ...grants, repositoryArn: "arn:aws:ecr:eu-west-3:0:repository/r" }).Statement).toEqual([
            { Sid: "AuthenticateToEcr", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
            {
                Sid: "PullJobImage",
                Effect: "Allow",
                Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                Resource: "arn:aws:ecr:eu-west-3:0:repository/r",
            },
            {
                Sid: "WriteJobLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: "arn:aws:logs:eu-west-3:0:log-group:/ecs/x:log-stream:*",
            },
            { Sid: "ReadJobSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: ["arn:s1"] },
            {
                Sid: "DecryptJobSecrets",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: "arn:k",
                Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-3.amazonaws.com" } },
            },
        ]);
    });

    it("has no ECR permission for an image from a public registry", () => {
        expect(executionPermissions({ ...grants, repositoryArn: undefined }).Statement.map((statement) => statement.Sid)).toEqual([
            "WriteJobLogs",
            "ReadJobSecrets",
            "DecryptJobSecrets",
        ]);
    });
});

describe("schedulerPermissions", () => {
    it("runs only these task definitions in this cluster, passes only these roles to ECS, and reports to the DLQ", () => {
        expect(
            schedulerPermissions({ clusterArn: "arn:c", taskDefinitionArns: ["arn:t1", "arn:t2"], passRoleArns: ["arn:r1"], deadLetterQueueArn: "arn:q" })
                .Statement,
        ).toEqual([
            {
                Sid: "RunJobTasks",
                Effect: "Allow",
                Action: "ecs:RunTask",
                Resource: ["arn:t1", "arn:t2"],
                Condition: { ArnEquals: { "ecs:cluster": "arn:c" } },
            },
            {
                Sid: "PassJobRoles",
                Effect: "Allow",
                Action: "iam:PassRole",
                Resource: ["arn:r1"],
                Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
            },
            { Sid: "ReportFailedInvocations", Effect: "Allow", Action: "sqs:SendMessage", Resource: "arn:q" },
        ]);
    });
});

describe("jobKeyStatements", () => {
    it("let CloudWatch Logs of this region use the key for the job's log group only", () => {
        const logGroup = "arn:aws:logs:eu-west-3:000000000000:log-group:/ecs/x";
        expect(jobKeyStatements("eu-west-3", logGroup)).toEqual([
            {
                Sid: "CloudWatchLogsEncryptsJobLogs",
                Effect: "Allow",
                Principal: { Service: "logs.eu-west-3.amazonaws.com" },
                Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                Resource: "*",
                Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroup } },
            },
        ]);
    });
});
