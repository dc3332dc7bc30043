import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { outputValue } from "../../scripts/offlinePlan/mockRuntime.js";
import { DIRECT_URL, REQUIRED_SECRET_KEYS } from "../../test/fixtures.js";
import { DB_KEY, DEFAULTS, key, minimal, parse, PASSWORD, problemsOf, PROJECT, REQUIRED_SETTINGS, SCRATCH_KEY } from "../../test/settingsParsing.js";
import { loadSettings, parseSettings, SettingsError, STACK_NAME_KEY } from "./registry.js";
import { OFFLINE_SECRET } from "./spec.js";

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
