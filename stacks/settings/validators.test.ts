import { describe, expect, it } from "vitest";
import {
    checkCheckerRegions,
    checkDatabaseUrl,
    checkFargateSize,
    checkHttpsUrl,
    checkImageUri,
    checkLogGroupList,
    checkLogGroupName,
    checkLogRetentionDays,
    checkLogServiceEndpoint,
    checkRoleArn,
    checkScheduleDaylightSaving,
    checkScheduleExpression,
    checkScratchServer,
    checkSentryDsn,
    checkSentryEnvironment,
    checkSentrySlug,
    checkSubnetId,
    checkTimeZone,
    checkVpcId,
    crontabOf,
    isEmail,
    lifecycleOrderProblems,
    longestScheduleGapMinutes,
    replicaProtectionProblem,
} from "./validators.js";

// Not a real credential: a documentation host name and an obviously fake password.
const DIRECT_URL = "postgresql://backup:fake-password-0000@ep-quiet-sky-000000.eu-central-1.aws.neon.tech/hotelgenius?sslmode=require";

describe("checkScheduleExpression", () => {
    it.each([
        "cron(0 3 * * ? *)",
        "cron(15 2 ? * MON-FRI *)",
        "cron(0/30 8-18 ? * 2-6 *)",
        "cron(0 4 L * ? *)",
        "cron(0 4 15W * ? *)",
        "cron(0 4 ? * 6L *)",
        "cron(0 4 ? * 2#1 *)",
        "cron(0 4 1,15 JAN,JUL ? 2026-2030)",
        "rate(1 day)",
        "rate(6 hours)",
        "rate(30 minutes)",
    ])("accepts %s", (expression) => {
        expect(checkScheduleExpression(expression)).toBeUndefined();
    });

    it.each([
        ["cron(0 3 * * ? * *)", /6 fields/],
        ["cron(0 3 ? * ? *)", /exactly one/],
        ["cron(0 3 32 * ? *)", /day-of-month/],
        ["cron(0 3 ? 13 * *)", /month field/],
        ["cron(0 3 ? * 8 *)", /day-of-week field/],
        ["cron(0 3 ? * MON#6 *)", /day-of-week field/],
        ["cron(0 3 ? * 3#1,6#3 *)", /with # the day-of-week field takes one expression/],
        ["cron(0 3 * * ? 1969)", /year field/],
        ["cron(? 3 * * ? *)", /\? is allowed only in day-of-month or day-of-week/],
        ["cron(0/0 3 * * ? *)", /step 0/],
        ["rate(0 hours)", /at least 1/],
        ["rate(2 hour)", /plural/],
        ["rate(1 week)", /minute\(s\), hour\(s\) or day\(s\)/],
        ["at(2026-12-01T03:00:00)", /must repeat/],
        ["@daily", /must be cron/],
    ])("rejects %s", (expression, reason) => {
        expect(checkScheduleExpression(expression)).toMatch(reason);
    });
});

describe("lifecycleOrderProblems", () => {
    const nameOf = (setting: string) => `<${setting}>`;

    it("compares expiration with Standard-IA when the archive day was refused already, and names settings the caller's way", () => {
        expect(lifecycleOrderProblems({ transitionToIaDays: 30, transitionToArchiveDays: undefined, expirationDays: 30, objectLockDays: 31 }, nameOf)).toEqual([
            {
                setting: "expirationDays",
                value: 30,
                allowed: "must be greater than the last transition (30 days): S3 rejects an expiration at or before a transition",
            },
            {
                setting: "objectLockDays",
                value: 31,
                allowed:
                    "must be at most <expirationDays> (30): a retention longer than the backups' lifetime keeps expired dumps, and their cost, until the " +
                    "lock ends",
            },
        ]);
    });

    it("reports nothing about settings that are missing", () => {
        expect(
            lifecycleOrderProblems({ transitionToIaDays: undefined, transitionToArchiveDays: 10, expirationDays: undefined, objectLockDays: 400 }, nameOf),
        ).toEqual([]);
    });
});

describe("small checks", () => {
    it("time zones: IANA names only, exactly spelled", () => {
        expect(checkTimeZone("UTC")).toBeUndefined();
        expect(checkTimeZone("America/New_York")).toBeUndefined();
        expect(checkTimeZone("europe/paris")).toMatch(/did you mean Europe\/Paris/);
        expect(checkTimeZone("+02:00")).toMatch(/IANA/);
        expect(checkTimeZone("Nowhere/Special")).toMatch(/IANA/);
    });

    it("email addresses", () => {
        for (const good of ["ops@hotelgenius.example", "first.last+alerts@mail.hotelgenius.example"]) expect(isEmail(good)).toBe(true);
        for (const bad of ["ops", "ops@localhost", "ops@@x.example", ".ops@x.example", "o..ps@x.example", "ops @x.example", "ops@-x.example"])
            expect(isEmail(bad)).toBe(false);
    });

    it("database URLs", () => {
        expect(checkDatabaseUrl(DIRECT_URL)).toBeUndefined();
        expect(checkDatabaseUrl("postgres://u:p@db.internal.example:5432/app")).toBeUndefined();
        expect(checkDatabaseUrl("not a url")).toMatch(/postgres/);
        expect(checkDatabaseUrl("postgresql://u:p@db.internal.example")).toMatch(/names no database/);
        expect(checkDatabaseUrl("postgresql://u:p@ep-x-pooler.eu-central-1.aws.neon.tech/app")).toMatch(/-pooler/);
        // What the job refuses, the stack refuses, without quoting the password.
        for (const bad of [
            "postgresql://u:pa@ss-0000@db.internal.example/app",
            "postgresql://u:pa%ss-0000@db.internal.example/app",
            "postgresql://u:pa#ss-0000@db.internal.example/app",
        ]) {
            const reason = checkDatabaseUrl(bad);
            expect(reason, bad).toMatch(/percent|%40|escape/);
            expect(reason).not.toContain("ss-0000");
        }
    });
});

describe("log drain checks", () => {
    it("log service endpoints: https only, without credentials, within Firehose's length", () => {
        expect(checkLogServiceEndpoint("https://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input")).toBeUndefined();
        expect(checkLogServiceEndpoint("https://in.logs.betterstack.example/aws-firehose")).toBeUndefined();
        expect(checkLogServiceEndpoint("http://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input")).toMatch(/must use https:\/\/ .*got http:\/\//);
        expect(checkLogServiceEndpoint("intake.example/v1")).toMatch(/must be an https:\/\/ URL/);
        const withKey = checkLogServiceEndpoint("https://user:not-a-key@intake.example/v1");
        expect(withKey).toMatch(/must not carry credentials/);
        expect(withKey).not.toContain("not-a-key");
        expect(checkLogServiceEndpoint(`https://intake.example/${"a".repeat(1000)}`)).toMatch(/at most 1000 characters/);
    });

    it("log retention: exactly the periods CloudWatch Logs accepts, with the nearest one suggested", () => {
        for (const days of [1, 7, 30, 90, 365, 400, 3653]) expect(checkLogRetentionDays(days)).toBeUndefined();
        expect(checkLogRetentionDays(45)).toMatch(/^must be one of the periods CloudWatch Logs accepts: 1, 3, 5, 7, .*3653 \(nearest: 30\)$/);
        expect(checkLogRetentionDays(366)).toMatch(/nearest: 365/);
        expect(checkLogRetentionDays(0)).toMatch(/nearest: 1\)/);
    });

    it("log group names and lists", () => {
        expect(checkLogGroupName("/hotelgenius/prod/app")).toBeUndefined();
        expect(checkLogGroupName("/aws/ecs/backup-job#1")).toBeUndefined();
        expect(checkLogGroupName("")).toMatch(/not a CloudWatch Logs log group name/);
        expect(checkLogGroupName("/app logs")).toMatch(/not a CloudWatch Logs log group name/);
        expect(checkLogGroupList(["/a", "/b"])).toBeUndefined();
        expect(checkLogGroupList(["/a", "/b", "/a"])).toMatch(/must not repeat a log group \(\/a\)/);
    });

    it("IAM role ARNs: one role, with or without a path, never a wildcard, a user or a session", () => {
        for (const good of ["arn:aws:iam::123456789012:role/backup-break-glass", "arn:aws:iam::123456789012:role/security/break-glass/hotelgenius-keys"]) {
            expect(checkRoleArn(good)).toBeUndefined();
        }
        for (const bad of [
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:iam::123456789012:role/admin-?",
            "arn:aws:iam::123456789012:role/ops*/break-glass",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:sts::123456789012:assumed-role/break-glass/alice",
            "arn:aws:iam::12345:role/break-glass",
            "arn:aws:iam::123456789012:root",
            "break-glass",
            "",
        ]) {
            expect([bad, checkRoleArn(bad)]).toEqual([bad, expect.stringMatching(/^must be the ARN of one IAM role/)]);
        }
    });
});

describe("checkHttpsUrl", () => {
    it("accepts an https URL with a path and query", () => {
        expect(checkHttpsUrl("https://app.hotelgenius.eu/health?deep=1")).toBeUndefined();
    });

    it.each([
        ["http://app.hotelgenius.eu/health", /must use https:\/\/, not http:\/\//],
        ["app.hotelgenius.eu/health", /must be an https:\/\/ URL/],
        ["https://user:secret@app.hotelgenius.eu/health", /must not carry a user name or password/],
    ])("refuses %s", (value, reason) => {
        expect(checkHttpsUrl(value)).toMatch(reason);
    });
});

describe("checkCheckerRegions", () => {
    it("accepts three distinct Route 53 checker regions", () => {
        expect(checkCheckerRegions(["eu-west-1", "us-east-1", "us-west-2"])).toBeUndefined();
    });

    it.each([
        [["eu-west-1", "us-east-1"], /at least 3 regions .*got 2/],
        [["eu-west-1", "eu-west-1", "us-east-1"], /must not repeat/],
        [["eu-west-1", "eu-west-3", "us-east-1"], /checker regions only .*not: eu-west-3/],
    ])("refuses %j", (regions, reason) => {
        expect(checkCheckerRegions(regions)).toMatch(reason);
    });
});

describe("checkSentrySlug and checkSentryEnvironment", () => {
    it("accept what Sentry accepts", () => {
        expect(checkSentrySlug("hotelgenius")).toBeUndefined();
        expect(checkSentryEnvironment("production")).toBeUndefined();
        expect(checkSentryEnvironment("staging.eu-1")).toBeUndefined();
    });

    it("refuse uppercase slugs, spaces, slashes and None", () => {
        expect(checkSentrySlug("HotelGenius")).toMatch(/Sentry slug/);
        expect(checkSentryEnvironment("pre prod")).toMatch(/letters, digits/);
        expect(checkSentryEnvironment("prod/eu")).toMatch(/letters, digits/);
        expect(checkSentryEnvironment("None")).toMatch(/letters, digits/);
        expect(checkSentryEnvironment("x".repeat(33))).toMatch(/must be 1-32/);
    });
});

describe("longestScheduleGapMinutes", () => {
    it.each([
        ["cron(0 2 * * ? *)", 1440],
        ["rate(6 hours)", 360],
        ["rate(1 day)", 1440],
        ["cron(0 3 ? * MON *)", 10_080],
        // Friday to Monday.
        ["cron(0 3 ? * MON-FRI *)", 4320],
        ["cron(0 */6 * * ? *)", 360],
        ["cron(0 3 1,15 * ? *)", 24_480],
    ])("%s leaves at most %i minutes between runs", (expression, minutes) => {
        expect(longestScheduleGapMinutes(expression)).toBe(minutes);
    });

    it.each(["cron(0 3 L * ? *)", "cron(0 3 ? * 2#1 *)", "cron(0 3 1 JAN ? *)", "cron(0 3 * * ? 2030)"])("does not model %s", (expression) => {
        expect(longestScheduleGapMinutes(expression)).toBeUndefined();
    });
});

describe("crontabOf", () => {
    it.each([
        ["cron(0 2 * * ? *)", "0 2 * * *"],
        ["cron(15 3 ? * MON-FRI *)", "15 3 * * 1-5"],
        ["cron(0 5 ? * SUN *)", "0 5 * * 0"],
        ["cron(0 5 ? * 1,7 *)", "0 5 * * 0,6"],
        ["cron(0 5 ? * 2/2 *)", "0 5 * * 1/2"],
        ["cron(0/30 8-18 1,15 JAN,JUL ? *)", "0/30 8-18 1,15 1,7 *"],
        ["cron(0 4 ? DEC WED *)", "0 4 * 12 3"],
    ])("converts %s to %s", (expression, crontab) => {
        expect(crontabOf(expression)).toEqual({ crontab });
    });

    it.each([
        ["rate(1 day)", /not rate\(\) or at\(\)/],
        ["cron(0 2 * * ? 2027)", /year field "2027".*crontab has no year/],
        ["cron(0 2 L * ? *)", /"L".*no standard crontab/],
        ["cron(0 2 15W * ? *)", /"15W"/],
        ["cron(0 2 ? * 2#1 *)", /"2#1"/],
        ["cron(0 2 ? * 6L *)", /"6L"/],
    ])("refuses %s", (expression, reason) => {
        const result = crontabOf(expression);
        expect("reason" in result && result.reason).toMatch(reason);
    });
});

describe("checkScheduleDaylightSaving", () => {
    const from = new Date("2027-01-01T00:00:00Z");

    it.each([
        ["cron(0 2 * * ? *)", "UTC"],
        ["cron(15 3 * * ? *)", "Europe/Paris"],
        ["cron(0 1 * * ? *)", "Europe/Paris"],
        ["cron(30 2 ? * MON *)", "Europe/Paris"],
        ["cron(30 2 * * ? *)", "Asia/Tokyo"],
        ["rate(1 day)", "Europe/Paris"],
    ])("accepts %s in %s", (expression, zone) => {
        expect(checkScheduleDaylightSaving(expression, zone, from)).toBeUndefined();
    });

    it("refuses a run in the hour Paris skips, naming the first night it would be lost", () => {
        expect(checkScheduleDaylightSaving("cron(30 2 * * ? *)", "Europe/Paris", from)).toBe(
            "fires at 02:30 Europe/Paris, which does not exist on 2027-03-28 (clocks skip 02:00-03:00), so EventBridge Scheduler would skip that run; " +
                "move it outside the clock change or read it in UTC",
        );
    });

    it("refuses a run in the hour Paris repeats", () => {
        expect(checkScheduleDaylightSaving("cron(0 2 ? OCT SUN *)", "Europe/Paris", from)).toMatch(
            /^fires at 02:00 Europe\/Paris, which happens twice on 2027-10-31 \(clocks repeat 02:00-03:00\)/,
        );
    });

    it("refuses a run in New York's skipped hour, which falls on another date than Europe's", () => {
        expect(checkScheduleDaylightSaving("cron(0 2 ? * SUN *)", "America/New_York", from)).toMatch(/2027-03-14/);
    });

    it("checks only the minutes of the hour that change (Paris at 01:59 and 03:00 are fine)", () => {
        expect(checkScheduleDaylightSaving("cron(59 1 * * ? *)", "Europe/Paris", from)).toBeUndefined();
        expect(checkScheduleDaylightSaving("cron(0 3 * * ? *)", "Europe/Paris", from)).toBeUndefined();
        expect(checkScheduleDaylightSaving("cron(59 2 * * ? *)", "Europe/Paris", from)).toMatch(/02:59/);
    });
});

describe("checkFargateSize", () => {
    it.each([
        [256, 512],
        [256, 2048],
        [512, 4096],
        [1024, 2048],
        [2048, 16_384],
        [4096, 30_720],
        [8192, 61_440],
        [16_384, 122_880],
    ])("accepts cpu %i with %i MiB", (cpu, memory) => {
        expect(checkFargateSize(cpu, memory)).toBeUndefined();
    });

    it.each([
        [256, 4096, /cpu 256; allowed: 512, 1024, 2048 MiB/],
        [1024, 1024, /cpu 1024; allowed: 2048-8192 in steps of 1024 MiB/],
        [4096, 32_768, /cpu 4096; allowed: 8192-30720 in steps of 1024 MiB/],
        [8192, 17_408, /cpu 8192; allowed: 16384-61440 in steps of 4096 MiB/],
        [3000, 4096, /Fargate cpu size/],
    ])("refuses cpu %i with %i MiB", (cpu, memory, reason) => {
        expect(checkFargateSize(cpu, memory)).toMatch(reason);
    });
});

describe("checkLogRetentionDays", () => {
    it("accepts CloudWatch's periods only", () => {
        expect(checkLogRetentionDays(90)).toBeUndefined();
        expect(checkLogRetentionDays(3653)).toBeUndefined();
        expect(checkLogRetentionDays(100)).toMatch(/CloudWatch Logs accepts: 1, 3, 5/);
    });
});

describe("checkImageUri", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    it.each([
        `000000000000.dkr.ecr.eu-west-3.amazonaws.com/backup-job@${digest}`,
        `ghcr.io/hotelgenius/backup-job:1.2.3@${digest}`,
        `registry.example:5000/job@${digest}`,
    ])("accepts %s", (uri) => {
        expect(checkImageUri(uri)).toBeUndefined();
    });

    it.each(["ghcr.io/hotelgenius/backup-job:latest", "backup-job", `ghcr.io/job@sha256:${"a".repeat(63)}`, `ghcr.io/Job@${digest}`])("refuses %s", (uri) => {
        expect(checkImageUri(uri)).toMatch(/pinned by digest/);
    });
});

describe("checkSentryDsn", () => {
    it("accepts a DSN and refuses other URLs without echoing them", () => {
        expect(checkSentryDsn("https://0123abcd@o0.ingest.de.sentry.io/42")).toBeUndefined();
        for (const bad of [
            "http://0123abcd@o0.ingest.de.sentry.io/42",
            "https://o0.ingest.de.sentry.io/42",
            "https://0123abcd@o0.ingest.de.sentry.io/project",
            "0123abcd",
        ]) {
            const reason = checkSentryDsn(bad);
            expect(reason).toMatch(/must be a Sentry DSN/);
            expect(reason).not.toContain(bad);
        }
    });
});

describe("checkSubnetId and checkVpcId", () => {
    it("accept AWS's 8- and 17-digit ids only", () => {
        expect(checkSubnetId("subnet-0123abcd")).toBeUndefined();
        expect(checkSubnetId("subnet-0123456789abcdef0")).toBeUndefined();
        expect(checkSubnetId("subnet-0123456789")).toMatch(/not a subnet id/);
        expect(checkVpcId("vpc-0123456789abcdef0")).toBeUndefined();
        expect(checkVpcId("subnet-0123abcd")).toMatch(/VPC id/);
    });
});

describe("checkScratchServer", () => {
    it("refuses the production server (same host and port), whatever database or role, and accepts another server", () => {
        const scratch = DIRECT_URL.replace("backup:", "drill:").replace("/hotelgenius?", "/postgres?");
        expect(checkScratchServer(DIRECT_URL, DIRECT_URL)).toMatch(/another server than databaseUrl/);
        expect(checkScratchServer(scratch, DIRECT_URL)).toMatch(/another server/);
        expect(checkScratchServer(scratch.replace(".aws.neon.tech/", ".aws.neon.tech:5432/"), DIRECT_URL)).toMatch(/another server/);
        expect(checkScratchServer(scratch.replace("ep-quiet-sky", "ep-misty-lake"), DIRECT_URL)).toBeUndefined();
        expect(checkScratchServer(scratch.replace(".aws.neon.tech/", ".aws.neon.tech:6543/"), DIRECT_URL)).toBeUndefined();
    });
});

describe("replicaProtectionProblem", () => {
    const nameOf = (setting: string) => `<${setting}>`;

    it("refuses no off-site replica where the data is protected, naming both settings the caller's way", () => {
        expect(replicaProtectionProblem({ offSiteReplica: false, protectData: true }, nameOf)).toEqual({
            setting: "offSiteReplica",
            value: false,
            allowed:
                "must be true while <protectData> is true: a stack whose data is protected is a production stack and keeps its off-site copy; " +
                "set <protectData> to false too for a non-production clone",
        });
    });

    it.each([
        [true, true],
        [true, false],
        [false, false],
        [undefined, true],
        [false, undefined],
    ])("accepts offSiteReplica %s with protectData %s (undefined: already refused)", (offSiteReplica, protectData) => {
        expect(replicaProtectionProblem({ offSiteReplica, protectData }, nameOf)).toBeUndefined();
    });
});
