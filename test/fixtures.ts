// Valid settings objects for tests that need a `Settings` without reading Pulumi config: a prod-like
// and a staging-like one, each taking overrides (storage merges field by field); and the
// small program the backup storage mock tests run.
import * as pulumi from "@pulumi/pulumi";
import { BackupJob } from "../stacks/backupJob/component.js";
import { BackupStorage } from "../stacks/storage/component.js";
import { LogDrains } from "../stacks/logDrains/component.js";
import type { BackupJobSettings } from "../stacks/backupJob/settings.js";
import type { BackupStorageSettings } from "../stacks/storage/settings.js";
import type { LogDrainSettings } from "../stacks/logDrains/settings.js";
import type { AlertsSettings } from "../stacks/alerts/settings.js";
import { type BackupSchedule, backupSchedule } from "../stacks/backupJob/schedule.js";
import type { MonitoringSettings } from "../stacks/sentry/settings.js";
import type { Settings } from "../stacks/settings/registry.js";
import { createProviders, type Providers } from "../stacks/shared/providers.js";
import type { AlertsArgs } from "../stacks/alerts/arguments.js";
import { MOCK_ACCOUNT } from "../scripts/offlinePlan/mockRuntime.js";
import { backupJobArgs } from "../stacks/backupJob/args.js";
import { backupStorageArgs } from "../stacks/storage/args.js";
import { logDrainsArgs } from "../stacks/logDrains/args.js";

export interface SettingsOverrides extends Partial<Omit<Settings, "storage" | "job" | "logDrains" | "monitoring" | "alerts">> {
    storage?: Partial<BackupStorageSettings>;
    logDrains?: Partial<LogDrainSettings>;
    monitoring?: Partial<MonitoringSettings>;
    alerts?: Partial<AlertsSettings>;
    job?: Partial<BackupJobSettings>;
}

/** Archive-only drains (no log service); tests add `logService` through overrides. */
const LOG_DRAINS: LogDrainSettings = {
    logBufferingSizeMb: 1,
    logBufferingIntervalSeconds: 60,
    logServiceRetrySeconds: 3600,
    logArchiveTransitionDays: 90,
    logArchiveStorageClass: "GLACIER",
    logArchiveExpirationDays: 400,
    logRetentionDays: 90,
    appLogGroups: [],
};

/** In the fake account the mock runtime puts in every ARN. */
export const BREAK_GLASS_ROLE_ARN = "arn:aws:iam::000000000000:role/security/hotelgenius-break-glass";

const LAYOUT = { root: "hotelgenius", dumpPrefix: "hotelgenius/dumps/", manifestPrefix: "hotelgenius/manifests/" } as const;

