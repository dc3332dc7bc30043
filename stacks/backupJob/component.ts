// What runs the backup job: its image, an ECS Fargate cluster and two task definitions (the nightly
// backup and the weekly restore drill), their secrets, logs, least-privilege roles, network, and the
// EventBridge Scheduler schedules that start them, with a dead-letter queue for failed starts.
import { JOB_ENV, SENTRY_MONITOR_SLUG } from "../../job/src/contract.js";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    backupTaskPermissions,
    drillTaskPermissions,
    ecsTasksTrustPolicy,
    executionPermissions,
    jobKeyStatements,
    schedulerPermissions,
    schedulerTrustPolicy,
} from "./policies.js";
import { type BackupJobArgs, checkArgs } from "./arguments.js";
import { jobImage } from "./image.js";
import { guardedKey } from "../shared/guardedKey.js";
import { taskDefinition } from "./task.js";
import { jobNetwork } from "./network.js";
import type { PolicyDocument } from "../shared/iam.js";
import { boundaryOf } from "../shared/account.js";

export const BACKUP_JOB_TYPE = "hotelgenius:ops:BackupJob";
/** Sentry marks a run failed this long after the job's own maximum runtime, which it reports itself. */
const SENTRY_RUNTIME_MARGIN_MINUTES = 5;
/** The scheduler's retries of a failed RunTask; how long it keeps trying is the check-in margin. */
const SCHEDULE_RETRY_ATTEMPTS = 10;
/** SQS's longest retention: two weeks to look at a failed start. */
const DEAD_LETTER_RETENTION_SECONDS = 1_209_600;
/** The backup's command: its backups are named `backupName`, the name the drill verifies. */
export function backupCommand(backupName: string): string[] {
    return ["backup", "--name", backupName];
}
/**
 * The drill's command: it verifies the newest backup of the backup's own name, never the newest of whatever the
 * bucket holds, on the scratch server whose URL the task injects from its secret. The job reads the URL from the
 * variable the option names, so it never is an argument (where /proc/PID/cmdline shows it to every local user).
 */
export function drillCommand(backupName: string): string[] {
    return ["verify", "--name", backupName, "--scratch-database-url-env", JOB_ENV.scratchDatabaseUrl];
}

export class BackupJob extends pulumi.ComponentResource {
    /** Carried by every role this component creates (args.permissionsBoundary). */
    private readonly permissionsBoundary?: string;
    public readonly clusterName: pulumi.Output<string>;
    public readonly clusterArn: pulumi.Output<string>;
    public readonly backupTaskDefinitionArn: pulumi.Output<string>;
    public readonly drillTaskDefinitionArn: pulumi.Output<string>;
    /** Task families: ECS Task State Change events name them in `group` (family:NAME), which the alerts match. */
    public readonly backupTaskFamily: pulumi.Output<string>;
    public readonly drillTaskFamily: pulumi.Output<string>;
    public readonly backupScheduleName: pulumi.Output<string>;
    public readonly drillScheduleName: pulumi.Output<string>;
    public readonly logGroupName: pulumi.Output<string>;
    public readonly deadLetterQueueUrl: pulumi.Output<string>;
    /** For an alarm on failed starts (AWS/SQS metrics are dimensioned by QueueName). */
    public readonly deadLetterQueueName: pulumi.Output<string>;
    /** The image the tasks run, by digest. */
    public readonly image: pulumi.Output<string>;
    public readonly backupTaskRoleArn: pulumi.Output<string>;
    public readonly drillTaskRoleArn: pulumi.Output<string>;
    /** `aws ecs run-task …` starting a backup now, with the scheduled task's network. */
    public readonly runBackupCommand: pulumi.Output<string>;
    /** `aws ecs run-task …` starting a restore drill now. */
    public readonly runDrillCommand: pulumi.Output<string>;

