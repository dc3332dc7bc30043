import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { outputValue } from "../../scripts/offlinePlan/mockRuntime.js";
import { DIRECT_URL, FAKE_PASSWORD, REQUIRED_RAW_SETTINGS, REQUIRED_SECRET_KEYS, SCRATCH_URL } from "../../test/fixtures.js";
import { loadSettings, parseSettings, SETTINGS, SettingsError, type SettingsProblem, STACK_NAME_KEY } from "./registry.js";
import { OFFLINE_SECRET } from "./spec.js";

const DEFAULTS = Object.fromEntries(Object.entries(SETTINGS).flatMap(([name, setting]) => (setting.default === undefined ? [] : [[name, setting.default]])));
const REQUIRED_SETTINGS = Object.keys(SETTINGS).filter((name) => SETTINGS[name]!.default === undefined && !SETTINGS[name]!.optional);

const PROJECT = "hotelgenius-ops";
const DB_KEY = `${PROJECT}:databaseUrl`;
const SCRATCH_KEY = `${PROJECT}:scratchDatabaseUrl`;
const PASSWORD = FAKE_PASSWORD;
const minimal = REQUIRED_RAW_SETTINGS;

function parse(overrides: Record<string, string | undefined> = {}, secretKeys: Iterable<string> = REQUIRED_SECRET_KEYS) {
    const values: Record<string, string> = { ...minimal };
    for (const [key, value] of Object.entries(overrides)) {
        if (value === undefined) delete values[key];
        else values[key] = value;
    }
    return parseSettings({ project: PROJECT, stack: "prod", values, secretKeys: new Set(secretKeys) });
}

function problemsOf(overrides: Record<string, string | undefined>, secretKeys?: Iterable<string>): SettingsError {
    try {
        parse(overrides, secretKeys);
    } catch (error) {
        if (error instanceof SettingsError) return error;
        throw error;
    }
    throw new Error("expected a SettingsError");
}

/** Asserts exactly one problem, for `key`, showing `value` and an `allowed` text matching the pattern. */
function expectOnlyProblem(
    overrides: Record<string, string | undefined>,
    key: string,
    value: string | undefined,
    allowed: RegExp,
    secretKeys?: Iterable<string>,
): SettingsProblem {
    const error = problemsOf(overrides, secretKeys);
    expect(error.problems).toHaveLength(1);
    const [problem] = error.problems;
    expect(problem!.key).toBe(key);
    expect(problem!.value).toBe(value);
    expect(problem!.allowed).toMatch(allowed);
    expect(error.message).toContain(key);
    if (value !== undefined) expect(error.message).toContain(value === OFFLINE_SECRET ? value : JSON.stringify(value));
    return problem!;
}

const key = (name: string) => `${PROJECT}:${name}`;

