// The log drains of a prod-like stack without a log service (straight to the archive) under the
// mock runtime. The log-service mode runs in logService.test.ts (one stack per file: the
// Pulumi runtime is process-global).
import { beforeAll, describe, expect, it } from "vitest";
import { logDrainsProgram, prodSettings } from "../../test/fixtures.js";
import { MOCK_ACCOUNT, onlyResourceNamed, runOffline, type OfflineRun, type RecordedResource } from "../../scripts/offlinePlan/mockRuntime.js";
import { guardedKeyPolicy } from "../shared/guardedKey.js";
import { deliveryPermissions, ingestPermissions, subscriptionPermissions, subscriptionTrustPolicy } from "./rules.js";
import { LOG_DRAINS_TYPE, LogDrains, type LogDrainsArgs } from "./component.js";
import { LOG_RETENTION_DAYS } from "../shared/logRetention.js";
import { bucketPolicy } from "../shared/hardenedBucket.js";

const BACKUP_JOB_GROUP = "/ecs/hotelgenius-ops-prod-backup-job";
const APP_GROUP = "/hotelgenius/prod/app";
const settings = prodSettings({ logDrains: { appLogGroups: [APP_GROUP] } });
const BUCKET = "hotelgenius-ops-prod-logs";
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const KEY_ARN = `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT}:key/logs-key`;
const STREAM_ARN = (source: string) => `arn:aws:firehose:eu-west-1:${MOCK_ACCOUNT}:deliverystream/hotelgenius-ops-prod-logs-${source}`;
const DELIVERY_ROLE_ARN = `arn:aws:iam::${MOCK_ACCOUNT}:role/hotelgenius-ops-prod-log-delivery`;
const ERROR_LOG_GROUP = "/aws/kinesisfirehose/hotelgenius-ops-prod-logs";

let run: OfflineRun;

beforeAll(async () => {
    run = await runOffline({ stack: "prod", config: { "aws:region": settings.region }, load: logDrainsProgram(settings, BACKUP_JOB_GROUP) });
});

const named = (name: string): RecordedResource => onlyResourceNamed(run, name);
const json = (name: string, input: string) => JSON.parse(named(name).inputs[input] as string);

