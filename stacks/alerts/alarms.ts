// The CloudWatch alarms of the alert table (table.ts): one row each, with its metric, window, threshold,
// missing-data treatment, runbook and severity, and how a row becomes a MetricAlarm's arguments.
// Adding an alarm is one row here and its runbook.
import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { METRIC_NAMESPACE } from "../../job/src/contract.js";
import { APP_ERROR_METRICS, LOG_METRIC_NAMESPACE } from "../shared/logMetrics.js";
import { RUNBOOKS } from "../shared/runbooks.js";
import { RESTORE_TIME_WARNING_SHARE, type AlertsSettings } from "./settings.js";
import type { AlarmRow, Amount } from "./table.js";

/** Most alarms fire on the first event counted in five minutes: a row states only where it differs. */
const COUNTED_EVENTS = {
    statistic: "Sum",
    period: 300,
    evaluationPeriods: 1,
    comparison: "GreaterThanThreshold",
    threshold: 0,
    missingData: "notBreaching",
} as const satisfies Partial<AlarmRow>;

type Defaulted = keyof typeof COUNTED_EVENTS;

function alarm(row: Omit<AlarmRow, "kind" | Defaulted> & Partial<Pick<AlarmRow, Defaulted>>): AlarmRow {
    return { kind: "alarm", ...COUNTED_EVENTS, ...row };
}

