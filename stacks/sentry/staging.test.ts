// Staging's Sentry objects: their own team and projects, rules filtered on the staging environment, no Slack.
import { beforeAll, describe, expect, it } from "vitest";
import { runOffline, type OfflineRun } from "../../scripts/offlinePlan/mockRuntime.js";
import { stagingSettings } from "../../test/fixtures.js";
import { Monitoring } from "./component.js";

const settings = stagingSettings();
let run: OfflineRun;

beforeAll(async () => {
    run = await runOffline({
        stack: "staging",
        config: {},
        load: async () => {
            new Monitoring("monitoring", {
                project: settings.project,
                stack: settings.stack,
                settings: settings.monitoring,
                runbookBaseUrl: settings.alerts.runbookBaseUrl,
            });
            return {};
        },
    });
});

describe("Monitoring (staging settings)", () => {
    it("names the team and projects after the staging stack, so they never collide with prod's", () => {
        const slugs = run.resources.filter((r) => r.type.endsWith(":SentryTeam") || r.type.endsWith(":SentryProject")).map((r) => r.inputs["slug"]);
        expect(slugs.sort()).toEqual(["hotelgenius-ops-staging", "hotelgenius-ops-staging-client", "hotelgenius-ops-staging-server"]);
    });

    it("filters every rule on the staging environment and only emails the team", () => {
        const rules = run.resources.filter((r) => r.type.endsWith(":SentryIssueAlert") || r.type.endsWith(":SentryMetricAlert"));
        expect(rules).toHaveLength(8);
        for (const rule of rules) {
            expect(rule.inputs["environment"]).toBe("staging");
            expect(rule.inputs["name"]).toContain("(staging). Runbook: ");
        }
        for (const rule of rules.filter((r) => r.type.endsWith(":SentryIssueAlert"))) {
            expect(rule.inputs["actions"]).toEqual([
                { id: "sentry.mail.actions.NotifyEmailAction", targetType: "Team", targetIdentifier: "monitoring-team-id" },
            ]);
        }
    });
});
