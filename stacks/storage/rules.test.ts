import { describe, expect, it } from "vitest";
import { prodSettings, stagingSettings } from "../../test/fixtures.js";
import type { BackupStorageSettings } from "./settings.js";
import { bucketPolicy } from "../shared/hardenedBucket.js";
import {
    dumpLifecycleRule,
    manifestLifecycleRule,
    backupLifecycleRules,
    replicationMetricDimensions,
    replicationPermissions,
    replicationRules,
    replicationTrustPolicy,
    storageSettingsProblems,
} from "./rules.js";

const storage = (overrides: Partial<BackupStorageSettings> = {}): BackupStorageSettings => ({ ...prodSettings().storage, ...overrides });

describe("storageSettingsProblems", () => {
    it("accepts the prod and staging fixtures", () => {
        expect(storageSettingsProblems(prodSettings().storage)).toEqual([]);
        expect(storageSettingsProblems(stagingSettings().storage)).toEqual([]);
    });

    it("accepts the tightest schedule S3 allows", () => {
        expect(storageSettingsProblems(storage({ transitionToIaDays: 30, transitionToArchiveDays: 60, expirationDays: 61, objectLockDays: 61 }))).toEqual([]);
    });

    it("rejects a Standard-IA transition before day 30", () => {
        expect(storageSettingsProblems(storage({ transitionToIaDays: 29 }))).toEqual([
            "storage.transitionToIaDays is 29; allowed: at least 30 (the S3 minimum for Standard-IA)",
        ]);
    });

    it("rejects an archive transition less than 30 days after Standard-IA", () => {
        expect(storageSettingsProblems(storage({ transitionToIaDays: 30, transitionToArchiveDays: 59 }))).toEqual([
            "storage.transitionToArchiveDays is 59; must be at least 60: S3 keeps objects 30 days in Standard-IA before a later tier, and " +
                "storage.transitionToIaDays is 30",
        ]);
    });

    it("rejects expiration on or before the archive transition", () => {
        const settings = storage({ transitionToArchiveDays: 90, expirationDays: 90, objectLockDays: 30 });
        expect(storageSettingsProblems(settings)).toEqual([
            "storage.expirationDays is 90; must be greater than the last transition (90 days): S3 rejects an expiration at or before a transition",
        ]);
    });

    it("rejects object lock retention longer than expiration", () => {
        expect(storageSettingsProblems(storage({ objectLockDays: 400, expirationDays: 365 }))).toEqual([
            "storage.objectLockDays is 400; must be at most storage.expirationDays (365): a retention longer than the backups' lifetime keeps expired dumps, " +
                "and their cost, until the lock ends",
        ]);
    });

    it("rejects fractional, zero and negative day counts by name", () => {
        expect(storageSettingsProblems(storage({ abortIncompleteUploadDays: 0, noncurrentExpirationDays: 1.5 }))).toEqual([
            "storage.noncurrentExpirationDays is 1.5; allowed: a whole number of days, at least 1",
            "storage.abortIncompleteUploadDays is 0; allowed: a whole number of days, at least 1",
        ]);
    });

    it("rejects a KMS deletion window outside 7-30 days", () => {
        expect(storageSettingsProblems(storage({ kmsDeletionWindowDays: 6 }))).toEqual([
            "storage.kmsDeletionWindowDays is 6; allowed: a whole number from 7 to 30 (the KMS limits)",
        ]);
        expect(storageSettingsProblems(storage({ kmsDeletionWindowDays: 31 }))).toHaveLength(1);
    });

    it("rejects a break-glass role ARN that could match more than one role", () => {
        expect(storageSettingsProblems(storage({ breakGlassRoleArn: "arn:aws:iam::000000000000:role/*" }))).toEqual([
            'storage.breakGlassRoleArn is "arn:aws:iam::000000000000:role/*"; must be the ARN of one IAM role, arn:aws:iam::<12-digit ' +
                "account>:role/[<path>/]<name>, without wildcards (* or ?)",
        ]);
    });

    it("rejects unknown object lock modes and storage classes", () => {
        const settings = storage({ objectLockMode: "LEGAL_HOLD" as never, archiveStorageClass: "STANDARD" as never });
        expect(storageSettingsProblems(settings)).toEqual([
            'storage.objectLockMode is "LEGAL_HOLD"; allowed: GOVERNANCE or COMPLIANCE',
            'storage.archiveStorageClass is "STANDARD"; allowed: GLACIER_IR, GLACIER, DEEP_ARCHIVE',
        ]);
    });

    it("rejects a layout whose prefixes are outside the root, not folders, or overlapping", () => {
        expect(storageSettingsProblems(storage({ layout: { root: "/pg", dumpPrefix: "/pg/dumps/", manifestPrefix: "/pg/manifests/" } }))).toEqual([
            'storage.layout.root is "/pg"; allowed: a non-empty key prefix without leading or trailing "/"',
        ]);
        expect(storageSettingsProblems(storage({ layout: { root: "pg", dumpPrefix: "other/dumps/", manifestPrefix: "pg/manifests" } }))).toEqual([
            'storage.layout.dumpPrefix is "other/dumps/"; allowed: a folder under the root, "pg/<name>/"',
            'storage.layout.manifestPrefix is "pg/manifests"; allowed: a folder under the root, "pg/<name>/"',
        ]);
        expect(storageSettingsProblems(storage({ layout: { root: "pg", dumpPrefix: "pg/dumps/", manifestPrefix: "pg/dumps/manifests/" } }))).toEqual([
            'storage.layout.dumpPrefix "pg/dumps/" and storage.layout.manifestPrefix "pg/dumps/manifests/" overlap; allowed: two distinct folders, neither ' +
                "inside the other",
        ]);
    });
});

