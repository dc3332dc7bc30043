// Every alert of every area (the alerts' CloudWatch alarms and EventBridge rules, the Sentry rules)
// links its runbook and says how urgent it is: the runbooks' names, the severities and the link.
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
    alertTampering: "alert-tampering",
    roleTampering: "role-tampering",
    alertDeliveryFailed: "alert-delivery-failed",
    alarmDrill: "alarm-drill",
    restoreTime: "restore-time-budget",
    errorLogRate: "error-log-rate",
    appErrorRate: "app-error-rate",
    databaseConnectionTimeout: "database-connection-timeout",
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

/**
 * Page now, or look the next business day (the runbook's "Severity" line says the same). A paging
 * alert notifies both channels of its region (the alert emails and the pager); the others the
 * emails only.
 */
export type Severity = "page" | "next business day";
