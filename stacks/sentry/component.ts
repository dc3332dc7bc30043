// Error tracking for the app: a Sentry team, the server (Node/Express) and client (React) projects of
// this stack, one rate-limited client key each (the DSNs the app reads), and the alert rules (among
// them the server's database connection timeouts, routed to their own runbook).
// The backup job's cron monitor is not declared: the job's own check-ins create and update it.
import * as pulumi from "@pulumi/pulumi";
import * as sentry from "@pulumiverse/sentry";
import { MAX_SENTRY_RULE_NAME, type Runbook, withRunbook } from "../shared/runbooks.js";
import { sentryRule } from "./table.js";
import { sentrySlug } from "../shared/naming.js";
import { TIMEOUT_CONDITIONS, timeoutFilters } from "./timeoutAlert.js";
import { type MonitoringSettings, SENTRY_PLATFORMS } from "./settings.js";

export const MONITORING_TYPE = "hotelgenius:ops:Monitoring";

/** Sentry's platform ids of the app's two halves. */
type ProjectRole = keyof typeof SENTRY_PLATFORMS;

/** Minutes Sentry waits before notifying again about the same issue under one rule. */
export const ISSUE_ALERT_FREQUENCY_MINUTES = 30;
/** Sentry's metric-alert window; one hour smooths a quiet night's few events. */
export const METRIC_ALERT_WINDOW_MINUTES = 60;
/** SentryMetricAlert thresholdType 0: fire above the threshold. */
const ABOVE = 0;

export interface MonitoringArgs {
    project: string;
    stack: string;
    settings: MonitoringSettings;
    runbookBaseUrl: string;
}

export class Monitoring extends pulumi.ComponentResource {
    public readonly teamSlug: pulumi.Output<string>;
    public readonly serverProjectSlug: pulumi.Output<string>;
    public readonly clientProjectSlug: pulumi.Output<string>;
    /** SENTRY_DSN of the server (secret: it lets anyone send events into the project). */
    public readonly serverDsn: pulumi.Output<string>;
    /** VITE_SENTRY_DSN of the client; public in the browser bundle anyway, secret here so it is handed over like the server's. */
    public readonly clientDsn: pulumi.Output<string>;
    /** The environment the app must report (SENTRY_ENVIRONMENT), which every rule filters on. */
    public readonly environment: string;

