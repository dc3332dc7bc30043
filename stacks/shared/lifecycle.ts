// How long objects live in the buckets that hold data (backups, log archive): the lifecycle rule's
// shape, the storage classes, the Object Lock modes, and the order S3 and Object Lock impose on the day settings.

export interface LifecycleRule {
    id: string;
    status: "Enabled";
    filter: { prefix: string };
    transitions?: { days: number; storageClass: string }[];
    expiration: { days: number };
    noncurrentVersionExpiration: { noncurrentDays: number };
    abortIncompleteMultipartUpload: { daysAfterInitiation: number };
}

/** S3 storage classes a lifecycle rule may move dumps to after Standard-IA. */
export const ARCHIVE_STORAGE_CLASSES = ["GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] as const;
export type ArchiveStorageClass = (typeof ARCHIVE_STORAGE_CLASSES)[number];

export const OBJECT_LOCK_MODES = ["GOVERNANCE", "COMPLIANCE"] as const;
export type ObjectLockMode = (typeof OBJECT_LOCK_MODES)[number];

/** S3 refuses Standard-IA transitions earlier than this, and archive tiers sooner than this after Standard-IA. */
export const MIN_DAYS_IN_STANDARD = 30;
export const MIN_DAYS_IN_IA = 30;
/** Longest retention or lifetime accepted, in days (100 years). */
export const MAX_DAYS = 36_500;

/** The day settings whose order S3 lifecycle rules and Object Lock constrain. */
export interface LifecycleDays {
    transitionToIaDays?: number | undefined;
    transitionToArchiveDays?: number | undefined;
    expirationDays?: number | undefined;
    objectLockDays?: number | undefined;
}

export interface LifecycleOrderProblem {
    setting: keyof LifecycleDays;
    value: number;
    allowed: string;
}

/**
 * The order between the day settings, in one place for the stack's config check and the
 * BackupStorage component's own argument check. `nameOf` spells a setting as the caller's user
 * knows it (a config key or a component argument); a setting left undefined (already refused as
 * malformed) is skipped rather than reported twice.
 */
export function lifecycleOrderProblems(days: LifecycleDays, nameOf: (setting: keyof LifecycleDays) => string): LifecycleOrderProblem[] {
    const { transitionToIaDays: ia, transitionToArchiveDays: archive, expirationDays: expiration, objectLockDays: lock } = days;
    const problems: LifecycleOrderProblem[] = [];
    if (ia !== undefined && archive !== undefined && archive < ia + MIN_DAYS_IN_IA) {
        problems.push({
            setting: "transitionToArchiveDays",
            value: archive,
            allowed:
                `must be at least ${ia + MIN_DAYS_IN_IA}: S3 keeps objects ${MIN_DAYS_IN_IA} days in Standard-IA before a later tier, and ` +
                `${nameOf("transitionToIaDays")} is ${ia}`,
        });
    }
    const lastTransition = archive ?? ia;
    if (expiration !== undefined && lastTransition !== undefined && expiration <= lastTransition) {
        problems.push({
            setting: "expirationDays",
            value: expiration,
            allowed: `must be greater than the last transition (${lastTransition} days): S3 rejects an expiration at or before a transition`,
        });
    }
    if (lock !== undefined && expiration !== undefined && lock > expiration) {
        problems.push({
            setting: "objectLockDays",
            value: lock,
            allowed:
                `must be at most ${nameOf("expirationDays")} (${expiration}): a retention longer than the backups' lifetime keeps expired dumps, and ` +
                `their cost, until the lock ends`,
        });
    }
    return problems;
}
