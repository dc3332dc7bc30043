import { describe, expect, it } from "vitest";
import { emfRecord } from "../../job/src/observability/emf.js";
import { createLogger } from "../../job/src/observability/log.js";
import {
    archiveLifecycleRules,
    archivePrefixes,
    cloudwatchProcessors,
    deliveryPermissions,
    deliveryTrustPolicy,
    ingestPermissions,
    levelMetricFilters,
    levelPattern,
    matchesJsonEquality,
    railwayArchiveProcessors,
    subscriptionPermissions,
    subscriptionTrustPolicy,
} from "./rules.js";

const ACCOUNT = "000000000000";
const BUCKET_ARN = "arn:aws:s3:::hotelgenius-ops-prod-logs";
const KEY_ARN = `arn:aws:kms:eu-west-3:${ACCOUNT}:key/logs-key`;
const STREAM_ARN = `arn:aws:firehose:eu-west-3:${ACCOUNT}:deliverystream/hotelgenius-ops-prod-logs-railway`;

/** Lines exactly as the backup job writes them (its own logger and EMF records), plus what else reaches a log group. */
function sampleLines(): { error: string[]; warn: string[]; neither: string[] } {
    const lines: string[] = [];
    const logger = createLogger(
        (line) => lines.push(line.trimEnd()),
        () => new Date("2026-12-01T02:00:00.000Z"),
    );
    logger.error("backup failed", { stage: "upload", level: "info" });
    logger.error("pg_dump exited with code 1");
    logger.warn("dump without a manifest ignored", { key: "postgres/dumps/x.pgdump.zst" });
    logger.info("backup finished", { bytes: 1024, level: "error" });
    logger.record(emfRecord("hotelgenius", [{ name: "BackupSuccess", unit: "Count", value: 0 }], new Date("2026-12-01T02:00:00.000Z")));
    const [error1, error2, warn, info, emf] = lines;
    return {
        error: [error1!, error2!, '{"level":"error","message":"from the app","timestamp":"2026-12-01T02:00:00.000Z"}'],
        warn: [warn!],
        neither: [
            info!,
            emf!,
            "ERROR plain text line from a crashing process",
            '{"level":"ERROR","message":"upper case is another value"}',
            '{"context":{"level":"error"},"message":"nested level"}',
            '{"level":["error"],"message":"not a string"}',
            '["error"]',
            '"error"',
            "null",
            '{"level":"error"',
            "",
        ],
    };
}

describe("level metric filters", () => {
    it("count error and warn lines in HotelGenius/Logs as ErrorLogLines and WarnLogLines, without a dimension", () => {
        expect(levelMetricFilters()).toEqual([
            {
                level: "error",
                pattern: '{ $.level = "error" }',
                metricTransformation: { name: "ErrorLogLines", namespace: "HotelGenius/Logs", value: "1", unit: "Count" },
            },
            {
                level: "warn",
                pattern: '{ $.level = "warn" }',
                metricTransformation: { name: "WarnLogLines", namespace: "HotelGenius/Logs", value: "1", unit: "Count" },
            },
        ]);
    });

    it("the error pattern matches the job's error lines and no other line of the log-line contract", () => {
        const { error, warn, neither } = sampleLines();
        for (const line of error) expect(matchesJsonEquality(levelPattern("error"), line), line).toBe(true);
        for (const line of [...warn, ...neither]) expect(matchesJsonEquality(levelPattern("error"), line), line).toBe(false);
    });

    it("the warn pattern matches warn lines only", () => {
        const { error, warn, neither } = sampleLines();
        for (const line of warn) expect(matchesJsonEquality(levelPattern("warn"), line), line).toBe(true);
        for (const line of [...error, ...neither]) expect(matchesJsonEquality(levelPattern("warn"), line), line).toBe(false);
    });

    it("evaluates * in the value as CloudWatch does, and refuses pattern forms it does not implement", () => {
        expect(matchesJsonEquality('{ $.level = "err*" }', '{"level":"error"}')).toBe(true);
        expect(matchesJsonEquality('{ $.level = "err*" }', '{"level":"warn"}')).toBe(false);
        expect(matchesJsonEquality('{$.level="warn"}', '{"level":"warn"}')).toBe(true);
        expect(() => matchesJsonEquality('{ $.level != "info" }', '{"level":"warn"}')).toThrow(/unsupported metric filter pattern/);
        expect(() => matchesJsonEquality("ERROR", "ERROR")).toThrow(/allowed: \{ \$\.key = "value" \}/);
    });
});

describe("archive layout", () => {
    it("moves every object to the archive class and expires it on the settings' days", () => {
        expect(archiveLifecycleRules({ logArchiveTransitionDays: 90, logArchiveStorageClass: "GLACIER", logArchiveExpirationDays: 400 })).toEqual([
            {
                id: "logs",
                status: "Enabled",
                filter: { prefix: "" },
                transitions: [{ days: 90, storageClass: "GLACIER" }],
                expiration: { days: 400 },
                noncurrentVersionExpiration: { noncurrentDays: 30 },
                abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
            },
        ]);
    });

    it("partitions by source and day, and names the error output type wherever the prefix uses timestamps", () => {
        expect(archivePrefixes("cloudwatch")).toEqual({
            prefix: "logs/cloudwatch/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/",
            errorOutputPrefix: "errors/cloudwatch/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/",
        });
        for (const source of ["cloudwatch", "railway"] as const) {
            const { prefix, errorOutputPrefix } = archivePrefixes(source);
            expect(prefix).toContain("!{timestamp:");
            expect(errorOutputPrefix).toContain("!{firehose:error-output-type}");
            expect(prefix.startsWith(`logs/${source}/`)).toBe(true);
        }
    });
});

