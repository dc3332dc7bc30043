// The alarm drill against the AWS SDK's own mock (aws-sdk-client-mock): the exact calls it makes in
// each region, what it reports, and what it refuses to call a success. Nothing reaches AWS.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DrillClients, type DrillTarget, drillTarget, reportText, runDrill } from "./alarmDrill.js";
import { type Plan, readCommittedPlan } from "./offlinePlan/planFormat.js";

const ROOT = path.resolve(__dirname, "..");
const ACCOUNT = "000000000000";
const topic = (region: string, name: string) => `arn:aws:sns:${region}:${ACCOUNT}:hotelgenius-ops-prod-${name}`;
const TARGET: DrillTarget = {
    stack: "prod",
    source: "hotelgenius-ops-prod.alarm-drill",
    detailType: "Alarm drill",
    alarmNamePrefix: "hotelgenius-ops-prod-",
    primaryRegion: "eu-west-3",
    regions: ["eu-west-3", "eu-central-1", "us-east-1"],
};
const DRILL = { drillId: "drill-20261206T220000Z", requestedBy: "alice" };
const REASON = "ALARM DRILL drill-20261206T220000Z by alice: not an incident, a test of delivery (runbooks/alarm-drill.md).";

function alarm(name: string, actions: string[], enabled = true): MetricAlarm {
    return { AlarmName: `hotelgenius-ops-prod-${name}`, AlarmActions: actions, ActionsEnabled: enabled };
}

describe("drillTarget", () => {
    it.each(["prod", "staging"])("derives from Pulumi.%s.yaml what the stack's plan says the drill needs", (stack) => {
        const plan: Plan = readCommittedPlan(stack);
        const { stack: name, primaryRegion, ...rest } = drillTarget(stack, path.join(ROOT, `Pulumi.${stack}.yaml`));
        expect(name).toBe(stack);
        expect(primaryRegion).toBe("eu-west-3");
        expect(rest).toEqual(plan.outputs["alarmDrill"]);
    });

    it("covers the replica's region in prod and not in staging, which keeps no replica", () => {
        expect(drillTarget("prod", path.join(ROOT, "Pulumi.prod.yaml")).regions).toEqual(["eu-west-3", "eu-central-1", "us-east-1"]);
        expect(drillTarget("staging", path.join(ROOT, "Pulumi.staging.yaml")).regions).toEqual(["eu-west-3", "us-east-1"]);
    });
});

