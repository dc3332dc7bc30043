// The Alerts component under the mock runtime, as a preview: exact inputs of every alarm, rule,
// topic and the health check, their regions, and the placeholder warning. `pulumi up` refusing
// placeholders is in up.test.ts (one runtime per file).
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MOCK_ACCOUNT, onlyResourceNamed, runOffline, type OfflineRun, type RecordedResource } from "../../scripts/offlinePlan/mockRuntime.js";
import { alertsArgs, prodSettings } from "../../test/fixtures.js";
import { ALERTS_TYPE, Alerts } from "./component.js";
import { bucketTamperingPattern, keyTamperingPattern, roleTamperingPattern, watcherTamperingPattern } from "./tampering.js";
import { createProviders } from "../shared/providers.js";
import { roleName } from "../shared/account.js";

const settings = prodSettings();
const BASE = settings.alerts.runbookBaseUrl;
const TOPIC = `arn:aws:sns:eu-west-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-alerts`;
const REPLICA_TOPIC = `arn:aws:sns:eu-central-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-alerts`;
const UPTIME_TOPIC = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-uptime`;
const IAM_TOPIC = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-iam`;
const PAGER = `arn:aws:sns:eu-west-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-pager`;
const REPLICA_PAGER = `arn:aws:sns:eu-central-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-pager`;
const US_EAST_1_PAGER = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-pager`;
/** A count that must stay 0: any occurrence in 5 minutes fires. */
const ANY_IN_5_MINUTES = {
    statistic: "Sum",
    period: 300,
    evaluationPeriods: 1,
    comparisonOperator: "GreaterThanThreshold",
    threshold: 0,
    treatMissingData: "notBreaching",
};
// The prod stack is deployed by prod's deploy role (the account program names it).
const DEPLOY_ROLE = `arn:aws:iam::${MOCK_ACCOUNT}:role/hotelgenius-account-ci-deploy-prod`;
const CLUSTER = `arn:aws:ecs:eu-west-1:${MOCK_ACCOUNT}:cluster/hotelgenius-ops-prod-backups`;
const KEY = `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT}:key/backups-key`;
const REPLICA_KEY = `arn:aws:kms:eu-central-1:${MOCK_ACCOUNT}:key/backups-replica-key`;

let run: OfflineRun;
const warn = vi.spyOn(pulumi.log, "warn");

beforeAll(async () => {
    run = await runOffline({
        stack: "prod",
        config: { "aws:region": settings.region },
        load: async () => {
            const providers = createProviders(settings);
            const alerts = new Alerts("alerts", alertsArgs(settings, providers, ["oncall@hotelgenius.eu", "ops@hotelgenius.example"]), {
                provider: providers.primary,
            });
            return {
                topicArn: alerts.topicArn,
                uptimeTopicArn: alerts.uptimeTopicArn,
                pagerTopicArn: alerts.pagerTopicArn,
                iamTopicArn: alerts.iamTopicArn,
                dashboardName: alerts.dashboardName,
                drill: alerts.drill,
            };
        },
    });
});
afterAll(() => warn.mockRestore());

const named = (name: string): RecordedResource => onlyResourceNamed(run, name);
const ofType = (type: string) => run.resources.filter((resource) => resource.type === type);
const providerOf = (resource: RecordedResource) => resource.provider?.split("::")[3];

/** What every alarm shares: its name, its actions on its topics, its runbook link at the end of its description. */
function expectAlarm(id: string, runbook: string, topics: string[], exact: Record<string, unknown>): void {
    const { alarmDescription, ...inputs } = named(`alerts-${id}`).inputs;
    expect(inputs).toEqual({ name: `hotelgenius-ops-prod-${id}`, alarmActions: topics, okActions: topics, ...exact });
    expect(alarmDescription).toMatch(new RegExp(` Runbook: ${BASE}/${runbook}\\.md$`));
    expect((alarmDescription as string).length).toBeLessThanOrEqual(1024);
}

describe("Alerts (prod settings, backup job and log groups wired)", () => {
    it("registers one component with exactly these resources under it", () => {
        const counts: Record<string, number> = {};
        for (const resource of run.resources) counts[resource.type] = (counts[resource.type] ?? 0) + 1;
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
        const children = run.resources.filter((resource) => resource.custom && resource.type !== "pulumi:providers:aws");
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

    it("backup missing: hourly sums of BackupSuccess, all of the last 25 hours below 1, missing data breaching", () => {
        expectAlarm("backup-missing", "backup-missing", [TOPIC, PAGER], {
            namespace: "HotelGenius/Backup",
            metricName: "BackupSuccess",
            dimensions: { Database: "hotelgenius" },
            statistic: "Sum",
            period: 3600,
            evaluationPeriods: 25,
            datapointsToAlarm: 25,
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
            treatMissingData: "breaching",
        });
    });

    it("backup size anomaly: the daily BackupBytes under its 2-deviation anomaly band", () => {
        expectAlarm("backup-size-anomaly", "backup-size-anomaly", [TOPIC], {
            comparisonOperator: "LessThanLowerThreshold",
            evaluationPeriods: 1,
            thresholdMetricId: "band",
            treatMissingData: "notBreaching",
            metricQueries: [
                {
                    id: "size",
                    returnData: true,
                    metric: {
                        namespace: "HotelGenius/Backup",
                        metricName: "BackupBytes",
                        dimensions: { Database: "hotelgenius" },
                        stat: "Maximum",
                        period: 86400,
                    },
                },
                { id: "band", returnData: true, expression: "ANOMALY_DETECTION_BAND(size, 2)", label: "expected size" },
            ],
        });
    });

    it("restore drill failed (a 0 within the hour) and missing (no pass in 7 days, missing data breaching)", () => {
        const verify = {
            namespace: "HotelGenius/Backup",
            metricName: "VerifySuccess",
            dimensions: { Database: "hotelgenius" },
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
        };
        expectAlarm("restore-drill-failed", "restore-drill-failed", [TOPIC], {
            ...verify,
            statistic: "Minimum",
            period: 3600,
            evaluationPeriods: 1,
            treatMissingData: "notBreaching",
        });
        expectAlarm("restore-drill-missing", "restore-drill-missing", [TOPIC], {
            ...verify,
            statistic: "Sum",
            period: 86400,
            evaluationPeriods: 7,
            datapointsToAlarm: 7,
            treatMissingData: "breaching",
        });
    });

    it("replication: any failed operation, and latency above 60 minutes for 15 minutes, missing data ignored", () => {
        const dimensions = {
            SourceBucket: "hotelgenius-ops-prod-backups",
            DestinationBucket: "hotelgenius-ops-prod-backups-replica-eu-central-1",
            RuleId: "dumps-off-site",
        };
        expectAlarm("replication-failed-dumps-off-site", "replication-failed", [TOPIC], {
            namespace: "AWS/S3",
            metricName: "OperationsFailedReplication",
            dimensions,
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanThreshold",
            threshold: 0,
            treatMissingData: "ignore",
        });
        expectAlarm("replication-latency-dumps-off-site", "replication-latency", [TOPIC], {
            namespace: "AWS/S3",
            metricName: "ReplicationLatency",
            dimensions,
            statistic: "Maximum",
            period: 300,
            evaluationPeriods: 3,
            comparisonOperator: "GreaterThanThreshold",
            threshold: 3600,
            treatMissingData: "ignore",
        });
    });

    it("error-log rate: 10 error lines in 5 minutes across the drained log groups, on the log-drains area's dimensionless metric", () => {
        expectAlarm("error-log-rate", "error-log-rate", [TOPIC, PAGER], {
            namespace: "HotelGenius/Logs",
            metricName: "ErrorLogLines",
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 10,
            treatMissingData: "notBreaching",
        });
    });

    it("scheduler dead letters: any message sent to the queue in 5 minutes (not messages visible, which stay for 14 days), paging both channels", () => {
        expectAlarm("scheduler-dead-letters", "scheduler-dead-letters", [TOPIC, PAGER], {
            namespace: "AWS/SQS",
            metricName: "NumberOfMessagesSent",
            dimensions: { QueueName: "hotelgenius-ops-prod-scheduler-dlq" },
            ...ANY_IN_5_MINUTES,
        });
    });

    it("site down: the HTTPS string-match health check from 3 regions, its alarm and topic in us-east-1", () => {
        const check = named("alerts-health-check");
        expect(check.inputs).toEqual({
            type: "HTTPS_STR_MATCH",
            fqdn: "app.hotelgenius.eu",
            port: 443,
            resourcePath: "/health",
            searchString: "ok",
            enableSni: true,
            requestInterval: 30,
            failureThreshold: 3,
            regions: ["eu-west-1", "us-east-1", "us-west-2"],
            tags: { Name: "hotelgenius-ops-prod-uptime" },
        });
        expectAlarm("site-down", "site-down", [UPTIME_TOPIC, US_EAST_1_PAGER], {
            namespace: "AWS/Route53",
            metricName: "HealthCheckStatus",
            dimensions: { HealthCheckId: "alerts-health-check-id" },
            statistic: "Minimum",
            period: 60,
            evaluationPeriods: 1,
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
            treatMissingData: "breaching",
        });
        expect(providerOf(named("alerts-site-down"))).toBe("aws-us-east-1");
        expect(providerOf(check)).toBe("aws-us-east-1");
        // Nothing else lives in us-east-1 but the IAM rule, the channels and their watchers.
        const inUsEast1 = run.resources.filter((resource) => providerOf(resource) === "aws-us-east-1").map((resource) => resource.name);
        expect(inUsEast1.filter((name) => !/^alerts-(uptime-topic|us-east-1-pager-topic|iam-topic|tampering-roles|us-east-1-)/.test(name))).toEqual([
            "alerts-health-check",
            "alerts-site-down",
        ]);
    });

    it("sends failed and never-started backup and drill tasks to the topic, with patterns on the family's group", () => {
        for (const [id, family] of [
            ["backup", "hotelgenius-ops-prod-backup"],
            ["restore-drill", "hotelgenius-ops-prod-restore-drill"],
        ]) {
            const failed = named(`alerts-${id}-task-failed`);
            expect(JSON.parse(failed.inputs["eventPattern"] as string)).toEqual({
                source: ["aws.ecs"],
                "detail-type": ["ECS Task State Change"],
                detail: { clusterArn: [CLUSTER], group: [`family:${family}`], lastStatus: ["STOPPED"], containers: { exitCode: [{ "anything-but": 0 }] } },
            });
            const neverStarted = named(`alerts-${id}-task-failed-to-start`);
            expect(JSON.parse(neverStarted.inputs["eventPattern"] as string)).toEqual({
                source: ["aws.ecs"],
                "detail-type": ["ECS Task State Change"],
                detail: { clusterArn: [CLUSTER], group: [`family:${family}`], lastStatus: ["STOPPED"], stopCode: ["TaskFailedToStart"] },
            });
            const runbook = id === "backup" ? "backup-failed" : "restore-drill-failed";
            for (const rule of [failed, neverStarted]) {
                expect(rule.inputs["state"]).toBe("ENABLED");
                expect(rule.inputs["description"]).toMatch(new RegExp(` Runbook: ${BASE}/${runbook}\\.md$`));
                const target = named(`${rule.name}-target`);
                expect(target.inputs["rule"]).toBe(rule.inputs["name"]);
                expect(target.inputs["arn"]).toBe(TOPIC);
                // A failed backup pages; a failed drill waits for the next business day.
                if (id === "backup") expect(named(`${rule.name}-pager-target`).inputs).toEqual({ ...target.inputs, arn: PAGER });
                else expect(run.resources.some((resource) => resource.name === `${rule.name}-pager-target`)).toBe(false);
                const transformer = target.inputs["inputTransformer"] as { inputPaths: Record<string, string>; inputTemplate: string };
                expect(transformer.inputPaths).toEqual({
                    time: "$.time",
                    task: "$.detail.taskArn",
                    stopCode: "$.detail.stopCode",
                    reason: "$.detail.stoppedReason",
                    exitCode: "$.detail.containers[0].exitCode",
                });
                expect(JSON.parse(transformer.inputTemplate)).toContain(`Runbook: ${BASE}/${runbook}.md`);
            }
        }
    });

    it("watches tampering with the keys (backup and alerts), buckets and alerting in both regions that hold them, each region to its own channels", () => {
        for (const [prefix, provider, region, topic, pager, key, bucket, topicKeys] of [
            ["alerts-tampering", "aws-primary", "eu-west-1", TOPIC, PAGER, KEY, "hotelgenius-ops-prod-backups", ["alerts-topic-key", "alerts-pager-topic-key"]],
            [
                "alerts-replica-tampering",
                "aws-replica",
                "eu-central-1",
                REPLICA_TOPIC,
                REPLICA_PAGER,
                REPLICA_KEY,
                "hotelgenius-ops-prod-backups-replica-eu-central-1",
                ["alerts-replica-topic-key", "alerts-replica-pager-topic-key"],
            ],
        ] as const) {
            const keys = named(`${prefix}-keys`);
            const buckets = named(`${prefix}-buckets`);
            const alerting = named(`${prefix}-alerting`);
            const watchedKeys = [key, ...topicKeys.map((id) => `arn:aws:kms:${region}:${MOCK_ACCOUNT}:key/${id}`)];
            expect(JSON.parse(keys.inputs["eventPattern"] as string)).toEqual(keyTamperingPattern(watchedKeys, DEPLOY_ROLE));
            expect(JSON.parse(buckets.inputs["eventPattern"] as string)).toEqual(bucketTamperingPattern([bucket], DEPLOY_ROLE));
            expect(JSON.parse(alerting.inputs["eventPattern"] as string)).toEqual(
                watcherTamperingPattern(
                    { namePrefix: "hotelgenius-ops-prod-", topicArnPrefix: `arn:aws:sns:${region}:${MOCK_ACCOUNT}:hotelgenius-ops-prod-` },
                    DEPLOY_ROLE,
                ),
            );
            for (const rule of [keys, buckets, alerting]) {
                expect(providerOf(rule)).toBe(provider);
                const runbook = rule === alerting ? "alert-tampering" : "backup-tampering";
                expect(rule.inputs["description"]).toMatch(new RegExp(` Runbook: ${BASE}/${runbook}\\.md$`));
                expect(named(`${rule.name}-target`).inputs["arn"]).toBe(topic);
                expect(named(`${rule.name}-pager-target`).inputs["arn"]).toBe(pager);
                expect(providerOf(named(`${rule.name}-target`))).toBe(provider);
            }
        }
    });

    it("watches IAM changes to the job's, the replication, the break-glass and the deploy roles in us-east-1, to the IAM topic and the pager", () => {
        const rule = named("alerts-tampering-roles");
        expect(providerOf(rule)).toBe("aws-us-east-1");
        const roles = ["backup-execution", "backup-task", "drill-execution", "drill-task", "backup-scheduler", "backup-replication"].map(
            (role) => `hotelgenius-ops-prod-${role}`,
        );
        expect(JSON.parse(rule.inputs["eventPattern"] as string)).toEqual(
            roleTamperingPattern(
                [...roles, roleName(settings.storage.breakGlassRoleArn), "hotelgenius-account-ci-deploy-staging", "hotelgenius-account-ci-deploy-prod"],
                DEPLOY_ROLE,
            ),
        );
        expect(rule.inputs["description"]).toMatch(new RegExp(` Runbook: ${BASE}/role-tampering\\.md$`));
        expect(named("alerts-tampering-roles-target").inputs["arn"]).toBe(IAM_TOPIC);
        expect(named("alerts-tampering-roles-pager-target").inputs["arn"]).toBe(US_EAST_1_PAGER);
    });

    it("alarms on every rule's failed invocations, in the rule's region, to both of its region's channels", () => {
        const rules = ofType("aws:cloudwatch/eventRule:EventRule");
        expect(rules).toHaveLength(12);
        for (const rule of rules) {
            const id = (rule.inputs["name"] as string).replace("hotelgenius-ops-prod-", "");
            const [alerts, pager] = {
                "aws-primary": [TOPIC, PAGER],
                "aws-replica": [REPLICA_TOPIC, REPLICA_PAGER],
                "aws-us-east-1": [IAM_TOPIC, US_EAST_1_PAGER],
            }[providerOf(rule)!]!;
            expectAlarm(`${id}-failed-invocations`, "alert-delivery-failed", [alerts!, pager!], {
                namespace: "AWS/Events",
                metricName: "FailedInvocations",
                dimensions: { RuleName: rule.inputs["name"] },
                ...ANY_IN_5_MINUTES,
            });
            expect(providerOf(named(`alerts-${id}-failed-invocations`))).toBe(providerOf(rule));
        }
    });

    it("alarms on every topic's failed notifications, to the other channel of its region", () => {
        for (const [id, topicName, other, provider] of [
            ["alerts-notifications-failed", "hotelgenius-ops-prod-alerts", PAGER, "aws-primary"],
            ["pager-notifications-failed", "hotelgenius-ops-prod-pager", TOPIC, "aws-primary"],
            ["replica-alerts-notifications-failed", "hotelgenius-ops-prod-alerts", REPLICA_PAGER, "aws-replica"],
            ["replica-pager-notifications-failed", "hotelgenius-ops-prod-pager", REPLICA_TOPIC, "aws-replica"],
            ["us-east-1-uptime-notifications-failed", "hotelgenius-ops-prod-uptime", US_EAST_1_PAGER, "aws-us-east-1"],
            ["us-east-1-pager-notifications-failed", "hotelgenius-ops-prod-pager", UPTIME_TOPIC, "aws-us-east-1"],
            ["us-east-1-iam-notifications-failed", "hotelgenius-ops-prod-iam", US_EAST_1_PAGER, "aws-us-east-1"],
        ] as const) {
            expectAlarm(id, "alert-delivery-failed", [other], {
                namespace: "AWS/SNS",
                metricName: "NumberOfNotificationsFailed",
                dimensions: { TopicName: topicName },
                ...ANY_IN_5_MINUTES,
            });
            expect(providerOf(named(`alerts-${id}`))).toBe(provider);
        }
    });

    it("restore time: the drill's VerifyDuration above 80% of the 60-minute budget warns, above it alarms; each verdict holds until the next drill", () => {
        const duration = {
            namespace: "HotelGenius/Backup",
            metricName: "VerifyDuration",
            dimensions: { Database: "hotelgenius" },
            statistic: "Maximum",
            period: 3600,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "ignore",
        };
        expectAlarm("restore-time-warning", "restore-time-budget", [TOPIC], { ...duration, threshold: 2880 });
        expectAlarm("restore-time-exceeded", "restore-time-budget", [TOPIC], { ...duration, threshold: 3600 });
    });

    it("app errors: the forwarder's AppErrorLines at 10 in 5 minutes, and its DatabaseTimeoutLines at 3, both paging", () => {
        const lines = {
            namespace: "HotelGenius/Logs",
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
        };
        expectAlarm("app-error-rate", "app-error-rate", [TOPIC, PAGER], { ...lines, metricName: "AppErrorLines", threshold: 10 });
        expectAlarm("database-connection-timeout", "database-connection-timeout", [TOPIC, PAGER], {
            ...lines,
            metricName: "DatabaseTimeoutLines",
            threshold: 3,
        });
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
        expect(run.outputs).toEqual({
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
