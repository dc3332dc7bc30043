// The Neon settings through the one parser: every error names the key, the value and what is allowed.
import { describe, expect, it } from "vitest";
import { REQUIRED_RAW_SETTINGS, REQUIRED_SECRET_KEYS } from "../../test/fixtures.js";
import { parseSettings, requiredSecretKeys, SettingsError } from "../settings/registry.js";
import { OFFLINE_SECRET } from "../settings/spec.js";

const KEY = (name: string) => `hotelgenius-ops:${name}`;
const { [KEY("databaseUrl")]: _url, [KEY("scratchDatabaseUrl")]: _scratch, ...WITHOUT_URLS } = REQUIRED_RAW_SETTINGS;
const NEON = { ...WITHOUT_URLS, [KEY("neonProjectName")]: "hotelgenius", [KEY("neonApiKey")]: OFFLINE_SECRET };

function parse(values: Record<string, string>, secretKeys: string[] = [KEY("neonApiKey")]) {
    return parseSettings({ project: "hotelgenius-ops", stack: "prod", values, secretKeys: new Set(secretKeys) });
}

function problems(values: Record<string, string>, secretKeys?: string[]): string[] {
    try {
        parse(values, secretKeys);
    } catch (error) {
        if (error instanceof SettingsError) return error.message.split("\n");
        throw error;
    }
    throw new Error("the settings were accepted");
}