describe("lifecycle rules", () => {
    const settings = storage({
        layout: { root: "hotelgenius", dumpPrefix: "hotelgenius/dumps/", manifestPrefix: "hotelgenius/manifests/" },
        transitionToIaDays: 30,
        transitionToArchiveDays: 90,
        archiveStorageClass: "DEEP_ARCHIVE",
        expirationDays: 400,
        noncurrentExpirationDays: 14,
        abortIncompleteUploadDays: 3,
    });

    it("moves dumps to Standard-IA then the archive class, expires them and their old versions, and aborts stale uploads", () => {
        expect(dumpLifecycleRule(settings)).toEqual({
            id: "dumps",
            status: "Enabled",
            filter: { prefix: "hotelgenius/dumps/" },
            transitions: [
                { days: 30, storageClass: "STANDARD_IA" },
                { days: 90, storageClass: "DEEP_ARCHIVE" },
            ],
            expiration: { days: 400 },
            noncurrentVersionExpiration: { noncurrentDays: 14 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 3 },
        });
    });

    it("expires manifests on the dumps' day and never transitions them", () => {
        const manifests = manifestLifecycleRule(settings);
        expect(manifests).toEqual({
            id: "manifests",
            status: "Enabled",
            filter: { prefix: "hotelgenius/manifests/" },
            expiration: { days: 400 },
            noncurrentVersionExpiration: { noncurrentDays: 14 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 3 },
        });
        expect(manifests.expiration).toEqual(dumpLifecycleRule(settings).expiration);
        expect(manifests.noncurrentVersionExpiration).toEqual(dumpLifecycleRule(settings).noncurrentVersionExpiration);
    });

    it("gives the primary both rules and the replica only the dump rule", () => {
        expect(backupLifecycleRules(settings)).toEqual([dumpLifecycleRule(settings), manifestLifecycleRule(settings)]);
    });
});

