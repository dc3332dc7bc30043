// The Sentry rules' rows of the stack's alert table (beside the alerts' own, stacks/alerts/table.ts):
// what fires each, its runbook and its severity. The Monitoring component takes its rules' runbooks
// from them; the runbook test and docs/monitoring.md read them with the alerts' rows.
import { type Runbook, RUNBOOKS, type Severity } from "../shared/runbooks.js";

export interface SentryRuleRow {
    kind: "sentry issue alert" | "sentry metric alert";
    /** The Monitoring component's id of the rule (per project for issue alerts). */
    name: string;
    /** What fires it, for the docs. */
    event: string;
    runbook: Runbook;
    severity: Severity;
    /** An issue alert of the server project only (issue alerts are otherwise on both projects; metric alerts are the server's). */
    serverOnly?: true;
}

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
        kind: "sentry issue alert",
        name: "database-timeout",
        event: "a driver's connection-timeout text (stacks/shared/databaseTimeouts.ts) in a new, regressed or bursting issue (more than 2 events in 5 minutes)",
        serverOnly: true,
        runbook: RUNBOOKS.databaseConnectionTimeout,
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

/** The row of `name` of a kind; throws for a name the table does not have, so code cannot drift from it. */
export function sentryRule(kind: SentryRuleRow["kind"], name: string): SentryRuleRow {
    const row = SENTRY_RULES.find((candidate) => candidate.kind === kind && candidate.name === name);
    if (row === undefined) throw new Error(`no ${kind} named ${name} in the Sentry rules (stacks/sentry/table.ts)`);
    return row;
}
