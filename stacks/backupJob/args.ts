// How a stack's settings and the components' outputs become the backup job component's arguments: written
// once for index.ts and for the mock-runtime programs the tests run, so both wire it alike.
import type { NeonDatabase } from "../neon/component.js";
import type { Settings } from "../settings/registry.js";
import { deployBoundaryPolicyArn } from "../shared/account.js";
import { roleAccount } from "../shared/guardedKey.js";
import type { BackupStorage } from "../storage/component.js";
import type { BackupJobArgs } from "./arguments.js";

/**
 * The scheduled job writes into the backup storage's bucket, under its layout, with its key. Its
 * database URLs come from the stack's Neon project when it has one (no person copies a password),
 * else from the databaseUrl and scratchDatabaseUrl settings (stacks/neon/settings.ts requires one source).
 */
export function backupJobArgs(settings: Settings, backups: BackupStorage, neon?: NeonDatabase): BackupJobArgs {
    const databaseUrl = neon?.backupDatabaseUrl ?? settings.databaseUrl;
    const scratchDatabaseUrl = neon?.scratchDatabaseUrl ?? settings.job.scratchDatabaseUrl;
    if (databaseUrl === undefined || scratchDatabaseUrl === undefined) {
        throw new Error("the backup job needs its database URLs: from a Neon project (neonProjectName) or from databaseUrl and scratchDatabaseUrl");
    }
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
        databaseUrl,
        scratchDatabaseUrl,
        sentryDsn: settings.job.sentryDsn,
        bucketName: backups.bucketName,
        bucketArn: backups.bucketArn,
        backupKeyArn: backups.keyArn,
        layout: backups.layout,
    };
}