describe("runDrill", () => {
    const cloudWatch: Record<string, AwsClientStub<CloudWatchClient>> = {};
    const cloudWatchClients: Record<string, CloudWatchClient> = {};
    let eventBridge: AwsClientStub<EventBridgeClient>;
    let eventBridgeRegion: string[];
    let clients: DrillClients;

    beforeEach(() => {
        for (const region of TARGET.regions) {
            // Per region, a real client whose every call the mock answers (no credentials, no network).
            cloudWatchClients[region] = new CloudWatchClient({ region });
            cloudWatch[region] = mockClient(cloudWatchClients[region]);
            cloudWatch[region].on(SetAlarmStateCommand).resolves({});
        }
        const bus = new EventBridgeClient({ region: "eu-west-3" });
        eventBridge = mockClient(bus);
        eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "11111111-2222-3333-4444-555555555555" }] });
        eventBridgeRegion = [];
        clients = {
            cloudWatch: (region) => cloudWatchClients[region]!,
            eventBridge: (region) => {
                eventBridgeRegion.push(region);
                return bus;
            },
        };
        cloudWatch["eu-west-3"]!.on(DescribeAlarmsCommand, { NextToken: undefined })
            .resolves({
                MetricAlarms: [alarm("backup-missing", [topic("eu-west-3", "alerts"), topic("eu-west-3", "pager")])],
                NextToken: "page-2",
            })
            .on(DescribeAlarmsCommand, { NextToken: "page-2" })
            .resolves({ MetricAlarms: [alarm("backup-size-anomaly", [topic("eu-west-3", "alerts")])] });
        cloudWatch["eu-central-1"]!.on(DescribeAlarmsCommand).resolves({
            MetricAlarms: [alarm("replica-alerts-notifications-failed", [topic("eu-central-1", "pager")])],
        });
        cloudWatch["us-east-1"]!.on(DescribeAlarmsCommand).resolves({
            MetricAlarms: [alarm("site-down", [topic("us-east-1", "uptime"), topic("us-east-1", "pager")])],
        });
    });

    afterEach(() => {
        for (const stub of Object.values(cloudWatch)) stub.restore();
        eventBridge.restore();
    });

    it("sends one drill event through the drill rule's source in the primary region, saying who and which drill", async () => {
        await runDrill(TARGET, clients, DRILL);
        expect(eventBridgeRegion).toEqual(["eu-west-3"]);
        expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
            {
                Entries: [
                    {
                        Source: "hotelgenius-ops-prod.alarm-drill",
                        DetailType: "Alarm drill",
                        Detail: JSON.stringify({ drillId: DRILL.drillId, requestedBy: "alice", stack: "prod" }),
                    },
                ],
            },
        ]);
    });

    it("lists every alarm of the stack in every region, all pages, and sets each to ALARM with a reason saying it is a drill", async () => {
        const report = await runDrill(TARGET, clients, DRILL);
        expect(report.problems).toEqual([]);
        expect(report.eventId).toBe("11111111-2222-3333-4444-555555555555");
        expect(cloudWatch["eu-west-3"]!.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input)).toEqual([
            { AlarmNamePrefix: "hotelgenius-ops-prod-", AlarmTypes: ["MetricAlarm"], NextToken: undefined },
            { AlarmNamePrefix: "hotelgenius-ops-prod-", AlarmTypes: ["MetricAlarm"], NextToken: "page-2" },
        ]);
        const set = (region: string) => cloudWatch[region]!.commandCalls(SetAlarmStateCommand).map((call) => call.args[0].input);
        expect(set("eu-west-3")).toEqual([
            { AlarmName: "hotelgenius-ops-prod-backup-missing", StateValue: "ALARM", StateReason: REASON },
            { AlarmName: "hotelgenius-ops-prod-backup-size-anomaly", StateValue: "ALARM", StateReason: REASON },
        ]);
        expect(set("eu-central-1")).toEqual([
            { AlarmName: "hotelgenius-ops-prod-replica-alerts-notifications-failed", StateValue: "ALARM", StateReason: REASON },
        ]);
        expect(set("us-east-1")).toEqual([{ AlarmName: "hotelgenius-ops-prod-site-down", StateValue: "ALARM", StateReason: REASON }]);
    });

    it("reports what it triggered, and how many notifications each topic owes its subscribers", async () => {
        const text = reportText(TARGET, await runDrill(TARGET, clients, DRILL));
        expect(text).toBe(
            [
                "Alarm drill drill-20261206T220000Z on stack prod, by alice",
                "EventBridge: drill event 11111111-2222-3333-4444-555555555555 sent in eu-west-3 (source hotelgenius-ops-prod.alarm-drill): the alarm-drill " +
                    "rule sends it to both channels",
                "eu-west-3: 2 alarms set to ALARM",
                "  hotelgenius-ops-prod-backup-missing -> hotelgenius-ops-prod-alerts (eu-west-3), hotelgenius-ops-prod-pager (eu-west-3)",
                "  hotelgenius-ops-prod-backup-size-anomaly -> hotelgenius-ops-prod-alerts (eu-west-3)",
                "eu-central-1: 1 alarm set to ALARM",
                "  hotelgenius-ops-prod-replica-alerts-notifications-failed -> hotelgenius-ops-prod-pager (eu-central-1)",
                "us-east-1: 1 alarm set to ALARM",
                "  hotelgenius-ops-prod-site-down -> hotelgenius-ops-prod-uptime (us-east-1), hotelgenius-ops-prod-pager (us-east-1)",
                "Each topic's subscribers should now have (besides the drill rule's message on the primary region's two topics):",
                "  hotelgenius-ops-prod-alerts (eu-west-3): 2 ALARM notifications, then as many OK ones as alarms return to OK",
                "  hotelgenius-ops-prod-pager (eu-central-1): 1 ALARM notification, then as many OK ones as alarms return to OK",
                "  hotelgenius-ops-prod-pager (eu-west-3): 1 ALARM notification, then as many OK ones as alarms return to OK",
                "  hotelgenius-ops-prod-pager (us-east-1): 1 ALARM notification, then as many OK ones as alarms return to OK",
                "  hotelgenius-ops-prod-uptime (us-east-1): 1 ALARM notification, then as many OK ones as alarms return to OK",
                "",
            ].join("\n"),
        );
    });

    it("counts as problems a refused drill event, a region without alarms, an alarm that notifies nobody, and a refused state change; sets the rest", async () => {
        eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "AccessDeniedException", ErrorMessage: "not allowed" }] });
        cloudWatch["eu-central-1"]!.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
        cloudWatch["us-east-1"]!.on(DescribeAlarmsCommand).resolves({
            MetricAlarms: [alarm("site-down", [topic("us-east-1", "uptime")], false), alarm("tampering-roles-failed-invocations", [])],
        });
        cloudWatch["eu-west-3"]!.on(SetAlarmStateCommand, { AlarmName: "hotelgenius-ops-prod-backup-missing" }).rejects(
            Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }),
        );
        const report = await runDrill(TARGET, clients, DRILL);
        expect(report.eventId).toBeUndefined();
        expect(report.problems).toEqual([
            "EventBridge refused the drill event in eu-west-3: AccessDeniedException not allowed",
            "eu-west-3: cannot set hotelgenius-ops-prod-backup-missing to ALARM (ThrottlingException: Rate exceeded)",
            "eu-central-1: no alarm named hotelgenius-ops-prod-*: is the stack deployed there?",
            "us-east-1: hotelgenius-ops-prod-site-down has its actions disabled: its ALARM notifies nobody",
            "us-east-1: hotelgenius-ops-prod-tampering-roles-failed-invocations has no ALARM action: it notifies nobody",
        ]);
        expect(report.alarms.map(({ region, alarms }) => [region, alarms.map((drilled) => drilled.name)])).toEqual([
            ["eu-west-3", ["hotelgenius-ops-prod-backup-size-anomaly"]],
            ["eu-central-1", []],
            ["us-east-1", ["hotelgenius-ops-prod-site-down", "hotelgenius-ops-prod-tampering-roles-failed-invocations"]],
        ]);
        expect(reportText(TARGET, report)).toContain("EventBridge: the drill event was NOT accepted");
    });

    it("reports a drill event the SDK could not send at all", async () => {
        eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error("getaddrinfo ENOTFOUND events.eu-west-3.amazonaws.com"), { name: "Error" }));
        const report = await runDrill(TARGET, clients, DRILL);
        expect(report.problems).toEqual(["EventBridge refused the drill event in eu-west-3: Error getaddrinfo ENOTFOUND events.eu-west-3.amazonaws.com"]);
    });

    it("reports a region whose alarms it cannot list, and goes on with the others", async () => {
        cloudWatch["eu-central-1"]!.on(DescribeAlarmsCommand).rejects(Object.assign(new Error("User is not authorized"), { name: "AccessDenied" }));
        const report = await runDrill(TARGET, clients, DRILL);
        expect(report.problems).toEqual(["eu-central-1: cannot list the alarms (AccessDenied: User is not authorized)"]);
        expect(report.alarms.map(({ region }) => region)).toEqual(["eu-west-3", "us-east-1"]);
    });
});

describe("npm run alarm-drill", () => {
    it("refuses to run without a stack, naming the stacks, before any AWS call", () => {
        const result = spawnSync("npm", ["run", "--silent", "alarm-drill"], { cwd: ROOT, encoding: "utf8" });
        expect(result.status).toBe(2);
        expect(result.stderr).toContain("--stack is required (one of: prod, staging)");
    });
});
