// Valid settings objects for tests that need a `Settings` without reading Pulumi config: a prod-like
// and a staging-like one, each taking overrides (storage and schedule merge field by field); and the
// small program the backup storage mock tests run.
import * as pulumi from "@pulumi/pulumi";
import { BackupJob } from "../stacks/backupJob.js";
import { BackupStorage } from "../stacks/backupStorage.js";
import type { BackupJobSettings } from "../stacks/backupJob.settings.js";
import type { BackupStorageSettings } from "../stacks/backupStorage.settings.js";
import type { BackupScheduleSettings, Settings } from "../stacks/settings/registry.js";
import { createProviders } from "../stacks/providers.js";
import { crontabOf } from "../stacks/settings/validators.js";

export interface SettingsOverrides extends Partial<Omit<Settings, "storage" | "schedule" | "job">> {
    storage?: Partial<BackupStorageSettings>;
    schedule?: Partial<BackupScheduleSettings>;
    job?: Partial<BackupJobSettings>;
}

const LAYOUT = { root: "hotelgenius", dumpPrefix: "hotelgenius/dumps/", manifestPrefix: "hotelgenius/manifests/" } as const;

/** The backup task as the stack defaults declare it, in the default VPC, without Sentry. */
function jobSettings(stack: string, schedule: BackupScheduleSettings): BackupJobSettings {
    const converted = crontabOf(schedule.expression);
    if ("reason" in converted) throw new Error(`fixture schedule ${schedule.expression} ${converted.reason}`);
    return {
        crontab: converted.crontab,
        drillSchedule: "cron(0 5 ? * MON *)",
        scratchDatabaseUrl: pulumi.secret(`postgres://drill:not-a-password@scratch.${stack}.example.invalid:5432/postgres?sslmode=require`),
        sentryDsn: undefined,
        checkinMarginMinutes: 30,
        maxRuntimeMinutes: 120,
        imageUri: undefined,
        postgresMajor: 17,
        architecture: "ARM64",
        cpu: 1024,
        memory: 2048,
        logRetentionDays: 90,
        containerInsights: true,
        network: undefined,
        assignPublicIp: true,
        imagesKept: 10,
    };
}

function build(base: Omit<Settings, "databaseUrl" | "job">, overrides: SettingsOverrides): Settings {
    const { storage, schedule, job, ...rest } = overrides;
    const fullSchedule = { ...base.schedule, ...schedule };
    return {
        ...base,
        // A syntactically real URL with an obviously fake host and password; never a real credential.
        databaseUrl: pulumi.secret(`postgres://backup:not-a-password@db.${base.stack}.example.invalid:5432/hotelgenius?sslmode=require`),
        ...rest,
        storage: { ...base.storage, layout: { ...base.storage.layout }, ...storage },
        schedule: fullSchedule,
        job: { ...jobSettings(base.stack, fullSchedule), ...job },
    };
}

/** Prod-like: long retention, compliance-mode lock, deep archive, data protected from deletion. */
export function prodSettings(overrides: SettingsOverrides = {}): Settings {
    return build(
        {
            project: "hotelgenius-ops",
            stack: "prod",
            region: "eu-west-1",
            owner: "platform-team",
            alertEmails: ["oncall@hotelgenius.example"],
            dataResidency: "eu",
            storage: {
                layout: LAYOUT,
                objectLockMode: "COMPLIANCE",
                objectLockDays: 35,
                transitionToIaDays: 30,
                transitionToArchiveDays: 90,
                archiveStorageClass: "DEEP_ARCHIVE",
                expirationDays: 400,
                noncurrentExpirationDays: 30,
                abortIncompleteUploadDays: 7,
                replicaRegion: "eu-central-1",
                kmsDeletionWindowDays: 30,
                protectData: true,
            },
            schedule: { expression: "cron(15 3 * * ? *)", timezone: "Europe/Paris" },
        },
        overrides,
    );
}

/** Staging-like: shortest lawful retention, governance-mode lock, nothing protected from destroy. */
export function stagingSettings(overrides: SettingsOverrides = {}): Settings {
    return build(
        {
            project: "hotelgenius-ops",
            stack: "staging",
            region: "eu-west-1",
            owner: "platform-team",
            alertEmails: ["staging-alerts@hotelgenius.example"],
            dataResidency: "eu",
            storage: {
                layout: LAYOUT,
                objectLockMode: "GOVERNANCE",
                objectLockDays: 7,
                transitionToIaDays: 30,
                transitionToArchiveDays: 60,
                archiveStorageClass: "GLACIER_IR",
                expirationDays: 90,
                noncurrentExpirationDays: 7,
                abortIncompleteUploadDays: 7,
                replicaRegion: "eu-central-1",
                kmsDeletionWindowDays: 7,
                protectData: false,
            },
            schedule: { expression: "cron(15 4 * * ? *)", timezone: "Europe/Paris" },
        },
        overrides,
    );
}

/** A program for `runOffline`: both providers and the backup storage component, built from `settings`. */
export function backupStorageProgram(settings: Settings): () => Promise<Record<string, unknown>> {
    return async () => {
        const providers = createProviders(settings);
        const storage = new BackupStorage(
            "backups",
            { project: settings.project, stack: settings.stack, region: settings.region, settings: settings.storage, replicaProvider: providers.replica },
            { provider: providers.primary },
        );
        return {
            bucketName: storage.bucketName,
            bucketArn: storage.bucketArn,
            keyArn: storage.keyArn,
            replicaBucketName: storage.replicaBucketName,
            replicaBucketArn: storage.replicaBucketArn,
            replicaKeyArn: storage.replicaKeyArn,
            replicationRoleArn: storage.replicationRoleArn,
            layout: storage.layout,
        };
    };
}

/** A program for `runOffline`: the backup storage and the backup job wired to it, as index.ts does. */
export function backupJobProgram(settings: Settings): () => Promise<Record<string, unknown>> {
    return async () => {
        const providers = createProviders(settings);
        const storage = new BackupStorage(
            "backups",
            { project: settings.project, stack: settings.stack, region: settings.region, settings: settings.storage, replicaProvider: providers.replica },
            { provider: providers.primary },
        );
        const job = new BackupJob(
            "backup-job",
            {
                project: settings.project,
                stack: settings.stack,
                region: settings.region,
                settings: settings.job,
                schedule: settings.schedule,
                databaseUrl: settings.databaseUrl,
                sentryDsn: settings.job.sentryDsn,
                bucketName: storage.bucketName,
                bucketArn: storage.bucketArn,
                backupKeyArn: storage.keyArn,
                layout: storage.layout,
            },
            { provider: providers.primary },
        );
        return { image: job.image, runBackupCommand: job.runBackupCommand, runDrillCommand: job.runDrillCommand, clusterArn: job.clusterArn };
    };
}
