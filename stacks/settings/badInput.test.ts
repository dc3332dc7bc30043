import { describe, expect, it } from "vitest";
import { DIRECT_URL } from "../../test/fixtures.js";
import { DB_KEY, expectOnlyProblem, key, parse, PASSWORD, problemsOf, SCRATCH_KEY } from "../../test/settingsParsing.js";
import { OFFLINE_SECRET } from "./spec.js";

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
