import { describe, expect, it } from "vitest";
import { backupJobNames, backupStorageNames, bucketNameProblems, defaultTags, longestStackName, nameStem, physicalNameProblems } from "./naming.js";

const prod = { project: "hotelgenius-ops", stack: "prod" };
const staging = { project: "hotelgenius-ops", stack: "staging" };

describe("backupStorageNames", () => {
    it("derives every name from project, stack and (for the replica bucket) the replica region", () => {
        expect(backupStorageNames(prod, "us-west-2")).toEqual({
            bucket: "hotelgenius-ops-prod-backups",
            replicaBucket: "hotelgenius-ops-prod-backups-replica-us-west-2",
            keyAlias: "alias/hotelgenius-ops-prod-backups",
            replicaKeyAlias: "alias/hotelgenius-ops-prod-backups-replica",
            replicationRole: "hotelgenius-ops-prod-backup-replication",
        });
    });

    it("gives prod and staging disjoint names, even with the same replica region", () => {
        const prodNames = Object.values(backupStorageNames(prod, "eu-central-1"));
        const stagingNames = Object.values(backupStorageNames(staging, "eu-central-1"));
        expect(prodNames.filter((name) => stagingNames.includes(name))).toEqual([]);
        expect(new Set(prodNames).size).toBe(prodNames.length);
    });

    it("lowercases the stack so names stay valid for S3", () => {
        expect(backupStorageNames({ project: "hotelgenius-ops", stack: "Staging2" }, "eu-west-1").bucket).toBe("hotelgenius-ops-staging2-backups");
    });

    it("rejects a stack whose replica bucket name would exceed 63 characters, naming the name and the rule", () => {
        const stack = "feature-branch-preview";
        expect(() => backupStorageNames({ project: "hotelgenius-ops", stack }, "ap-southeast-2")).toThrow(
            /S3 bucket name "hotelgenius-ops-feature-branch-preview-backups-replica-ap-southeast-2" derived from project "hotelgenius-ops" and stack "feature-branch-preview" is 69 characters long; allowed: 3-63 characters/,
        );
        expect(backupStorageNames({ project: "hotelgenius-ops", stack: "feature-branch-previe" }, "eu-west-1").replicaBucket).toHaveLength(63);
    });

    it("rejects stack names with characters S3 refuses", () => {
        expect(() => backupStorageNames({ project: "hotelgenius-ops", stack: "dev_alice" }, "eu-west-1")).toThrow(
            /"hotelgenius-ops-dev_alice-backups".*contains characters other than lowercase letters, digits and hyphens/,
        );
        expect(() => backupStorageNames({ project: "hotelgenius-ops", stack: "dev.alice" }, "eu-west-1")).toThrow(/contains characters other/);
    });

    it("rejects an empty stack or project", () => {
        expect(() => nameStem({ project: "hotelgenius-ops", stack: " " })).toThrow(/must both be non-empty/);
        expect(() => nameStem({ project: "", stack: "prod" })).toThrow(/must both be non-empty/);
    });

    it("rejects a replica region that is not a region code", () => {
        expect(() => backupStorageNames(prod, "Frankfurt")).toThrow(/replica region "Frankfurt" is not an AWS region code/);
        expect(backupStorageNames(prod, "us-gov-west-1").replicaBucket).toBe("hotelgenius-ops-prod-backups-replica-us-gov-west-1");
    });
});

describe("bucketNameProblems", () => {
    it("accepts ordinary names at both length limits", () => {
        expect(bucketNameProblems("abc")).toEqual([]);
        expect(bucketNameProblems("a".repeat(63))).toEqual([]);
    });

    it("lists every problem of a bad name", () => {
        expect(bucketNameProblems("ab")).toEqual(["is 2 characters long"]);
        expect(bucketNameProblems("-Backups_")).toEqual([
            "contains characters other than lowercase letters, digits and hyphens",
            "does not start and end with a letter or digit",
        ]);
        expect(bucketNameProblems("xn--backups")).toEqual(["starts with the reserved prefix xn--"]);
        expect(bucketNameProblems("sthree-backups")).toEqual(["starts with the reserved prefix sthree-"]);
        expect(bucketNameProblems("backups-s3alias")).toEqual(["ends with the reserved suffix -s3alias"]);
        expect(bucketNameProblems("backups--x-s3")).toEqual(["ends with the reserved suffix --x-s3"]);
        expect(bucketNameProblems("my.backups")).toEqual(["contains characters other than lowercase letters, digits and hyphens"]);
    });
});

describe("defaultTags", () => {
    it("tags project, stack, the tool and the owner", () => {
        expect(defaultTags({ ...prod, owner: "platform-team" })).toEqual({
            project: "hotelgenius-ops",
            stack: "prod",
            "managed-by": "pulumi",
            owner: "platform-team",
        });
    });

    it("refuses an empty owner", () => {
        expect(() => defaultTags({ ...prod, owner: "" })).toThrow(/owner must be non-empty/);
    });
});

