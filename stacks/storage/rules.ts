// Pure builders for the backup buckets' lifecycle rules, bucket policies, replication rule and
// replication role documents. Plain data in, plain data out: unit-tested without any Pulumi runtime,
// and turned into JSON by the component once the ARNs they mention are known.
import { ARCHIVE_STORAGE_CLASSES, lifecycleOrderProblems, type LifecycleRule, MIN_DAYS_IN_STANDARD, OBJECT_LOCK_MODES } from "../shared/lifecycle.js";
import type { BackupLayout } from "../shared/backupLayout.js";
import { REPLICATION_RULE_IDS } from "../shared/naming.js";
import type { BackupStorageSettings } from "./settings.js";
import { checkRoleArn, replicaProtectionProblem } from "./checks.js";
import type { PolicyDocument } from "../shared/iam.js";
import { serviceTrustPolicy } from "../shared/trustPolicy.js";

export interface ReplicationRule {
    id: string;
    status: "Enabled";
    priority: number;
    filter: { prefix: string };
    deleteMarkerReplication: { status: "Disabled" };
    sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } };
    destination: {
        bucket: string;
        encryptionConfiguration: { replicaKmsKeyId: string };
        metrics: { status: "Enabled"; eventThreshold?: { minutes: typeof RTC_MINUTES } };
        replicationTime?: { status: "Enabled"; time: { minutes: typeof RTC_MINUTES } };
    };
}

/** The dimensions of one rule's S3 replication metrics (AWS/S3 OperationsFailedReplication, ReplicationLatency, ...). */
export interface ReplicationMetricDimensions {
    SourceBucket: string;
    DestinationBucket: string;
    RuleId: string;
}

/** Where each bucket and key of the replication pair lives. */
export interface ReplicationEnds {
    sourceBucketArn: string;
    sourceKeyArn: string;
    sourceRegion: string;
    replicaBucketArn: string;
    replicaKeyArn: string;
    replicaRegion: string;
    /** Key prefixes replicated: the dumps and the manifests that make them restorable. */
    prefixes: readonly string[];
}

function isPositiveInteger(value: number): boolean {
    return Number.isInteger(value) && value > 0;
}

function layoutProblems(layout: BackupLayout): string[] {
    const problems: string[] = [];
    const { root, dumpPrefix, manifestPrefix } = layout;
    if (root === "" || root.startsWith("/") || root.endsWith("/")) {
        problems.push(`storage.layout.root is "${root}"; allowed: a non-empty key prefix without leading or trailing "/"`);
        return problems;
    }
    for (const [key, prefix] of [
        ["dumpPrefix", dumpPrefix],
        ["manifestPrefix", manifestPrefix],
    ] as const) {
        if (!prefix.startsWith(`${root}/`) || !prefix.endsWith("/") || prefix === `${root}/`) {
            problems.push(`storage.layout.${key} is "${prefix}"; allowed: a folder under the root, "${root}/<name>/"`);
        }
    }
    // Overlapping prefixes would put manifests under the dump rule (archive transitions, replication).
    if (dumpPrefix.startsWith(manifestPrefix) || manifestPrefix.startsWith(dumpPrefix)) {
        problems.push(
            `storage.layout.dumpPrefix "${dumpPrefix}" and storage.layout.manifestPrefix "${manifestPrefix}" overlap; allowed: two distinct folders, neither ` +
                `inside the other`,
        );
    }
    return problems;
}

/**
 * What S3, KMS and the backup contract would reject in these settings, one message per problem,
 * each naming the setting, its value and what is allowed; [] when the settings can be applied.
 */