    constructor(name: string, args: MonitoringArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(MONITORING_TYPE, name, {}, opts);
        const { settings } = args;
        const organization = settings.sentryOrganization;
        const naming = { project: args.project, stack: args.stack };
        const child = { parent: this };

        const team = new sentry.SentryTeam(
            `${name}-team`,
            { organization, name: `HotelGenius ops (${args.stack})`, slug: sentrySlug(naming, undefined) },
            child,
        );
        const projects = {} as Record<ProjectRole, sentry.SentryProject>;
        const keys = {} as Record<ProjectRole, sentry.SentryKey>;
        for (const role of Object.keys(SENTRY_PLATFORMS) as ProjectRole[]) {
            projects[role] = new sentry.SentryProject(
                `${name}-${role}`,
                {
                    organization,
                    name: `HotelGenius ${role} (${args.stack})`,
                    slug: sentrySlug(naming, role),
                    platform: SENTRY_PLATFORMS[role],
                    teams: [team.slug],
                    resolveAge: settings.sentryResolveAgeHours,
                },
                child,
            );
            keys[role] = new sentry.SentryKey(
                `${name}-${role}-key`,
                {
                    organization,
                    project: projects[role].slug,
                    name: `${role} app`,
                    rateLimitCount: settings.sentryKeyRateLimitPerMinute,
                    rateLimitWindow: 60,
                },
                child,
            );
        }

        const ruleName = (title: string, runbook: Runbook) =>
            withRunbook(`${title} (${settings.sentryEnvironment}).`, args.runbookBaseUrl, runbook, MAX_SENTRY_RULE_NAME);
        const emailTeam = { id: "sentry.mail.actions.NotifyEmailAction", targetType: "Team", targetIdentifier: team.teamId };
        const slack =
            settings.sentrySlackWorkspaceId === undefined || settings.sentrySlackChannel === undefined
                ? []
                : [
                      {
                          id: "sentry.integrations.slack.notify_action.SlackNotifyServiceAction",
                          workspace: settings.sentrySlackWorkspaceId,
                          channel: settings.sentrySlackChannel,
                      },
                  ];
        const issueRules: [string, string, Record<string, string>][] = [
            ["new-issue", "New issue", { id: "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition" }],
            ["regression", "Resolved issue came back", { id: "sentry.rules.conditions.regression_event.RegressionEventCondition" }],
            [
                "error-burst",
                `One issue seen more than ${settings.sentryErrorBurstCount} times in an hour`,
                {
                    id: "sentry.rules.conditions.event_frequency.EventFrequencyCondition",
                    value: String(settings.sentryErrorBurstCount),
                    comparisonType: "count",
                    interval: "1h",
                },
            ],
        ];
        for (const role of Object.keys(SENTRY_PLATFORMS) as ProjectRole[]) {
            for (const [id, title, condition] of issueRules) {
                new sentry.SentryIssueAlert(
                    `${name}-${role}-${id}`,
                    {
                        organization,
                        project: projects[role].slug,
                        name: ruleName(`${title} in the ${role}`, sentryRule("sentry issue alert", id).runbook),
                        environment: settings.sentryEnvironment,
                        actionMatch: "any",
                        filterMatch: "all",
                        frequency: ISSUE_ALERT_FREQUENCY_MINUTES,
                        conditions: [condition],
                        actions: [emailTeam, ...slack],
                    },
                    child,
                );
            }
        }

        // The server's database connection timeouts go to their own runbook, not to a generic error burst.
        new sentry.SentryIssueAlert(
            `${name}-server-database-timeout`,
            {
                organization,
                project: projects.server.slug,
                name: ruleName("Database connection timeout in the server", sentryRule("sentry issue alert", "database-timeout").runbook),
                environment: settings.sentryEnvironment,
                actionMatch: "any",
                filterMatch: "any",
                frequency: ISSUE_ALERT_FREQUENCY_MINUTES,
                conditions: TIMEOUT_CONDITIONS,
                filters: timeoutFilters(),
                actions: [emailTeam, ...slack],
            },
            child,
        );

        const metricAlert = (id: string, title: string, spec: { dataset: string; aggregate: string; query: string; threshold: number }) =>
            new sentry.SentryMetricAlert(
                `${name}-server-${id}`,
                {
                    organization,
                    project: projects.server.slug,
                    name: ruleName(title, sentryRule("sentry metric alert", id).runbook),
                    environment: settings.sentryEnvironment,
                    dataset: spec.dataset,
                    aggregate: spec.aggregate,
                    query: spec.query,
                    timeWindow: METRIC_ALERT_WINDOW_MINUTES,
                    thresholdType: ABOVE,
                    triggers: [
                        {
                            label: "critical",
                            alertThreshold: spec.threshold,
                            thresholdType: ABOVE,
                            actions: [{ type: "email", targetType: "team", targetIdentifier: team.teamId }],
                        },
                    ],
                },
                child,
            );
        metricAlert("error-spike", `More than ${settings.sentryErrorSpikeCount} server errors in an hour`, {
            dataset: "events",
            aggregate: "count()",
            query: "event.type:error",
            threshold: settings.sentryErrorSpikeCount,
        });
        metricAlert("slow-server", `Server p95 above ${settings.sentryP95Ms} ms over an hour`, {
            dataset: "transactions",
            aggregate: "p95(transaction.duration)",
            query: "",
            threshold: settings.sentryP95Ms,
        });

        this.teamSlug = team.slug;
        this.serverProjectSlug = projects.server.slug;
        this.clientProjectSlug = projects.client.slug;
        this.serverDsn = pulumi.secret(keys.server.dsnPublic);
        this.clientDsn = pulumi.secret(keys.client.dsnPublic);
        this.environment = settings.sentryEnvironment;
        this.registerOutputs({
            teamSlug: this.teamSlug,
            serverProjectSlug: this.serverProjectSlug,
            clientProjectSlug: this.clientProjectSlug,
            serverDsn: this.serverDsn,
            clientDsn: this.clientDsn,
            environment: this.environment,
        });
    }
}