    constructor(name: string, args: BackupJobArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const names = checkArgs(args);
        super(BACKUP_JOB_TYPE, name, {}, opts);
        this.permissionsBoundary = args.permissionsBoundary;
        const { settings, region, layout } = args;
        const child = { parent: this };
        const accountId = aws.getCallerIdentityOutput({}, child).accountId;
        const logGroupArn = pulumi.interpolate`arn:aws:logs:${region}:${accountId}:log-group:${names.logGroup}`;

        // Without this key the job's logs and secrets cannot be read: guarded like the backup keys.
        const key = guardedKey({
            id: name,
            description: `Backup job logs and secrets of ${args.project} ${args.stack}`,
            alias: names.keyAlias,
            breakGlassRoleArn: args.breakGlassRoleArn,
            deletionWindowDays: args.kmsDeletionWindowDays,
            serviceStatements: logGroupArn.apply((arn) => jobKeyStatements(region, arn)),
            keyOptions: { ...child, protect: args.protectData, retainOnDelete: args.protectData },
            aliasOptions: child,
        });
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { name: names.logGroup, retentionInDays: settings.logRetentionDays, kmsKeyId: key.arn },
            // CloudWatch Logs checks the key policy when the log group is created with the key.
            { ...child, dependsOn: [key] },
        );

        const secret = (id: string, description: string, value: pulumi.Input<string>) => {
            const stored = new aws.secretsmanager.Secret(`${name}-${id}`, { namePrefix: `${names.secretPrefix}${id}-`, description, kmsKeyId: key.arn }, child);
            new aws.secretsmanager.SecretVersion(`${name}-${id}-value`, { secretId: stored.id, secretString: pulumi.secret(value) }, child);
            return stored.arn;
        };
        const databaseUrlArn = secret("database-url", `URL of the database the ${args.stack} backup job dumps`, args.databaseUrl);
        const scratchUrlArn = secret(
            "scratch-database-url",
            `URL of the scratch server the ${args.stack} restore drill restores into`,
            args.scratchDatabaseUrl,
        );
        const sentryDsnArn =
            args.sentryDsn === undefined ? undefined : secret("sentry-dsn", `Sentry DSN of the ${args.stack} backup job's cron check-ins`, args.sentryDsn);

        const { image, repositoryArn } = jobImage(this, name, names, settings, args.protectData);

        const cluster = new aws.ecs.Cluster(
            `${name}-cluster`,
            { name: names.cluster, settings: [{ name: "containerInsights", value: settings.containerInsights ? "enabled" : "disabled" }] },
            child,
        );

        const objects = pulumi.all([args.bucketArn, args.backupKeyArn]).apply(([bucketArn, keyArn]) => ({ bucketArn, keyArn, region, layout }));
        const executionRole = (id: string, roleName: string, secretArns: pulumi.Input<string>[]) =>
            this.role(
                `${name}-${id}`,
                roleName,
                `Starts the ${args.stack} ${id.replace("-execution", "")} task: pulls its image, reads its secrets, writes its logs`,
                accountId.apply((account) => ecsTasksTrustPolicy(account, region)),
                pulumi
                    .all([repositoryArn, logGroup.arn, pulumi.all(secretArns), key.arn])
                    .apply(([repository, logs, secrets, keyArn]) =>
                        executionPermissions({ repositoryArn: repository, logGroupArn: logs, secretArns: secrets, secretsKeyArn: keyArn, region }),
                    ),
            );
        const taskRole = (id: string, roleName: string, description: string, permissions: (o: pulumi.Unwrap<typeof objects>) => PolicyDocument) =>
            this.role(
                `${name}-${id}`,
                roleName,
                description,
                accountId.apply((account) => ecsTasksTrustPolicy(account, region)),
                objects.apply(permissions),
            );

        const backupExecution = executionRole(
            "backup-execution",
            names.backupExecutionRole,
            sentryDsnArn === undefined ? [databaseUrlArn] : [databaseUrlArn, sentryDsnArn],
        );
        const backupTask = taskRole(
            "backup-task",
            names.backupTaskRole,
            `The ${args.stack} backup job: writes dumps and manifests, deletes nothing`,
            backupTaskPermissions,
        );
        const drillExecution = executionRole("drill-execution", names.drillExecutionRole, [scratchUrlArn]);
        const drillTask = taskRole("drill-task", names.drillTaskRole, `The ${args.stack} restore drill: reads backups, writes nothing`, drillTaskPermissions);