/** The backup task as the stack defaults declare it, in the default VPC, without Sentry. */
function jobSettings(stack: string, schedule: BackupSchedule): BackupJobSettings {
    return {
        schedule,
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

function build(base: Omit<Settings, "databaseUrl" | "job" | "neon">, schedule: BackupSchedule, overrides: SettingsOverrides): Settings {
    const { storage, job, logDrains, monitoring, alerts, ...rest } = overrides;
    return {
        ...base,
        // A syntactically real URL with an obviously fake host and password; never a real credential.
        databaseUrl: pulumi.secret(`postgres://backup:not-a-password@db.${base.stack}.example.invalid:5432/hotelgenius?sslmode=require`),
        neon: undefined,
        ...rest,
        storage: { ...base.storage, layout: { ...base.storage.layout }, ...storage },
        job: { ...jobSettings(base.stack, schedule), ...job },
        logDrains: { ...base.logDrains, ...logDrains },
        monitoring: { ...base.monitoring, ...monitoring },
        alerts: { ...base.alerts, ...alerts },
    };
}

function monitoringSettings(environment: string): MonitoringSettings {
    return {
        sentryOrganization: "hotelgenius",
        sentryEnvironment: environment,
        sentryResolveAgeHours: 720,
        sentryKeyRateLimitPerMinute: 600,
        sentryErrorBurstCount: 100,
        sentryErrorSpikeCount: 200,
        sentryP95Ms: 2000,
        sentrySlackWorkspaceId: undefined,
        sentrySlackChannel: undefined,
    };
}

function alertsSettings(healthCheckUrl: string): AlertsSettings {
    return {
        runbookBaseUrl: "https://github.com/hotelgenius/hotelgenius-ops/blob/main/runbooks",
        pagerEndpoint: "https://oncall.hotelgenius.eu/integrations/sns",
        healthCheckUrl,
        healthCheckSearchString: "ok",
        healthCheckRegions: ["eu-west-1", "us-east-1", "us-west-2"],
        backupDatabaseName: "hotelgenius",
        backupMissingAfterHours: 25,
        drillMissingAfterDays: 7,
        backupSizeAnomalyBand: 2,
        restoreTimeObjectiveMinutes: 60,
        replicationLatencyMinutes: 60,
        errorLogLinesPer5Minutes: 10,
        appErrorLinesPer5Minutes: 10,
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
                offSiteReplica: true,
                kmsDeletionWindowDays: 30,
                breakGlassRoleArn: BREAK_GLASS_ROLE_ARN,
                replicationTimeControl: false,
                protectData: true,
            },
            logDrains: LOG_DRAINS,
            monitoring: monitoringSettings("production"),
            alerts: alertsSettings("https://app.hotelgenius.eu/health"),
        },
        backupSchedule("cron(15 3 * * ? *)", "Europe/Paris"),
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
                offSiteReplica: true,
                kmsDeletionWindowDays: 7,
                breakGlassRoleArn: BREAK_GLASS_ROLE_ARN,
                replicationTimeControl: false,
                protectData: false,
            },
            logDrains: LOG_DRAINS,
            monitoring: monitoringSettings("staging"),
            alerts: alertsSettings("https://staging.hotelgenius.eu/health"),
        },
        backupSchedule("cron(15 4 * * ? *)", "Europe/Paris"),
        overrides,
    );
}

/** A program for `runOffline`: both providers and the backup storage component, built from `settings`. */
export function backupStorageProgram(settings: Settings): () => Promise<Record<string, unknown>> {
    return async () => {
        const providers = createProviders(settings);
        const storage = new BackupStorage("backups", backupStorageArgs(settings, providers), { provider: providers.primary });
        return {
            bucketName: storage.bucketName,
            bucketArn: storage.bucketArn,
            keyArn: storage.keyArn,
            replicaBucketName: storage.replicaBucketName,
            replicaBucketArn: storage.replicaBucketArn,
            replicaKeyArn: storage.replicaKeyArn,
            replicationRoleArn: storage.replicationRoleArn,
            replicationMetricDimensions: storage.replicationMetricDimensions,
            layout: storage.layout,
        };
    };
}

/** A program for `runOffline`: the primary provider and the log drains, draining `backupJobLogGroupName` and the settings' app groups. */
export function logDrainsProgram(settings: Settings, backupJobLogGroupName?: string): () => Promise<Record<string, unknown>> {
    return async () => {
        const providers = createProviders(settings);
        const drains = new LogDrains("logs", logDrainsArgs(settings, backupJobLogGroupName), { provider: providers.primary });
        return {
            archiveBucketName: drains.archiveBucketName,
            archiveBucketArn: drains.archiveBucketArn,
            archiveKeyArn: drains.archiveKeyArn,
            cloudwatchStreamName: drains.cloudwatchStreamName,
            cloudwatchStreamArn: drains.cloudwatchStreamArn,
            railwayStreamName: drains.railwayStreamName,
            railwayStreamArn: drains.railwayStreamArn,
            subscriptionRoleArn: drains.subscriptionRoleArn,
            ingestAccessKeyId: drains.ingestAccessKeyId,
            ingestSecretAccessKey: drains.ingestSecretAccessKey,
            forwarder: drains.forwarder,
            logMetrics: drains.logMetrics,
        };
    };
}