export function storageSettingsProblems(settings: BackupStorageSettings): string[] {
    const problems = layoutProblems(settings.layout);
    const dayKeys = [
        "objectLockDays",
        "transitionToIaDays",
        "transitionToArchiveDays",
        "expirationDays",
        "noncurrentExpirationDays",
        "abortIncompleteUploadDays",
    ] as const;
    for (const key of dayKeys) {
        if (!isPositiveInteger(settings[key])) problems.push(`storage.${key} is ${settings[key]}; allowed: a whole number of days, at least 1`);
    }
    if (!OBJECT_LOCK_MODES.includes(settings.objectLockMode)) {
        problems.push(`storage.objectLockMode is "${settings.objectLockMode}"; allowed: ${OBJECT_LOCK_MODES.join(" or ")}`);
    }
    if (!ARCHIVE_STORAGE_CLASSES.includes(settings.archiveStorageClass)) {
        problems.push(`storage.archiveStorageClass is "${settings.archiveStorageClass}"; allowed: ${ARCHIVE_STORAGE_CLASSES.join(", ")}`);
    }
    if (settings.transitionToIaDays < MIN_DAYS_IN_STANDARD) {
        problems.push(
            `storage.transitionToIaDays is ${settings.transitionToIaDays}; allowed: at least ${MIN_DAYS_IN_STANDARD} (the S3 minimum for Standard-IA)`,
        );
    }
    for (const order of lifecycleOrderProblems(settings, (setting) => `storage.${setting}`)) {
        problems.push(`storage.${order.setting} is ${order.value}; ${order.allowed}`);
    }
    if (!Number.isInteger(settings.kmsDeletionWindowDays) || settings.kmsDeletionWindowDays < 7 || settings.kmsDeletionWindowDays > 30) {
        problems.push(`storage.kmsDeletionWindowDays is ${settings.kmsDeletionWindowDays}; allowed: a whole number from 7 to 30 (the KMS limits)`);
    }
    const roleArnProblem = checkRoleArn(settings.breakGlassRoleArn);
    if (roleArnProblem !== undefined) problems.push(`storage.breakGlassRoleArn is "${settings.breakGlassRoleArn}"; ${roleArnProblem}`);
    const replicaProblem = replicaProtectionProblem(settings, (setting) => `storage.${setting}`);
    if (replicaProblem !== undefined) problems.push(`storage.offSiteReplica is false; ${replicaProblem.allowed}`);
    return problems;
}

function commonRuleParts(settings: BackupStorageSettings) {
    return {
        expiration: { days: settings.expirationDays },
        noncurrentVersionExpiration: { noncurrentDays: settings.noncurrentExpirationDays },
        abortIncompleteMultipartUpload: { daysAfterInitiation: settings.abortIncompleteUploadDays },
    };
}

/** Dumps move to Standard-IA, then to the archive class, and expire; a versioned bucket keeps the old version for the noncurrent window. */
export function dumpLifecycleRule(settings: BackupStorageSettings): LifecycleRule {
    return {
        id: "dumps",
        status: "Enabled",
        filter: { prefix: settings.layout.dumpPrefix },
        transitions: [
            { days: settings.transitionToIaDays, storageClass: "STANDARD_IA" },
            { days: settings.transitionToArchiveDays, storageClass: settings.archiveStorageClass },
        ],
        ...commonRuleParts(settings),
    };
}

/**
 * Manifests expire on the same day as the dumps they describe: a manifest without its dump lists a
 * backup that cannot be restored, a dump without its manifest is invisible. They never transition:
 * objects under 128 KiB are billed as 128 KiB in Standard-IA and Glacier Instant Retrieval.
 */
export function manifestLifecycleRule(settings: BackupStorageSettings): LifecycleRule {
    return {
        id: "manifests",
        status: "Enabled",
        filter: { prefix: settings.layout.manifestPrefix },
        ...commonRuleParts(settings),
    };
}

/** Both buckets hold dumps and manifests (the replica receives both), so both get the same rules. */
export function backupLifecycleRules(settings: BackupStorageSettings): LifecycleRule[] {
    return [dumpLifecycleRule(settings), manifestLifecycleRule(settings)];
}

/** The only threshold S3 Replication Time Control offers, in minutes. */
const RTC_MINUTES = 15;