export const ALARMS: readonly AlarmRow[] = [
    alarm({
        // Dead-man's switch: hourly sums, and every one of the last N hours without a success (missing
        // data counts) fires it. A failed run reports 0, so it counts as missing too.
        name: "backup-missing",
        scope: "backup",
        namespace: METRIC_NAMESPACE,
        metric: "BackupSuccess",
        period: 3600,
        evaluationPeriods: { setting: "backupMissingAfterHours" },
        everyPeriod: true,
        comparison: "LessThanThreshold",
        threshold: 1,
        missingData: "breaching",
        missingDataWhy: "dead-man's switch",
        runbook: RUNBOOKS.backupMissing,
        severity: "page",
        summary: (settings) =>
            `No successful backup of database ${settings.backupDatabaseName} for ${settings.backupMissingAfterHours} hours (BackupSuccess, ` +
            `missing data breaches).`,
    }),
    alarm({
        name: "backup-size-anomaly",
        scope: "backup",
        namespace: METRIC_NAMESPACE,
        metric: "BackupBytes",
        statistic: "Maximum",
        period: 86400,
        comparison: "LessThanLowerThreshold",
        threshold: { anomalyBand: "backupSizeAnomalyBand", metricId: "size", bandLabel: "expected size" },
        missingDataWhy: "days without a backup are backup-missing's concern",
        runbook: RUNBOOKS.backupSizeAnomaly,
        severity: "next business day",
        summary: (settings) =>
            `A backup of ${settings.backupDatabaseName} is smaller than usual: BackupBytes fell under its anomaly band ` +
            `(${settings.backupSizeAnomalyBand} standard deviations).`,
    }),
    alarm({
        name: "restore-drill-failed",
        scope: "backup",
        namespace: METRIC_NAMESPACE,
        metric: "VerifySuccess",
        statistic: "Minimum",
        period: 3600,
        comparison: "LessThanThreshold",
        threshold: 1,
        runbook: RUNBOOKS.drillFailed,
        severity: "next business day",
        summary: (settings) => `A restore drill (verify) of ${settings.backupDatabaseName} failed: VerifySuccess was 0.`,
    }),
    alarm({
        name: "restore-drill-missing",
        scope: "backup",
        namespace: METRIC_NAMESPACE,
        metric: "VerifySuccess",
        period: 86400,
        evaluationPeriods: { setting: "drillMissingAfterDays" },
        everyPeriod: true,
        comparison: "LessThanThreshold",
        threshold: 1,
        missingData: "breaching",
        runbook: RUNBOOKS.drillMissing,
        severity: "next business day",
        summary: (settings) =>
            `No passed restore drill of ${settings.backupDatabaseName} for ${settings.drillMissingAfterDays} days (VerifySuccess, missing data breaches).`,
    }),
    ...(
        [
            ["restore-time-warning", RESTORE_TIME_WARNING_SHARE, `${RESTORE_TIME_WARNING_SHARE * 100}% of`],
            ["restore-time-exceeded", 1, "more than"],
        ] as const
    ).map(([name, share, what]) =>
        alarm({
            // The drill restores the dump a disaster would: its duration measures the restore-time promise.
            name,
            scope: "backup",
            namespace: METRIC_NAMESPACE,
            metric: "VerifyDuration",
            statistic: "Maximum",
            period: 3600,
            threshold: { setting: "restoreTimeObjectiveMinutes", times: 60 * share },
            missingData: "ignore",
            missingDataWhy: "the drill runs weekly: each verdict holds until the next drill reports",
            runbook: RUNBOOKS.restoreTime,
            severity: "next business day",
            summary: (settings) =>
                `The restore drill of ${settings.backupDatabaseName} took ${what} the ${settings.restoreTimeObjectiveMinutes}-minute restore-time budget ` +
                `(VerifyDuration > ${settings.restoreTimeObjectiveMinutes * 60 * share} s).`,
        }),
    ),
    alarm({
        name: "replication-failed-<rule>",
        scope: "replication",
        namespace: "AWS/S3",
        metric: "OperationsFailedReplication",
        // S3 publishes replication metrics only while objects replicate: missing data says nothing.
        missingData: "ignore",
        missingDataWhy: "AWS's advice: S3 publishes replication metrics only while objects replicate",
        runbook: RUNBOOKS.replicationFailed,
        severity: "next business day",
        summary: (_settings, facts) =>
            `Objects of replication rule ${facts.ruleId} failed to reach the off-site replica in ${facts.replicaRegion} ` +
            `(OperationsFailedReplication > 0).`,
    }),
    alarm({
        name: "replication-latency-<rule>",
        scope: "replication",
        namespace: "AWS/S3",
        metric: "ReplicationLatency",
        statistic: "Maximum",
        evaluationPeriods: 3,
        threshold: { setting: "replicationLatencyMinutes", times: 60 },
        missingData: "ignore",
        runbook: RUNBOOKS.replicationLatency,
        severity: "next business day",
        summary: (settings, facts) =>
            `Replication rule ${facts.ruleId} lags more than ${settings.replicationLatencyMinutes} minutes behind (ReplicationLatency, 3 ` +
            `periods of 5 minutes).`,
    }),
    alarm({
        // A metric filter's dimensions can only come from the log line's own fields, and the log group's
        // name is not one: the drained groups add up into one dimensionless ErrorLogLines metric.
        name: "error-log-rate",
        scope: "errorLogs",
        namespace: LOG_METRIC_NAMESPACE,
        metric: "ErrorLogLines",
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: { setting: "errorLogLinesPer5Minutes" },
        runbook: RUNBOOKS.errorLogRate,
        severity: "page",
        summary: (settings, facts) =>
            `${settings.errorLogLinesPer5Minutes} or more error log lines in 5 minutes across the drained log groups ` +
            `(${facts.errorLabels.join(", ")}; ErrorLogLines).`,
    }),
    alarm({
        // The app's lines reach Firehose through the Railway forwarder, which no metric filter sees:
        // the forwarder counts them itself (deploy/vector/vector.yaml) into dimensionless metrics.
        name: "app-error-rate",
        scope: "appLogs",
        namespace: LOG_METRIC_NAMESPACE,
        metric: APP_ERROR_METRICS.errors,
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: { setting: "appErrorLinesPer5Minutes" },
        runbook: RUNBOOKS.appErrorRate,
        severity: "page",
        summary: (settings) =>
            `${settings.appErrorLinesPer5Minutes} or more of the app's error log lines in 5 minutes (AppErrorLines, counted by the Railway forwarder).`,
    }),
    alarm({
        // One timeout is a blip (a Neon compute waking); three in five minutes are an outage starting.
        name: "database-connection-timeout",
        scope: "appLogs",
        namespace: LOG_METRIC_NAMESPACE,
        metric: APP_ERROR_METRICS.databaseTimeouts,
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: 3,
        runbook: RUNBOOKS.databaseConnectionTimeout,
        severity: "page",
        summary: () =>
            "3 or more of the app's error lines in 5 minutes say the database connection timed out or was refused (DatabaseTimeoutLines, counted by " +
            "the Railway forwarder).",
    }),
    alarm({
        // Messages *sent* per period, not messages visible: the queue keeps a message 14 days, so a
        // visible-count alarm stays in ALARM after the first failure and every later one is silent.
        // Scheduler puts its dead letters with SendMessage, which this metric counts.
        name: "scheduler-dead-letters",
        scope: "scheduler",
        namespace: "AWS/SQS",
        metric: "NumberOfMessagesSent",
        runbook: RUNBOOKS.schedulerDeadLetters,
        severity: "page",
        summary: () => "EventBridge Scheduler could not start a backup or drill task: it sent the attempt to its dead-letter queue (NumberOfMessagesSent > 0).",
    }),
    alarm({
        name: "site-down",
        scope: "uptime",
        namespace: "AWS/Route53",
        metric: "HealthCheckStatus",
        statistic: "Minimum",
        period: 60,
        comparison: "LessThanThreshold",
        threshold: 1,
        // A check that stops reporting cannot show the site is up.
        missingData: "breaching",
        missingDataWhy: "a check that stops reporting cannot show the site is up",
        runbook: RUNBOOKS.siteDown,
        severity: "page",
        summary: (settings) =>
            `${settings.healthCheckUrl} fails its health check (no "${settings.healthCheckSearchString}" in the response) from most Route 53 ` +
            `checker regions.`,
    }),
    alarm({
        // Through CloudWatch, a different principal from EventBridge: it reaches the topics when EventBridge cannot.
        name: "<rule>-failed-invocations",
        scope: "ruleDelivery",
        namespace: "AWS/Events",
        metric: "FailedInvocations",
        runbook: RUNBOOKS.alertDeliveryFailed,
        severity: "page",
        summary: (_settings, facts) =>
            `EventBridge could not deliver what rule ${facts.watched} matched to its topics in ${facts.region} (FailedInvocations > 0): that alert never arrived.`,
    }),
    alarm({
        name: "<topic>-notifications-failed",
        scope: "topicDelivery",
        namespace: "AWS/SNS",
        metric: "NumberOfNotificationsFailed",
        runbook: RUNBOOKS.alertDeliveryFailed,
        severity: "page",
        summary: (_settings, facts) =>
            `SNS could not deliver notifications of topic ${facts.watched} in ${facts.region} to a subscriber (NumberOfNotificationsFailed > 0).`,
    }),
];

