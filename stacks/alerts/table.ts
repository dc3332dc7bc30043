// Every alert of the stack as one table: the CloudWatch alarms (metric, statistic, window, threshold,
// missing data), the EventBridge rules (event pattern), the Sentry rules, each with its runbook and
// severity. The Alerts component builds its alarms and rules from these rows, the Monitoring
// component takes its rules' runbooks from them, test/runbooks.test.ts checks each runbook against
// its rows, and `npm run docs:alerts` writes the table of docs/monitoring.md from them. Adding an
// alarm is one row here and its runbook.
import { METRIC_DIMENSION, METRIC_NAMESPACE } from "../../job/src/contract.js";
import { LOG_METRIC_NAMESPACE } from "../logDrains/rules.js";
import { type Runbook, RUNBOOKS } from "./rules.js";
import type { AlertsSettings } from "./settings.js";

/** Page now, or look the next business day (the runbook's "Severity" line says the same). */
export type Severity = "page" | "next business day";
export type MissingData = "breaching" | "notBreaching" | "ignore";

/**
 * What an alarm watches, which decides its dimensions, its topic and when it exists:
 * - backup: the job's metrics of `backupDatabaseName`; always.
 * - replication: one alarm per replication rule (`<rule>` in the name); only with an off-site replica.
 * - errorLogs: the log drains' error-line count across the drained groups; only when some are drained.
 * - scheduler: the schedules' dead-letter queue; only once the backup job is wired.
 * - uptime: the Route 53 health check; in us-east-1, to the uptime topic.
 */
export type AlarmScope = "backup" | "replication" | "errorLogs" | "scheduler" | "uptime";

/** A number of the table's own, or a numeric alerts setting (times a factor, e.g. minutes to seconds). */
export type Amount = number | { setting: NumericSetting; times?: number };
type NumericSetting = { [K in keyof AlertsSettings]: AlertsSettings[K] extends number ? K : never }[keyof AlertsSettings];

/** What an alarm's summary may mention besides the settings. */
export interface SummaryFacts {
    /** The replication rule (replication scope). */
    ruleId: string;
    /** The off-site replica's region (replication scope). */
    replicaRegion: string;
    /** The drained log groups' labels (errorLogs scope). */
    errorLabels: readonly string[];
}

export interface AlarmRow {
    kind: "alarm";
    /** The alarm is `<stack>-<name>`; `<rule>` stands for the replication rule's id. */
    name: string;
    scope: AlarmScope;
    namespace: string;
    metric: string;
    statistic: "Sum" | "Minimum" | "Maximum";
    /** Seconds per datapoint. */
    period: number;
    evaluationPeriods: Amount;
    /** Every evaluated period must breach (datapointsToAlarm = evaluationPeriods). */
    everyPeriod?: true;
    comparison: "LessThanThreshold" | "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanLowerThreshold";
    /**
     * A fixed threshold, or an anomaly-detection band `anomalyBand` standard deviations wide around the
     * metric (its query id `metricId`, the band's label `bandLabel`).
     */
    threshold: Amount | { anomalyBand: NumericSetting; metricId: string; bandLabel: string };
    missingData: MissingData;
    /** Why the missing-data treatment is what it is, for the docs. */
    missingDataWhy?: string;
    runbook: Runbook;
    severity: Severity;
    /** The alarm description, before its runbook link. */
    summary: (settings: AlertsSettings, facts: SummaryFacts) => string;
}

export interface EventRuleRow {
    kind: "event rule";
    /** The rule is `<stack>-<name>`. */
    name: string;
    /** When the rule exists, where not always. */
    when: string;
    /** What the rule matches, for the docs (the pattern itself is built in rules.ts). */
    event: string;
    /** The rule's description, before its runbook link. */
    description: string;
    runbook: Runbook;
    severity: Severity;
}

export interface SentryRuleRow {
    kind: "sentry issue alert" | "sentry metric alert";
    /** The Monitoring component's id of the rule (per project for issue alerts). */
    name: string;
    /** What fires it, for the docs. */
    event: string;
    runbook: Runbook;
    severity: Severity;
}

export type AlertRow = AlarmRow | EventRuleRow | SentryRuleRow;