        const target = pulumi.interpolate`s3://${args.bucketName}/${layout.root}`;
        // The EMF records (BackupSuccess, VerifySuccess) are written only where this variable says CloudWatch collects them:
        // without them the backup-missing and drill-missing alarms would page.
        const common = {
            [JOB_ENV.awsRegion]: region,
            [JOB_ENV.target]: target,
            [JOB_ENV.maxRuntimeSeconds]: String(settings.maxRuntimeMinutes * 60),
            [JOB_ENV.emfMetrics]: "1",
        };
        const backupTaskDefinition = taskDefinition(
            this,
            name,
            "backup-task-definition",
            settings,
            image,
            logGroup.name,
            region,
            backupExecution.arn,
            backupTask.arn,
            {
                family: names.backupFamily,
                streamPrefix: "backup",
                command: backupCommand(args.backupName),
                environment: {
                    ...common,
                    [JOB_ENV.kmsKeyArn]: args.backupKeyArn,
                    [JOB_ENV.schedule]: settings.schedule.crontab,
                    [JOB_ENV.scheduleTimezone]: settings.schedule.timezone,
                    [JOB_ENV.sentryMonitorSlug]: SENTRY_MONITOR_SLUG,
                    [JOB_ENV.sentryEnvironment]: args.stack,
                    [JOB_ENV.sentryCheckinMarginMinutes]: String(settings.checkinMarginMinutes),
                    [JOB_ENV.sentryMaxRuntimeMinutes]: String(settings.maxRuntimeMinutes + SENTRY_RUNTIME_MARGIN_MINUTES),
                },
                secrets:
                    sentryDsnArn === undefined
                        ? { [JOB_ENV.databaseUrl]: databaseUrlArn }
                        : { [JOB_ENV.databaseUrl]: databaseUrlArn, [JOB_ENV.sentryDsn]: sentryDsnArn },
            },
        );
        const drillTaskDefinition = taskDefinition(
            this,
            name,
            "drill-task-definition",
            settings,
            image,
            logGroup.name,
            region,
            drillExecution.arn,
            drillTask.arn,
            {
                family: names.drillFamily,
                streamPrefix: "restore-drill",
                command: drillCommand(args.backupName),
                environment: common,
                secrets: { [JOB_ENV.scratchDatabaseUrl]: scratchUrlArn },
            },
        );

        const { subnetIds, securityGroup } = jobNetwork(this, name, names.securityGroup, args);

        const deadLetterQueue = new aws.sqs.Queue(
            `${name}-dead-letters`,
            // SQS-managed encryption: the messages name a schedule and an error, and the scheduler role needs no key grant.
            { name: names.deadLetterQueue, sqsManagedSseEnabled: true, messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS },
            child,
        );
        const scheduler = this.role(
            `${name}-scheduler`,
            names.schedulerRole,
            `EventBridge Scheduler: starts the ${args.stack} backup and restore drill tasks`,
            accountId.apply((account) => schedulerTrustPolicy(account, region)),
            pulumi
                .all([
                    cluster.arn,
                    backupTaskDefinition.arn,
                    drillTaskDefinition.arn,
                    backupExecution.arn,
                    backupTask.arn,
                    drillExecution.arn,
                    drillTask.arn,
                    deadLetterQueue.arn,
                ])
                .apply(([clusterArn, backupDefinition, drillDefinition, ...rest]) =>
                    schedulerPermissions({
                        clusterArn,
                        taskDefinitionArns: [backupDefinition, drillDefinition],
                        passRoleArns: rest.slice(0, 4),
                        deadLetterQueueArn: rest[4]!,
                    }),
                ),
        );
        const network = { subnets: subnetIds, securityGroups: [securityGroup.id], assignPublicIp: settings.assignPublicIp };
        const schedule = (id: string, scheduleName: string, description: string, expression: string, taskDefinitionArn: pulumi.Input<string>) =>
            new aws.scheduler.Schedule(
                `${name}-${id}`,
                {
                    name: scheduleName,
                    description,
                    scheduleExpression: expression,
                    scheduleExpressionTimezone: settings.schedule.timezone,
                    flexibleTimeWindow: { mode: "OFF" },
                    state: "ENABLED",
                    target: {
                        arn: cluster.arn,
                        roleArn: scheduler.arn,
                        ecsParameters: { taskDefinitionArn, launchType: "FARGATE", platformVersion: "LATEST", taskCount: 1, networkConfiguration: network },
                        retryPolicy: { maximumEventAgeInSeconds: settings.checkinMarginMinutes * 60, maximumRetryAttempts: SCHEDULE_RETRY_ATTEMPTS },
                        deadLetterConfig: { arn: deadLetterQueue.arn },
                    },
                },
                // The scheduler checks its role when the schedule is created: the permissions must be in place.
                { ...child, dependsOn: [scheduler.policy] },
            );
        const stackName = `${args.project} ${args.stack}`;
        const backupSchedule = schedule(
            "backup-schedule",
            names.backupSchedule,
            `Nightly backup of ${stackName}`,
            settings.schedule.expression,
            backupTaskDefinition.arn,
        );
        const drillSchedule = schedule(
            "drill-schedule",
            names.drillSchedule,
            `Weekly restore drill of ${stackName}`,
            settings.drillSchedule,
            drillTaskDefinition.arn,
        );