describe("Neon settings", () => {
    it("default to a Frankfurt project on PostgreSQL 17 with a week of history (Launch's maximum)", () => {
        expect(parse(NEON).neon).toEqual({
            projectName: "hotelgenius",
            adoptProjectId: undefined,
            region: "aws-eu-central-1",
            postgresMajor: 17,
            plan: "launch",
            historyRetentionSeconds: 604_800,
            ownerRole: "neondb_owner",
            backupRole: "hotelgenius_backup",
        });
        expect(parse(NEON).databaseUrl).toBeUndefined();
    });

    it("are off without neonProjectName: the job's URLs come from the settings", () => {
        expect(parse(REQUIRED_RAW_SETTINGS, [...REQUIRED_SECRET_KEYS]).neon).toBeUndefined();
    });

    it("refuse a region outside the EU while dataResidency is eu, and a region Neon does not have", () => {
        expect(problems({ ...NEON, [KEY("neonRegion")]: "aws-eu-west-2" })).toEqual([
            'hotelgenius-ops:neonRegion: "aws-eu-west-2"; must be a Neon region in the EU (aws-eu-central-1, azure-gwc): the database holds guests\' ' +
                'personal data and dataResidency is "eu"; set dataResidency to "unrestricted" only with the data protection officer\'s approval',
        ]);
        expect(problems({ ...NEON, [KEY("neonRegion")]: "aws-eu-centrl-1" })[0]).toMatch(
            /^hotelgenius-ops:neonRegion: "aws-eu-centrl-1"; must be a Neon region id \(did you mean aws-eu-central-1\?\)/,
        );
        expect(parse({ ...NEON, [KEY("neonRegion")]: "aws-us-east-2", [KEY("dataResidency")]: "unrestricted" }).neon?.region).toBe("aws-us-east-2");
    });

    it("refuse a project newer than the job's pg_dump", () => {
        expect(problems({ ...NEON, [KEY("neonPostgresMajor")]: "17", [KEY("jobPostgresMajor")]: "16" })).toEqual([
            'hotelgenius-ops:neonPostgresMajor: "17"; must be at most jobPostgresMajor (16): the backup job\'s pg_dump 16 refuses a PostgreSQL 17 server, ' +
                "so no backup would run",
        ]);
        expect(parse({ ...NEON, [KEY("neonPostgresMajor")]: "16", [KEY("jobPostgresMajor")]: "17" }).neon?.postgresMajor).toBe(16);
    });

    it("refuse less than 7 days of history while data is protected, and more than the plan allows", () => {
        expect(problems({ ...NEON, [KEY("neonHistoryRetentionHours")]: "24" })).toEqual([
            'hotelgenius-ops:neonHistoryRetentionHours: "24"; must be at least 168 hours (7 days) while protectData is true: Neon\'s history is the ' +
                "first copy of the 3-2-1 rule, and a shorter window loses point-in-time recovery of a problem found after a weekend",
        ]);
        expect(problems({ ...NEON, [KEY("neonHistoryRetentionHours")]: "336" })).toEqual([
            'hotelgenius-ops:neonHistoryRetentionHours: "336"; must be at most 168 hours on Neon\'s launch plan (free: 6, launch: 168, scale: 720); ' +
                "raise neonPlan first if the account's plan allows more",
        ]);
        expect(problems({ ...NEON, [KEY("neonHistoryRetentionHours")]: "721", [KEY("neonPlan")]: "scale" })[0]).toMatch(
            /^hotelgenius-ops:neonHistoryRetentionHours: "721"; must be/,
        );
        expect(parse({ ...NEON, [KEY("neonHistoryRetentionHours")]: "336", [KEY("neonPlan")]: "scale" }).neon?.historyRetentionSeconds).toBe(336 * 3600);
        expect(problems({ ...NEON, [KEY("neonHistoryRetentionHours")]: "24", [KEY("protectData")]: "false", [KEY("neonPlan")]: "free" })).toEqual([
            expect.stringMatching(/^hotelgenius-ops:neonHistoryRetentionHours: "24"; must be at most 6 hours on Neon's free plan/),
        ]);
    });

    it("need the API key, as a secret, and never show it", () => {
        expect(problems({ ...NEON, [KEY("neonApiKey")]: "" })).toEqual([
            "hotelgenius-ops:neonApiKey: not set; required with neonProjectName: set it with `pulumi config set --secret neonApiKey <value>` or from the " +
                "stack's Pulumi ESC environment (pulumiConfig, fn::secret)",
        ]);
        const plain = problems({ ...NEON, [KEY("neonApiKey")]: "napi_plain_text_not_a_real_key" }, []);
        expect(plain).toEqual([expect.stringMatching(/^hotelgenius-ops:neonApiKey: \[secret\]; is stored as plain text/)]);
        expect(plain.join("\n")).not.toContain("napi_plain_text_not_a_real_key");
    });

    it("refuse a hand-set database URL beside a Neon project: one source only", () => {
        expect(problems({ ...NEON, [KEY("databaseUrl")]: OFFLINE_SECRET }, [KEY("neonApiKey"), KEY("databaseUrl")])).toEqual([
            "hotelgenius-ops:databaseUrl: [secret]; must be unset while neonProjectName is set: the backup job's URLs are derived from the Neon project " +
                "(two sources would disagree)",
        ]);
    });

    it("refuse Neon keys without neonProjectName, and adopting a project in a stack that pulumi destroy may delete", () => {
        expect(problems({ ...REQUIRED_RAW_SETTINGS, [KEY("neonProjectId")]: "autumn-sun-12345678" }, [...REQUIRED_SECRET_KEYS])).toEqual([
            'hotelgenius-ops:neonProjectId: "autumn-sun-12345678"; is used only with neonProjectName: set that too, or unset this',
        ]);
        expect(
            problems({ ...NEON, [KEY("neonProjectId")]: "autumn-sun-12345678", [KEY("protectData")]: "false", [KEY("neonHistoryRetentionHours")]: "24" }),
        ).toEqual([
            expect.stringMatching(/^hotelgenius-ops:neonProjectId: "autumn-sun-12345678"; must be unset while protectData is false: an adopted project/),
        ]);
        expect(problems({ ...NEON, [KEY("neonProjectId")]: "Not An Id" })[0]).toMatch(/^hotelgenius-ops:neonProjectId: "Not An Id"; must be a Neon project id/);
    });

    it("accept a refresh source only for an unprotected stack of its own Neon project, naming another stack", () => {
        const clone = { ...NEON, [KEY("protectData")]: "false", [KEY("neonHistoryRetentionHours")]: "24" };
        const asStaging = (values: Record<string, string>) =>
            parseSettings({ project: "hotelgenius-ops", stack: "staging", values, secretKeys: new Set([KEY("neonApiKey")]) });
        expect(asStaging({ ...clone, [KEY("neonRefreshFrom")]: "prod" }).neon?.refreshFrom).toBe("prod");
        expect(asStaging(clone).neon?.refreshFrom).toBeUndefined();
        expect(problems({ ...NEON, [KEY("neonRefreshFrom")]: "staging" })).toEqual([
            'hotelgenius-ops:neonRefreshFrom: "staging"; must be unset while protectData is true: a refresh replaces the whole database, and a ' +
                "protected stack's data is never replaced by a copy",
        ]);
        expect(problems({ ...clone, [KEY("neonRefreshFrom")]: "prod" })).toEqual([
            'hotelgenius-ops:neonRefreshFrom: "prod"; must name another stack than prod itself: the source whose anonymized data loads this stack',
        ]);
        expect(problems({ ...clone, [KEY("neonRefreshFrom")]: "Prod!" })[0]).toMatch(/^hotelgenius-ops:neonRefreshFrom: "Prod!"; must be a stack name/);
        const { [KEY("neonProjectName")]: _name, [KEY("neonApiKey")]: _key, ...noNeon } = clone;
        expect(
            problems({ ...noNeon, ...REQUIRED_RAW_SETTINGS, [KEY("protectData")]: "false", [KEY("neonRefreshFrom")]: "prod" }, [...REQUIRED_SECRET_KEYS]),
        ).toEqual(['hotelgenius-ops:neonRefreshFrom: "prod"; is used only with neonProjectName: a refresh loads the stack\'s own Neon project']);
    });

    it("tell the offline plan which secrets a stack's ESC environment must hold: the API key with Neon, the URLs without", () => {
        expect(requiredSecretKeys("hotelgenius-ops", NEON)).toEqual([KEY("neonApiKey")]);
        expect(requiredSecretKeys("hotelgenius-ops", REQUIRED_RAW_SETTINGS)).toEqual([KEY("databaseUrl"), KEY("scratchDatabaseUrl")]);
    });
});