export const ALARMS: readonly AlarmRow[] = [
    {
        // Dead-man's switch: hourly sums, and every one of the last N hours without a success (missing
        // data counts) fires it. A failed run reports 0, so it counts as missing too.
        kind: "alarm",
        name: "backup-missing",
        scope: "backup",
        namespace: METRIC_NAMESPACE,
        metric: "BackupSuccess",
        statistic: "Sum",
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
    },
    {
        kind: "alarm",
        name: "backup-size-anomaly",
        scope: "backup",
        namespace: METRIC_NAMESPACE,
        metric: "BackupBytes",
        statistic: "Maximum",
        period: 86400,
        evaluationPeriods: 1,
        comparison: "LessThanLowerThreshold",
        threshold: { anomalyBand: "backupSizeAnomalyBand", metricId: "size", bandLabel: "expected size" },
        missingData: "notBreaching",
        missingDataWhy: "days without a backup are backup-missing's concern",
        runbook: RUNBOOKS.backupSizeAnomaly,
        severity: "next business day",
        summary: (settings) =>
            `A backup of ${settings.backupDatabaseName} is smaller than usual: BackupBytes fell under its anomaly band ` +
            `(${settings.backupSizeAnomalyBand} standard deviations).`,
    },
    {
        kind: "alarm",
        name: "restore-drill-failed",
        scope: "backup",
        namespace: METRIC_NAMESPACE,
        metric: "VerifySuccess",
        statistic: "Minimum",
        period: 3600,
        evaluationPeriods: 1,
        comparison: "LessThanThreshold",
        threshold: 1,
        missingData: "notBreaching",
        runbook: RUNBOOKS.drillFailed,
        severity: "next business day",
        summary: (settings) => `A restore drill (verify) of ${settings.backupDatabaseName} failed: VerifySuccess was 0.`,
    },
    {
        kind: "alarm",
        name: "restore-drill-missing",
        scope: "backup",
        namespace: METRIC_NAMESPACE,
        metric: "VerifySuccess",
        statistic: "Sum",
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
    },
    {
        kind: "alarm",
        name: "replication-failed-<rule>",
        scope: "replication",
        namespace: "AWS/S3",
        metric: "OperationsFailedReplication",
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        comparison: "GreaterThanThreshold",
        threshold: 0,
        // S3 publishes replication metrics only while objects replicate: missing data says nothing.
        missingData: "ignore",
        missingDataWhy: "AWS's advice: S3 publishes replication metrics only while objects replicate",
        runbook: RUNBOOKS.replicationFailed,
        severity: "next business day",
        summary: (_settings, facts) =>
            `Objects of replication rule ${facts.ruleId} failed to reach the off-site replica in ${facts.replicaRegion} ` +
            `(OperationsFailedReplication > 0).`,
    },
    {
        kind: "alarm",
        name: "replication-latency-<rule>",
        scope: "replication",
        namespace: "AWS/S3",
        metric: "ReplicationLatency",
        statistic: "Maximum",
        period: 300,
        evaluationPeriods: 3,
        comparison: "GreaterThanThreshold",
        threshold: { setting: "replicationLatencyMinutes", times: 60 },
        missingData: "ignore",
        runbook: RUNBOOKS.replicationLatency,
        severity: "next business day",
        summary: (settings, facts) =>
            `Replication rule ${facts.ruleId} lags more than ${settings.replicationLatencyMinutes} minutes behind (ReplicationLatency, 3 ` +
            `periods of 5 minutes).`,
    },
    {
        // A metric filter's dimensions can only come from the log line's own fields, and the log group's
        // name is not one: the drained groups add up into one dimensionless ErrorLogLines metric.
        kind: "alarm",
        name: "error-log-rate",
        scope: "errorLogs",
        namespace: LOG_METRIC_NAMESPACE,
        metric: "ErrorLogLines",
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: { setting: "errorLogLinesPer5Minutes" },
        missingData: "notBreaching",
        runbook: RUNBOOKS.errorLogRate,
        severity: "page",
        summary: (settings, facts) =>
            `${settings.errorLogLinesPer5Minutes} or more error log lines in 5 minutes across the drained log groups ` +
            `(${facts.errorLabels.join(", ")}; ErrorLogLines).`,
    },
    {
        kind: "alarm",
        name: "scheduler-dead-letters",
        scope: "scheduler",
        namespace: "AWS/SQS",
        metric: "ApproximateNumberOfMessagesVisible",
        statistic: "Maximum",
        period: 300,
        evaluationPeriods: 1,
        comparison: "GreaterThanThreshold",
        threshold: 0,
        missingData: "notBreaching",
        runbook: RUNBOOKS.schedulerDeadLetters,
        severity: "page",
        summary: () => "EventBridge Scheduler could not start a backup or drill task: its dead-letter queue holds messages.",
    },
    {
        kind: "alarm",
        name: "site-down",
        scope: "uptime",
        namespace: "AWS/Route53",
        metric: "HealthCheckStatus",
        statistic: "Minimum",
        period: 60,
        evaluationPeriods: 1,
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
    },
];

/** The dimension names of each scope's alarms, for the docs (the component gives their values). */
export const SCOPE_DIMENSIONS: Readonly<Record<AlarmScope, readonly string[]>> = {
    backup: [METRIC_DIMENSION],
    replication: ["SourceBucket", "DestinationBucket", "RuleId"],
    errorLogs: [],
    scheduler: ["QueueName"],
    uptime: ["HealthCheckId"],
};