describe("bucketPolicy", () => {
    const bucketArn = "arn:aws:s3:::hotelgenius-ops-prod-backups";
    const keyArn = "arn:aws:kms:eu-west-1:000000000000:key/primary";
    const policy = bucketPolicy(bucketArn, keyArn);

    it("denies every non-TLS request to the bucket and its objects", () => {
        expect(policy.Statement[0]).toEqual({
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucketArn, `${bucketArn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
    });

    it("denies uploads asking for another algorithm, the AWS managed key, or another key; headerless uploads get the default key", () => {
        expect(policy.Statement.slice(1)).toEqual([
            {
                Sid: "DenyEncryptionOtherThanKms",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:PutObject",
                Resource: `${bucketArn}/*`,
                Condition: {
                    Null: { "s3:x-amz-server-side-encryption": "false" },
                    StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
                },
            },
            {
                Sid: "DenyKmsWithoutKeyId",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:PutObject",
                Resource: `${bucketArn}/*`,
                Condition: {
                    StringEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
                    Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "true" },
                },
            },
            {
                Sid: "DenyOtherKmsKeys",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:PutObject",
                Resource: `${bucketArn}/*`,
                Condition: {
                    Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
                    StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn },
                },
            },
        ]);
    });

    // IAM's documented semantics for the operators the policy uses: conditions are ANDed; for a key
    // absent from the request, Null "true" matches, StringNotEquals and every IfExists form evaluate
    // to true, and every other operator to false.
    function conditionHolds(condition: Record<string, Record<string, string | string[]>>, request: Record<string, string>): boolean {
        return Object.entries(condition).every(([operator, keys]) =>
            Object.entries(keys).every(([key, expected]) => {
                const values = Array.isArray(expected) ? expected : [expected];
                const actual = request[key];
                if (operator === "Null") return (actual === undefined) === (values[0] === "true");
                const base = operator.replace(/IfExists$/, "");
                if (actual === undefined) return operator.endsWith("IfExists") || base === "StringNotEquals";
                if (base === "StringEquals" || base === "Bool") return values.includes(actual);
                if (base === "StringNotEquals") return !values.includes(actual);
                throw new Error(`operator ${operator} is not modelled by this test`);
            }),
        );
    }
    const denied = (action: string, request: Record<string, string>) =>
        policy.Statement.filter(
            (statement) =>
                (statement.Action === "s3:*" || statement.Action === action) && (!statement.Condition || conditionHolds(statement.Condition, request)),
        ).map((statement) => statement.Sid);
    const tls = { "aws:SecureTransport": "true" };
    const sse = "s3:x-amz-server-side-encryption";
    const sseKey = "s3:x-amz-server-side-encryption-aws-kms-key-id";

    it("lets through what the backup job sends: header-less parts, and uploads naming this key", () => {
        expect(denied("s3:PutObject", tls)).toEqual([]);
        expect(denied("s3:PutObject", { ...tls, [sse]: "aws:kms", [sseKey]: keyArn })).toEqual([]);
        expect(denied("s3:GetObject", tls)).toEqual([]);
    });

    it("refuses plain HTTP, another algorithm, the AWS managed key and any other key", () => {
        expect(denied("s3:GetObject", { "aws:SecureTransport": "false" })).toEqual(["DenyInsecureTransport"]);
        expect(denied("s3:PutObject", { ...tls, [sse]: "AES256" })).toEqual(["DenyEncryptionOtherThanKms"]);
        expect(denied("s3:PutObject", { ...tls, [sse]: "aws:kms" })).toEqual(["DenyKmsWithoutKeyId"]);
        expect(denied("s3:PutObject", { ...tls, [sse]: "aws:kms", [sseKey]: "arn:aws:kms:eu-west-1:000000000000:key/other" })).toEqual(["DenyOtherKmsKeys"]);
    });

    it("has only Deny statements: access is granted by IAM, never by the bucket", () => {
        expect(policy.Statement.every((statement) => statement.Effect === "Deny")).toBe(true);
        expect(policy.Version).toBe("2012-10-17");
    });
});

describe("replication", () => {
    const ends = {
        sourceBucketArn: "arn:aws:s3:::hotelgenius-ops-prod-backups",
        sourceKeyArn: "arn:aws:kms:eu-west-1:000000000000:key/primary",
        sourceRegion: "eu-west-1",
        replicaBucketArn: "arn:aws:s3:::hotelgenius-ops-prod-backups-replica-eu-central-1",
        replicaKeyArn: "arn:aws:kms:eu-central-1:000000000000:key/replica",
        replicaRegion: "eu-central-1",
        prefixes: ["hotelgenius/dumps/", "hotelgenius/manifests/"],
    };

    const layout = { root: "hotelgenius", dumpPrefix: "hotelgenius/dumps/", manifestPrefix: "hotelgenius/manifests/" };
    const common = {
        status: "Enabled",
        deleteMarkerReplication: { status: "Disabled" },
        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
    };

    it("replicates dumps and their manifests, KMS objects included, re-encrypted with the replica key, without delete markers, with metrics", () => {
        const destination = { bucket: ends.replicaBucketArn, encryptionConfiguration: { replicaKmsKeyId: ends.replicaKeyArn }, metrics: { status: "Enabled" } };
        expect(replicationRules(layout, ends.replicaBucketArn, ends.replicaKeyArn, false)).toEqual([
            { id: "dumps-off-site", priority: 1, filter: { prefix: "hotelgenius/dumps/" }, ...common, destination },
            { id: "manifests-off-site", priority: 2, filter: { prefix: "hotelgenius/manifests/" }, ...common, destination },
        ]);
    });

    it("adds Replication Time Control only when asked, with the 15-minute event threshold S3 then requires on the metrics", () => {
        const destination = {
            bucket: ends.replicaBucketArn,
            encryptionConfiguration: { replicaKmsKeyId: ends.replicaKeyArn },
            metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
            replicationTime: { status: "Enabled", time: { minutes: 15 } },
        };
        expect(replicationRules(layout, ends.replicaBucketArn, ends.replicaKeyArn, true)).toEqual([
            { id: "dumps-off-site", priority: 1, filter: { prefix: "hotelgenius/dumps/" }, ...common, destination },
            { id: "manifests-off-site", priority: 2, filter: { prefix: "hotelgenius/manifests/" }, ...common, destination },
        ]);
    });

    it("names the metric dimensions of each rule, with the rules' own ids", () => {
        const ids = replicationRules(layout, ends.replicaBucketArn, ends.replicaKeyArn, false).map((rule) => rule.id);
        expect(replicationMetricDimensions("source-bucket", "replica-bucket")).toEqual(
            ids.map((RuleId) => ({ SourceBucket: "source-bucket", DestinationBucket: "replica-bucket", RuleId })),
        );
        expect(ids).toEqual(["dumps-off-site", "manifests-off-site"]);
    });

    it("lets only S3, replicating this account's source bucket, assume the role (no confused deputy)", () => {
        expect(replicationTrustPolicy("000000000000", "arn:aws:s3:::source-bucket").Statement).toEqual([
            {
                Sid: "S3AssumesForReplication",
                Effect: "Allow",
                Principal: { Service: "s3.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": "000000000000" }, ArnLike: { "aws:SourceArn": "arn:aws:s3:::source-bucket" } },
            },
        ]);
    });

    it("grants reading source dumps with their lock state, writing replica dumps, and each key only through S3 in its region", () => {
        expect(replicationPermissions(ends).Statement).toEqual([
            {
                Sid: "ReadReplicationConfiguration",
                Effect: "Allow",
                Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                Resource: "arn:aws:s3:::hotelgenius-ops-prod-backups",
            },
            {
                Sid: "ReadSourceBackups",
                Effect: "Allow",
                Action: [
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging",
                    "s3:GetObjectRetention",
                    "s3:GetObjectLegalHold",
                ],
                Resource: [
                    "arn:aws:s3:::hotelgenius-ops-prod-backups/hotelgenius/dumps/*",
                    "arn:aws:s3:::hotelgenius-ops-prod-backups/hotelgenius/manifests/*",
                ],
            },
            {
                Sid: "WriteReplicaBackups",
                Effect: "Allow",
                Action: ["s3:ReplicateObject", "s3:ReplicateTags"],
                Resource: [
                    "arn:aws:s3:::hotelgenius-ops-prod-backups-replica-eu-central-1/hotelgenius/dumps/*",
                    "arn:aws:s3:::hotelgenius-ops-prod-backups-replica-eu-central-1/hotelgenius/manifests/*",
                ],
            },
            {
                Sid: "DecryptSourceBackups",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: ends.sourceKeyArn,
                Condition: {
                    StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
                    StringLike: {
                        "kms:EncryptionContext:aws:s3:arn": [
                            "arn:aws:s3:::hotelgenius-ops-prod-backups",
                            "arn:aws:s3:::hotelgenius-ops-prod-backups/hotelgenius/dumps/*",
                            "arn:aws:s3:::hotelgenius-ops-prod-backups/hotelgenius/manifests/*",
                        ],
                    },
                },
            },
            {
                Sid: "EncryptReplicaBackups",
                Effect: "Allow",
                Action: ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
                Resource: ends.replicaKeyArn,
                Condition: {
                    StringEquals: { "kms:ViaService": "s3.eu-central-1.amazonaws.com" },
                    StringLike: {
                        "kms:EncryptionContext:aws:s3:arn": [
                            "arn:aws:s3:::hotelgenius-ops-prod-backups-replica-eu-central-1",
                            "arn:aws:s3:::hotelgenius-ops-prod-backups-replica-eu-central-1/hotelgenius/dumps/*",
                            "arn:aws:s3:::hotelgenius-ops-prod-backups-replica-eu-central-1/hotelgenius/manifests/*",
                        ],
                    },
                },
            },
        ]);
    });

    it("never grants deletes or delete-marker replication", () => {
        const actions = replicationPermissions(ends).Statement.flatMap((statement) => statement.Action);
        expect(actions.filter((action) => /Delete/.test(action))).toEqual([]);
    });
});
