// The backup storage's settings: lifecycle, Object Lock, replica, keys. Defaults are chosen for prod;
// docs/settings.md gives each one's reason (generated from the `why` here).
import { defineArea, flag, integer, oneOf, text, type RelationProblem, type Values } from "../settings/spec.js";
import { checkDataRegion, type DataResidency } from "../settings/checks.js";
import type { BackupLayout } from "../shared/backupLayout.js";
import { checkPrefixRoot, checkRoleArn, replicaProtectionProblem } from "./checks.js";
import {
    ARCHIVE_STORAGE_CLASSES,
    type ArchiveStorageClass,
    lifecycleOrderProblems,
    MAX_DAYS,
    MIN_DAYS_IN_STANDARD,
    OBJECT_LOCK_MODES,
    type ObjectLockMode,
} from "../shared/lifecycle.js";

const days = (options: Omit<Parameters<typeof integer>[0], "min" | "max"> & { min?: number; max?: number }) => integer({ min: 1, max: MAX_DAYS, ...options });

export const backupStorageArea = defineArea({
    name: "backupStorage",
    settings: {
        replicaRegion: text({
            default: "eu-central-1",
            allowed: "an AWS region code other than `aws:region`; an EU region while `dataResidency` is `eu`",
            description: "AWS region of the off-site backup replica; must differ from aws:region.",
            why:
                "The off-site copy of the 3-2-1 rule: Frankfurt, about 500 km from Paris, so one regional outage cannot take both copies, and still in the " +
                "EU.",
        }),
        offSiteReplica: flag({
            default: true,
            allowed: "`true`; `false` only while `protectData` is `false`",
            description:
                "Replicate the backups to an equally hardened bucket in replicaRegion; false (non-production clones only) creates no replica, replication or " +
                "replica alerts.",
            why:
                "The off-site copy of the 3-2-1 rule: without it one regional outage, or one stolen set of primary credentials, can take every backup. " +
                "`false` is for non-production clones (staging), whose anonymized dumps are rebuilt at will and need no second region: no replica bucket, " +
                "key, replication or replica alerts, and `replicaRegion` goes unused.",
        }),
        backupRoot: text({
            default: "postgres",
            check: checkPrefixRoot,
            allowed: "`/`-separated segments of letters, digits, `.`, `_`, `-`, with no leading or trailing `/`",
            description: "Key prefix root in the backup bucket; dumps go to <root>/dumps/, manifests to <root>/manifests/.",
            why: "Dumps go to `<root>/dumps/` and manifests to `<root>/manifests/`. Lifecycle and replication rules filter on these prefixes.",
        }),
        objectLockMode: oneOf(OBJECT_LOCK_MODES, {
            // COMPLIANCE: not even the account root can shorten it, so stolen admin credentials cannot
            // destroy the last month of backups; the bounded retention caps what a mistake can cost.
            default: "COMPLIANCE" as ObjectLockMode,
            description: "S3 Object Lock mode of the backups, GOVERNANCE (admins may bypass) or COMPLIANCE (nobody may).",
            why: "See [Object Lock](#object-lock-compliance-in-prod).",
        }),
        objectLockDays: days({
            default: 35,
            allowed: "1–36500, at most `expirationDays`",
            description: "Days each backup object is immutable; at most expirationDays.",
            why: "A month of daily dumps plus about a week to notice an attack. No one can delete those dumps during that time.",
        }),
        transitionToIaDays: days({
            default: 30,
            min: MIN_DAYS_IN_STANDARD,
            rangeReason: ` (S3 refuses Standard-IA transitions before day ${MIN_DAYS_IN_STANDARD})`,
            description: "Days after creation a backup moves to S3 Standard-IA (S3 requires at least 30).",
            why: "The earliest day S3 allows. Dumps are written once and rarely read after the first days.",
        }),
        transitionToArchiveDays: days({
            default: 90,
            allowed: "at least `transitionToIaDays` + 30 (S3 keeps objects 30 days in Standard-IA)",
            description: "Days after creation a backup moves to the archive class; at least transitionToIaDays + 30.",
            why: "The last quarter, where most restores and drills happen, stays in Standard-IA. Its retrieval is cheaper than Glacier Instant Retrieval's.",
        }),
        archiveStorageClass: oneOf(ARCHIVE_STORAGE_CLASSES, {
            // Glacier Instant Retrieval keeps old dumps readable by a plain GetObject, so `restore`
            // works on any dump without a separate thaw step.
            default: "GLACIER_IR" as ArchiveStorageClass,
            description: "Archive storage class, GLACIER_IR, GLACIER or DEEP_ARCHIVE.",
            why:
                "Glacier Instant Retrieval is read by a plain GetObject, so `restore` works on a dump of any age. `GLACIER` and `DEEP_ARCHIVE` cost less, " +
                "but each dump first needs a RestoreObject request and a wait of minutes to hours.",
        }),
        expirationDays: days({
            default: 365,
            allowed: "greater than the last transition (S3 rule)",
            description: "Days after creation a backup expires; after the last transition.",
            why:
                "A year of history, which covers a full booking season and yearly audits. Keep at least the class's minimum storage duration after the " +
                "archive transition (90 days for `GLACIER_IR` and `GLACIER`, 180 for `DEEP_ARCHIVE`), or S3 charges early deletion.",
        }),
        noncurrentExpirationDays: days({
            default: 30,
            description: "Days a noncurrent (deleted or overwritten) backup version is kept before deletion.",
            why: "How long a deleted or overwritten dump version can still be recovered. Object Lock already keeps recent versions beyond this.",
        }),
        abortIncompleteUploadDays: days({
            default: 7,
            description: "Days after which unfinished multipart uploads are aborted and their parts deleted.",
            why: "Parts of a crashed multipart upload are billed but invisible. A week leaves time to investigate, then cleans them up.",
        }),
        kmsDeletionWindowDays: integer({
            default: 30,
            min: 7,
            max: 30,
            rangeReason: " (the window AWS KMS allows)",
            description: "Waiting period (7-30 days) before a scheduled KMS key deletion takes effect.",
            why:
                "Deleting the key makes every backup unreadable, lock or no lock. The longest window gives the most time to notice and cancel. The key " +
                "policy refuses any shorter window, to everyone.",
        }),
        breakGlassRoleArn: text({
            check: checkRoleArn,
            allowed: "the ARN of one IAM role in the account that owns the backups, `arn:aws:iam::<account>:role/[<path>/]<name>`, without wildcards",
            description: "ARN of the IAM role, in the backups' account, that alone may disable the backup KMS keys or change their key policy.",
            why:
                "No default: a guessed role that does not exist could be created by any IAM administrator, and one in another account could never act. See " +
                "[The KMS key policy](#the-kms-key-policy).",
        }),
        replicationTimeControl: flag({
            default: false,
            description: "Turn on S3 Replication Time Control (15-minute replication SLA, billed per GB replicated) on both replication rules.",
            why:
                "Replication metrics are always on, so failed replication alarms without it. The 15-minute SLA and its missed-threshold events matter when " +
                "data changes all day; one nightly dump whose recovery point is a day old does not need them, and RTC adds a charge per GB replicated.",
        }),
        protectData: flag({
            default: true,
            description:
                "Protect every backup storage resource from deletion (and retain it if unprotected); false lets pulumi destroy empty and delete the buckets.",
            why:
                "Every resource whose loss weakens the backups (buckets, keys, bucket policies, encryption, versioning, Object Lock, lifecycle, " +
                "replication) is `protect`ed, so neither `pulumi destroy` nor a refactor can delete it. `false` (staging) also sets `forceDestroy`: see " +
                "[Tearing staging down](#tearing-staging-down).",
        }),
    },
    relations: (values, context) => {
        const problems: RelationProblem[] = [];
        const { replicaRegion } = values;
        if (replicaRegion !== undefined) {
            const reason = checkDataRegion(replicaRegion, values["dataResidency"] as DataResidency | undefined);
            if (reason !== undefined) problems.push({ setting: "replicaRegion", value: replicaRegion, allowed: reason });
            else if (replicaRegion === context.region) {
                problems.push({
                    setting: "replicaRegion",
                    value: replicaRegion,
                    allowed: `must differ from the primary region aws:region (${context.region}): an off-site copy in the same region is not off-site`,
                });
            }
        }
        for (const order of lifecycleOrderProblems(values, context.keyOf)) problems.push(order);
        const replicaProblem = replicaProtectionProblem(values, context.keyOf);
        if (replicaProblem !== undefined) problems.push(replicaProblem);
        return problems;
    },
});

export interface BackupStorageSettings extends Omit<Values<typeof backupStorageArea.settings>, "backupRoot"> {
    layout: BackupLayout;
}

export function backupStorageSettings(values: Values<typeof backupStorageArea.settings>): BackupStorageSettings {
    const { backupRoot, ...rest } = values;
    return { ...rest, layout: { root: backupRoot, dumpPrefix: `${backupRoot}/dumps/`, manifestPrefix: `${backupRoot}/manifests/` } };
}