        const publicIp = settings.assignPublicIp ? "ENABLED" : "DISABLED";
        const runTask = (definition: pulumi.Output<string>) =>
            pulumi
                .all([cluster.name, definition, pulumi.output(subnetIds), securityGroup.id])
                .apply(
                    ([clusterName, taskDefinition, subnets, group]) =>
                        `aws ecs run-task --region ${region} --cluster ${clusterName} --launch-type FARGATE --task-definition ${taskDefinition} ` +
                        `--network-configuration 'awsvpcConfiguration={subnets=[${subnets.join(",")}],securityGroups=[${group}],assignPublicIp=${publicIp}}'`,
                );

        this.clusterName = cluster.name;
        this.clusterArn = cluster.arn;
        this.backupTaskDefinitionArn = backupTaskDefinition.arn;
        this.drillTaskDefinitionArn = drillTaskDefinition.arn;
        this.backupTaskFamily = backupTaskDefinition.family;
        this.drillTaskFamily = drillTaskDefinition.family;
        this.backupScheduleName = backupSchedule.name;
        this.drillScheduleName = drillSchedule.name;
        this.logGroupName = logGroup.name;
        this.deadLetterQueueUrl = deadLetterQueue.url;
        this.deadLetterQueueName = deadLetterQueue.name;
        this.image = image;
        this.backupTaskRoleArn = backupTask.arn;
        this.drillTaskRoleArn = drillTask.arn;
        this.runBackupCommand = runTask(backupTaskDefinition.arn);
        this.runDrillCommand = runTask(drillTaskDefinition.arn);
        this.registerOutputs({
            clusterName: this.clusterName,
            clusterArn: this.clusterArn,
            backupTaskDefinitionArn: this.backupTaskDefinitionArn,
            drillTaskDefinitionArn: this.drillTaskDefinitionArn,
            backupTaskFamily: this.backupTaskFamily,
            drillTaskFamily: this.drillTaskFamily,
            backupScheduleName: this.backupScheduleName,
            drillScheduleName: this.drillScheduleName,
            logGroupName: this.logGroupName,
            deadLetterQueueUrl: this.deadLetterQueueUrl,
            deadLetterQueueName: this.deadLetterQueueName,
            image: this.image,
            backupTaskRoleArn: this.backupTaskRoleArn,
            drillTaskRoleArn: this.drillTaskRoleArn,
            runBackupCommand: this.runBackupCommand,
            runDrillCommand: this.runDrillCommand,
        });
    }

    private role(id: string, roleName: string, description: string, trust: pulumi.Input<PolicyDocument>, permissions: pulumi.Input<PolicyDocument>) {
        const role = new aws.iam.Role(
            id,
            { name: roleName, description, assumeRolePolicy: jsonPolicy(trust), ...boundaryOf({ permissionsBoundary: this.permissionsBoundary }) },
            { parent: this },
        );
        const policy = new aws.iam.RolePolicy(`${id}-policy`, { name: "least-privilege", role: role.id, policy: jsonPolicy(permissions) }, { parent: this });
        return { arn: role.arn, policy };
    }
}

function jsonPolicy(document: pulumi.Input<PolicyDocument>): pulumi.Output<string> {
    return pulumi.jsonStringify(pulumi.output(document));
}
