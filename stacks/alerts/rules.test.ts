import { describe, expect, it } from "vitest";
import {
    dashboardBody,
    ecsInputTemplate,
    isReservedDomain,
    placeholderProblems,
    taskFailedPattern,
    taskFailedToStartPattern,
    topicKeyStatements,
    topicPolicy,
} from "./rules.js";
import { MAX_ALARM_DESCRIPTION, RUNBOOKS, runbookUrl, withRunbook } from "../shared/runbooks.js";

const BASE = "https://github.com/hotelgenius/hotelgenius-ops/blob/main/runbooks";
const CLUSTER = "arn:aws:ecs:eu-west-3:000000000000:cluster/hotelgenius-ops-prod";

describe("runbook links", () => {
    it("joins the base URL and the runbook, with or without a trailing slash", () => {
        expect(runbookUrl(BASE, RUNBOOKS.backupMissing)).toBe(`${BASE}/backup-missing.md`);
        expect(runbookUrl(`${BASE}/`, RUNBOOKS.backupMissing)).toBe(`${BASE}/backup-missing.md`);
    });

    it("appends the link to a description, and refuses one the limit would cut", () => {
        expect(withRunbook("No backup.", BASE, RUNBOOKS.backupMissing, MAX_ALARM_DESCRIPTION)).toBe(`No backup. Runbook: ${BASE}/backup-missing.md`);
        expect(() => withRunbook("x".repeat(1000), BASE, RUNBOOKS.backupMissing, MAX_ALARM_DESCRIPTION)).toThrow(
            /characters; allowed: at most 1024\. Shorten runbookBaseUrl/,
        );
    });
});

describe("placeholderProblems", () => {
    it.each(["hotelgenius.example", "ops.test", "example.com", "mail.example.org", "x.invalid", "localhost"])("treats %s as reserved", (host) => {
        expect(isReservedDomain(host)).toBe(true);
    });

    it.each(["hotelgenius.eu", "example.company.com", "myexample.com"])("treats %s as real", (host) => {
        expect(isReservedDomain(host)).toBe(false);
    });

    it("names every placeholder recipient and a placeholder health URL", () => {
        const pager = "https://oncall.hotelgenius.eu/sns";
        expect(
            placeholderProblems(["ops@hotelgenius.example", "oncall@hotelgenius.eu", "b@example.com"], "https://app.hotelgenius.example/health", pager),
        ).toEqual([
            "alertEmails: ops@hotelgenius.example, b@example.com are on a reserved example domain; alerts sent there reach nobody. Allowed: real addresses " +
                "(pulumi config set --path 'alertEmails[0]' oncall@your-domain)",
            "healthCheckUrl: https://app.hotelgenius.example/health is on a reserved example domain; the uptime check would watch nothing. Allowed: the " +
                "app's real https health URL",
        ]);
        expect(placeholderProblems(["oncall@hotelgenius.eu"], "https://app.hotelgenius.eu/health", pager)).toEqual([]);
    });

    it("names a placeholder second channel, by URL or address; an SMS number has no domain to judge", () => {
        const pagerProblem = (endpoint: string) =>
            `pagerEndpoint: ${endpoint} is on a reserved example domain; the second channel would page nobody. Allowed: the on-call service's real SNS ` +
            "integration URL, an SMS number or a real address";
        for (const endpoint of ["https://oncall.hotelgenius.example/sns", "pager@example.com"]) {
            expect(placeholderProblems(["oncall@hotelgenius.eu"], "https://app.hotelgenius.eu/health", endpoint)).toEqual([pagerProblem(endpoint)]);
        }
        expect(placeholderProblems(["oncall@hotelgenius.eu"], "https://app.hotelgenius.eu/health", "+33612345678")).toEqual([]);
    });
});

describe("ECS task failure patterns", () => {
    it("match stopped tasks of the family with a non-zero exit code", () => {
        expect(JSON.stringify(taskFailedPattern(CLUSTER, "hotelgenius-ops-prod-backup"))).toBe(
            JSON.stringify({
                source: ["aws.ecs"],
                "detail-type": ["ECS Task State Change"],
                detail: {
                    clusterArn: [CLUSTER],
                    group: ["family:hotelgenius-ops-prod-backup"],
                    lastStatus: ["STOPPED"],
                    containers: { exitCode: [{ "anything-but": 0 }] },
                },
            }),
        );
    });

    it("match tasks of the family that never started, which have no exit code", () => {
        expect(taskFailedToStartPattern(CLUSTER, "hotelgenius-ops-prod-backup")).toEqual({
            source: ["aws.ecs"],
            "detail-type": ["ECS Task State Change"],
            detail: { clusterArn: [CLUSTER], group: ["family:hotelgenius-ops-prod-backup"], lastStatus: ["STOPPED"], stopCode: ["TaskFailedToStart"] },
        });
    });

    it("render a quoted text template with the runbook link for SNS", () => {
        expect(JSON.parse(ecsInputTemplate("The backup task failed", `${BASE}/backup-failed.md`))).toBe(
            `The backup task failed at <time>: exit code <exitCode>, stop code <stopCode>, reason: <reason>. Task: <task>. Exit codes are listed in ` +
                `docs/backup-job.md. Runbook: ${BASE}/backup-failed.md`,
        );
    });
});