/** A table row as MetricAlarm arguments (without name, description and actions). */
export function metricAlarmArgs(
    row: AlarmRow,
    settings: AlertsSettings,
    dimensions: Record<string, pulumi.Input<string>>,
): Omit<aws.cloudwatch.MetricAlarmArgs, "name" | "alarmDescription" | "alarmActions" | "okActions"> {
    const evaluationPeriods = amountOf(row.evaluationPeriods, settings);
    const common = {
        comparisonOperator: row.comparison,
        evaluationPeriods,
        ...(row.everyPeriod ? { datapointsToAlarm: evaluationPeriods } : {}),
        treatMissingData: row.missingData,
    };
    const metric = { namespace: row.namespace, metricName: row.metric, ...(Object.keys(dimensions).length === 0 ? {} : { dimensions }) };
    if (typeof row.threshold === "object" && "anomalyBand" in row.threshold) {
        const { anomalyBand, metricId, bandLabel } = row.threshold;
        return {
            ...common,
            thresholdMetricId: "band",
            metricQueries: [
                { id: metricId, returnData: true, metric: { ...metric, stat: row.statistic, period: row.period } },
                { id: "band", returnData: true, expression: `ANOMALY_DETECTION_BAND(${metricId}, ${settings[anomalyBand]})`, label: bandLabel },
            ],
        };
    }
    return { ...common, ...metric, statistic: row.statistic, period: row.period, threshold: amountOf(row.threshold, settings) };
}

/** An amount's value under the stack's settings. */
export function amountOf(amount: Amount, settings: AlertsSettings): number {
    return typeof amount === "number" ? amount : (settings[amount.setting] as number) * (amount.times ?? 1);
}
