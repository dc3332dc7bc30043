// How a stack's settings and the components' outputs become the backup job component's arguments: written
// once for index.ts and for the mock-runtime programs the tests run, so both wire it alike.
import type { Settings } from "../settings/registry.js";
import type { BackupStorage } from "../storage/component.js";
import type { BackupJobArgs } from "./component.js";

/** The scheduled job writes into the backup storage's bucket, under its layout, with its key. */
export function backupJobArgs(settings: Settings, backups: BackupStorage): BackupJobArgs {
    return {
        project: settings.project,
        stack: settings.stack,
        protectData: settings.storage.protectData,
        region: settings.region,
        settings: settings.job,
        databaseUrl: settings.databaseUrl,
        sentryDsn: settings.job.sentryDsn,
        bucketName: backups.bucketName,
        bucketArn: backups.bucketArn,
        backupKeyArn: backups.keyArn,
        layout: backups.layout,
    };
}
