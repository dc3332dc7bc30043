import { describe, expect, it } from "vitest";
import {
    checkDatabaseUrl,
    checkFargateSize,
    checkImageUri,
    checkLogRetentionDays,
    checkScheduleDaylightSaving,
    checkScheduleExpression,
    checkScratchServer,
    checkSentryDsn,
    checkSubnetId,
    checkTimeZone,
    checkVpcId,
    crontabOf,
    isEmail,
    lifecycleOrderProblems,
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
            { setting: "expirationDays", value: 30, allowed: "must be greater than the last transition (30 days): S3 rejects an expiration at or before a transition" },
            {
                setting: "objectLockDays",
                value: 31,
                allowed: "must be at most <expirationDays> (30): a retention longer than the backups' lifetime keeps expired dumps, and their cost, until the lock ends",
            },
        ]);
    });

    it("reports nothing about settings that are missing", () => {
        expect(lifecycleOrderProblems({ transitionToIaDays: undefined, transitionToArchiveDays: 10, expirationDays: undefined, objectLockDays: 400 }, nameOf)).toEqual([]);
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
        for (const bad of ["ops", "ops@localhost", "ops@@x.example", ".ops@x.example", "o..ps@x.example", "ops @x.example", "ops@-x.example"]) expect(isEmail(bad)).toBe(false);
    });

    it("database URLs", () => {
        expect(checkDatabaseUrl(DIRECT_URL)).toBeUndefined();
        expect(checkDatabaseUrl("postgres://u:p@db.internal.example:5432/app")).toBeUndefined();
        expect(checkDatabaseUrl("not a url")).toMatch(/must be a URL/);
        expect(checkDatabaseUrl("postgresql://u:p@db.internal.example")).toMatch(/must name the database/);
        expect(checkDatabaseUrl("postgresql://u:p@ep-x-pooler.eu-central-1.aws.neon.tech/app")).toMatch(/-pooler/);
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
    const digest = "sha256:" + "a".repeat(64);
    it.each([`000000000000.dkr.ecr.eu-west-3.amazonaws.com/backup-job@${digest}`, `ghcr.io/hotelgenius/backup-job:1.2.3@${digest}`, `registry.example:5000/job@${digest}`])(
        "accepts %s",
        (uri) => {
            expect(checkImageUri(uri)).toBeUndefined();
        },
    );

    it.each(["ghcr.io/hotelgenius/backup-job:latest", "backup-job", `ghcr.io/job@sha256:${"a".repeat(63)}`, `ghcr.io/Job@${digest}`])("refuses %s", (uri) => {
        expect(checkImageUri(uri)).toMatch(/pinned by digest/);
    });
});

describe("checkSentryDsn", () => {
    it("accepts a DSN and refuses other URLs without echoing them", () => {
        expect(checkSentryDsn("https://0123abcd@o0.ingest.de.sentry.io/42")).toBeUndefined();
        for (const bad of ["http://0123abcd@o0.ingest.de.sentry.io/42", "https://o0.ingest.de.sentry.io/42", "https://0123abcd@o0.ingest.de.sentry.io/project", "0123abcd"]) {
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
