// The whole ops setup of one stack. Settings are validated before anything is registered, so a
// bad value stops `pulumi up` (and the offline plan) with every problem listed and nothing created.
import { Alerts } from "./stacks/alerts/component.js";
import { BackupJob } from "./stacks/backupJob/component.js";
import { BackupStorage } from "./stacks/storage/component.js";
import { LogDrains } from "./stacks/logDrains/component.js";
import { Monitoring } from "./stacks/sentry/component.js";
import { createProviders } from "./stacks/shared/providers.js";
import { accountCheckPlan, accountChecks as checkedAccount } from "./stacks/shared/accountChecks.js";
import { loadSettings } from "./stacks/settings/registry.js";
import { backupJobArgs } from "./stacks/backupJob/args.js";
import { backupStorageArgs } from "./stacks/storage/args.js";
import { logDrainsArgs } from "./stacks/logDrains/args.js";
import { alertsArgs } from "./stacks/alerts/args.js";
import { monitoringArgs } from "./stacks/sentry/args.js";
import { NeonDatabase } from "./stacks/neon/component.js";
import { neonDatabaseArgs } from "./stacks/neon/args.js";

const settings = loadSettings();
// Every region with tampering rules or a topic: the primary, the replica's, and us-east-1 (IAM's events and the uptime topic).
const accountRegions = [settings.region, ...(settings.storage.offSiteReplica ? [settings.storage.replicaRegion] : []), "us-east-1"];
const account = checkedAccount(accountCheckPlan(accountRegions, settings.storage.breakGlassRoleArn));
const providers = createProviders(settings, account);

// Neon: the database's own history and the backup job's database access, when the stack manages its Neon project.
const neonArgs = neonDatabaseArgs(settings);
const neon = neonArgs === undefined ? undefined : new NeonDatabase("neon", neonArgs);

const backups = new BackupStorage("backups", backupStorageArgs(settings, providers), { provider: providers.primary });
const job = new BackupJob("backup-job", backupJobArgs(settings, backups, neon), { provider: providers.primary });
const logs = new LogDrains("logs", logDrainsArgs(settings, job.logGroupName), { provider: providers.primary });

const monitoring = new Monitoring("monitoring", monitoringArgs(settings));
const alerts = new Alerts("alerts", alertsArgs(settings, providers, backups, job), { provider: providers.primary });

/** What preview and up checked in the account (the offline plan calls nothing: it says what they check). */
export const accountChecks = account;
export const backupBucketName = backups.bucketName;
export const backupBucketArn = backups.bucketArn;
export const backupKeyArn = backups.keyArn;
export const replicaBucketName = backups.replicaBucketName;
export const replicaBucketArn = backups.replicaBucketArn;
export const replicaKeyArn = backups.replicaKeyArn;
export const backupLayout = backups.layout;
export const replicationMetricDimensions = backups.replicationMetricDimensions;

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

export const logArchiveBucketName = logs.archiveBucketName;
export const logCloudwatchStreamName = logs.cloudwatchStreamName;
export const logCloudwatchStreamArn = logs.cloudwatchStreamArn;
export const logRailwayStreamName = logs.railwayStreamName;
export const logRailwayStreamArn = logs.railwayStreamArn;
export const logForwarder = logs.forwarder;
export const logForwarderAccessKeyId = logs.ingestAccessKeyId;
export const logForwarderSecretAccessKey = logs.ingestSecretAccessKey;
export const logMetrics = logs.logMetrics;

export const neonProjectId = neon?.projectId;
export const neonProductionBranchId = neon?.productionBranchId;
export const neonHistoryRetentionSeconds = neon?.historyRetentionSeconds;
export const neonJobConnections = neon?.jobConnections;

export const sentryEnvironment = monitoring.environment;
export const sentryServerDsn = monitoring.serverDsn;
export const sentryClientDsn = monitoring.clientDsn;
export const alertsTopicArn = alerts.topicArn;
export const uptimeTopicArn = alerts.uptimeTopicArn;
export const opsDashboardName = alerts.dashboardName;
export const pagerTopicArn = alerts.pagerTopicArn;
export const iamAlertsTopicArn = alerts.iamTopicArn;
/** What `npm run alarm-drill` sends and where it sets alarms (it derives the same from the stack file; a test compares). */
export const alarmDrill = alerts.drill;
