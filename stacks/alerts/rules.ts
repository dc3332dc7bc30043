// The alerts' pure logic: event patterns, input templates, the topic's and its key's
// policies, the placeholder-recipient check and the dashboard. Tested without mocks (rules.test.ts).
import { ExitCode, METRIC_DIMENSION, METRIC_NAMESPACE, type MetricName } from "../../job/src/contract.js";
import type { PolicyDocument, PolicyStatement } from "../shared/iam.js";
import { RESTORE_TIME_WARNING_SHARE } from "./settings.js";
import { APP_ERROR_METRICS, LOG_METRIC_NAMESPACE } from "../shared/logMetrics.js";

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
export function placeholderProblems(alertEmails: readonly string[], healthCheckUrl: string, pagerEndpoint: string): string[] {
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
    const pagerHost = URL.canParse(pagerEndpoint) ? new URL(pagerEndpoint).hostname : pagerEndpoint.slice(pagerEndpoint.lastIndexOf("@") + 1);
    if (!pagerEndpoint.startsWith("+") && isReservedDomain(pagerHost)) {
        problems.push(
            `pagerEndpoint: ${pagerEndpoint} is on a reserved example domain; the second channel would page nobody. Allowed: the on-call service's real ` +
                "SNS integration URL, an SMS number or a real address",
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

/** The alarm drill's events: a source of this stack's own (custom events may not start with `aws.`) and a detail type saying what it is. */
export function drillEvent(stem: string): { source: string; detailType: string } {
    return { source: `${stem}.alarm-drill`, detailType: "Alarm drill" };
}

/** Where a stack's alarms live: the primary region, the replica's (with an off-site replica), and us-east-1 (uptime, IAM). */
export function alertRegions(primaryRegion: string, replicaRegion: string | undefined): string[] {
    return [primaryRegion, ...(replicaRegion === undefined ? [] : [replicaRegion]), "us-east-1"];
}

export function drillPattern(stem: string): Record<string, unknown> {
    const { source, detailType } = drillEvent(stem);
    return { source: [source], "detail-type": [detailType] };
}

export const DRILL_INPUT_PATHS = { time: "$.time", drill: "$.detail.drillId", by: "$.detail.requestedBy" };

export function drillInputTemplate(runbook: string): string {
    return JSON.stringify(
        `ALARM DRILL <drill>, not an incident: sent at <time> by <by> through EventBridge to this channel. Reply in the drill thread that it ` +
            `arrived. Runbook: ${runbook}`,
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
 * What the publishers may do with a topic's key, on top of the guarded key policy
 * (stacks/shared/guardedKey.ts). The AWS-managed SNS key cannot be used: EventBridge and CloudWatch
 * may not use it, so encrypted alerts would be dropped silently.
 * - EventBridge's statement is the one the SNS and EventBridge guides give for an encrypted target
 *   topic, word for word: no condition. Whether EventBridge's KMS calls carry `aws:SourceAccount` is
 *   undocumented, and a refused call only shows as the rule's FailedInvocations. The confused-deputy
 *   guard stays on the topic policy (topicPolicy), where SNS documents it: without sns:Publish there,
 *   a data key is worth nothing.
 * - CloudWatch alarms publish under their own principal, limited to this account's alarms.
 */
export function topicKeyStatements(account: string): PolicyStatement[] {
    return [
        {
            Sid: "EventBridgeEncryptsAlerts",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resource: "*",
        },
        {
            Sid: "CloudWatchEncryptsAlerts",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": account } },
        },
    ];
}

export interface DashboardInput {
    region: string;
    database: string;
    alarmArns: string[];
    /** Log groups the log-drains area's ErrorLogLines metric counts (one dimensionless sum across them). */
    logGroups: string[];
    healthCheckId: string;
    /** The restore-time budget, drawn on the restore duration trend with its warning line. */
    restoreTimeBudgetSeconds: number;
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
        metricWidget("Restore drill duration (s) against the restore-time budget", [backup("VerifyDuration", "Maximum")], {
            annotations: {
                horizontal: [
                    { label: "budget", value: input.restoreTimeBudgetSeconds },
                    { label: "warning", value: Math.round(input.restoreTimeBudgetSeconds * RESTORE_TIME_WARNING_SHARE) },
                ],
            },
            yAxis: { left: { min: 0 } },
        }),
    );
    if (input.logGroups.length > 0) {
        widgets.push(metricWidget("Error log lines per 5 minutes", [["HotelGenius/Logs", "ErrorLogLines", { stat: "Sum", period: 300 }]]));
    }
    widgets.push(
        metricWidget("App error lines per 5 minutes (Railway forwarder)", [
            [LOG_METRIC_NAMESPACE, APP_ERROR_METRICS.errors, { stat: "Sum", period: 300 }],
            [LOG_METRIC_NAMESPACE, APP_ERROR_METRICS.databaseTimeouts, { stat: "Sum", period: 300 }],
        ]),
    );
    widgets.push(
        // Route 53 publishes health-check metrics in us-east-1 only.
        metricWidget("Uptime (1 = healthy)", [["AWS/Route53", "HealthCheckStatus", "HealthCheckId", input.healthCheckId, { stat: "Minimum", period: 60 }]], {
            region: "us-east-1",
        }),
    );
    return { widgets };
}
