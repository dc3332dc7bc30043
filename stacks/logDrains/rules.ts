// Pure builders for the log drains: archive lifecycle and prefixes, Firehose processors, IAM
// documents, and the level metric filters with a small evaluator of their pattern. Plain data in,
// plain data out, unit-tested without any Pulumi runtime.
import type { LogDrainSettings } from "./settings.js";
import type { LifecycleRule } from "../shared/lifecycle.js";
import type { PolicyDocument } from "../shared/iam.js";
import { serviceTrustPolicy } from "../shared/trustPolicy.js";
import { type CountedLevel, LOG_LEVEL_METRICS, LOG_METRIC_NAMESPACE } from "../shared/logMetrics.js";

/** Where each stream writes in the archive bucket. */
export type LogSource = "cloudwatch" | "railway";

/** Noncurrent versions only come from deletions (Firehose never overwrites): a month to undo one. */
const NONCURRENT_LOG_DAYS = 30;
/** Parts of an interrupted Firehose upload are billed but invisible. */
const ABORT_INCOMPLETE_UPLOAD_DAYS = 7;

/** One rule for the whole bucket: delivered logs and Firehose's error output age the same way. */
export function archiveLifecycleRules(
    settings: Pick<LogDrainSettings, "logArchiveTransitionDays" | "logArchiveStorageClass" | "logArchiveExpirationDays">,
): LifecycleRule[] {
    return [
        {
            id: "logs",
            status: "Enabled",
            filter: { prefix: "" },
            transitions: [{ days: settings.logArchiveTransitionDays, storageClass: settings.logArchiveStorageClass }],
            expiration: { days: settings.logArchiveExpirationDays },
            noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_LOG_DAYS },
            abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_INCOMPLETE_UPLOAD_DAYS },
        },
    ];
}

const DAY_PARTITION = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/";

/**
 * Date-partitioned (Hive style, so Athena can prune by day) prefixes per source. Firehose refuses
 * a `!{timestamp:…}` prefix unless the error prefix names `!{firehose:error-output-type}`.
 */
export function archivePrefixes(source: LogSource): { prefix: string; errorOutputPrefix: string } {
    return {
        prefix: `logs/${source}/${DAY_PARTITION}`,
        errorOutputPrefix: `errors/${source}/!{firehose:error-output-type}/${DAY_PARTITION}`,
    };
}

export interface Processor {
    type: string;
    parameters?: { parameterName: string; parameterValue: string }[];
}

/**
 * CloudWatch Logs subscription records arrive gzip'd, each an envelope of several log events:
 * decompress and extract the messages, so the service and the archive get the original JSON lines.
 * Only parameters that differ from Firehose's defaults are set: a default-valued one is not stored
 * by the provider and shows as a change on every preview.
 */
export function cloudwatchProcessors(): Processor[] {
    return [
        { type: "Decompression", parameters: [{ parameterName: "CompressionFormat", parameterValue: "GZIP" }] },
        { type: "CloudWatchLogProcessing", parameters: [{ parameterName: "DataMessageExtraction", parameterValue: "true" }] },
    ];
}

/** The forwarder puts one JSON object per record without a newline; S3 objects need one per line to stay NDJSON. */
export function railwayArchiveProcessors(): Processor[] {
    return [{ type: "AppendDelimiterToRecord" }];
}

/** Firehose assumes the delivery role, only on behalf of streams in this account. */
export function deliveryTrustPolicy(accountId: string): PolicyDocument {
    return serviceTrustPolicy({ sid: "FirehoseAssumesForDelivery", service: "firehose.amazonaws.com", account: accountId });
}

export interface DeliveryResources {
    region: string;
    bucketArn: string;
    keyArn: string;
    /** ARN of the delivery-error log group (`arn:aws:logs:…:log-group:NAME`). */
    errorLogGroupArn: string;
    /** Only with a log service: the secret holding its key, encrypted under keyArn. */
    serviceKeySecretArn?: string;
}

/**
 * What the streams need to write the archive (the actions Firehose's S3 destination documents),
 * encrypt under the archive key through S3, log delivery errors and read the service key.
 */