describe("processors", () => {
    it("decompress and extract CloudWatch Logs records, setting no parameter to its default", () => {
        expect(cloudwatchProcessors()).toEqual([
            { type: "Decompression", parameters: [{ parameterName: "CompressionFormat", parameterValue: "GZIP" }] },
            { type: "CloudWatchLogProcessing", parameters: [{ parameterName: "DataMessageExtraction", parameterValue: "true" }] },
        ]);
        // Parameters the provider does not store when they hold their defaults (permanent diff otherwise).
        const defaulted = ["NumberOfRetries", "RoleArn", "BufferSizeInMBs", "BufferIntervalInSeconds"];
        const names = [...cloudwatchProcessors(), ...railwayArchiveProcessors()].flatMap((processor) => processor.parameters ?? []).map((p) => p.parameterName);
        expect(names.filter((name) => defaulted.includes(name))).toEqual([]);
    });

    it("end each forwarded record with a newline in the archive", () => {
        expect(railwayArchiveProcessors()).toEqual([{ type: "AppendDelimiterToRecord" }]);
    });
});

describe("IAM documents", () => {
    it("lets Firehose assume the delivery role for this account only", () => {
        expect(deliveryTrustPolicy(ACCOUNT)).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "FirehoseAssumesForDelivery",
                    Effect: "Allow",
                    Principal: { Service: "firehose.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
                },
            ],
        });
    });

    const logGroupArn = `arn:aws:logs:eu-west-3:${ACCOUNT}:log-group:/aws/kinesisfirehose/hotelgenius-ops-prod-logs`;

    it("gives the delivery role the archive, its key through S3 and the error log; no secret without a log service", () => {
        expect(deliveryPermissions({ region: "eu-west-3", bucketArn: BUCKET_ARN, keyArn: KEY_ARN, errorLogGroupArn: logGroupArn }).Statement).toEqual([
            {
                Sid: "WriteArchive",
                Effect: "Allow",
                Action: ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"],
                Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
            },
            {
                Sid: "EncryptArchive",
                Effect: "Allow",
                Action: ["kms:Decrypt", "kms:GenerateDataKey"],
                Resource: KEY_ARN,
                Condition: {
                    StringEquals: { "kms:ViaService": "s3.eu-west-3.amazonaws.com" },
                    StringLike: { "kms:EncryptionContext:aws:s3:arn": [BUCKET_ARN, `${BUCKET_ARN}/*`] },
                },
            },
            { Sid: "LogDeliveryErrors", Effect: "Allow", Action: "logs:PutLogEvents", Resource: `${logGroupArn}:log-stream:*` },
        ]);
    });

    it("adds reading the service key and decrypting it through Secrets Manager when there is a log service", () => {
        const secretArn = `arn:aws:secretsmanager:eu-west-3:${ACCOUNT}:secret:hotelgenius-ops-prod/log-service-api-key-AbCdEf`;
        const statements = deliveryPermissions({
            region: "eu-west-3",
            bucketArn: BUCKET_ARN,
            keyArn: KEY_ARN,
            errorLogGroupArn: logGroupArn,
            serviceKeySecretArn: secretArn,
        }).Statement;
        expect(statements.slice(3)).toEqual([
            { Sid: "ReadServiceKey", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArn },
            {
                Sid: "DecryptServiceKey",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: KEY_ARN,
                Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-3.amazonaws.com" } },
            },
        ]);
    });

    it("lets CloudWatch Logs of this account and region assume the subscription role, to put into the stream only", () => {
        expect(subscriptionTrustPolicy("eu-west-3", ACCOUNT).Statement).toEqual([
            {
                Sid: "CloudWatchLogsAssumesForSubscriptions",
                Effect: "Allow",
                Principal: { Service: "logs.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: { StringLike: { "aws:SourceArn": `arn:aws:logs:eu-west-3:${ACCOUNT}:*` } },
            },
        ]);
        expect(subscriptionPermissions(STREAM_ARN).Statement).toEqual([
            { Sid: "PutIntoDrain", Effect: "Allow", Action: ["firehose:PutRecord", "firehose:PutRecordBatch"], Resource: STREAM_ARN },
        ]);
    });

    it("lets the Railway forwarder put records into its stream and describe it, nothing else", () => {
        expect(ingestPermissions(STREAM_ARN).Statement).toEqual([
            {
                Sid: "ForwardRailwayLogs",
                Effect: "Allow",
                Action: ["firehose:PutRecord", "firehose:PutRecordBatch", "firehose:DescribeDeliveryStream"],
                Resource: STREAM_ARN,
            },
        ]);
    });
});
