// The Alerts component's alerts as one table: the CloudWatch alarms (metric, statistic, window,
// threshold, missing data; alarms.ts) and the EventBridge rules (event pattern; eventRules.ts), each
// with its runbook and severity. The component builds its alarms and rules from these rows; with the
// Sentry rules' rows (stacks/sentry/table.ts) they are every alert of the stack, which
// test/runbooks.test.ts checks against the runbooks and `npm run docs:alerts` writes into
// docs/monitoring.md (scripts/docs/alertsDoc.ts). Adding an alarm is one row (in alarms.ts) and its runbook.
import { METRIC_DIMENSION } from "../../job/src/contract.js";
import { ALARMS } from "./alarms.js";
import { EVENT_RULES } from "./eventRules.js";
import type { Runbook, Severity } from "../shared/runbooks.js";
import type { AlertsSettings } from "./settings.js";

export type MissingData = "breaching" | "notBreaching" | "ignore";

/**
 * What an alarm watches, which decides its dimensions, its topic and when it exists:
 * - backup: the job's metrics of `backupDatabaseName`; always.
 * - replication: one alarm per replication rule (`<rule>` in the name); only with an off-site replica.
 * - errorLogs: the log drains' error-line count across the drained groups; only when some are drained.
 * - appLogs: the Railway forwarder's counts of the app's error lines; always.
 * - scheduler: the schedules' dead-letter queue; only once the backup job is wired.
 * - uptime: the Route 53 health check; in us-east-1, to the uptime topic.
 * - ruleDelivery: one alarm per EventBridge rule that notifies (`<rule>` in the name), in its region.
 * - topicDelivery: one alarm per SNS topic (`<topic>` in the name), in its region, to the region's other topic.
 */
export type AlarmScope = "backup" | "replication" | "errorLogs" | "appLogs" | "scheduler" | "uptime" | "ruleDelivery" | "topicDelivery";

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
    /** The rule's or topic's full name (delivery scopes). */
    watched: string;
    /** The region the alarm is in. */
    region: string;
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

export type AlertRow = AlarmRow | EventRuleRow;

/** The dimension names of each scope's alarms, for the docs (the component gives their values). */
export const SCOPE_DIMENSIONS: Readonly<Record<AlarmScope, readonly string[]>> = {
    backup: [METRIC_DIMENSION],
    replication: ["SourceBucket", "DestinationBucket", "RuleId"],
    errorLogs: [],
    appLogs: [],
    scheduler: ["QueueName"],
    uptime: ["HealthCheckId"],
    ruleDelivery: ["RuleName"],
    topicDelivery: ["TopicName"],
};

/** When each scope's alarms exist, and where, for the docs. */
export const SCOPE_WHEN: Readonly<Record<AlarmScope, string>> = {
    backup: "always",
    replication: "per replication rule, only with an off-site replica",
    errorLogs: "only when log groups are drained",
    appLogs: "always (the Railway forwarder's counts)",
    scheduler: "only once the backup job is wired",
    uptime: "always; in us-east-1, to the uptime topic",
    ruleDelivery: "per EventBridge rule, in its region; to both channels",
    topicDelivery: "per SNS topic, in its region; to the region's other topic",
};

export const ALERT_TABLE: readonly AlertRow[] = [...ALARMS, ...EVENT_RULES];

/** The row of `name` of a kind; throws for a name the table does not have, so code cannot drift from it. */
export function alertRow<K extends AlertRow["kind"]>(kind: K, name: string): RowOfKind<K> {
    const row = ALERT_TABLE.find((candidate) => candidate.kind === kind && candidate.name === name);
    if (row === undefined) throw new Error(`no ${kind} named ${name} in the alert table (stacks/alerts/table.ts)`);
    return row as RowOfKind<K>;
}

type RowOfKind<K extends AlertRow["kind"]> = K extends "alarm" ? AlarmRow : EventRuleRow;
