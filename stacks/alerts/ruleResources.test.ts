// The Alerts component's EventBridge rules and delivery watchers under the mock runtime: task failures,
// tampering, IAM changes, failed invocations and notifications.
import { describe, expect, it } from "vitest";
import { MOCK_ACCOUNT } from "../../scripts/offlinePlan/mockRuntime.js";
import {
    alertsRun,
    ANY_IN_5_MINUTES,
    BASE,
    CLUSTER,
    DEPLOY_ROLE,
    expectAlarm,
    IAM_TOPIC,
    KEY,
    named,
    ofType,
    PAGER,
    providerOf,
    registerAlertsRun,
    REPLICA_KEY,
    REPLICA_PAGER,
    REPLICA_TOPIC,
    settings,
    TOPIC,
    UPTIME_TOPIC,
    US_EAST_1_PAGER,
} from "../../test/alertsRun.js";
import { bucketTamperingPattern, keyTamperingPattern, roleTamperingPattern, watcherTamperingPattern } from "./tampering.js";
import { roleName } from "../shared/account.js";

registerAlertsRun();

describe("Alerts (prod settings, backup job and log groups wired)", () => {
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
                else expect(alertsRun().resources.some((resource) => resource.name === `${rule.name}-pager-target`)).toBe(false);
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
});
