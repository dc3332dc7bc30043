// The prod-like stack under the mock runtime: exact inputs of everything that guards backup data.
// The staging-like run lives in staging.test.ts (one stack per file: vitest isolates
// files, and the Pulumi runtime is process-global).
import type * as aws from "@pulumi/aws";
import { beforeAll, describe, expect, it } from "vitest";
import { BREAK_GLASS_ROLE_ARN, backupStorageProgram, prodSettings, stagingSettings } from "../../test/fixtures.js";
import { MOCK_ACCOUNT, onlyResourceNamed, runOffline, type OfflineRun, type RecordedResource } from "../../scripts/offlinePlan/mockRuntime.js";
import { BACKUP_STORAGE_TYPE, BackupStorage } from "./component.js";
import { backupStorageNames } from "../shared/naming.js";
import { bucketPolicy } from "../shared/hardenedBucket.js";

const settings = prodSettings();
const BUCKET = "hotelgenius-ops-prod-backups";
const REPLICA_BUCKET = "hotelgenius-ops-prod-backups-replica-eu-central-1";
const KEY_ARN = `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT}:key/backups-key`;
const REPLICA_KEY_ARN = `arn:aws:kms:eu-central-1:${MOCK_ACCOUNT}:key/backups-replica-key`;

let run: OfflineRun;

beforeAll(async () => {
    run = await runOffline({ stack: "prod", config: { "aws:region": settings.region }, load: backupStorageProgram(settings) });
});

const named = (name: string): RecordedResource => onlyResourceNamed(run, name);

function providerUrn(name: string): string {
    return `${named(name).urn}::${name}-id`;
}

function policyStatements(name: string): unknown[] {
    return (JSON.parse(named(name).inputs["policy"] as string) as { Statement: unknown[] }).Statement;
}

