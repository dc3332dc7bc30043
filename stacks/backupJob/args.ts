// How a stack's settings and the components' outputs become the backup job component's arguments: written
// once for index.ts and for the mock-runtime programs the tests run, so both wire it alike.
import type { Settings } from "../settings/registry.js";
import { deployBoundaryPolicyArn } from "../shared/account.js";
import { roleAccount } from "../shared/guardedKey.js";
import type { BackupStorage } from "../storage/component.js";
import type { BackupJobArgs } from "./component.js";

/** The scheduled job writes into the backup storage's bucket, under its layout, with its key. */
export function backupJobArgs(settings: Settings, backups: BackupStorage): BackupJobArgs {
    return {
        project: settings.project,
        stack: settings.stack,
        permissionsBoundary: deployBoundaryPolicyArn(roleAccount(settings.storage.breakGlassRoleArn)),
        protectData: settings.storage.protectData,
        breakGlassRoleArn: settings.storage.breakGlassRoleArn,
        kmsDeletionWindowDays: settings.storage.kmsDeletionWindowDays,
        region: settings.region,
        settings: settings.job,
        backupName: settings.alerts.backupDatabaseName,
        databaseUrl: settings.databaseUrl,
        sentryDsn: settings.job.sentryDsn,
        bucketName: backups.bucketName,
        bucketArn: backups.bucketArn,
        backupKeyArn: backups.keyArn,
        layout: backups.layout,
    };
}