export function deliveryPermissions(resources: DeliveryResources): PolicyDocument {
    const { region, bucketArn, keyArn, errorLogGroupArn, serviceKeySecretArn } = resources;
    const statements: PolicyDocument["Statement"] = [
        {
            Sid: "WriteArchive",
            Effect: "Allow",
            Action: ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"],
            Resource: [bucketArn, `${bucketArn}/*`],
        },
        {
            Sid: "EncryptArchive",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: keyArn,
            Condition: {
                StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` },
                // With an S3 bucket key the encryption context is the bucket, otherwise the object.
                StringLike: { "kms:EncryptionContext:aws:s3:arn": [bucketArn, `${bucketArn}/*`] },
            },
        },
        { Sid: "LogDeliveryErrors", Effect: "Allow", Action: "logs:PutLogEvents", Resource: `${errorLogGroupArn}:log-stream:*` },
    ];
    if (serviceKeySecretArn !== undefined) {
        statements.push(
            { Sid: "ReadServiceKey", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: serviceKeySecretArn },
            {
                Sid: "DecryptServiceKey",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: keyArn,
                Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } },
            },
        );
    }
    return { Version: "2012-10-17", Statement: statements };
}

/** CloudWatch Logs assumes the subscription role, only for log groups of this account and region. */
export function subscriptionTrustPolicy(region: string, accountId: string): PolicyDocument {
    return serviceTrustPolicy({
        sid: "CloudWatchLogsAssumesForSubscriptions",
        service: "logs.amazonaws.com",
        account: accountId,
        sourceArn: `arn:aws:logs:${region}:${accountId}:*`,
    });
}

/** Subscriptions put records into the CloudWatch stream and nothing else. */
export function subscriptionPermissions(streamArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{ Sid: "PutIntoDrain", Effect: "Allow", Action: ["firehose:PutRecord", "firehose:PutRecordBatch"], Resource: streamArn }],
    };
}

/**
 * The Railway forwarder's identity: put records into its own stream (Vector's health check describes
 * it), and publish the app's error counts. PutMetricData has no resource: the namespace condition is
 * what keeps the key from writing into any other metric.
 */
export function ingestPermissions(streamArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ForwardRailwayLogs",
                Effect: "Allow",
                Action: ["firehose:PutRecord", "firehose:PutRecordBatch", "firehose:DescribeDeliveryStream"],
                Resource: streamArn,
            },
            {
                Sid: "CountAppErrors",
                Effect: "Allow",
                Action: "cloudwatch:PutMetricData",
                Resource: "*",
                Condition: { StringEquals: { "cloudwatch:namespace": LOG_METRIC_NAMESPACE } },
            },
        ],
    };
}

/** The JSON metric filter pattern that matches log lines of one level. */
export function levelPattern(level: CountedLevel): string {
    return `{ $.level = "${level}" }`;
}

export interface LevelMetricFilter {
    level: CountedLevel;
    pattern: string;
    metricTransformation: { name: string; namespace: string; value: "1"; unit: "Count" };
}

/**
 * One filter per counted level. No dimension: a metric filter's dimension values can only be
 * fields of the log event, and the log group name is not one, so the lines of every drained group
 * add up to one metric per level; Logs Insights tells the groups apart.
 */
export function levelMetricFilters(): LevelMetricFilter[] {
    return (Object.keys(LOG_LEVEL_METRICS) as CountedLevel[]).map((level) => ({
        level,
        pattern: levelPattern(level),
        metricTransformation: { name: LOG_LEVEL_METRICS[level], namespace: LOG_METRIC_NAMESPACE, value: "1", unit: "Count" },
    }));
}

/**
 * Whether CloudWatch Logs would count `line` under a `{ $.KEY = "VALUE" }` pattern (the only form
 * this drain uses): the line must be a JSON object whose top-level KEY is exactly the string VALUE.
 * A `*` in VALUE matches any run of characters, as in CloudWatch.
 */
export function matchesJsonEquality(pattern: string, line: string): boolean {
    const form = /^\{\s*\$\.([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"\s*\}$/.exec(pattern);
    if (form === null) throw new Error(`unsupported metric filter pattern ${JSON.stringify(pattern)}; allowed: { $.key = "value" }`);
    const [, key, expected] = form;
    let event: unknown;
    try {
        event = JSON.parse(line);
    } catch {
        return false;
    }
    if (event === null || typeof event !== "object" || Array.isArray(event)) return false;
    const actual = (event as Record<string, unknown>)[key!];
    if (typeof actual !== "string") return false;
    const wildcard = new RegExp(
        `^${expected!
            .split("*")
            .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
            .join(".*")}$`,
    );
    return wildcard.test(actual);
}
