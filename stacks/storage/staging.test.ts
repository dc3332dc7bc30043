// The staging-like stack under the mock runtime, in its own file because the Pulumi runtime is
// process-global: what differs from prod (nothing protected, governance lock, shorter lifecycle)
// and that none of its physical names collide with prod's.
import { beforeAll, describe, expect, it } from "vitest";
import { backupStorageProgram, prodSettings, stagingSettings } from "../../test/fixtures.js";
import { onlyResourceNamed, runOffline, type OfflineRun, type RecordedResource } from "../../scripts/offlinePlan/mockRuntime.js";
import { backupStorageNames } from "../shared/naming.js";

const settings = stagingSettings();
let run: OfflineRun;

beforeAll(async () => {
    run = await runOffline({ stack: "staging", config: { "aws:region": settings.region }, load: backupStorageProgram(settings) });
});

const named = (name: string): RecordedResource => onlyResourceNamed(run, name);

describe("BackupStorage (staging settings)", () => {
    it("protects and retains nothing, so the stack can be torn down", () => {
        const dataResources = [
            "backups-bucket",
            "backups-key",
            "backups-object-lock",
            "backups-replica-bucket",
            "backups-replica-key",
            "backups-replica-object-lock",
        ];
        for (const name of dataResources) expect([name, named(name).protect, named(name).retainOnDelete]).toEqual([name, false, false]);
        expect(run.resources.filter((resource) => resource.protect || resource.retainOnDelete)).toEqual([]);
    });

    it("empties both buckets on delete (forceDestroy), so `pulumi destroy` can remove them", () => {
        expect(named("backups-bucket").inputs).toEqual({ bucket: "hotelgenius-ops-staging-backups", forceDestroy: true, objectLockEnabled: true });
        expect(named("backups-replica-bucket").inputs["forceDestroy"]).toBe(true);
    });

    it("locks in governance mode for staging's days, on both buckets", () => {
        for (const name of ["backups-object-lock", "backups-replica-object-lock"]) {
            expect(named(name).inputs["rule"]).toEqual({ defaultRetention: { mode: "GOVERNANCE", days: 7 } });
        }
    });

    it("uses staging's lifecycle days and archive class", () => {
        const [dumps, manifests] = named("backups-lifecycle").inputs["rules"] as Record<string, unknown>[];
        expect(dumps).toEqual({
            id: "dumps",
            status: "Enabled",
            filter: { prefix: "hotelgenius/dumps/" },
            transitions: [
                { days: 30, storageClass: "STANDARD_IA" },
                { days: 60, storageClass: "GLACIER_IR" },
            ],
            expiration: { days: 90 },
            noncurrentVersionExpiration: { noncurrentDays: 7 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        });
        expect(manifests).toEqual({
            id: "manifests",
            status: "Enabled",
            filter: { prefix: "hotelgenius/manifests/" },
            expiration: { days: 90 },
            noncurrentVersionExpiration: { noncurrentDays: 7 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        });
        expect(named("backups-key").inputs["deletionWindowInDays"]).toBe(7);
        // The key policy lets `pulumi destroy` schedule the deletion with the stack's own window.
        for (const key of ["backups-key", "backups-replica-key"]) {
            const statements = (JSON.parse(named(key).inputs["policy"] as string) as { Statement: { Sid: string; Condition?: unknown }[] }).Statement;
            expect(statements.find((statement) => statement.Sid === "DenyShortDeletionWindow")?.Condition).toEqual({
                NumericLessThan: { "kms:ScheduleKeyDeletionPendingWindowInDays": "7" },
            });
        }
    });

    it("derives every physical name from the staging stack, disjoint from prod's", () => {
        const physical = run.resources.flatMap((resource) =>
            ["aws:s3/bucket:Bucket", "aws:kms/alias:Alias", "aws:iam/role:Role"].includes(resource.type)
                ? [resource.inputs[resource.type.endsWith("Bucket") ? "bucket" : "name"]]
                : [],
        );
        expect(physical.sort()).toEqual(
            [
                "hotelgenius-ops-staging-backups",
                "hotelgenius-ops-staging-backups-replica-eu-central-1",
                "alias/hotelgenius-ops-staging-backups",
                "alias/hotelgenius-ops-staging-backups-replica",
                "hotelgenius-ops-staging-backup-replication",
            ].sort(),
        );
        const prod = prodSettings();
        const prodNames = Object.values(backupStorageNames(prod, prod.storage.replicaRegion));
        expect(physical.filter((name) => prodNames.includes(name as string))).toEqual([]);
    });

    it("tags through the providers with the staging stack name", () => {
        for (const provider of ["aws-primary", "aws-replica"]) {
            expect(JSON.parse(named(provider).inputs["defaultTags"] as string)).toEqual({
                tags: { project: "hotelgenius-ops", stack: "staging", "managed-by": "pulumi", owner: "platform-team" },
            });
        }
    });
});