/** When each scope's alarms exist, and where, for the docs. */
export const SCOPE_WHEN: Readonly<Record<AlarmScope, string>> = {
    backup: "always",
    replication: "per replication rule, only with an off-site replica",
    errorLogs: "only when log groups are drained",
    scheduler: "only once the backup job is wired",
    uptime: "always; in us-east-1, to the uptime topic",
};

const TASK_FAILED = "EventBridge `ECS Task State Change` of the family's group, `STOPPED`, exit code not 0";
const TASK_FAILED_TO_START = "EventBridge `ECS Task State Change` of the family's group, `stopCode` `TaskFailedToStart`";
const KEY_TAMPERING = "CloudTrail `ScheduleKeyDeletion`, `DisableKey`, `PutKeyPolicy` on the backup keys";
const BUCKET_TAMPERING =
    "CloudTrail changes to a backup bucket's policy, lifecycle, replication, Object Lock, versioning, encryption or public access block, and `DeleteBucket`";

/** Task rules, once per task: the backup's and the restore drill's. */
export const TASK_RULES = [
    { task: "backup", what: "The backup task", runbook: RUNBOOKS.backupFailed, severity: "page" },
    { task: "restore-drill", what: "The restore drill task", runbook: RUNBOOKS.drillFailed, severity: "next business day" },
] as const satisfies readonly { task: string; what: string; runbook: Runbook; severity: Severity }[];

export const EVENT_RULES: readonly EventRuleRow[] = [
    ...TASK_RULES.flatMap(({ task, what, runbook, severity }): EventRuleRow[] => [
        {
            kind: "event rule",
            name: `${task}-task-failed`,
            when: "only once the backup job is wired",
            event: TASK_FAILED,
            description: `${what} stopped with a non-zero exit code.`,
            runbook,
            severity,
        },
        {
            kind: "event rule",
            name: `${task}-task-failed-to-start`,
            when: "only once the backup job is wired",
            event: TASK_FAILED_TO_START,
            description: `${what} never started (TaskFailedToStart: image, secrets, network or capacity).`,
            runbook,
            severity,
        },
    ]),
    ...(
        [
            ["tampering", "always; in the primary region"],
            ["replica-tampering", "only with an off-site replica; in the replica's region, to its topic"],
        ] as const
    ).flatMap(([prefix, when]): EventRuleRow[] => [
        {
            kind: "event rule",
            name: `${prefix}-keys`,
            when,
            event: KEY_TAMPERING,
            description: "Someone scheduled deletion of, disabled or changed the policy of a backup KMS key (CloudTrail).",
            runbook: RUNBOOKS.tampering,
            severity: "page",
        },
        {
            kind: "event rule",
            name: `${prefix}-buckets`,
            when,
            event: BUCKET_TAMPERING,
            description:
                "Someone changed the policy, lifecycle, replication, Object Lock, versioning, encryption or public access block of a backup bucket (CloudTrail).",
            runbook: RUNBOOKS.tampering,
            severity: "page",
        },
    ]),
];

export const SENTRY_RULES: readonly SentryRuleRow[] = [
    { kind: "sentry issue alert", name: "new-issue", event: "first seen event", runbook: RUNBOOKS.sentryNewIssue, severity: "next business day" },
    { kind: "sentry issue alert", name: "regression", event: "regression event", runbook: RUNBOOKS.sentryRegression, severity: "next business day" },
    {
        kind: "sentry issue alert",
        name: "error-burst",
        event: "one issue seen more than `sentryErrorBurstCount` times in an hour",
        runbook: RUNBOOKS.sentryErrorBurst,
        severity: "page",
    },
    {
        kind: "sentry metric alert",
        name: "error-spike",
        event: "`count()` of server errors above `sentryErrorSpikeCount` in an hour",
        runbook: RUNBOOKS.sentryErrorSpike,
        severity: "page",
    },
    {
        kind: "sentry metric alert",
        name: "slow-server",
        event: "`p95(transaction.duration)` above `sentryP95Ms` over an hour",
        runbook: RUNBOOKS.sentrySlowServer,
        severity: "next business day",
    },
];

export const ALERT_TABLE: readonly AlertRow[] = [...ALARMS, ...EVENT_RULES, ...SENTRY_RULES];

/** The row of `name` of a kind; throws for a name the table does not have, so code cannot drift from it. */
export function alertRow<K extends AlertRow["kind"]>(kind: K, name: string): RowOfKind<K> {
    const row = ALERT_TABLE.find((candidate) => candidate.kind === kind && candidate.name === name);
    if (row === undefined) throw new Error(`no ${kind} named ${name} in the alert table (stacks/alerts/table.ts)`);
    return row as RowOfKind<K>;
}

type RowOfKind<K extends AlertRow["kind"]> = K extends "alarm" ? AlarmRow : K extends "event rule" ? EventRuleRow : SentryRuleRow;

/** An amount's value under the stack's settings. */
export function amountOf(amount: Amount, settings: AlertsSettings): number {
    return typeof amount === "number" ? amount : (settings[amount.setting] as number) * (amount.times ?? 1);
}