/** Alerts arguments as index.ts builds them, with stand-ins for what the backup job and log-drains areas output. */
export function alertsArgs(settings: Settings, providers: Providers, alertEmails: readonly string[]): AlertsArgs {
    return {
        project: settings.project,
        stack: settings.stack,
        protectData: settings.storage.protectData,
        breakGlassRoleArn: settings.storage.breakGlassRoleArn,
        kmsDeletionWindowDays: settings.storage.kmsDeletionWindowDays,
        region: settings.region,
        settings: settings.alerts,
        alertEmails,
        usEast1Provider: providers.usEast1,
        ...(settings.storage.offSiteReplica ? { replicaRegion: settings.storage.replicaRegion, replicaProvider: providers.replica } : {}),
        storage: {
            bucketName: `hotelgenius-ops-${settings.stack}-backups`,
            keyArn: `arn:aws:kms:${settings.region}:${MOCK_ACCOUNT}:key/backups-key`,
            ...(settings.storage.offSiteReplica
                ? {
                      replicaBucketName: `hotelgenius-ops-${settings.stack}-backups-replica-eu-central-1`,
                      replicaKeyArn: `arn:aws:kms:${settings.storage.replicaRegion}:${MOCK_ACCOUNT}:key/backups-replica-key`,
                  }
                : {}),
            replicationRuleIds: settings.storage.offSiteReplica ? ["dumps-off-site"] : [],
        },
        backupJob: {
            clusterArn: `arn:aws:ecs:${settings.region}:${MOCK_ACCOUNT}:cluster/hotelgenius-ops-${settings.stack}-backups`,
            backupTaskFamily: `hotelgenius-ops-${settings.stack}-backup`,
            drillTaskFamily: `hotelgenius-ops-${settings.stack}-restore-drill`,
            schedulerDeadLetterQueueName: `hotelgenius-ops-${settings.stack}-scheduler-dlq`,
            logGroupName: `/ecs/hotelgenius-ops-${settings.stack}-backup`,
        },
        errorLogGroups: { job: `/ecs/hotelgenius-ops-${settings.stack}-backup`, server: "/railway/hotelgenius-server" },
    };
}

/** A program for `runOffline`: the backup storage and the backup job wired to it, as index.ts does. */
export function backupJobProgram(settings: Settings): () => Promise<Record<string, unknown>> {
    return async () => {
        const providers = createProviders(settings);
        const storage = new BackupStorage("backups", backupStorageArgs(settings, providers), { provider: providers.primary });
        const job = new BackupJob("backup-job", backupJobArgs(settings, storage), { provider: providers.primary });
        return { image: job.image, runBackupCommand: job.runBackupCommand, runDrillCommand: job.runDrillCommand, clusterArn: job.clusterArn };
    };
}

const PROJECT_KEY = (name: string) => `hotelgenius-ops:${name}`;
// Not real credentials: documentation-style host names and an obviously fake password.
export const FAKE_PASSWORD = "fake-password-0000";
export const DIRECT_URL = `postgresql://backup:${FAKE_PASSWORD}@ep-quiet-sky-000000.us-east-2.aws.neon.tech/hotelgenius?sslmode=require`;
export const SCRATCH_URL = `postgresql://drill:${FAKE_PASSWORD}@ep-misty-lake-000000.us-east-2.aws.neon.tech/postgres?sslmode=require`;

/** The least a stack's settings may say: every required setting, as the runtime hands them to the parser. */
export const REQUIRED_RAW_SETTINGS: Readonly<Record<string, string>> = {
    "aws:region": "eu-west-3",
    [PROJECT_KEY("alertEmails")]: JSON.stringify(["ops@hotelgenius.example"]),
    [PROJECT_KEY("databaseUrl")]: DIRECT_URL,
    [PROJECT_KEY("scratchDatabaseUrl")]: SCRATCH_URL,
    [PROJECT_KEY("breakGlassRoleArn")]: "arn:aws:iam::123456789012:role/break-glass",
    [PROJECT_KEY("sentryOrganization")]: "hotelgenius",
    [PROJECT_KEY("runbookBaseUrl")]: "https://github.com/hotelgenius/hotelgenius-ops/blob/main/runbooks",
    [PROJECT_KEY("healthCheckUrl")]: "https://app.hotelgenius.example/health",
    [PROJECT_KEY("pagerEndpoint")]: "https://oncall.hotelgenius.example/integrations/sns",
    // The database DIRECT_URL names: the job's metrics carry it.
    [PROJECT_KEY("backupDatabaseName")]: "hotelgenius",
};
/** The keys of REQUIRED_RAW_SETTINGS that are secrets (as if decrypted by the CLI). */
export const REQUIRED_SECRET_KEYS: readonly string[] = [PROJECT_KEY("databaseUrl"), PROJECT_KEY("scratchDatabaseUrl")];
