// The whole ops setup of one stack. Settings are validated before anything is registered, so a
// bad value stops `pulumi up` (and the offline plan) with every problem listed and nothing created.
import { BackupStorage } from "./stacks/backupStorage.js";
import { LogDrains } from "./stacks/logDrains.js";
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

export const backupBucketName = backups.bucketName;
export const backupBucketArn = backups.bucketArn;
export const backupKeyArn = backups.keyArn;
export const replicaBucketName = backups.replicaBucketName;
export const replicaBucketArn = backups.replicaBucketArn;
export const replicaKeyArn = backups.replicaKeyArn;
export const backupLayout = backups.layout;
export const replicationMetricDimensions = backups.replicationMetricDimensions;

// The backup job's log group (backupJobLogGroupName) joins the drained groups once the scheduled task exists.
const logs = new LogDrains(
    "logs",
    {
        project: settings.project,
        stack: settings.stack,
        region: settings.region,
        settings: settings.logDrains,
        protectData: settings.storage.protectData,
        kmsDeletionWindowDays: settings.storage.kmsDeletionWindowDays,
        breakGlassRoleArn: settings.storage.breakGlassRoleArn,
    },
    { provider: providers.primary },
);

export const logArchiveBucketName = logs.archiveBucketName;
export const logCloudwatchStreamName = logs.cloudwatchStreamName;
export const logCloudwatchStreamArn = logs.cloudwatchStreamArn;
export const logRailwayStreamName = logs.railwayStreamName;
export const logRailwayStreamArn = logs.railwayStreamArn;
export const logForwarder = logs.forwarder;
export const logForwarderAccessKeyId = logs.ingestAccessKeyId;
export const logForwarderSecretAccessKey = logs.ingestSecretAccessKey;
export const logMetrics = logs.logMetrics;