describe("backupJobNames", () => {
    it("derives every job name from project and stack, so prod and staging share none", () => {
        const prod = backupJobNames({ project: "hotelgenius-ops", stack: "prod" });
        expect(prod).toEqual({
            cluster: "hotelgenius-ops-prod-backup",
            repository: "hotelgenius-ops-prod/backup-job",
            logGroup: "/ecs/hotelgenius-ops-prod/backup-job",
            keyAlias: "alias/hotelgenius-ops-prod-backup-job",
            backupFamily: "hotelgenius-ops-prod-backup",
            drillFamily: "hotelgenius-ops-prod-restore-drill",
            backupExecutionRole: "hotelgenius-ops-prod-backup-execution",
            backupTaskRole: "hotelgenius-ops-prod-backup-task",
            drillExecutionRole: "hotelgenius-ops-prod-drill-execution",
            drillTaskRole: "hotelgenius-ops-prod-drill-task",
            schedulerRole: "hotelgenius-ops-prod-backup-scheduler",
            backupSchedule: "hotelgenius-ops-prod-backup",
            drillSchedule: "hotelgenius-ops-prod-restore-drill",
            deadLetterQueue: "hotelgenius-ops-prod-backup-schedule-dlq",
            securityGroup: "hotelgenius-ops-prod-backup-job",
            secretPrefix: "hotelgenius-ops-prod/backup-job/",
        });
        const staging = Object.values(backupJobNames({ project: "hotelgenius-ops", stack: "staging" }));
        expect(Object.values(prod).filter((name) => staging.includes(name))).toEqual([]);
    });

    it("refuses a stack name that makes a role name too long (the longest names of the job), naming the limit", () => {
        expect(() => backupJobNames({ project: "hotelgenius-ops", stack: "feature-branch-with-a-long-name-0123" })).toThrow(
            /IAM role name "hotelgenius-ops-feature-branch-with-a-long-name-0123-backup-execution" .*at most 64/,
        );
    });
});

describe("physical names a stack name must fit", () => {
    const clone = { offSiteReplica: false, replicaRegion: "eu-central-1", sentryProjectRoles: ["server", "client"] };
    const withReplica = { ...clone, offSiteReplica: true };

    it("checks only the resources the stack creates: no replica, no replica bucket or replication role", () => {
        const stack = "a".repeat(27);
        expect(physicalNameProblems({ project: "hotelgenius-ops", stack }, clone)).toEqual([]);
        expect(physicalNameProblems({ project: "hotelgenius-ops", stack }, withReplica)).toEqual([
            expect.stringMatching(/^S3 bucket name "hotelgenius-ops-a{27}-backups-replica-eu-central-1" .* is 72 characters long/),
        ]);
        expect(physicalNameProblems({ project: "hotelgenius-ops", stack: "b".repeat(30) }, withReplica)).toContainEqual(
            expect.stringMatching(/^IAM role name "hotelgenius-ops-b{30}-backup-replication" .* is invalid/),
        );
        expect(physicalNameProblems({ project: "hotelgenius-ops", stack: "b".repeat(30) }, clone).join()).not.toContain("replica");
    });

    it("lists every problem of a stack name at once, each naming the derived name and its service's rule", () => {
        const problems = physicalNameProblems({ project: "hotelgenius-ops", stack: "a.b" }, clone);
        expect(problems.map((problem) => /^(.+?) name "/.exec(problem)?.[1])).toEqual([
            "S3 bucket",
            "ECS cluster",
            "task definition family",
            "task definition family",
            "schedule",
            "schedule",
            "SQS queue",
            "S3 bucket",
            "SNS topic",
            "SNS topic",
            "SNS topic",
            "SNS topic",
            "CloudWatch dashboard",
            "Sentry slug",
            "Sentry slug",
            "Sentry slug",
        ]);
    });

    it("knows the longest stack name: the one that just fits every derived name", () => {
        expect(longestStackName("hotelgenius-ops", clone)).toBe(27);
        expect(longestStackName("hotelgenius-ops", withReplica)).toBe(18);
        expect(physicalNameProblems({ project: "hotelgenius-ops", stack: "a".repeat(28) }, clone)).not.toEqual([]);
        expect(physicalNameProblems({ project: "hotelgenius-ops", stack: "a".repeat(18) }, withReplica)).toEqual([]);
    });

    it("accepts prod and staging as they are", () => {
        expect(physicalNameProblems({ project: "hotelgenius-ops", stack: "prod" }, withReplica)).toEqual([]);
        expect(physicalNameProblems({ project: "hotelgenius-ops", stack: "staging" }, clone)).toEqual([]);
    });
});
