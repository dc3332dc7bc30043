// The Alerts component under the mock runtime, as a preview: its resources, topics and subscriptions,
// the drill's rule, the dashboard, the runbook links, its outputs and the placeholder warning; the
// alarms' inputs are in alarmResources.test.ts, the rules' in ruleResources.test.ts. `pulumi up` refusing
// placeholders is in up.test.ts (one runtime per file).
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it, vi } from "vitest";
import { MOCK_ACCOUNT } from "../../scripts/offlinePlan/mockRuntime.js";
import {
    alertsRun,
    BASE,
    IAM_TOPIC,
    named,
    ofType,
    PAGER,
    providerOf,
    registerAlertsRun,
    REPLICA_PAGER,
    REPLICA_TOPIC,
    settings,
    TOPIC,
    UPTIME_TOPIC,
    US_EAST_1_PAGER,
} from "../../test/alertsRun.js";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { ALERTS_TYPE, Alerts } from "./component.js";
import type { createProviders } from "../shared/providers.js";
import { alertsArgs } from "../../test/fixtures.js";

const warn = vi.spyOn(pulumi.log, "warn");
registerAlertsRun();
afterAll(() => warn.mockRestore());

describe("Alerts (prod settings, backup job and log groups wired)", () => {
    it("registers one component with exactly these resources under it", () => {
        const counts: Record<string, number> = {};
        for (const resource of alertsRun().resources) counts[resource.type] = (counts[resource.type] ?? 0) + 1;
        expect(counts).toEqual({
            "pulumi:providers:aws": 3,
            [ALERTS_TYPE]: 1,
            // Per region (primary, replica, us-east-1) an email topic and a pager topic, plus the IAM rule's email topic in us-east-1.
            "aws:kms/key:Key": 7,
            "aws:sns/topic:Topic": 7,
            "aws:sns/topicPolicy:TopicPolicy": 7,
            // Two addresses on the four email topics, the pager endpoint on the three pager topics.
            "aws:sns/topicSubscription:TopicSubscription": 11,
            // 13 on metrics, 12 on the rules' failed invocations, 7 on the topics' failed notifications.
            "aws:cloudwatch/metricAlarm:MetricAlarm": 32,
            // 4 task failures, 3 tampering rules in each of 2 regions, the IAM rule, the drill.
            "aws:cloudwatch/eventRule:EventRule": 12,
            // Each to its region's emails, and to its pager but for the drill task's two.
            "aws:cloudwatch/eventTarget:EventTarget": 22,
            "aws:route53/healthCheck:HealthCheck": 1,
            "aws:cloudwatch/dashboard:Dashboard": 1,
        });
        const component = named("alerts");
        const children = alertsRun().resources.filter((resource) => resource.custom && resource.type !== "pulumi:providers:aws");
        expect(children.every((child) => child.parent === component.urn && child.name.startsWith("alerts-"))).toBe(true);
    });

    it("warns about the placeholder recipient in a preview, without registering less", () => {
        expect(warn.mock.calls.map(([message]) => message)).toEqual([
            "alertEmails: ops@hotelgenius.example is on a reserved example domain; alerts sent there reach nobody. Allowed: real addresses (pulumi config " +
                "set --path 'alertEmails[0]' oncall@your-domain) (an error on pulumi up)",
        ]);
    });

    it("encrypts each topic with its own key, in the primary, replica and us-east-1 regions", () => {
        for (const [id, name, provider] of [
            ["alerts-topic", "hotelgenius-ops-prod-alerts", "aws-primary"],
            ["alerts-replica-topic", "hotelgenius-ops-prod-alerts", "aws-replica"],
            ["alerts-uptime-topic", "hotelgenius-ops-prod-uptime", "aws-us-east-1"],
            ["alerts-iam-topic", "hotelgenius-ops-prod-iam", "aws-us-east-1"],
            ["alerts-pager-topic", "hotelgenius-ops-prod-pager", "aws-primary"],
            ["alerts-replica-pager-topic", "hotelgenius-ops-prod-pager", "aws-replica"],
            ["alerts-us-east-1-pager-topic", "hotelgenius-ops-prod-pager", "aws-us-east-1"],
        ] as const) {
            const topic = named(id);
            const region = { "aws-primary": "eu-west-1", "aws-replica": "eu-central-1", "aws-us-east-1": "us-east-1" }[provider];
            expect(topic.inputs).toEqual({ name, kmsMasterKeyId: `arn:aws:kms:${region}:${MOCK_ACCOUNT}:key/${id}-key` });
            expect(providerOf(topic)).toBe(provider);
            expect(named(`${id}-key`).inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
            const policy = JSON.parse(named(`${id}-policy`).inputs["policy"] as string) as { Statement: { Principal: unknown; Action: string }[] };
            expect(policy.Statement.map((statement) => [statement.Principal, statement.Action])).toEqual([
                [{ Service: "events.amazonaws.com" }, "sns:Publish"],
                [{ Service: "cloudwatch.amazonaws.com" }, "sns:Publish"],
            ]);
        }
    });

    it("subscribes every recipient by email to every email topic, and the pager endpoint (https, confirmed by the service) to every pager topic", () => {
        const subscriptions = ofType("aws:sns/topicSubscription:TopicSubscription").map((s) => [s.inputs["topic"], s.inputs["protocol"], s.inputs["endpoint"]]);
        const emails = ["oncall@hotelgenius.eu", "ops@hotelgenius.example"];
        const pager = settings.alerts.pagerEndpoint;
        expect(subscriptions.sort()).toEqual(
            [
                ...[TOPIC, REPLICA_TOPIC, UPTIME_TOPIC, IAM_TOPIC].flatMap((topic) => emails.map((email) => [topic, "email", email])),
                ...[PAGER, REPLICA_PAGER, US_EAST_1_PAGER].map((topic) => [topic, "https", pager]),
            ].sort(),
        );
        const httpsSubscriptions = ofType("aws:sns/topicSubscription:TopicSubscription").filter((s) => s.inputs["protocol"] === "https");
        expect(httpsSubscriptions.every((subscription) => subscription.inputs["endpointAutoConfirms"] === true)).toBe(true);
    });

    it("routes the alarm drill's events, like a real rule, to both channels", () => {
        const rule = named("alerts-alarm-drill");
        expect(JSON.parse(rule.inputs["eventPattern"] as string)).toEqual({ source: ["hotelgenius-ops-prod.alarm-drill"], "detail-type": ["Alarm drill"] });
        expect(named("alerts-alarm-drill-target").inputs["arn"]).toBe(TOPIC);
        expect(named("alerts-alarm-drill-pager-target").inputs["arn"]).toBe(PAGER);
        expect(JSON.parse((named("alerts-alarm-drill-target").inputs["inputTransformer"] as { inputTemplate: string }).inputTemplate)).toMatch(
            /^ALARM DRILL <drill>, not an incident/,
        );
    });

    it("puts every primary-region alarm on the dashboard", () => {
        const body = JSON.parse(named("alerts-dashboard").inputs["dashboardBody"] as string) as {
            widgets: { type: string; properties: { alarms?: string[] } }[];
        };
        const alarmNames = ofType("aws:cloudwatch/metricAlarm:MetricAlarm")
            .filter((alarm) => providerOf(alarm) === "aws-primary")
            .map((alarm) => alarm.inputs["name"]);
        expect(body.widgets[0]!.properties.alarms!.map((arn) => arn.split(":").pop()).sort()).toEqual(alarmNames.sort());
        expect(named("alerts-dashboard").inputs["dashboardName"]).toBe("hotelgenius-ops-prod-ops");
    });

    it("links every alarm and event rule, the backup job's too, to a runbook file that exists", () => {
        const texts = [
            ...ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((alarm) => alarm.inputs["alarmDescription"] as string),
            ...ofType("aws:cloudwatch/eventRule:EventRule").map((rule) => rule.inputs["description"] as string),
        ];
        expect(texts).toHaveLength(44);
        for (const text of texts) {
            const runbook = new RegExp(`Runbook: ${BASE}/([a-z0-9-]+\\.md)$`).exec(text)?.[1];
            expect(runbook, text).toBeDefined();
            expect(existsSync(path.join(__dirname, "..", "..", "runbooks", runbook!)), runbook).toBe(true);
        }
    });

    it("outputs the topics' ARNs", () => {
        expect(alertsRun().outputs).toEqual({
            topicArn: TOPIC,
            uptimeTopicArn: UPTIME_TOPIC,
            pagerTopicArn: PAGER,
            iamTopicArn: IAM_TOPIC,
            dashboardName: "hotelgenius-ops-prod-ops",
            drill: {
                source: "hotelgenius-ops-prod.alarm-drill",
                detailType: "Alarm drill",
                alarmNamePrefix: "hotelgenius-ops-prod-",
                regions: ["eu-west-1", "eu-central-1", "us-east-1"],
            },
        });
    });
});

describe("Alerts arguments", () => {
    it("refuses conflicting arguments before registering anything, listing every problem", () => {
        const providers = { replica: {}, usEast1: {} } as unknown as ReturnType<typeof createProviders>;
        const args = alertsArgs(settings, providers, []);
        expect(
            () =>
                new Alerts("bad", {
                    ...args,
                    replicaRegion: args.region,
                    storage: { ...args.storage, replicationRuleIds: [] },
                    errorLogGroups: { "App Server": "/x" },
                }),
        ).toThrow(
            [
                "Alerts arguments are invalid:",
                `  - replicaRegion is "eu-west-1", the primary region; allowed: the backup replica's own region`,
                "  - replicaProvider is not an aws.Provider; allowed: createProviders(settings).replica",
                "  - usEast1Provider is not an aws.Provider; allowed: createProviders(settings).usEast1",
                "  - alertEmails must list at least one email address: alerts that reach nobody are not alerts",
                "  - storage.replicationRuleIds is empty; allowed: the ids of the backup replication rules",
                "  - errorLogGroups labels App Server are invalid; allowed: 1-20 lowercase letters, digits and -, starting with a letter",
            ].join("\n"),
        );
    });
});
