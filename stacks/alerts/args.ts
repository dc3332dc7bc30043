// How a stack's settings and the other components' outputs become the alerts component's arguments:
// written once for index.ts, beside the component, like every area's argument builder.
import type { BackupJob } from "../backupJob/component.js";
import type { Settings } from "../settings/registry.js";
import type { Providers } from "../shared/providers.js";
import type { BackupStorage } from "../storage/component.js";
import { REPLICATION_RULE_IDS } from "../storage/rules.js";
import type { AlertsArgs } from "./arguments.js";

export function alertsArgs(settings: Settings, providers: Providers, backups: BackupStorage, job: BackupJob): AlertsArgs {
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
