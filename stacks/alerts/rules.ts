// The alerts' pure logic: runbook links, event patterns, input templates, the topic's and its key's
// policies, the placeholder-recipient check and the dashboard. Tested without mocks (rules.test.ts).
import { ExitCode, METRIC_DIMENSION, METRIC_NAMESPACE, type MetricName } from "../../job/src/contract.js";
import type { PolicyDocument } from "../shared/iam.js";

/** Every runbook an alarm, event rule or Sentry rule links to: runbooks/<name>.md. */
export const RUNBOOKS = {
    backupFailed: "backup-failed",
    backupMissing: "backup-missing",
    backupSizeAnomaly: "backup-size-anomaly",
    drillFailed: "restore-drill-failed",
    drillMissing: "restore-drill-missing",
    schedulerDeadLetters: "scheduler-dead-letters",
    replicationFailed: "replication-failed",
    replicationLatency: "replication-latency",
    tampering: "backup-tampering",
    errorLogRate: "error-log-rate",
    siteDown: "site-down",
    sentryNewIssue: "sentry-new-issue",
    sentryRegression: "sentry-regression",
    sentryErrorBurst: "sentry-error-burst",
    sentryErrorSpike: "sentry-error-spike",
    sentrySlowServer: "sentry-slow-server",
} as const;
export type Runbook = (typeof RUNBOOKS)[keyof typeof RUNBOOKS];

/** CloudWatch's limit on an alarm description. */
export const MAX_ALARM_DESCRIPTION = 1024;
/** EventBridge's limit on a rule description. */
export const MAX_RULE_DESCRIPTION = 512;
/** Sentry's limit on an alert rule's name, which is the one text field a rule of provider 0.0.9 has. */
export const MAX_SENTRY_RULE_NAME = 256;

export function runbookUrl(baseUrl: string, runbook: Runbook): string {
    return `${baseUrl.replace(/\/+$/, "")}/${runbook}.md`;
}

/** `summary` followed by the runbook link, refused when it exceeds `limit` (the link must never be cut off). */
export function withRunbook(summary: string, baseUrl: string, runbook: Runbook, limit: number): string {
    const text = `${summary} Runbook: ${runbookUrl(baseUrl, runbook)}`;
    if (text.length > limit) {
        throw new Error(
            `the description "${summary.slice(0, 60)}…" with its runbook link is ${text.length} characters; ` +
                `allowed: at most ${limit}. Shorten runbookBaseUrl.`,
        );
    }
    return text;
}

// Names reserved for documentation and testing (RFC 2606, RFC 6761): mail to them reaches nobody.
const RESERVED_TLDS = ["example", "test", "invalid", "localhost"];
const RESERVED_DOMAINS = ["example.com", "example.net", "example.org"];

export function isReservedDomain(host: string): boolean {
    const name = host.toLowerCase().replace(/\.$/, "");
    return (
        RESERVED_TLDS.some((tld) => name === tld || name.endsWith(`.${tld}`)) ||
        RESERVED_DOMAINS.some((domain) => name === domain || name.endsWith(`.${domain}`))
    );
}

/**
 * Settings that still point at reserved example domains: alerts would reach nobody and the uptime
 * check would watch nothing. A warning in previews (stacks are cloned with placeholders), an error
 * on `pulumi up`.
 */
export function placeholderProblems(alertEmails: readonly string[], healthCheckUrl: string): string[] {
    const problems: string[] = [];
    const placeholders = alertEmails.filter((email) => isReservedDomain(email.slice(email.lastIndexOf("@") + 1)));
    if (placeholders.length > 0) {
        problems.push(
            `alertEmails: ${placeholders.join(", ")} ${placeholders.length === 1 ? "is" : "are"} on a reserved example domain; alerts sent there reach ` +
                `nobody. ` +
                "Allowed: real addresses (pulumi config set --path 'alertEmails[0]' oncall@your-domain)",
        );
    }
    const host = URL.canParse(healthCheckUrl) ? new URL(healthCheckUrl).hostname : "";
    if (isReservedDomain(host)) {
        problems.push(
            `healthCheckUrl: ${healthCheckUrl} is on a reserved example domain; the uptime check would watch nothing. Allowed: the app's real https health URL`,
        );
    }
    return problems;
}

/** ECS task state changes of one task family (RunTask's default group) in one cluster. */
function stoppedTasks(clusterArn: string, family: string): Record<string, unknown> {
    return { clusterArn: [clusterArn], group: [`family:${family}`], lastStatus: ["STOPPED"] };
}

/** A task of the family that ran and stopped with a container exit code other than 0. */
export function taskFailedPattern(clusterArn: string, family: string): Record<string, unknown> {
    return {
        source: ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        detail: { ...stoppedTasks(clusterArn, family), containers: { exitCode: [{ "anything-but": ExitCode.Ok }] } },
    };
}

/** A task of the family that never started (image pull, secrets, capacity): it has no exit code, so it needs its own rule. */
export function taskFailedToStartPattern(clusterArn: string, family: string): Record<string, unknown> {
    return {
        source: ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        detail: { ...stoppedTasks(clusterArn, family), stopCode: ["TaskFailedToStart"] },
    };
}

export const ECS_INPUT_PATHS = {
    time: "$.time",
    task: "$.detail.taskArn",
    stopCode: "$.detail.stopCode",
    reason: "$.detail.stoppedReason",
    exitCode: "$.detail.containers[0].exitCode",
};

/** The text an on-call person reads in the email: what failed, why ECS says it stopped, and where to start. */
export function ecsInputTemplate(what: string, runbook: string): string {
    return JSON.stringify(
        `${what} at <time>: exit code <exitCode>, stop code <stopCode>, reason: <reason>. Task: <task>. Exit codes are listed in docs/backup-job.md. ` +
            `Runbook: ${runbook}`,
    );
}

