// How a stack's settings and the other components' outputs become the alerts component's arguments:
// written once for index.ts, beside the component, like every area's argument builder.
import type * as pulumi from "@pulumi/pulumi";
import type { CoreSettings } from "../settings/core.js";
import type { StackProtection } from "../shared/guardedKey.js";
import type { Providers } from "../shared/providers.js";
import type { AlertsSettings } from "./settings.js";
import { REPLICATION_RULE_IDS } from "../shared/naming.js";
import type { AlertsArgs, BackupJobRefs, BackupStorageRefs } from "./arguments.js";

/** What the alerts take of the other areas' settings. */
export type AlertsInputSettings = CoreSettings & {
    alerts: AlertsSettings;
    storage: StackProtection & { offSiteReplica: boolean; replicaRegion: string };
    logDrains: { appLogGroups: readonly string[] };
};

/** What the alerts take of the backup storage component (stacks/storage/component.ts); the rule ids come from the settings. */
export type WatchedStorage = Omit<BackupStorageRefs, "replicationRuleIds">;

/** What the alerts take of the backup job component (stacks/backupJob/component.ts), under its own output's name for the queue. */
export type WatchedJob = Omit<BackupJobRefs, "schedulerDeadLetterQueueName"> & { deadLetterQueueName: pulumi.Input<string> };

export function alertsArgs(settings: AlertsInputSettings, providers: Providers, backups: WatchedStorage, job: WatchedJob): AlertsArgs {
    return {
        project: settings.project,
        stack: settings.stack,
        protectData: settings.storage.protectData,
        region: settings.region,
        settings: settings.alerts,
        alertEmails: settings.alertEmails,
        // A stack without an off-site copy (offSiteReplica false) gets no replica topic, rules or replication alarms.
        ...(settings.storage.offSiteReplica ? { replicaRegion: settings.storage.replicaRegion, replicaProvider: providers.replica } : {}),
        usEast1Provider: providers.usEast1,
        breakGlassRoleArn: settings.storage.breakGlassRoleArn,
        kmsDeletionWindowDays: settings.storage.kmsDeletionWindowDays,
        storage: {
            bucketName: backups.bucketName,
            keyArn: backups.keyArn,
            replicaBucketName: backups.replicaBucketName,
            replicaKeyArn: backups.replicaKeyArn,
            // Their metrics are enabled in the replication rules (destination.metrics), so the alarms see data.
            replicationRuleIds: settings.storage.offSiteReplica ? [...REPLICATION_RULE_IDS] : [],
        },
        backupJob: {
            clusterArn: job.clusterArn,
            backupTaskFamily: job.backupTaskFamily,
            drillTaskFamily: job.drillTaskFamily,
            schedulerDeadLetterQueueName: job.deadLetterQueueName,
            logGroupName: job.logGroupName,
        },
        // The log drains count error lines on these groups (one dimensionless metric across them).
        errorLogGroups: {
            job: job.logGroupName,
            ...Object.fromEntries(settings.logDrains.appLogGroups.map((group, index) => [`app-${index + 1}`, group])),
        },
    };
}
