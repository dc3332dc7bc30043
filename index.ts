// The whole ops setup of one stack. Settings are validated before anything is registered, so a
// bad value stops `pulumi up` (and the offline plan) with every problem listed and nothing created.
import { BackupJob } from "./stacks/backupJob.js";
import { BackupStorage } from "./stacks/backupStorage.js";
import { loadSettings } from "./stacks/settings/registry.js";
import { createProviders } from "./stacks/providers.js";

const settings = loadSettings();
const providers = createProviders(settings);

const backups = new BackupStorage(
    "backups",
    {
        project: settings.project,
        stack: settings.stack,
        region: settings.region,
        settings: settings.storage,
        replicaProvider: providers.replica,
    },
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
        bucketName: backups.bucketName,
        bucketArn: backups.bucketArn,
        backupKeyArn: backups.keyArn,
        layout: backups.layout,
    },
    { provider: providers.primary },
);

export const backupBucketName = backups.bucketName;
export const backupBucketArn = backups.bucketArn;
export const backupKeyArn = backups.keyArn;
export const replicaBucketName = backups.replicaBucketName;
export const replicaBucketArn = backups.replicaBucketArn;
export const replicaKeyArn = backups.replicaKeyArn;
export const backupLayout = backups.layout;
export const backupClusterName = job.clusterName;
export const backupClusterArn = job.clusterArn;
export const backupTaskDefinitionArn = job.backupTaskDefinitionArn;
export const restoreDrillTaskDefinitionArn = job.drillTaskDefinitionArn;
export const backupScheduleName = job.backupScheduleName;
export const restoreDrillScheduleName = job.drillScheduleName;
export const backupJobLogGroupName = job.logGroupName;
export const backupJobImage = job.image;
export const backupScheduleDeadLetterQueueUrl = job.deadLetterQueueUrl;
export const backupScheduleDeadLetterQueueName = job.deadLetterQueueName;
export const runBackupCommand = job.runBackupCommand;
export const runRestoreDrillCommand = job.runDrillCommand;
