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
import { createProviders } from "../shared/providers.js";

const settings = prodSettings();
const BASE = settings.alerts.runbookBaseUrl;
const TOPIC = `arn:aws:sns:eu-west-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-alerts`;
const REPLICA_TOPIC = `arn:aws:sns:eu-central-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-alerts`;
const UPTIME_TOPIC = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-uptime`;
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
            return { topicArn: alerts.topicArn, uptimeTopicArn: alerts.uptimeTopicArn, dashboardName: alerts.dashboardName };
        },
    });
});
afterAll(() => warn.mockRestore());

const named = (name: string): RecordedResource => onlyResourceNamed(run, name);
const ofType = (type: string) => run.resources.filter((resource) => resource.type === type);
const providerOf = (resource: RecordedResource) => resource.provider?.split("::")[3];

/** What every alarm shares: its name, its actions on its topic, its runbook link at the end of its description. */
function expectAlarm(id: string, runbook: string, topic: string, exact: Record<string, unknown>): void {
    const { alarmDescription, ...inputs } = named(`alerts-${id}`).inputs;
    expect(inputs).toEqual({ name: `hotelgenius-ops-prod-${id}`, alarmActions: [topic], okActions: [topic], ...exact });
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
            "aws:kms/key:Key": 3,
            "aws:sns/topic:Topic": 3,
            "aws:sns/topicPolicy:TopicPolicy": 3,
            "aws:sns/topicSubscription:TopicSubscription": 6,
            "aws:cloudwatch/metricAlarm:MetricAlarm": 9,
            "aws:cloudwatch/eventRule:EventRule": 8,
            "aws:cloudwatch/eventTarget:EventTarget": 8,
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

    it("subscribes every recipient by email to every topic", () => {
        const subscriptions = ofType("aws:sns/topicSubscription:TopicSubscription").map((s) => [s.inputs["topic"], s.inputs["protocol"], s.inputs["endpoint"]]);
        const emails = ["oncall@hotelgenius.eu", "ops@hotelgenius.example"];
        expect(subscriptions.sort()).toEqual([TOPIC, REPLICA_TOPIC, UPTIME_TOPIC].flatMap((topic) => emails.map((email) => [topic, "email", email])).sort());
    });

    it("backup missing: hourly sums of BackupSuccess, all of the last 25 hours below 1, missing data breaching", () => {
        expectAlarm("backup-missing", "backup-missing", TOPIC, {
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
        expectAlarm("backup-size-anomaly", "backup-size-anomaly", TOPIC, {
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
        expectAlarm("restore-drill-failed", "restore-drill-failed", TOPIC, {
            ...verify,
            statistic: "Minimum",
            period: 3600,
            evaluationPeriods: 1,
            treatMissingData: "notBreaching",
        });
        expectAlarm("restore-drill-missing", "restore-drill-missing", TOPIC, {
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
        expectAlarm("replication-failed-dumps-off-site", "replication-failed", TOPIC, {
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
        expectAlarm("replication-latency-dumps-off-site", "replication-latency", TOPIC, {
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
        expectAlarm("error-log-rate", "error-log-rate", TOPIC, {
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

    it("scheduler dead letters: any message visible in the queue", () => {
        expectAlarm("scheduler-dead-letters", "scheduler-dead-letters", TOPIC, {
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: "hotelgenius-ops-prod-scheduler-dlq" },
            statistic: "Maximum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanThreshold",
            threshold: 0,
            treatMissingData: "notBreaching",
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
        expectAlarm("site-down", "site-down", UPTIME_TOPIC, {
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
        // Everything else stays out of us-east-1.
        const inUsEast1 = run.resources.filter((resource) => providerOf(resource) === "aws-us-east-1").map((resource) => resource.name);
        expect(inUsEast1).toHaveLength(7);
        expect(inUsEast1.every((name) => name === "alerts-health-check" || name === "alerts-site-down" || name.startsWith("alerts-uptime-topic"))).toBe(true);
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

    it("watches tampering with the keys and buckets in both regions that hold them, each region to its own topic", () => {
        for (const [prefix, provider, topic, key, bucket] of [
            ["alerts-tampering", "aws-primary", TOPIC, KEY, "hotelgenius-ops-prod-backups"],
            ["alerts-replica-tampering", "aws-replica", REPLICA_TOPIC, REPLICA_KEY, "hotelgenius-ops-prod-backups-replica-eu-central-1"],
        ] as const) {
            const keys = named(`${prefix}-keys`);
            const buckets = named(`${prefix}-buckets`);
            expect(JSON.parse(keys.inputs["eventPattern"] as string)["detail"]).toEqual({
                eventSource: ["kms.amazonaws.com"],
                eventName: ["ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy"],
                resources: { ARN: [key] },
            });
            expect(JSON.parse(buckets.inputs["eventPattern"] as string)["detail"]["requestParameters"]).toEqual({ bucketName: [bucket] });
            for (const rule of [keys, buckets]) {
                expect(providerOf(rule)).toBe(provider);
                expect(rule.inputs["description"]).toMatch(new RegExp(` Runbook: ${BASE}/backup-tampering\\.md$`));
                expect(named(`${rule.name}-target`).inputs["arn"]).toBe(topic);
                expect(providerOf(named(`${rule.name}-target`))).toBe(provider);
            }
        }
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
        expect(texts).toHaveLength(17);
        for (const text of texts) {
            const runbook = new RegExp(`Runbook: ${BASE}/([a-z0-9-]+\\.md)$`).exec(text)?.[1];
            expect(runbook, text).toBeDefined();
            expect(existsSync(path.join(__dirname, "..", "..", "runbooks", runbook!)), runbook).toBe(true);
        }
    });

    it("outputs the topics' ARNs", () => {
        expect(run.outputs).toEqual({ topicArn: TOPIC, uptimeTopicArn: UPTIME_TOPIC, dashboardName: "hotelgenius-ops-prod-ops" });
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