/**
 * Replicates new dumps and their manifests (never delete markers), re-encrypted under the replica's
 * own key. The manifests go too: the job treats a dump without a manifest as no backup at all, and
 * the manifest holds the checksum a restore verifies first, so a replica of dumps alone could not be
 * restored from.
 *
 * Replication metrics are always on: S3 accepts a configuration that cannot work (a wrong key, a
 * missing permission) and then fails object by object, silently but for these metrics and events.
 * Replication Time Control adds the 15-minute SLA and its missed-threshold events; S3 requires its
 * metrics to carry the same threshold then, and refuses a threshold without it.
 */
export function replicationRules(layout: BackupLayout, replicaBucketArn: string, replicaKeyArn: string, timeControl: boolean): ReplicationRule[] {
    const prefixes = [layout.dumpPrefix, layout.manifestPrefix];
    return REPLICATION_RULE_IDS.map((id, index) => ({
        id,
        status: "Enabled",
        priority: index + 1,
        filter: { prefix: prefixes[index]! },
        // Deleting a backup in the primary (by mistake or by an attacker) must not hide it in the replica.
        deleteMarkerReplication: { status: "Disabled" },
        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
        destination: {
            bucket: replicaBucketArn,
            encryptionConfiguration: { replicaKmsKeyId: replicaKeyArn },
            ...(timeControl
                ? {
                      metrics: { status: "Enabled", eventThreshold: { minutes: RTC_MINUTES } },
                      replicationTime: { status: "Enabled", time: { minutes: RTC_MINUTES } },
                  }
                : { metrics: { status: "Enabled" } }),
        },
    }));
}

/** One set of metric dimensions per replication rule, for the alarms on failed or late replication. */
export function replicationMetricDimensions(sourceBucket: string, destinationBucket: string): ReplicationMetricDimensions[] {
    return REPLICATION_RULE_IDS.map((RuleId) => ({ SourceBucket: sourceBucket, DestinationBucket: destinationBucket, RuleId }));
}

/**
 * Only S3, replicating this account's backup bucket, may assume the replication role: without the
 * source conditions any bucket owner who can name the role could make S3 replicate with it.
 */
export function replicationTrustPolicy(accountId: string, sourceBucketArn: string): PolicyDocument {
    return serviceTrustPolicy({ sid: "S3AssumesForReplication", service: "s3.amazonaws.com", account: accountId, sourceArn: sourceBucketArn });
}

/**
 * Least privilege for replicating the dump and manifest prefixes between two SSE-KMS buckets with Object Lock.
 * With S3 Bucket Keys the KMS encryption context is the bucket ARN rather than the object ARN, so
 * both forms are allowed. The replica key also needs Decrypt and GenerateDataKey: S3 checks and
 * derives the replica's bucket key with them, and a missing permission fails replication silently.
 */
export function replicationPermissions(ends: ReplicationEnds): PolicyDocument {
    const sourceObjects = ends.prefixes.map((prefix) => `${ends.sourceBucketArn}/${prefix}*`);
    const replicaObjects = ends.prefixes.map((prefix) => `${ends.replicaBucketArn}/${prefix}*`);
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadReplicationConfiguration",
                Effect: "Allow",
                Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                Resource: ends.sourceBucketArn,
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
                Resource: sourceObjects,
            },
            {
                Sid: "WriteReplicaBackups",
                Effect: "Allow",
                Action: ["s3:ReplicateObject", "s3:ReplicateTags"],
                Resource: replicaObjects,
            },
            {
                Sid: "DecryptSourceBackups",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: ends.sourceKeyArn,
                Condition: {
                    StringEquals: { "kms:ViaService": `s3.${ends.sourceRegion}.amazonaws.com` },
                    StringLike: { "kms:EncryptionContext:aws:s3:arn": [ends.sourceBucketArn, ...sourceObjects] },
                },
            },
            {
                Sid: "EncryptReplicaBackups",
                Effect: "Allow",
                Action: ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
                Resource: ends.replicaKeyArn,
                Condition: {
                    StringEquals: { "kms:ViaService": `s3.${ends.replicaRegion}.amazonaws.com` },
                    StringLike: { "kms:EncryptionContext:aws:s3:arn": [ends.replicaBucketArn, ...replicaObjects] },
                },
            },
        ],
    };
}