describe("parseSettings: valid settings", () => {
    it("fills every unset setting from DEFAULTS and derives the prefix layout from backupRoot", () => {
        const settings = parse();
        expect(settings.project).toBe(PROJECT);
        expect(settings.stack).toBe("prod");
        expect(settings.region).toBe("eu-west-3");
        expect(settings.owner).toBe(DEFAULTS.owner);
        expect(settings.alertEmails).toEqual(["ops@hotelgenius.example"]);
        expect(settings.storage).toEqual({
            layout: { root: "postgres", dumpPrefix: "postgres/dumps/", manifestPrefix: "postgres/manifests/" },
            objectLockMode: DEFAULTS.objectLockMode,
            objectLockDays: DEFAULTS.objectLockDays,
            transitionToIaDays: DEFAULTS.transitionToIaDays,
            transitionToArchiveDays: DEFAULTS.transitionToArchiveDays,
            archiveStorageClass: DEFAULTS.archiveStorageClass,
            expirationDays: DEFAULTS.expirationDays,
            noncurrentExpirationDays: DEFAULTS.noncurrentExpirationDays,
            abortIncompleteUploadDays: 7,
            replicaRegion: DEFAULTS.replicaRegion,
            offSiteReplica: true,
            kmsDeletionWindowDays: DEFAULTS.kmsDeletionWindowDays,
            breakGlassRoleArn: "arn:aws:iam::123456789012:role/break-glass",
            replicationTimeControl: false,
            protectData: true,
        });
        expect(settings.job.schedule).toEqual({ expression: DEFAULTS.backupSchedule, timezone: DEFAULTS.backupScheduleTimezone, crontab: "0 2 * * *" });
    });

    it("the defaults alone, plus the required settings, form valid prod settings", () => {
        expect(REQUIRED_SETTINGS).toEqual(["alertEmails", "breakGlassRoleArn", "sentryOrganization", "runbookBaseUrl", "pagerEndpoint", "healthCheckUrl"]);
        expect(() => parse()).not.toThrow();
    });

    it("reads explicit values of every type", () => {
        const settings = parse({
            [key("owner")]: "data-team",
            [key("alertEmails")]: JSON.stringify(["a@hotelgenius.example", "b+ops@hotelgenius.example"]),
            [key("backupRoot")]: "hotelgenius/postgres",
            [key("objectLockMode")]: "GOVERNANCE",
            [key("objectLockDays")]: "14",
            [key("transitionToIaDays")]: "45",
            [key("transitionToArchiveDays")]: "75",
            [key("archiveStorageClass")]: "DEEP_ARCHIVE",
            [key("expirationDays")]: "400",
            [key("protectData")]: "false",
            [key("replicationTimeControl")]: "true",
            [key("backupSchedule")]: "cron(30 3 ? * MON-FRI *)",
            [key("backupMissingAfterHours")]: "73",
            [key("backupScheduleTimezone")]: "Europe/Paris",
        });
        expect(settings.owner).toBe("data-team");
        expect(settings.alertEmails).toEqual(["a@hotelgenius.example", "b+ops@hotelgenius.example"]);
        expect(settings.storage.layout).toEqual({
            root: "hotelgenius/postgres",
            dumpPrefix: "hotelgenius/postgres/dumps/",
            manifestPrefix: "hotelgenius/postgres/manifests/",
        });
        expect(settings.storage).toMatchObject({
            objectLockMode: "GOVERNANCE",
            objectLockDays: 14,
            transitionToIaDays: 45,
            transitionToArchiveDays: 75,
            archiveStorageClass: "DEEP_ARCHIVE",
            expirationDays: 400,
            protectData: false,
            replicationTimeControl: true,
        });
        expect(settings.job.schedule).toEqual({ expression: "cron(30 3 ? * MON-FRI *)", timezone: "Europe/Paris", crontab: "30 3 * * 1-5" });
    });

    it("returns a deep-frozen object", () => {
        const settings = parse();
        for (const part of [settings, settings.storage, settings.storage.layout, settings.job.schedule, settings.alertEmails]) {
            expect(Object.isFrozen(part)).toBe(true);
        }
        expect(() => {
            (settings.storage as { objectLockDays: number }).objectLockDays = 1;
        }).toThrow(TypeError);
        expect(() => (settings.alertEmails as string[]).push("x@hotelgenius.example")).toThrow(TypeError);
    });

    it("wraps the database URL in a secret Output", async () => {
        const settings = parse();
        expect(await pulumi.isSecret(settings.databaseUrl!)).toBe(true);
        expect(await outputValue(settings.databaseUrl!)).toBe(DIRECT_URL);
    });

    it("accepts the offline placeholder for a secret without checking its format", async () => {
        const settings = parse({ [DB_KEY]: OFFLINE_SECRET });
        expect(await outputValue(settings.databaseUrl!)).toBe(OFFLINE_SECRET);
    });

    it("reads Pulumi.yaml's empty defaults of optional settings as unset, secret or not", () => {
        const settings = parse({ [key("logServiceEndpoint")]: "", [key("logServiceAccessKey")]: "", [key("appLogGroups")]: "[]" });
        expect(settings.logDrains.logService).toBeUndefined();
        expect(settings.logDrains.appLogGroups).toEqual([]);
    });

    it("lets provider settings pass untouched", () => {
        expect(() =>
            parse({ "aws:profile": "hotelgenius", "sentry:token": "x", "pulumi:disable-default-providers": '["*"]' }, [DB_KEY, SCRATCH_KEY, "sentry:token"]),
        ).not.toThrow();
    });
});