describe("BackupStorage (prod settings)", () => {
    it("registers one component with exactly these resources under it", () => {
        const counts: Record<string, number> = {};
        for (const resource of run.resources) counts[resource.type] = (counts[resource.type] ?? 0) + 1;
        expect(counts).toEqual({
            "pulumi:providers:aws": 3,
            [BACKUP_STORAGE_TYPE]: 1,
            "aws:s3/bucket:Bucket": 2,
            "aws:s3/bucketVersioning:BucketVersioning": 2,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 2,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 2,
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 2,
            "aws:s3/bucketPolicy:BucketPolicy": 2,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 2,
            "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": 2,
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig": 1,
            "aws:kms/key:Key": 2,
            "aws:kms/alias:Alias": 2,
            "aws:iam/role:Role": 1,
            "aws:iam/rolePolicy:RolePolicy": 1,
        });
        const component = named("backups");
        expect(component.type).toBe(BACKUP_STORAGE_TYPE);
        const children = run.resources.filter((resource) => resource.custom && resource.type !== "pulumi:providers:aws");
        expect(children.every((child) => child.parent === component.urn && child.name.startsWith("backups-"))).toBe(true);
    });

    it("names both buckets from project + stack (+ replica region), never empties them on delete, with Object Lock from creation", () => {
        expect(named("backups-bucket").inputs).toEqual({ bucket: BUCKET, forceDestroy: false, objectLockEnabled: true });
        expect(named("backups-replica-bucket").inputs).toEqual({ bucket: REPLICA_BUCKET, forceDestroy: false, objectLockEnabled: true });
    });

    it("turns on all four public access block flags on both buckets", () => {
        for (const [name, bucket] of [
            ["backups-public-access", BUCKET],
            ["backups-replica-public-access", REPLICA_BUCKET],
        ]) {
            expect(named(name!).inputs).toEqual({
                bucket,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
        }
    });

    it("enforces bucket-owner ownership (no ACLs) on both buckets", () => {
        expect(named("backups-ownership").inputs).toEqual({ bucket: BUCKET, rule: { objectOwnership: "BucketOwnerEnforced" } });
        expect(named("backups-replica-ownership").inputs).toEqual({ bucket: REPLICA_BUCKET, rule: { objectOwnership: "BucketOwnerEnforced" } });
    });

    it("encrypts each bucket by default with its own customer key, with a bucket key, and blocks SSE-C", () => {
        for (const [name, bucket, keyArn] of [
            ["backups-encryption", BUCKET, KEY_ARN],
            ["backups-replica-encryption", REPLICA_BUCKET, REPLICA_KEY_ARN],
        ]) {
            expect(named(name!).inputs).toEqual({
                bucket,
                rules: [
                    {
                        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn },
                        bucketKeyEnabled: true,
                        blockedEncryptionTypes: ["SSE-C"],
                    },
                ],
            });
        }
        expect(named("backups-encryption").dependsOn).toContain(named("backups-key").urn);
        expect(named("backups-replica-encryption").dependsOn).toContain(named("backups-replica-key").urn);
    });

    it("creates two rotating customer keys with the configured deletion window and the guarded key policy, each behind a stack-named alias", () => {
        const keyPolicy = {
            Version: "2012-10-17",
            Statement: [
                { Sid: "DelegateToIam", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${MOCK_ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
                {
                    Sid: "DenyShortDeletionWindow",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "kms:ScheduleKeyDeletion",
                    Resource: "*",
                    Condition: { NumericLessThan: { "kms:ScheduleKeyDeletionPendingWindowInDays": "30" } },
                },
                {
                    Sid: "DenyDisableAndPolicyChanges",
                    Effect: "Deny",
                    Principal: "*",
                    Action: ["kms:DisableKey", "kms:PutKeyPolicy"],
                    Resource: "*",
                    Condition: { ArnNotEquals: { "aws:PrincipalArn": BREAK_GLASS_ROLE_ARN } },
                },
            ],
        };
        for (const [name, description] of [
            ["backups-key", "Backups of hotelgenius-ops prod"],
            ["backups-replica-key", "Off-site replica of the backups of hotelgenius-ops prod"],
        ]) {
            const { policy, ...rest } = named(name!).inputs;
            expect([name, rest]).toEqual([name, { description, enableKeyRotation: true, deletionWindowInDays: 30, bypassPolicyLockoutSafetyCheck: true }]);
            expect([name, JSON.parse(policy as string)]).toEqual([name, keyPolicy]);
        }
        expect(named("backups-key-alias").inputs).toEqual({ name: "alias/hotelgenius-ops-prod-backups", targetKeyId: "backups-key-id" });
        expect(named("backups-replica-key-alias").inputs).toEqual({
            name: "alias/hotelgenius-ops-prod-backups-replica",
            targetKeyId: "backups-replica-key-id",
        });
    });

    it("enables versioning on both buckets", () => {
        expect(named("backups-versioning").inputs).toEqual({ bucket: BUCKET, versioningConfiguration: { status: "Enabled" } });
        expect(named("backups-replica-versioning").inputs).toEqual({ bucket: REPLICA_BUCKET, versioningConfiguration: { status: "Enabled" } });
    });

    it("locks every new object version in compliance mode for the configured days, on both buckets", () => {
        for (const [name, bucket] of [
            ["backups-object-lock", BUCKET],
            ["backups-replica-object-lock", REPLICA_BUCKET],
        ]) {
            expect(named(name!).inputs).toEqual({
                bucket,
                objectLockEnabled: "Enabled",
                rule: { defaultRetention: { mode: "COMPLIANCE", days: 35 } },
            });
        }
    });

    it("applies the dump and manifest lifecycle rules to the primary bucket", () => {
        const lifecycle = named("backups-lifecycle");
        expect(lifecycle.inputs).toEqual({
            bucket: BUCKET,
            rules: [
                {
                    id: "dumps",
                    status: "Enabled",
                    filter: { prefix: "hotelgenius/dumps/" },
                    transitions: [
                        { days: 30, storageClass: "STANDARD_IA" },
                        { days: 90, storageClass: "DEEP_ARCHIVE" },
                    ],
                    expiration: { days: 400 },
                    noncurrentVersionExpiration: { noncurrentDays: 30 },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                },
                {
                    id: "manifests",
                    status: "Enabled",
                    filter: { prefix: "hotelgenius/manifests/" },
                    expiration: { days: 400 },
                    noncurrentVersionExpiration: { noncurrentDays: 30 },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                },
            ],
        });
    });

    it("expires replicated dumps and manifests in the replica on the primary's schedule", () => {
        const rules = named("backups-replica-lifecycle").inputs["rules"] as { id: string }[];
        expect(rules.map((rule) => rule.id)).toEqual(["dumps", "manifests"]);
        expect(rules).toEqual(named("backups-lifecycle").inputs["rules"]);
        expect(named("backups-replica-lifecycle").inputs["bucket"]).toBe(REPLICA_BUCKET);
    });

    it("replicates dumps and manifests, SSE-KMS objects included, re-encrypted with the replica key, without delete markers, with metrics but no RTC", () => {
        const replication = named("backups-replication");
        const rule = (id: string, priority: number, prefix: string) => ({
            id,
            status: "Enabled",
            priority,
            filter: { prefix },
            deleteMarkerReplication: { status: "Disabled" },
            sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
            destination: {
                bucket: `arn:aws:s3:::${REPLICA_BUCKET}`,
                encryptionConfiguration: { replicaKmsKeyId: REPLICA_KEY_ARN },
                metrics: { status: "Enabled" },
            },
        });
        expect(replication.inputs).toEqual({
            bucket: BUCKET,
            role: `arn:aws:iam::${MOCK_ACCOUNT}:role/hotelgenius-ops-prod-backup-replication`,
            rules: [rule("dumps-off-site", 1, "hotelgenius/dumps/"), rule("manifests-off-site", 2, "hotelgenius/manifests/")],
        });
        for (const dependency of ["backups-lifecycle", "backups-replica-versioning", "backups-replication-policy"]) {
            expect(replication.dependsOn).toContain(named(dependency).urn);
        }
    });

    it("denies non-TLS access and uploads under any other encryption or key, on each bucket with its own key", () => {
        // The statements themselves are asserted (and evaluated) in rules.test.ts and ../shared/hardenedBucket.test.ts; here, that
        // each bucket gets them for its own ARN and its own key.
        for (const [name, bucket, keyArn] of [
            ["backups-policy", BUCKET, KEY_ARN],
            ["backups-replica-policy", REPLICA_BUCKET, REPLICA_KEY_ARN],
        ]) {
            expect(named(name!).inputs["bucket"]).toBe(bucket);
            expect(JSON.parse(named(name!).inputs["policy"] as string)).toEqual(bucketPolicy(`arn:aws:s3:::${bucket}`, keyArn!));
            expect(policyStatements(name!).map((statement) => (statement as { Sid: string }).Sid)).toEqual([
                "DenyInsecureTransport",
                "DenyEncryptionOtherThanKms",
                "DenyKmsWithoutKeyId",
                "DenyOtherKmsKeys",
            ]);
        }
    });

    it("gives the replication role to S3 alone, with read on source dumps, replicate on replica dumps and each key via S3 in its region", () => {
        const role = named("backups-replication-role");
        expect(role.inputs["name"]).toBe("hotelgenius-ops-prod-backup-replication");
        expect(JSON.parse(role.inputs["assumeRolePolicy"] as string)).toEqual({
            Version: "2012-10-17",
            Statement: [{ Sid: "S3AssumesForReplication", Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }],
        });
        expect(named("backups-replication-policy").inputs["role"]).toBe("backups-replication-role-id");
        const statements = policyStatements("backups-replication-policy") as {
            Sid: string;
            Action: string | string[];
            Resource: string | string[];
            Condition?: unknown;
        }[];
        expect(statements.map((statement) => [statement.Sid, statement.Action, statement.Resource])).toEqual([
            ["ReadReplicationConfiguration", ["s3:GetReplicationConfiguration", "s3:ListBucket"], `arn:aws:s3:::${BUCKET}`],
            [
                "ReadSourceBackups",
                ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"],
                [`arn:aws:s3:::${BUCKET}/hotelgenius/dumps/*`, `arn:aws:s3:::${BUCKET}/hotelgenius/manifests/*`],
            ],
            [
                "WriteReplicaBackups",
                ["s3:ReplicateObject", "s3:ReplicateTags"],
                [`arn:aws:s3:::${REPLICA_BUCKET}/hotelgenius/dumps/*`, `arn:aws:s3:::${REPLICA_BUCKET}/hotelgenius/manifests/*`],
            ],
            ["DecryptSourceBackups", "kms:Decrypt", KEY_ARN],
            ["EncryptReplicaBackups", ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"], REPLICA_KEY_ARN],
        ]);
        expect(statements[3]!.Condition).toEqual({
            StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
            StringLike: {
                "kms:EncryptionContext:aws:s3:arn": [
                    `arn:aws:s3:::${BUCKET}`,
                    `arn:aws:s3:::${BUCKET}/hotelgenius/dumps/*`,
                    `arn:aws:s3:::${BUCKET}/hotelgenius/manifests/*`,
                ],
            },
        });
        expect(statements[4]!.Condition).toEqual({
            StringEquals: { "kms:ViaService": "s3.eu-central-1.amazonaws.com" },
            StringLike: {
                "kms:EncryptionContext:aws:s3:arn": [
                    `arn:aws:s3:::${REPLICA_BUCKET}`,
                    `arn:aws:s3:::${REPLICA_BUCKET}/hotelgenius/dumps/*`,
                    `arn:aws:s3:::${REPLICA_BUCKET}/hotelgenius/manifests/*`,
                ],
            },
        });
    });

    it("protects and retains every resource whose loss weakens the backups: all but the providers and the key aliases", () => {
        const custom = run.resources.filter((resource) => resource.custom && resource.type !== "pulumi:providers:aws");
        const unguarded = custom.filter((resource) => !resource.protect || !resource.retainOnDelete).map((resource) => resource.name);
        expect(unguarded.sort()).toEqual(["backups-key-alias", "backups-replica-key-alias"]);
    });

    it("applies each bucket's configurations one after the other, so S3 never sees two writes at once (409 OperationAborted)", () => {
        for (const prefix of ["backups", "backups-replica"]) {
            const chain = ["bucket", "public-access", "policy", "ownership", "encryption", "versioning", "object-lock", "lifecycle"].map(
                (part) => `${prefix}-${part}`,
            );
            for (const [index, name] of chain.entries()) {
                if (index > 0) expect([name, named(name).dependsOn]).toEqual([name, expect.arrayContaining([named(chain[index - 1]!).urn])]);
            }
        }
        expect(named("backups-replication").dependsOn).toContain(named("backups-lifecycle").urn);
    });

    it("creates replica-side resources through the replica provider and everything else through the primary one", () => {
        const primary = providerUrn("aws-primary");
        const replica = providerUrn("aws-replica");
        const custom = run.resources.filter((resource) => resource.custom && resource.type !== "pulumi:providers:aws");
        const onReplica = custom.filter((resource) => resource.provider === replica).map((resource) => resource.name);
        expect(onReplica.sort()).toEqual(
            [
                "backups-replica-bucket",
                "backups-replica-encryption",
                "backups-replica-key",
                "backups-replica-key-alias",
                "backups-replica-lifecycle",
                "backups-replica-object-lock",
                "backups-replica-ownership",
                "backups-replica-policy",
                "backups-replica-public-access",
                "backups-replica-versioning",
            ].sort(),
        );
        expect(custom.filter((resource) => resource.provider !== replica).every((resource) => resource.provider === primary)).toBe(true);
    });

    it("leaves tags to the providers' defaultTags: no resource sets its own", () => {
        expect(run.resources.filter((resource) => "tags" in resource.inputs).map((resource) => resource.name)).toEqual([]);
        expect(JSON.parse(named("aws-replica").inputs["defaultTags"] as string)).toEqual({
            tags: { project: "hotelgenius-ops", stack: "prod", "managed-by": "pulumi", owner: "platform-team" },
        });
    });

    it("outputs bucket names and ARNs, key ARNs, the prefix layout and the replication metrics' dimensions", () => {
        expect(run.outputs).toEqual({
            bucketName: BUCKET,
            bucketArn: `arn:aws:s3:::${BUCKET}`,
            keyArn: KEY_ARN,
            replicaBucketName: REPLICA_BUCKET,
            replicaBucketArn: `arn:aws:s3:::${REPLICA_BUCKET}`,
            replicaKeyArn: REPLICA_KEY_ARN,
            replicationRoleArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/hotelgenius-ops-prod-backup-replication`,
            layout: { root: "hotelgenius", dumpPrefix: "hotelgenius/dumps/", manifestPrefix: "hotelgenius/manifests/" },
            replicationMetricDimensions: [
                { SourceBucket: BUCKET, DestinationBucket: REPLICA_BUCKET, RuleId: "dumps-off-site" },
                { SourceBucket: BUCKET, DestinationBucket: REPLICA_BUCKET, RuleId: "manifests-off-site" },
            ],
        });
    });

    it("claims no physical name that staging would derive", () => {
        const staging = stagingSettings();
        const stagingNames = Object.values(backupStorageNames(staging, staging.storage.replicaRegion));
        const physical = run.resources.flatMap((resource) =>
            ["aws:s3/bucket:Bucket", "aws:kms/alias:Alias", "aws:iam/role:Role"].includes(resource.type)
                ? [resource.inputs[resource.type.endsWith("Bucket") ? "bucket" : "name"]]
                : [],
        );
        expect(physical).toHaveLength(5);
        expect(physical.filter((name) => stagingNames.includes(name as string))).toEqual([]);
    });
});

describe("BackupStorage argument checks", () => {
    const replicaProvider = {} as aws.Provider;
    const args = (overrides: Partial<typeof settings.storage>, region = settings.region) => ({
        project: settings.project,
        stack: settings.stack,
        region,
        settings: { ...settings.storage, ...overrides },
        replicaProvider,
    });

    it("rejects every invalid argument at once, before registering anything", () => {
        const before = run.resources.length;
        expect(() => new BackupStorage("bad", args({ objectLockDays: 500, transitionToIaDays: 10 }, "eu-central-1"))).toThrow(
            [
                "BackupStorage arguments are invalid:",
                "  - storage.transitionToIaDays is 10; allowed: at least 30 (the S3 minimum for Standard-IA)",
                "  - storage.objectLockDays is 500; must be at most storage.expirationDays (400): a retention longer than the backups' lifetime keeps " +
                    "expired dumps, and their cost, until the lock ends",
                '  - storage.replicaRegion is "eu-central-1", the primary region; allowed: any other region, or the copy is not off-site',
                "  - replicaProvider is not an aws.Provider; allowed: the provider for storage.replicaRegion (createProviders(settings).replica)",
            ].join("\n"),
        );
        expect(run.resources.length).toBe(before);
    });

    it("reports a stack name that cannot make a valid bucket name among the other problems", () => {
        expect(() => new BackupStorage("bad", { ...args({}), stack: "Feature_Branch" })).toThrow(
            [
                "BackupStorage arguments are invalid:",
                "  - replicaProvider is not an aws.Provider; allowed: the provider for storage.replicaRegion (createProviders(settings).replica)",
                '  - S3 bucket name "hotelgenius-ops-feature_branch-backups" derived from project "hotelgenius-ops" and stack "Feature_Branch" contains ' +
                    "characters other than lowercase letters, digits and hyphens;",
            ].join("\n"),
        );
    });
});
