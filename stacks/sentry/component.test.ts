// The Sentry side under the mock runtime with prod settings and a Slack channel: team, projects,
// keys, issue alerts and metric alerts with their exact inputs. Staging: staging.test.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { onlyResourceNamed, runOffline, type OfflineRun } from "../../scripts/offlinePlan/mockRuntime.js";
import { OFFLINE_SECRET as SECRET } from "../settings/spec.js";
import { prodSettings } from "../../test/fixtures.js";
import { Monitoring, MONITORING_TYPE } from "./component.js";

const settings = prodSettings({ monitoring: { ...prodSettings().monitoring, sentrySlackWorkspaceId: "4242", sentrySlackChannel: "#ops-alerts" } });
const BASE = settings.alerts.runbookBaseUrl;
const TEAM_ID = "monitoring-team-id";

let run: OfflineRun;

beforeAll(async () => {
    run = await runOffline({
        stack: "prod",
        config: {},
        load: async () => {
            const monitoring = new Monitoring("monitoring", {
                project: settings.project,
                stack: settings.stack,
                settings: settings.monitoring,
                runbookBaseUrl: BASE,
            });
            return {
                serverDsn: monitoring.serverDsn,
                clientDsn: monitoring.clientDsn,
                environment: monitoring.environment,
                serverProject: monitoring.serverProjectSlug,
            };
        },
    });
});

const named = (name: string) => onlyResourceNamed(run, name);
const emailTeam = { id: "sentry.mail.actions.NotifyEmailAction", targetType: "Team", targetIdentifier: TEAM_ID };
const slack = { id: "sentry.integrations.slack.notify_action.SlackNotifyServiceAction", workspace: "4242", channel: "#ops-alerts" };

describe("Monitoring (prod settings, with Slack)", () => {
    it("registers one team, two projects, two keys, six issue alerts and two metric alerts under one component", () => {
        const counts: Record<string, number> = {};
        for (const resource of run.resources) counts[resource.type] = (counts[resource.type] ?? 0) + 1;
        expect(counts).toEqual({
            [MONITORING_TYPE]: 1,
            "sentry:index/sentryTeam:SentryTeam": 1,
            "sentry:index/sentryProject:SentryProject": 2,
            "sentry:index/sentryKey:SentryKey": 2,
            "sentry:index/sentryIssueAlert:SentryIssueAlert": 6,
            "sentry:index/sentryMetricAlert:SentryMetricAlert": 2,
        });
        const component = named("monitoring");
        expect(run.resources.filter((r) => r.custom).every((child) => child.parent === component.urn)).toBe(true);
    });

    it("creates the stack's team and a Node/Express server and React client project owned by it", () => {
        expect(named("monitoring-team").inputs).toEqual({ organization: "hotelgenius", name: "HotelGenius ops (prod)", slug: "hotelgenius-ops-prod" });
        expect(named("monitoring-server").inputs).toEqual({
            organization: "hotelgenius",
            name: "HotelGenius server (prod)",
            slug: "hotelgenius-ops-prod-server",
            platform: "node-express",
            teams: ["hotelgenius-ops-prod"],
            resolveAge: 720,
        });
        expect(named("monitoring-client").inputs).toMatchObject({
            slug: "hotelgenius-ops-prod-client",
            platform: "javascript-react",
            teams: ["hotelgenius-ops-prod"],
            resolveAge: 720,
        });
    });

    it("gives each project one key limited to 600 events a minute, and exports the DSNs as secrets", () => {
        for (const role of ["server", "client"]) {
            expect(named(`monitoring-${role}-key`).inputs).toEqual({
                organization: "hotelgenius",
                project: `hotelgenius-ops-prod-${role}`,
                name: `${role} app`,
                rateLimitCount: 600,
                rateLimitWindow: 60,
            });
        }
        expect(run.outputs).toEqual({ serverDsn: SECRET, clientDsn: SECRET, environment: "production", serverProject: "hotelgenius-ops-prod-server" });
    });

    it("alerts the team by email and Slack on new issues, regressions and error bursts, in the production environment only", () => {
        for (const role of ["server", "client"]) {
            const conditions: Record<string, unknown> = {
                "new-issue": [{ id: "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition" }],
                regression: [{ id: "sentry.rules.conditions.regression_event.RegressionEventCondition" }],
                "error-burst": [
                    { id: "sentry.rules.conditions.event_frequency.EventFrequencyCondition", value: "100", comparisonType: "count", interval: "1h" },
                ],
            };
            const runbooks: Record<string, string> = { "new-issue": "sentry-new-issue", regression: "sentry-regression", "error-burst": "sentry-error-burst" };
            for (const rule of ["new-issue", "regression", "error-burst"]) {
                const { name, ...inputs } = named(`monitoring-${role}-${rule}`).inputs;
                expect(inputs).toEqual({
                    organization: "hotelgenius",
                    project: `hotelgenius-ops-prod-${role}`,
                    environment: "production",
                    actionMatch: "any",
                    filterMatch: "all",
                    frequency: 30,
                    conditions: conditions[rule],
                    actions: [emailTeam, slack],
                });
                expect(name).toMatch(new RegExp(`in the ${role} \\(production\\)\\. Runbook: ${BASE}/${runbooks[rule]}\\.md$`));
                expect((name as string).length).toBeLessThanOrEqual(256);
            }
        }
    });

    it("alerts on server error spikes above 200 an hour and p95 above 2000 ms, by email to the team", () => {
        const trigger = (threshold: number) => [
            { label: "critical", alertThreshold: threshold, thresholdType: 0, actions: [{ type: "email", targetType: "team", targetIdentifier: TEAM_ID }] },
        ];
        const common = { organization: "hotelgenius", project: "hotelgenius-ops-prod-server", environment: "production", timeWindow: 60, thresholdType: 0 };
        const spike = named("monitoring-server-error-spike").inputs;
        expect(spike).toEqual({
            ...common,
            name: `More than 200 server errors in an hour (production). Runbook: ${BASE}/sentry-error-spike.md`,
            dataset: "events",
            aggregate: "count()",
            query: "event.type:error",
            triggers: trigger(200),
        });
        expect(named("monitoring-server-slow-server").inputs).toEqual({
            ...common,
            name: `Server p95 above 2000 ms over an hour (production). Runbook: ${BASE}/sentry-slow-server.md`,
            dataset: "transactions",
            aggregate: "p95(transaction.duration)",
            query: "",
            triggers: trigger(2000),
        });
    });
});
