// The account program's settings: its Pulumi.yaml schema matches the declarations, its stack file
// parses, and bad values are refused like the main program's (key, value, what is allowed).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ACCOUNT_DOC_PATH, ACCOUNT_REGION_WHY, ACCOUNT_SETTINGS, renderSettingsTable, withTable } from "../scripts/docs/settingsDoc.js";
import { readStackFile } from "../scripts/offlinePlan/stackFile.js";
import { ACCOUNT_PROJECT } from "../stacks/shared/account.js";
import { SettingsError } from "../stacks/settings/registry.js";
import type { Setting } from "../stacks/settings/spec.js";
import { ACCOUNT_AREAS, parseAccountSettings } from "./settings.js";

const projectFile = parse(readFileSync(path.join(__dirname, "Pulumi.yaml"), "utf8")) as {
    name: string;
    main: string;
    config: Record<string, { type: string; description: string; default?: unknown; items?: unknown }>;
};
const SETTINGS: Record<string, Setting<unknown>> = Object.fromEntries(ACCOUNT_AREAS.flatMap((area) => Object.entries(area.settings)));
const key = (name: string) => `${ACCOUNT_PROJECT}:${name}`;
const stackFile = readStackFile(path.join(__dirname, "Pulumi.account.yaml"), ACCOUNT_PROJECT);

function problemsWith(overrides: Record<string, string | undefined>): string[] {
    const values = { ...stackFile.values };
    for (const [name, value] of Object.entries(overrides)) {
        if (value === undefined) delete values[name];
        else values[name] = value;
    }
    try {
        parseAccountSettings({ project: ACCOUNT_PROJECT, stack: "account", values, secretKeys: new Set() });
    } catch (error) {
        if (error instanceof SettingsError) return error.message.split("\n");
        throw error;
    }
    return [];
}

describe("bootstrap/Pulumi.yaml", () => {
    it("is its own project, hotelgenius-account, whose program is bootstrap/index.ts", () => {
        expect([projectFile.name, projectFile.main]).toEqual([ACCOUNT_PROJECT, "index.ts"]);
    });

    it("declares exactly the account areas' settings, each with its declaration's type, description and default", () => {
        expect(Object.keys(projectFile.config).sort()).toEqual(Object.keys(SETTINGS).sort());
        for (const [name, setting] of Object.entries(SETTINGS)) {
            const declared = projectFile.config[name]!;
            expect([name, declared.type, declared.description], name).toEqual([name, setting.type, setting.description]);
            const expected = setting.optional ? (setting.type === "array" ? [] : "") : setting.default;
            expect(declared.default, name).toEqual(expected);
        }
    });
});

describe("the account stack's settings", () => {
    it("Pulumi.account.yaml parses: placeholder account users, example repository, one prod reviewer", () => {
        const settings = parseAccountSettings({ project: ACCOUNT_PROJECT, stack: "account", values: stackFile.values, secretKeys: stackFile.secretKeys });
        expect(settings.region).toBe("eu-west-3");
        expect(settings.ciAccess).toMatchObject({ githubOwner: "example-org", githubRepository: "example-repo", githubSubjectFormat: "name" });
        expect(settings.trail).toEqual({ organizationTrailArn: undefined, trailObjectLockDays: 365, trailLogExpirationDays: 730, protectTrail: true });
    });

    it("refuses every bad value at once, naming key, value and what is allowed", () => {
        expect(
            problemsWith({
                "aws:region": "us-east-1",
                [key("breakGlassAdministrators")]: JSON.stringify(["arn:aws:iam::000000000000:user/*"]),
                [key("githubOwner")]: "example org",
                [key("organizationTrailArn")]: "my-trail",
                [key("trailLogExpirationDays")]: "30",
                [key("githubSubjectFormat")]: "immutable",
                [key("prodReviewerUserIds")]: "[]",
            }),
        ).toEqual([
            expect.stringMatching(/^aws:region: "us-east-1"; must be an EU region/),
            `${key("organizationTrailArn")}: "my-trail"; must be a trail ARN, arn:aws:cloudtrail:<region>:<12-digit account>:trail/<name>`,
            `${key("breakGlassAdministrators")}: "[\\"arn:aws:iam::000000000000:user/*\\"]"; "arn:aws:iam::000000000000:user/*" is not one IAM user's ARN; each item must be arn:aws:iam::<12-digit account>:user/[<path>/]<name>, without wildcards`,
            `${key("githubOwner")}: "example org"; must be a GitHub user or organization name (1-39 letters, digits, single hyphens)`,
            `${key("trailLogExpirationDays")}: "30"; must be at least trailObjectLockDays (365): S3 cannot expire a file still locked (${key("trailObjectLockDays")})`,
            `${key("githubOwnerId")}: not set; required when githubSubjectFormat is immutable: the ids are part of every sub claim`,
            `${key("githubRepositoryId")}: not set; required when githubSubjectFormat is immutable: the ids are part of every sub claim`,
            `${key("prodReviewerUserIds")}: "[]"; prodReviewerUserIds and prodReviewerTeamIds together must name 1 to 6 reviewers (0 given): prod deploys wait for one of them`,
        ]);
    });

    it("requires the administrators and the repository, and refuses the main program's settings", () => {
        expect(problemsWith({ [key("breakGlassAdministrators")]: undefined, [key("githubRepository")]: undefined, [key("alertEmails")]: "[]" })).toEqual([
            expect.stringMatching(new RegExp(`^${key("alertEmails")}: "\\[\\]"; unknown setting`)),
            `${key("breakGlassAdministrators")}: not set; required: set it with \`pulumi config set --path 'breakGlassAdministrators[0]' <value>\``,
            `${key("githubRepository")}: not set; required: set it with \`pulumi config set githubRepository <value>\``,
        ]);
    });

    it("requires the Pulumi organization with a Pulumi Cloud backend, not with an s3:// one", () => {
        expect(problemsWith({ [key("pulumiOrganization")]: undefined })).toEqual([
            `${key("pulumiOrganization")}: not set; required when pulumiBackendUrl is a Pulumi Cloud URL: CI's Pulumi tokens are exchanged in that organization`,
        ]);
        expect(problemsWith({ [key("pulumiOrganization")]: "acme org" })).toEqual([
            `${key("pulumiOrganization")}: "acme org"; must be a Pulumi organization name (1-100 letters, digits, . _ -)`,
        ]);
        expect(problemsWith({ [key("pulumiOrganization")]: undefined, [key("pulumiBackendUrl")]: "s3://hotelgenius-state" })).toEqual([]);
    });

    it("accepts an organization trail's ARN and the immutable format with both ids", () => {
        expect(
            problemsWith({
                [key("organizationTrailArn")]: "arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail",
                [key("githubSubjectFormat")]: "immutable",
                [key("githubOwnerId")]: "123456",
                [key("githubRepositoryId")]: "456789",
            }),
        ).toEqual([]);
    });
});

describe("docs/account.md", () => {
    it("holds the account settings table generated from the declarations (npm run docs:settings)", () => {
        const docs = readFileSync(ACCOUNT_DOC_PATH, "utf8");
        expect(Object.keys(ACCOUNT_SETTINGS)).toEqual(Object.keys(SETTINGS));
        expect(docs).toBe(withTable(docs, renderSettingsTable(ACCOUNT_SETTINGS, ACCOUNT_REGION_WHY)));
    });
});