describe("parseSettings: each bad input names the key, the value and what is allowed", () => {
    it("unknown key in the project namespace, with the nearest known key", () => {
        expectOnlyProblem({ [key("objectLockDay")]: "30" }, key("objectLockDay"), "30", /unknown setting \(did you mean hotelgenius-ops:objectLockDays\?\)/);
    });

    it("unknown namespace, with the nearest one", () => {
        expectOnlyProblem({ "hotelgenius:owner": "ops" }, "hotelgenius:owner", "ops", /unknown namespace \(did you mean hotelgenius-ops:owner\?\).*aws:/);
    });

    it("integer setting given a word", () => {
        expectOnlyProblem({ [key("expirationDays")]: "a year" }, key("expirationDays"), "a year", /whole number from 1 to 36500/);
    });

    it("integer setting given a fraction", () => {
        expectOnlyProblem({ [key("objectLockDays")]: "7.5" }, key("objectLockDays"), "7.5", /whole number from 1 to/);
    });

    it("boolean setting given yes", () => {
        expectOnlyProblem({ [key("protectData")]: "yes" }, key("protectData"), "yes", /must be true or false/);
    });

    it("offSiteReplica false while protectData is true (the default): a protected stack keeps its off-site copy", () => {
        const expected =
            `${key("offSiteReplica")}: "false"; must be true while ${key("protectData")} is true: a stack whose data is protected is a ` +
            `production stack and keeps its off-site copy; set ${key("protectData")} to false too for a non-production clone`;
        expect(problemsOf({ [key("offSiteReplica")]: "false" }).message).toBe(expected);
        expect(problemsOf({ [key("offSiteReplica")]: "false", [key("protectData")]: "true" }).message).toBe(expected);
        expect(parse({ [key("offSiteReplica")]: "false", [key("protectData")]: "false" }).storage).toMatchObject({ offSiteReplica: false, protectData: false });
    });

    it("array setting given a plain string", () => {
        expectOnlyProblem({ [key("alertEmails")]: "ops@hotelgenius.example" }, key("alertEmails"), "ops@hotelgenius.example", /list of email addresses/);
    });

    it("invalid email address", () => {
        const value = JSON.stringify(["ops@hotelgenius.example", "oncall-at-hotelgenius"]);
        expectOnlyProblem({ [key("alertEmails")]: value }, key("alertEmails"), value, /"oncall-at-hotelgenius" is not an email address.*name@example.com/);
    });

    it("empty email list", () => {
        expectOnlyProblem({ [key("alertEmails")]: "[]" }, key("alertEmails"), "[]", /at least one email address/);
    });

    it("break-glass role that is not one IAM role", () => {
        const wildcard = "arn:aws:iam::123456789012:role/admin-*";
        expectOnlyProblem({ [key("breakGlassRoleArn")]: wildcard }, key("breakGlassRoleArn"), wildcard, /ARN of one IAM role.*without wildcards/);
        expectOnlyProblem(
            { [key("breakGlassRoleArn")]: undefined },
            key("breakGlassRoleArn"),
            undefined,
            /required: set it with `pulumi config set breakGlassRoleArn <value>`/,
        );
    });

    it("missing alert emails", () => {
        expectOnlyProblem({ [key("alertEmails")]: undefined }, key("alertEmails"), undefined, /required/);
    });

    it("invalid cron expression", () => {
        expectOnlyProblem({ [key("backupSchedule")]: "cron(0 25 * * ? *)" }, key("backupSchedule"), "cron(0 25 * * ? *)", /hours field "25".*0-23/);
    });

    it("cron with both day fields set", () => {
        expectOnlyProblem(
            { [key("backupSchedule")]: "cron(0 3 * * MON *)" },
            key("backupSchedule"),
            "cron(0 3 * * MON *)",
            /exactly one of day-of-month and day-of-week must be \?/,
        );
    });

    it("five-field Unix cron", () => {
        expectOnlyProblem(
            { [key("backupSchedule")]: "0 3 * * *" },
            key("backupSchedule"),
            "0 3 * * *",
            /cron\(minutes hours day-of-month month day-of-week year\)/,
        );
    });

    it("invalid rate expression", () => {
        expectOnlyProblem({ [key("backupSchedule")]: "rate(1 days)" }, key("backupSchedule"), "rate(1 days)", /singular/);
    });

    it("invalid time zone", () => {
        expectOnlyProblem({ [key("backupScheduleTimezone")]: "Europe/Pariss" }, key("backupScheduleTimezone"), "Europe/Pariss", /IANA time zone/);
    });

    it("Standard-IA transition before day 30", () => {
        expectOnlyProblem(
            { [key("transitionToIaDays")]: "29" },
            key("transitionToIaDays"),
            "29",
            /from 30 to .*S3 refuses Standard-IA transitions before day 30/,
        );
    });

    it("archive transition less than 30 days after Standard-IA", () => {
        expectOnlyProblem(
            { [key("transitionToIaDays")]: "60", [key("transitionToArchiveDays")]: "80" },
            key("transitionToArchiveDays"),
            "80",
            /at least 90.*transitionToIaDays is 60/,
        );
    });

    it("expiration at the last transition", () => {
        expectOnlyProblem({ [key("expirationDays")]: "90" }, key("expirationDays"), "90", /greater than the last transition \(90 days\)/);
    });

    it("noncurrent expiration below one day", () => {
        expectOnlyProblem({ [key("noncurrentExpirationDays")]: "0" }, key("noncurrentExpirationDays"), "0", /from 1 to/);
    });

    it("abort of incomplete uploads below one day", () => {
        expectOnlyProblem({ [key("abortIncompleteUploadDays")]: "0" }, key("abortIncompleteUploadDays"), "0", /from 1 to/);
    });

    it("object-lock retention longer than expiration", () => {
        expectOnlyProblem({ [key("objectLockDays")]: "400" }, key("objectLockDays"), "400", /at most hotelgenius-ops:expirationDays \(365\)/);
    });

    it("object-lock mode outside GOVERNANCE and COMPLIANCE", () => {
        expectOnlyProblem(
            { [key("objectLockMode")]: "governance" },
            key("objectLockMode"),
            "governance",
            /one of GOVERNANCE, COMPLIANCE \(did you mean GOVERNANCE\?\)/,
        );
    });

    it("unknown archive storage class", () => {
        expectOnlyProblem(
            { [key("archiveStorageClass")]: "STANDARD_IA" },
            key("archiveStorageClass"),
            "STANDARD_IA",
            /one of GLACIER_IR, GLACIER, DEEP_ARCHIVE/,
        );
    });

    it("KMS deletion window outside 7-30 days", () => {
        expectOnlyProblem({ [key("kmsDeletionWindowDays")]: "3" }, key("kmsDeletionWindowDays"), "3", /from 7 to 30/);
    });

    it("backup root with a leading slash", () => {
        expectOnlyProblem({ [key("backupRoot")]: "/postgres/" }, key("backupRoot"), "/postgres/", /no leading or trailing \//);
    });

    it("owner not usable as a tag value", () => {
        expectOnlyProblem({ [key("owner")]: "" }, key("owner"), "", /1-256 characters/);
    });

    it("replica region equal to the primary region", () => {
        expectOnlyProblem(
            { [key("replicaRegion")]: "eu-west-3" },
            key("replicaRegion"),
            "eu-west-3",
            /must differ from the primary region aws:region \(eu-west-3\)/,
        );
    });

    it("replica region that does not exist", () => {
        expectOnlyProblem({ [key("replicaRegion")]: "us-west-3" }, key("replicaRegion"), "us-west-3", /AWS region code \(did you mean us-west-\d\?\)/);
    });

    it("missing primary region", () => {
        expectOnlyProblem({ "aws:region": undefined }, "aws:region", undefined, /required/);
    });

    it("invalid primary region", () => {
        expectOnlyProblem({ "aws:region": "useast1" }, "aws:region", "useast1", /AWS region code/);
    });

    it("missing database URL", () => {
        expectOnlyProblem({ [DB_KEY]: undefined }, DB_KEY, undefined, /required secret.*--secret/);
    });

    it("empty database URL without a Neon project: read as unset, and required", () => {
        expectOnlyProblem(
            { [DB_KEY]: "" },
            DB_KEY,
            undefined,
            /^required secret: set it with `pulumi config set --secret databaseUrl <value>`.*or set neonProjectName/,
        );
    });

    it("secret given as plain text", () => {
        const problem = expectOnlyProblem({}, DB_KEY, OFFLINE_SECRET, /plain text.*pulumi config set --secret databaseUrl/, [SCRATCH_KEY]);
        expect(JSON.stringify(problem)).not.toContain(PASSWORD);
    });

    it("Neon pooled endpoint", () => {
        expectOnlyProblem(
            { [DB_KEY]: DIRECT_URL.replace("-000000.", "-000000-pooler.") },
            DB_KEY,
            OFFLINE_SECRET,
            /connection pooler host .*Use the direct endpoint/,
        );
    });

    it("database URL with another scheme", () => {
        expectOnlyProblem({ [DB_KEY]: DIRECT_URL.replace("postgresql:", "mysql:") }, DB_KEY, OFFLINE_SECRET, /allowed are postgres:\/\/ and postgresql:\/\//);
    });

    it("non-secret setting stored as a secret", () => {
        expectOnlyProblem({ [key("owner")]: OFFLINE_SECRET }, key("owner"), OFFLINE_SECRET, /is not a secret/, [DB_KEY, SCRATCH_KEY, key("owner")]);
    });
});

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

describe("parseSettings: reporting", () => {
    it("collects every problem at once, one line each", () => {
        const error = problemsOf({
            "aws:region": "mars-1",
            [key("ownr")]: "ops",
            [key("objectLockDays")]: "many",
            [key("backupSchedule")]: "daily",
            [key("backupScheduleTimezone")]: "Moon/Base",
            [key("alertEmails")]: JSON.stringify(["not-an-email"]),
            [DB_KEY]: "",
        });
        expect(error.problems.map((problem) => problem.key)).toEqual([
            key("ownr"),
            "aws:region",
            key("alertEmails"),
            key("objectLockDays"),
            key("backupSchedule"),
            key("backupScheduleTimezone"),
            DB_KEY,
        ]);
        expect(error.message.split("\n")).toHaveLength(7);
        expect(error.name).toBe("SettingsError");
    });

    it("never echoes a secret value, whatever is wrong with it", () => {
        const urls = [
            DIRECT_URL.replace("-000000.", "-000000-pooler."),
            DIRECT_URL.replace("postgresql:", "http:"),
            `postgresql://backup:${PASSWORD}@`,
            DIRECT_URL,
        ];
        for (const url of urls) {
            for (const secretKeys of [[DB_KEY, SCRATCH_KEY], [SCRATCH_KEY]]) {
                const error = problemsOf({ [DB_KEY]: url, [key("protectData")]: "maybe" }, secretKeys);
                expect(error.message).not.toContain(PASSWORD);
                expect(JSON.stringify(error.problems)).not.toContain(PASSWORD);
            }
        }
    });

    it("checks cross-setting rules only between individually valid values", () => {
        const error = problemsOf({ [key("transitionToIaDays")]: "soon", [key("expirationDays")]: "60" });
        expect(error.problems.map((problem) => problem.key)).toEqual([key("transitionToIaDays"), key("expirationDays")]);
        expect(error.problems[1]!.allowed).toMatch(/last transition \(90 days\)/);
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

describe("loadSettings", () => {
    async function runtimeWith(values: Record<string, string>, secretKeys: string[]) {
        pulumi.runtime.setAllConfig(values, secretKeys);
        await pulumi.runtime.setMocks({ newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: () => ({}) }, PROJECT, "staging", false);
    }

    it("reads the runtime's config, its secret keys, project and stack", async () => {
        await runtimeWith(minimal, [DB_KEY, SCRATCH_KEY]);
        const settings = loadSettings();
        expect(settings.project).toBe(PROJECT);
        expect(settings.stack).toBe("staging");
        expect(settings.alertEmails).toEqual(["ops@hotelgenius.example"]);
        expect(Object.isFrozen(settings.storage)).toBe(true);
        expect(await pulumi.isSecret(settings.databaseUrl!)).toBe(true);
    });

    it("sees a secret the runtime was given as plain text", async () => {
        await runtimeWith(minimal, [SCRATCH_KEY]);
        expect(() => loadSettings()).toThrow(/hotelgenius-ops:databaseUrl: \[secret\]; is stored as plain text/);
    });
});

describe("the stack's name, which every physical name carries", () => {
    const settingsOf =
        (stack: string, overrides: Record<string, string> = {}) =>
        () =>
            parseSettings({ project: PROJECT, stack, values: { ...minimal, ...overrides }, secretKeys: new Set(REQUIRED_SECRET_KEYS) });
    const problemsFor = (stack: string, overrides: Record<string, string> = {}) => {
        try {
            settingsOf(stack, overrides)();
        } catch (error) {
            if (error instanceof SettingsError) return error.problems;
            throw error;
        }
        return [];
    };

    it("refuses a name no service accepts as a settings problem, every derived name at once, with the longest name and the characters allowed", () => {
        const problems = problemsFor("staging_2");
        expect(problems.map((problem) => problem.key)).toEqual([STACK_NAME_KEY, STACK_NAME_KEY, STACK_NAME_KEY]);
        expect(problems.map((problem) => problem.value)).toEqual(["staging_2", "staging_2", "staging_2"]);
        expect(problems[0]!.allowed).toMatch(
            /^must be at most 18 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit: S3 bucket name "hotelgenius-ops-staging_2-backups"/,
        );
        expect(problems[1]!.allowed).toContain('S3 bucket name "hotelgenius-ops-staging_2-backups-replica-eu-central-1"');
        expect(problems[2]!.allowed).toContain('S3 bucket name "hotelgenius-ops-staging_2-logs"');
    });

    it("judges only what the stack creates: without the off-site replica, its bucket's longer name does not count", () => {
        const long = "a".repeat(27);
        expect(problemsFor(long).map((problem) => problem.allowed)).toEqual([
            expect.stringContaining(`S3 bucket name "hotelgenius-ops-${long}-backups-replica-eu-central-1"`),
        ]);
        expect(problemsFor(long, { [`${PROJECT}:offSiteReplica`]: "false", [`${PROJECT}:protectData`]: "false" })).toEqual([]);
        expect(problemsFor("feature-guest-portal-redesign", { [`${PROJECT}:offSiteReplica`]: "false", [`${PROJECT}:protectData`]: "false" })).toHaveLength(2);
    });
});
