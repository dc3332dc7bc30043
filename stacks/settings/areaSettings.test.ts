// The settings of the backup job, the monitoring and the alerts, and how they relate.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { outputValue } from "../../scripts/offlinePlan/mockRuntime.js";
import { DIRECT_URL, SCRATCH_URL } from "../../test/fixtures.js";
import { DB_KEY, expectOnlyProblem, key, parse, PASSWORD, problemsOf, SCRATCH_KEY } from "../../test/settingsParsing.js";
import { OFFLINE_SECRET } from "./spec.js";

describe("parseSettings: the backup job's settings", () => {
    it("derives the Sentry monitor's crontab from the one schedule setting and wraps the new secrets", async () => {
        const settings = parse({ [key("backupSentryDsn")]: "https://0123abcd@o0.ingest.de.sentry.io/42" }, [DB_KEY, SCRATCH_KEY, key("backupSentryDsn")]);
        expect(settings.job.schedule.crontab).toBe("0 2 * * *");
        expect(settings.job.drillSchedule).toBe("cron(0 5 ? * MON *)");
        expect(await pulumi.isSecret(settings.job.scratchDatabaseUrl!)).toBe(true);
        expect(await outputValue(settings.job.scratchDatabaseUrl!)).toBe(SCRATCH_URL);
        expect(await pulumi.isSecret(settings.job.sentryDsn!)).toBe(true);
        expect(parse().job.sentryDsn).toBeUndefined();
        expect(parse().job.network).toBeUndefined();
    });

    it("cpu/memory pair Fargate does not accept", () => {
        expectOnlyProblem({ [key("jobMemory")]: "1024" }, key("jobMemory"), "1024", /with cpu 1024; allowed: 2048-8192 in steps of 1024 MiB/);
    });

    it("cpu that is not a Fargate size", () => {
        expectOnlyProblem({ [key("jobCpu")]: "1000" }, key("jobCpu"), "1000", /Fargate cpu size: 256, 512, 1024, 2048, 4096, 8192, 16384/);
    });

    it("log retention CloudWatch does not offer", () => {
        expectOnlyProblem({ [key("jobLogRetentionDays")]: "10" }, key("jobLogRetentionDays"), "10", /CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30/);
    });

    it("schedule in the hour Paris skips in spring", () => {
        const value = "cron(30 2 * * ? *)";
        const problem = expectOnlyProblem(
            { [key("backupSchedule")]: value, [key("backupScheduleTimezone")]: "Europe/Paris" },
            key("backupSchedule"),
            value,
            /02:30 Europe\/Paris/,
        );
        expect(problem.allowed).toMatch(/clocks skip 02:00-03:00.*EventBridge Scheduler would skip that run/);
    });

    it("drill in the hour Paris repeats in autumn", () => {
        const value = "cron(15 2 ? * SUN *)";
        const problem = expectOnlyProblem(
            { [key("restoreDrillSchedule")]: value, [key("backupSchedule")]: "cron(0 4 * * ? *)", [key("backupScheduleTimezone")]: "Europe/Paris" },
            key("restoreDrillSchedule"),
            value,
            /happens twice|does not exist/,
        );
        expect(problem.allowed).toMatch(/02:15 Europe\/Paris/);
    });

    it("backup schedule with no crontab equivalent for the Sentry monitor", () => {
        expectOnlyProblem({ [key("backupSchedule")]: "rate(1 day)" }, key("backupSchedule"), "rate(1 day)", /no 5-field crontab equivalent/);
        expectOnlyProblem({ [key("backupSchedule")]: "cron(0 3 L * ? *)" }, key("backupSchedule"), "cron(0 3 L * ? *)", /L, W and # have no standard crontab/);
    });

    it("scratch database on the production server, compared when both URLs are readable, never echoed", () => {
        const sameServer = SCRATCH_URL.replace("ep-misty-lake-000000", "ep-quiet-sky-000000");
        const problem = expectOnlyProblem({ [SCRATCH_KEY]: sameServer }, SCRATCH_KEY, OFFLINE_SECRET, /another server than databaseUrl/);
        expect(JSON.stringify(problem)).not.toContain(PASSWORD);
        expect(() => parse({ [SCRATCH_KEY]: DIRECT_URL })).toThrow(/scratchDatabaseUrl: \[secret\]; must point at another server/);
    });

    it("the offline plan's placeholders cannot be compared and pass", () => {
        expect(() => parse({ [SCRATCH_KEY]: OFFLINE_SECRET, [DB_KEY]: OFFLINE_SECRET })).not.toThrow();
    });

    it("VPC without subnets", () => {
        expectOnlyProblem({ [key("jobVpcId")]: "vpc-0123456789abcdef0" }, key("jobVpcId"), "vpc-0123456789abcdef0", /jobVpcId and jobSubnetIds together/);
    });

    it("subnets that are not subnet ids", () => {
        const value = JSON.stringify(["subnet-0123456789abcdef0", "sn-1"]);
        // The VPC then stands alone as well: a refused optional setting looks unset to the relation check.
        const error = problemsOf({ [key("jobVpcId")]: "vpc-0123456789abcdef0", [key("jobSubnetIds")]: value });
        expect(error.problems.map((problem) => problem.key)).toEqual([key("jobSubnetIds"), key("jobVpcId")]);
        expect(error.problems[0]).toMatchObject({ value, allowed: expect.stringMatching(/"sn-1" is not a subnet id/) });
    });

    it("no public IP in the default VPC", () => {
        expectOnlyProblem({ [key("jobAssignPublicIp")]: "false" }, key("jobAssignPublicIp"), "false", /must be true in the default VPC: .*no NAT gateway/);
        const own = parse({
            [key("jobAssignPublicIp")]: "false",
            [key("jobVpcId")]: "vpc-0123456789abcdef0",
            [key("jobSubnetIds")]: JSON.stringify(["subnet-0123456789abcdef0"]),
        });
        expect(own.job).toMatchObject({ assignPublicIp: false, network: { vpcId: "vpc-0123456789abcdef0", subnetIds: ["subnet-0123456789abcdef0"] } });
    });

    it("image not pinned by digest", () => {
        const value = "000000000000.dkr.ecr.eu-west-3.amazonaws.com/backup-job:latest";
        expectOnlyProblem({ [key("jobImageUri")]: value }, key("jobImageUri"), value, /pinned by digest/);
    });

    it("Sentry DSN stored as plain text, or not a DSN", () => {
        expectOnlyProblem({ [key("backupSentryDsn")]: "https://0123abcd@o0.ingest.de.sentry.io/42" }, key("backupSentryDsn"), OFFLINE_SECRET, /plain text/);
        const secretKeys = [DB_KEY, SCRATCH_KEY, key("backupSentryDsn")];
        expectOnlyProblem({ [key("backupSentryDsn")]: "http://sentry.example/1" }, key("backupSentryDsn"), OFFLINE_SECRET, /Sentry DSN/, secretKeys);
    });
});

describe("parseSettings: monitoring and alerts", () => {
    it("parses the Sentry and alert settings with their defaults", () => {
        const settings = parse();
        expect(settings.monitoring).toMatchObject({ sentryOrganization: "hotelgenius", sentryEnvironment: "production", sentrySlackChannel: undefined });
        expect(settings.alerts).toMatchObject({
            healthCheckUrl: "https://app.hotelgenius.example/health",
            backupMissingAfterHours: 25,
            healthCheckRegions: ["eu-west-1", "us-east-1", "us-west-2"],
        });
    });

    it("health check URL that is not https", () => {
        expectOnlyProblem(
            { [key("healthCheckUrl")]: "http://app.hotelgenius.eu/health" },
            key("healthCheckUrl"),
            "http://app.hotelgenius.eu/health",
            /must use https:\/\//,
        );
    });

    it("second channel: an https integration, an SMS number or another provider's mailbox, never plain http or the first channel's domain", () => {
        for (const good of ["https://events.pagerduty.com/integration/abc123/enqueue", "+33612345678", "oncall@hotelgenius-pager.eu"]) {
            expect(parse({ [key("pagerEndpoint")]: good }).alerts.pagerEndpoint).toBe(good);
        }
        expectOnlyProblem(
            { [key("pagerEndpoint")]: "http://oncall.hotelgenius.eu/sns" },
            key("pagerEndpoint"),
            "http://oncall.hotelgenius.eu/sns",
            /must use https:\/\//,
        );
        expectOnlyProblem({ [key("pagerEndpoint")]: "0612345678" }, key("pagerEndpoint"), "0612345678", /E\.164 form such as \+33612345678/);
        expectOnlyProblem(
            { [key("pagerEndpoint")]: "pager@hotelgenius.example" },
            key("pagerEndpoint"),
            "pager@hotelgenius.example",
            /must not be on hotelgenius\.example, the domain of alertEmails: the second channel must not fail with the first/,
        );
        expectOnlyProblem({ [key("pagerEndpoint")]: undefined }, key("pagerEndpoint"), undefined, /required/);
    });

    it("restore-time budget out of range", () => {
        expectOnlyProblem({ [key("restoreTimeObjectiveMinutes")]: "2" }, key("restoreTimeObjectiveMinutes"), "2", /from 5 to 1440/);
        expect(parse({ [key("restoreTimeObjectiveMinutes")]: "90" }).alerts.restoreTimeObjectiveMinutes).toBe(90);
    });

    it("runbook base URL so long that alert texts would be cut", () => {
        const long = `https://github.com/hotelgenius/${"x".repeat(80)}/runbooks`;
        expectOnlyProblem({ [key("runbookBaseUrl")]: long }, key("runbookBaseUrl"), long, /at most 100 characters/);
    });

    it("alarm threshold out of range", () => {
        expectOnlyProblem({ [key("drillMissingAfterDays")]: "8" }, key("drillMissingAfterDays"), "8", /from 1 to 7 \(CloudWatch evaluates at most 7 days\)/);
        expectOnlyProblem({ [key("errorLogLinesPer5Minutes")]: "0" }, key("errorLogLinesPer5Minutes"), "0", /from 1 to 100000/);
        expectOnlyProblem({ [key("appErrorLinesPer5Minutes")]: "0" }, key("appErrorLinesPer5Minutes"), "0", /from 1 to 100000/);
    });

    it("backup-missing window shorter than the schedule's longest gap plus the margin", () => {
        expectOnlyProblem(
            { [key("backupMissingAfterHours")]: "24" },
            key("backupMissingAfterHours"),
            "24",
            /at least 25: backupSchedule cron\(0 2 \* \* \? \*\) leaves up to 24 hours/,
        );
        expectOnlyProblem(
            { [key("backupSchedule")]: "cron(0 3 ? * MON *)", [key("backupMissingAfterHours")]: "168" },
            key("backupMissingAfterHours"),
            "168",
            /cannot watch backupSchedule cron\(0 3 \? \* MON \*\): it leaves 168 hours between runs/,
        );
        expect(() => parse({ [key("backupSchedule")]: "cron(0 */12 * * ? *)", [key("backupMissingAfterHours")]: "13" })).not.toThrow();
    });

    it("database name for the metrics that differs from the one in databaseUrl, without echoing the URL", () => {
        const problem = expectOnlyProblem(
            { [key("backupDatabaseName")]: "neondb" },
            key("backupDatabaseName"),
            "neondb",
            /must be the database named in databaseUrl/,
        );
        expect(JSON.stringify(problem)).not.toContain(PASSWORD);
        expect(problem.allowed).not.toContain("hotelgenius");
        // The offline plan cannot read the URL: nothing to compare.
        expect(() => parse({ [key("backupDatabaseName")]: "neondb", [DB_KEY]: OFFLINE_SECRET })).not.toThrow();
    });

    it("a Slack channel without the Slack integration, and the reverse", () => {
        expectOnlyProblem({ [key("sentrySlackChannel")]: "#ops-alerts" }, key("sentrySlackChannel"), "#ops-alerts", /set together with sentrySlackWorkspaceId/);
        expectOnlyProblem({ [key("sentrySlackWorkspaceId")]: "12345" }, key("sentrySlackWorkspaceId"), "12345", /set together with sentrySlackChannel/);
        expect(parse({ [key("sentrySlackChannel")]: "#ops-alerts", [key("sentrySlackWorkspaceId")]: "12345" }).monitoring.sentrySlackChannel).toBe(
            "#ops-alerts",
        );
    });
});