describe("topic policies", () => {
    const topic = "arn:aws:sns:eu-west-3:000000000000:hotelgenius-ops-prod-alerts";

    it("let only this account's EventBridge rules and CloudWatch alarms publish", () => {
        const statements = topicPolicy(topic, "000000000000").Statement;
        expect(statements.map((statement) => [statement.Principal, statement.Action, statement.Resource, statement.Condition])).toEqual([
            [{ Service: "events.amazonaws.com" }, "sns:Publish", topic, { StringEquals: { "aws:SourceAccount": "000000000000" } }],
            [{ Service: "cloudwatch.amazonaws.com" }, "sns:Publish", topic, { StringEquals: { "aws:SourceAccount": "000000000000" } }],
        ]);
    });

    it("let EventBridge use the key with the statement the SNS and EventBridge guides give, and CloudWatch alarms of this account only", () => {
        expect(topicKeyStatements("000000000000")).toEqual([
            {
                Sid: "EventBridgeEncryptsAlerts",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                Resource: "*",
            },
            {
                Sid: "CloudWatchEncryptsAlerts",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                Resource: "*",
                Condition: { StringEquals: { "aws:SourceAccount": "000000000000" } },
            },
        ]);
    });
});

describe("dashboardBody", () => {
    const input = { region: "eu-west-3", database: "hotelgenius", alarmArns: ["arn:a"], logGroups: [], healthCheckId: "hc-1", restoreTimeBudgetSeconds: 3600 };

    it("shows alarms, backup trends, drills, restore time, app errors and uptime (from us-east-1), and skips error logs without log groups", () => {
        const widgets = dashboardBody(input)["widgets"] as { type: string; properties: Record<string, unknown> }[];
        expect(widgets.map((widget) => widget.properties["title"])).toEqual([
            "Alarms",
            "Backups per day (successful)",
            "Backup size (bytes, compressed)",
            "Backup duration (s)",
            "Restore drills (1 = passed, 0 = failed)",
            "Restore drill duration (s) against the restore-time budget",
            "App error lines per 5 minutes (Railway forwarder)",
            "Uptime (1 = healthy)",
        ]);
        expect(widgets[7]!.properties["region"]).toBe("us-east-1");
        expect(widgets[2]!.properties["metrics"]).toEqual([
            ["HotelGenius/Backup", "BackupBytes", "Database", "hotelgenius", { stat: "Maximum", period: 86400 }],
        ]);
    });

    it("adds the last successful backups and the error-log rate when their log groups are known", () => {
        const widgets = dashboardBody({ ...input, logGroups: ["/app/server"], jobLogGroup: "/ecs/backup" })["widgets"] as {
            properties: Record<string, unknown>;
        }[];
        expect(widgets[1]!.properties["query"]).toBe(
            `SOURCE '/ecs/backup' | filter message = "backup complete" | fields @timestamp, context.id, context.bytes | sort @timestamp desc | limit 5`,
        );
        expect(widgets.find((widget) => widget.properties["title"] === "Error log lines per 5 minutes")!.properties["metrics"]).toEqual([
            ["HotelGenius/Logs", "ErrorLogLines", { stat: "Sum", period: 300 }],
        ]);
    });

    it("draws the restore drill's duration trend against the budget and the warning line, and the app's error counts", () => {
        const widgets = dashboardBody(input)["widgets"] as { properties: Record<string, unknown> }[];
        const restore = widgets.find((widget) => widget.properties["title"] === "Restore drill duration (s) against the restore-time budget")!.properties;
        expect(restore["metrics"]).toEqual([["HotelGenius/Backup", "VerifyDuration", "Database", "hotelgenius", { stat: "Maximum", period: 86400 }]]);
        expect(restore["annotations"]).toEqual({
            horizontal: [
                { label: "budget", value: 3600 },
                { label: "warning", value: 2880 },
            ],
        });
        expect(widgets.find((widget) => widget.properties["title"] === "App error lines per 5 minutes (Railway forwarder)")!.properties["metrics"]).toEqual([
            ["HotelGenius/Logs", "AppErrorLines", { stat: "Sum", period: 300 }],
            ["HotelGenius/Logs", "DatabaseTimeoutLines", { stat: "Sum", period: 300 }],
        ]);
    });
});
