import { describe, expect, it } from "vitest";
import { checkScheduleDaylightSaving, checkScheduleExpression, checkTimeZone, crontabOf, longestScheduleGapMinutes } from "./schedule.js";
import { alertsArea } from "../alerts/settings.js";
import { BACKUP_MISSING_MARGIN_HOURS } from "./settings.js";

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

describe("small checks", () => {
    it("time zones: IANA names only, exactly spelled", () => {
        expect(checkTimeZone("UTC")).toBeUndefined();
        expect(checkTimeZone("America/New_York")).toBeUndefined();
        expect(checkTimeZone("europe/paris")).toMatch(/did you mean Europe\/Paris/);
        expect(checkTimeZone("+02:00")).toMatch(/IANA/);
        expect(checkTimeZone("Nowhere/Special")).toMatch(/IANA/);
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

describe("the backup-missing alarm's margin", () => {
    it("is the one the alerts' backupMissingAfterHours documents", () => {
        expect(alertsArea.settings.backupMissingAfterHours.allowed).toContain(`plus ${BACKUP_MISSING_MARGIN_HOURS} hour`);
    });
});