/** KMS key operations that can make every backup under the key unreadable, or open it to others. */
export const KEY_TAMPERING_EVENTS = ["ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy"];
/**
 * Bucket operations that can expose, shorten or stop protecting the backups. CloudTrail records
 * PutBucketLifecycleConfiguration as PutBucketLifecycle (and its deletion as DeleteBucketLifecycle).
 * Beyond the issue's list: suspending versioning stops replication, and encryption or public access
 * block changes open the bucket up.
 */
export const BUCKET_TAMPERING_EVENTS = [
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketLifecycle",
    "DeleteBucketLifecycle",
    "PutBucketReplication",
    "DeleteBucketReplication",
    "PutObjectLockConfiguration",
    "PutBucketVersioning",
    "PutBucketEncryption",
    "DeleteBucketEncryption",
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "DeleteBucket",
];

/** CloudTrail management calls against these keys, matched on the event's resources (the caller may pass an alias). */
export function keyTamperingPattern(keyArns: string[]): Record<string, unknown> {
    return {
        source: ["aws.kms"],
        "detail-type": ["AWS API Call via CloudTrail"],
        detail: { eventSource: ["kms.amazonaws.com"], eventName: KEY_TAMPERING_EVENTS, resources: { ARN: keyArns } },
    };
}

export function bucketTamperingPattern(bucketNames: string[]): Record<string, unknown> {
    return {
        source: ["aws.s3"],
        "detail-type": ["AWS API Call via CloudTrail"],
        detail: { eventSource: ["s3.amazonaws.com"], eventName: BUCKET_TAMPERING_EVENTS, requestParameters: { bucketName: bucketNames } },
    };
}

export const TAMPERING_INPUT_PATHS = {
    time: "$.detail.eventTime",
    region: "$.region",
    event: "$.detail.eventName",
    who: "$.detail.userIdentity.arn",
    from: "$.detail.sourceIPAddress",
    error: "$.detail.errorCode",
};

export function tamperingInputTemplate(runbook: string): string {
    return JSON.stringify(
        `Backup protection changed: <event> at <time> in <region> by <who> from <from> (error code, if refused: <error>). ` +
            `If nobody on the team did this, treat it as an incident now. Runbook: ${runbook}`,
    );
}

/** Who may publish to an alerts topic: EventBridge rules and CloudWatch alarms of this account only. */
export function topicPolicy(topicArn: string, account: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "EventBridgeRulesPublish",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
            {
                Sid: "CloudWatchAlarmsPublish",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topicArn,
                Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
        ],
    };
}

/**
 * The topic key's policy. The AWS-managed SNS key cannot be used: EventBridge and CloudWatch may
 * not use it, so encrypted alerts would be dropped silently. The account keeps IAM-delegated
 * administration, and the two publishers may only make and use data keys.
 */
export function topicKeyPolicy(account: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "AccountAdministersThroughIam", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
            {
                Sid: "PublishersEncryptAlerts",
                Effect: "Allow",
                Principal: { Service: ["events.amazonaws.com", "cloudwatch.amazonaws.com"] },
                Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                Resource: "*",
                Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
        ],
    };
}

export interface DashboardInput {
    region: string;
    database: string;
    alarmArns: string[];
    /** Log groups the log-drains area's ErrorLogLines metric counts (one dimensionless sum across them). */
    logGroups: string[];
    healthCheckId: string;
    /** The job's log group, for the last successful backup; none when the backup job is not wired. */
    jobLogGroup?: string;
}

/** The ops dashboard: alarm states, the last backup, backup size/duration trends, drills, error-log rate, uptime. */
export function dashboardBody(input: DashboardInput): Record<string, unknown> {
    const backup = (metric: MetricName, stat: string) => [METRIC_NAMESPACE, metric, METRIC_DIMENSION, input.database, { stat, period: 86400 }];
    const metricWidget = (title: string, metrics: unknown[], extra: Record<string, unknown> = {}) => ({
        type: "metric",
        width: 12,
        height: 6,
        properties: { title, region: input.region, view: "timeSeries", metrics, ...extra },
    });
    const widgets: Record<string, unknown>[] = [{ type: "alarm", width: 24, height: 4, properties: { title: "Alarms", alarms: input.alarmArns } }];
    if (input.jobLogGroup !== undefined) {
        widgets.push({
            type: "log",
            width: 12,
            height: 6,
            properties: {
                title: "Last successful backups (age = now minus the time shown)",
                region: input.region,
                query:
                    `SOURCE '${input.jobLogGroup}' | filter message = "backup complete" | fields @timestamp, context.id, context.bytes | sort @timestamp ` +
                    `desc | limit 5`,
                view: "table",
            },
        });
    }
    widgets.push(
        metricWidget("Backups per day (successful)", [backup("BackupSuccess", "Sum")]),
        metricWidget("Backup size (bytes, compressed)", [backup("BackupBytes", "Maximum")]),
        metricWidget("Backup duration (s)", [backup("BackupDuration", "Maximum")]),
        metricWidget("Restore drills (1 = passed, 0 = failed)", [backup("VerifySuccess", "Minimum")]),
    );
    if (input.logGroups.length > 0) {
        widgets.push(metricWidget("Error log lines per 5 minutes", [["HotelGenius/Logs", "ErrorLogLines", { stat: "Sum", period: 300 }]]));
    }
    widgets.push(
        // Route 53 publishes health-check metrics in us-east-1 only.
        metricWidget("Uptime (1 = healthy)", [["AWS/Route53", "HealthCheckStatus", "HealthCheckId", input.healthCheckId, { stat: "Minimum", period: 60 }]], {
            region: "us-east-1",
        }),
    );
    return { widgets };
}
