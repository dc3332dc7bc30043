import * as pulumi from "@pulumi/pulumi";

/** S3 storage classes a lifecycle rule may move dumps to after Standard-IA. */
export type ArchiveStorageClass = "GLACIER_IR" | "GLACIER" | "DEEP_ARCHIVE";
export type ObjectLockMode = "GOVERNANCE" | "COMPLIANCE";

/** Where the backup job writes inside the bucket; the lifecycle rules filter on these prefixes. */
export interface BackupLayout {
    /** Target the job is given: s3://<bucket>/<root>. */
    root: string;
    /** `${root}/dumps/` — one `<id>.pgdump.zst` per backup. */
    dumpPrefix: string;
    /** `${root}/manifests/` — one `<id>.json` per backup, written last. */
    manifestPrefix: string;
}

export interface BackupStorageSettings {
    layout: BackupLayout;
    objectLockMode: ObjectLockMode;
    objectLockDays: number;
    transitionToIaDays: number;
    transitionToArchiveDays: number;
    archiveStorageClass: ArchiveStorageClass;
    expirationDays: number;
    noncurrentExpirationDays: number;
    abortIncompleteUploadDays: number;
    replicaRegion: string;
    kmsDeletionWindowDays: number;
    /** protect + retainOnDelete on every resource that holds backup data. */
    protectData: boolean;
}

export interface BackupScheduleSettings {
    /** EventBridge Scheduler expression: cron(m h dom mon dow y) or rate(n unit). */
    expression: string;
    /** IANA time zone the cron expression is read in. */
    timezone: string;
}

export interface Settings {
    project: string;
    stack: string;
    /** Primary AWS region (the `aws:region` provider setting). */
    region: string;
    /** Team or person answerable for the resources; the `owner` tag. */
    owner: string;
    alertEmails: readonly string[];
    storage: BackupStorageSettings;
    schedule: BackupScheduleSettings;
    /** Connection string the backup job dumps from; always a secret. */
    databaseUrl: pulumi.Output<string>;
}
