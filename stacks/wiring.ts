// How a stack's settings and the components' outputs become each component's arguments: written once
// for index.ts and for the mock-runtime programs the tests run, so both wire the components alike.
import type * as pulumi from "@pulumi/pulumi";
import type { BackupJobArgs } from "./backupJob.js";
import type { BackupStorage, BackupStorageArgs } from "./backupStorage.js";
import type { LogDrainsArgs } from "./logDrains.js";
import type { Providers } from "./providers.js";
import type { Settings } from "./settings/registry.js";

export function backupStorageArgs(settings: Settings, providers: Providers): BackupStorageArgs {
    return {
        project: settings.project,
        stack: settings.stack,
        region: settings.region,
        settings: settings.storage,
        replicaProvider: providers.replica,
    };
}

/** The scheduled job writes into the backup storage's bucket, under its layout, with its key. */
export function backupJobArgs(settings: Settings, backups: BackupStorage): BackupJobArgs {
    return {
        project: settings.project,
        stack: settings.stack,
        protectData: settings.storage.protectData,
        region: settings.region,
        settings: settings.job,
        schedule: settings.schedule,
        databaseUrl: settings.databaseUrl,
        backupName: settings.alerts.backupDatabaseName,
        sentryDsn: settings.job.sentryDsn,
        bucketName: backups.bucketName,
        bucketArn: backups.bucketArn,
        backupKeyArn: backups.keyArn,
        layout: backups.layout,
    };
}

/** The archive follows the backups' protection and key rules; the job's log group is drained when given. */
export function logDrainsArgs(settings: Settings, backupJobLogGroupName?: pulumi.Input<string>): LogDrainsArgs {
    return {
        project: settings.project,
        stack: settings.stack,
        region: settings.region,
        settings: settings.logDrains,
        protectData: settings.storage.protectData,
        kmsDeletionWindowDays: settings.storage.kmsDeletionWindowDays,
        breakGlassRoleArn: settings.storage.breakGlassRoleArn,
        ...(backupJobLogGroupName === undefined ? {} : { backupJobLogGroupName }),
    };
}