describe("LogDrains without a log service (prod settings)", () => {
    it("registers one component with exactly these resources under it, and no secret", () => {
        const counts: Record<string, number> = {};
        for (const resource of run.resources) counts[resource.type] = (counts[resource.type] ?? 0) + 1;
        expect(counts).toEqual({
            "pulumi:providers:aws": 3,
            [LOG_DRAINS_TYPE]: 1,
            "aws:kms/key:Key": 1,
            "aws:kms/alias:Alias": 1,
            "aws:s3/bucket:Bucket": 1,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
            "aws:s3/bucketVersioning:BucketVersioning": 1,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
            "aws:s3/bucketPolicy:BucketPolicy": 1,
            "aws:cloudwatch/logGroup:LogGroup": 1,
            "aws:cloudwatch/logStream:LogStream": 2,
            "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": 2,
            "aws:iam/role:Role": 2,
            "aws:iam/rolePolicy:RolePolicy": 2,
            "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": 2,
            "aws:cloudwatch/logMetricFilter:LogMetricFilter": 4,
            "aws:iam/user:User": 1,
            "aws:iam/userPolicy:UserPolicy": 1,
            "aws:iam/accessKey:AccessKey": 1,
        });
        const component = named("logs");
        const children = run.resources.filter((resource) => resource.custom && resource.type !== "pulumi:providers:aws");
        expect(children.every((child) => child.parent === component.urn && child.name.startsWith("logs-"))).toBe(true);
    });

    it("keeps the archive in a versioned, KMS-encrypted bucket with public access blocked, no ACLs and SSE-C refused", () => {
        expect(named("logs-key").inputs).toEqual({
            description: "Log archive of hotelgenius-ops prod",
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: JSON.stringify(guardedKeyPolicy(settings.storage.breakGlassRoleArn, 30)),
            bypassPolicyLockoutSafetyCheck: true,
        });
        expect(named("logs-key-alias").inputs).toEqual({ name: "alias/hotelgenius-ops-prod-logs", targetKeyId: "logs-key-id" });
        expect(named("logs-archive-bucket").inputs).toEqual({ bucket: BUCKET, forceDestroy: false });
        expect(named("logs-archive-public-access").inputs).toEqual({
            bucket: BUCKET,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        expect(named("logs-archive-ownership").inputs).toEqual({ bucket: BUCKET, rule: { objectOwnership: "BucketOwnerEnforced" } });
        expect(named("logs-archive-encryption").inputs).toEqual({
            bucket: BUCKET,
            rules: [
                {
                    applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN },
                    bucketKeyEnabled: true,
                    blockedEncryptionTypes: ["SSE-C"],
                },
            ],
        });
        expect(named("logs-archive-versioning").inputs).toEqual({ bucket: BUCKET, versioningConfiguration: { status: "Enabled" } });
    });

    it("denies non-TLS access and other encryption keys with the backup bucket's policy, after the public access block", () => {
        expect(json("logs-archive-policy", "policy")).toEqual(bucketPolicy(BUCKET_ARN, KEY_ARN));
        expect(named("logs-archive-policy").dependsOn).toContain(named("logs-archive-public-access").urn);
    });

    it("moves logs to Glacier after 90 days and deletes them after 400, after versioning is on", () => {
        const lifecycle = named("logs-archive-lifecycle");
        expect(lifecycle.inputs).toEqual({
            bucket: BUCKET,
            rules: [
                {
                    id: "logs",
                    status: "Enabled",
                    filter: { prefix: "" },
                    transitions: [{ days: 90, storageClass: "GLACIER" }],
                    expiration: { days: 400 },
                    noncurrentVersionExpiration: { noncurrentDays: 30 },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                },
            ],
        });
        expect(lifecycle.dependsOn).toContain(named("logs-archive-versioning").urn);
    });

    it("protects and retains exactly the archive bucket and its key", () => {
        expect(
            run.resources
                .filter((resource) => resource.protect)
                .map((resource) => resource.name)
                .sort(),
        ).toEqual(["logs-archive-bucket", "logs-key"]);
        expect(
            run.resources
                .filter((resource) => resource.retainOnDelete)
                .map((resource) => resource.name)
                .sort(),
        ).toEqual(["logs-archive-bucket", "logs-key"]);
    });

    it("delivers both streams straight to the archive: encrypted, date-partitioned, gzip'd, logging their errors", () => {
        const archive = (source: string) => ({
            roleArn: DELIVERY_ROLE_ARN,
            bucketArn: BUCKET_ARN,
            prefix: `logs/${source}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`,
            errorOutputPrefix: `errors/${source}/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`,
            compressionFormat: "GZIP",
            kmsKeyArn: KEY_ARN,
            bufferingSize: 1,
            bufferingInterval: 60,
            cloudwatchLoggingOptions: { enabled: true, logGroupName: ERROR_LOG_GROUP, logStreamName: `hotelgenius-ops-prod-logs-${source}-archive` },
        });
        expect(named("logs-cloudwatch").inputs).toEqual({
            name: "hotelgenius-ops-prod-logs-cloudwatch",
            serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
            destination: "extended_s3",
            extendedS3Configuration: {
                ...archive("cloudwatch"),
                processingConfiguration: {
                    enabled: true,
                    processors: [
                        { type: "Decompression", parameters: [{ parameterName: "CompressionFormat", parameterValue: "GZIP" }] },
                        { type: "CloudWatchLogProcessing", parameters: [{ parameterName: "DataMessageExtraction", parameterValue: "true" }] },
                    ],
                },
            },
        });
        expect(named("logs-railway").inputs).toEqual({
            name: "hotelgenius-ops-prod-logs-railway",
            serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
            destination: "extended_s3",
            extendedS3Configuration: { ...archive("railway"), processingConfiguration: { enabled: true, processors: [{ type: "AppendDelimiterToRecord" }] } },
        });
        for (const stream of ["logs-cloudwatch", "logs-railway"]) expect(named(stream).dependsOn).toContain(named("logs-delivery-policy").urn);
    });

    it("keeps the streams' delivery errors for the configured retention, one log stream per stream", () => {
        expect(named("logs-delivery-errors").inputs).toEqual({ name: ERROR_LOG_GROUP, retentionInDays: 90 });
        expect(named("logs-cloudwatch-archive-log").inputs).toEqual({ name: "hotelgenius-ops-prod-logs-cloudwatch-archive", logGroupName: ERROR_LOG_GROUP });
        expect(named("logs-railway-archive-log").inputs).toEqual({ name: "hotelgenius-ops-prod-logs-railway-archive", logGroupName: ERROR_LOG_GROUP });
    });

    it("gives the delivery role to Firehose of this account, with the archive, its key and the error log, and no secret", () => {
        expect(named("logs-delivery-role").inputs["name"]).toBe("hotelgenius-ops-prod-log-delivery");
        expect(json("logs-delivery-role", "assumeRolePolicy").Statement[0].Condition).toEqual({ StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT } });
        expect(named("logs-delivery-policy").inputs["role"]).toBe("logs-delivery-role-id");
        expect(json("logs-delivery-policy", "policy")).toEqual(
            deliveryPermissions({
                region: "eu-west-1",
                bucketArn: BUCKET_ARN,
                keyArn: KEY_ARN,
                errorLogGroupArn: `arn:aws:logs:eu-west-1:${MOCK_ACCOUNT}:log-group:${ERROR_LOG_GROUP}`,
            }),
        );
        expect(json("logs-delivery-policy", "policy").Statement.map((statement: { Sid: string }) => statement.Sid)).toEqual([
            "WriteArchive",
            "EncryptArchive",
            "LogDeliveryErrors",
        ]);
    });

    it("subscribes the backup job's and the app's log groups to the CloudWatch stream, through a role scoped to it", () => {
        for (const [name, group] of [
            ["logs-backup-job-subscription", BACKUP_JOB_GROUP],
            ["logs-app-hotelgenius-prod-app-subscription", APP_GROUP],
        ]) {
            expect(named(name!).inputs).toEqual({
                name: "hotelgenius-ops-prod-log-drain",
                logGroup: group,
                filterPattern: "",
                destinationArn: STREAM_ARN("cloudwatch"),
                roleArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/hotelgenius-ops-prod-log-subscription`,
            });
            expect(named(name!).dependsOn).toContain(named("logs-subscription-policy").urn);
        }
        expect(json("logs-subscription-role", "assumeRolePolicy")).toEqual(subscriptionTrustPolicy("eu-west-1", MOCK_ACCOUNT));
        expect(json("logs-subscription-policy", "policy")).toEqual(subscriptionPermissions(STREAM_ARN("cloudwatch")));
        expect(json("logs-subscription-policy", "policy").Statement[0]).toMatchObject({
            Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
            Resource: STREAM_ARN("cloudwatch"),
        });
    });

    it("counts error and warn lines of each drained group into HotelGenius/Logs", () => {
        for (const [id, group] of [
            ["backup-job", BACKUP_JOB_GROUP],
            ["app-hotelgenius-prod-app", APP_GROUP],
        ]) {
            for (const [level, metric] of [
                ["error", "ErrorLogLines"],
                ["warn", "WarnLogLines"],
            ]) {
                expect(named(`logs-${id}-${level}-lines`).inputs).toEqual({
                    name: `hotelgenius-ops-prod-log-drain-${level}-lines`,
                    logGroupName: group,
                    pattern: `{ $.level = "${level}" }`,
                    metricTransformation: { name: metric, namespace: "HotelGenius/Logs", value: "1", unit: "Count" },
                });
            }
        }
    });

    it("gives the Railway forwarder a user that may only put into and describe the Railway stream", () => {
        expect(named("logs-railway-ingest").inputs).toEqual({ name: "hotelgenius-ops-prod-railway-log-ingest" });
        expect(named("logs-railway-ingest-policy").inputs["user"]).toBe("hotelgenius-ops-prod-railway-log-ingest");
        expect(json("logs-railway-ingest-policy", "policy")).toEqual(ingestPermissions(STREAM_ARN("railway")));
        expect(named("logs-railway-ingest-key").inputs).toEqual({ user: "hotelgenius-ops-prod-railway-log-ingest" });
    });

    it("outputs the archive, both streams, the forwarder's environment and metric names, and the credentials only as secrets", () => {
        expect(run.outputs).toEqual({
            archiveBucketName: BUCKET,
            archiveBucketArn: BUCKET_ARN,
            archiveKeyArn: KEY_ARN,
            cloudwatchStreamName: "hotelgenius-ops-prod-logs-cloudwatch",
            cloudwatchStreamArn: STREAM_ARN("cloudwatch"),
            railwayStreamName: "hotelgenius-ops-prod-logs-railway",
            railwayStreamArn: STREAM_ARN("railway"),
            subscriptionRoleArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/hotelgenius-ops-prod-log-subscription`,
            ingestAccessKeyId: "[secret]",
            ingestSecretAccessKey: "[secret]",
            forwarder: { FIREHOSE_STREAM_NAME: "hotelgenius-ops-prod-logs-railway", AWS_REGION: "eu-west-1" },
            logMetrics: { namespace: "HotelGenius/Logs", error: "ErrorLogLines", warn: "WarnLogLines", dimensions: {} },
        });
    });

    it("leaves tags to the providers' defaultTags", () => {
        expect(run.resources.filter((resource) => "tags" in resource.inputs).map((resource) => resource.name)).toEqual([]);
    });
});

describe("LogDrains argument checks", () => {
    const args = (overrides: Partial<LogDrainsArgs["settings"]>, extra: Partial<LogDrainsArgs> = {}): LogDrainsArgs => ({
        project: settings.project,
        stack: settings.stack,
        region: settings.region,
        settings: { ...settings.logDrains, ...overrides },
        protectData: true,
        kmsDeletionWindowDays: 30,
        breakGlassRoleArn: settings.storage.breakGlassRoleArn,
        ...extra,
    });

    it("rejects every invalid argument at once, before registering anything", () => {
        const before = run.resources.length;
        const bad = args(
            {
                logBufferingSizeMb: 65,
                logBufferingIntervalSeconds: 901,
                logServiceRetrySeconds: -1,
                logRetentionDays: 45,
                logArchiveExpirationDays: 90,
                appLogGroups: [BACKUP_JOB_GROUP, "/bad group"],
            },
            { backupJobLogGroupName: BACKUP_JOB_GROUP, kmsDeletionWindowDays: 6 },
        );
        expect(() => new LogDrains("bad", bad)).toThrow(
            [
                "LogDrains arguments are invalid:",
                "  - logDrains.logBufferingSizeMb is 65; allowed: a whole number from 1 to 64 (the Firehose and S3 limits)",
                "  - logDrains.logBufferingIntervalSeconds is 901; allowed: a whole number from 0 to 900 (the Firehose and S3 limits)",
                "  - logDrains.logServiceRetrySeconds is -1; allowed: a whole number from 0 to 7200 (the Firehose and S3 limits)",
                `  - logDrains.logRetentionDays is 45; must be one of the periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(", ")} (nearest: 30)`,
                "  - logDrains.logArchiveExpirationDays is 90; must be greater than the last transition (90 days): S3 rejects an expiration at or before a " +
                    "transition",
                '  - logDrains.appLogGroups item "/bad group" is not a CloudWatch Logs log group name: 1-512 characters of letters, digits and . - _ / #',
                `  - logDrains.appLogGroups and backupJobLogGroupName must not repeat a log group (${BACKUP_JOB_GROUP}): each group gets exactly one ` +
                    `subscription filter`,
                "  - kmsDeletionWindowDays is 6; allowed: a whole number from 7 to 30 (the KMS limits)",
            ].join("\n"),
        );
        expect(run.resources.length).toBe(before);
    });

    it("refuses a plain-HTTP log service and app groups whose resource names would collide", () => {
        const bad = args({ appLogGroups: ["/app/web", "/app-web"], logService: { endpoint: "http://intake.example/v1", accessKey: settings.databaseUrl } });
        expect(() => new LogDrains("bad", bad)).toThrow(
            [
                "  - logDrains.logService.endpoint must use https:// (Firehose delivers only over TLS); got http://",
                '  - logDrains.appLogGroups "/app-web" and "/app/web" derive the same resource name app-app-web; allowed: names that differ in more than ' +
                    "punctuation or case",
            ].join("\n"),
        );
    });
});
