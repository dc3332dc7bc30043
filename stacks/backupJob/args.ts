// How a stack's settings and the components' outputs become the backup job component's arguments: written
// once for index.ts and for the mock-runtime programs the tests run, so both wire it alike.
import type * as pulumi from "@pulumi/pulumi";
import type { CoreSettings } from "../settings/core.js";
import { stackPlacement } from "../shared/account.js";
import type { BackupLayout } from "../shared/backupLayout.js";
import type { StackProtection } from "../shared/guardedKey.js";
import type { BackupJobSettings } from "./settings.js";
import type { BackupJobArgs } from "./arguments.js";

/** What the job takes of the backup storage component (stacks/storage/component.ts). */
export interface BackupStorageOutputs {
    bucketName: pulumi.Output<string>;
    bucketArn: pulumi.Output<string>;
    keyArn: pulumi.Output<string>;
    layout: BackupLayout;
}

/** What the job takes of the Neon component (stacks/neon/component.ts): its two database URLs. */
export interface NeonDatabaseUrls {
    backupDatabaseUrl: pulumi.Output<string>;
    scratchDatabaseUrl: pulumi.Output<string>;
}

/**
 * The scheduled job writes into the backup storage's bucket, under its layout, with its key. Its
 * database URLs come from the stack's Neon project when it has one (no person copies a password),
 * else from the databaseUrl and scratchDatabaseUrl settings (stacks/neon/settings.ts requires one source).
 */
export function backupJobArgs(
    settings: CoreSettings & {
        storage: StackProtection;
        job: BackupJobSettings;
        databaseUrl: pulumi.Output<string> | undefined;
        alerts: { backupDatabaseName: string };
    },
    backups: BackupStorageOutputs,
    neon?: NeonDatabaseUrls,
): BackupJobArgs {
    const databaseUrl = neon?.backupDatabaseUrl ?? settings.databaseUrl;
    const scratchDatabaseUrl = neon?.scratchDatabaseUrl ?? settings.job.scratchDatabaseUrl;
    if (databaseUrl === undefined || scratchDatabaseUrl === undefined) {
        throw new Error("the backup job needs its database URLs: from a Neon project (neonProjectName) or from databaseUrl and scratchDatabaseUrl");
    }
    return {
        ...stackPlacement(settings),
        protectData: settings.storage.protectData,
        breakGlassRoleArn: settings.storage.breakGlassRoleArn,
        kmsDeletionWindowDays: settings.storage.kmsDeletionWindowDays,
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
