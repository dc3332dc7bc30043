// Everything that pages someone: KMS-encrypted SNS topics with the on-call emails, EventBridge rules
// for failed backup tasks and tampering with the backups' protection, CloudWatch alarms on the
// backup job's metrics, replication, error logs and uptime, and the ops dashboard.
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    accountOf,
    bucketTamperingPattern,
    dashboardBody,
    ECS_INPUT_PATHS,
    ecsInputTemplate,
    keyTamperingPattern,
    MAX_ALARM_DESCRIPTION,
    MAX_RULE_DESCRIPTION,
    placeholderProblems,
    type Runbook,
    RUNBOOKS,
    runbookUrl,
    TAMPERING_INPUT_PATHS,
    tamperingInputTemplate,
    taskFailedPattern,
    taskFailedToStartPattern,
    topicKeyStatements,
    topicPolicy,
    withRunbook,
} from "./rules.js";
import { guardedKey } from "../shared/guardedKey.js";
import { nameStem } from "../shared/naming.js";
import type { AlertsSettings } from "./settings.js";

export const ALERTS_TYPE = "hotelgenius:ops:Alerts";
/** The backup job's CloudWatch Embedded Metric Format namespace (job/src/observability/emf.ts METRIC_NAMESPACE). */
export const BACKUP_NAMESPACE = "HotelGenius/Backup";
/** The log-drains area's metric filters count error lines here, across every drained log group. */
export const LOG_NAMESPACE = "HotelGenius/Logs";

export interface BackupStorageRefs {
    bucketName: pulumi.Input<string>;
    keyArn: pulumi.Input<string>;
    /** The off-site replica's bucket and key: given with replicaRegion and replicaProvider, or none of them (offSiteReplica false). */
    replicaBucketName?: pulumi.Input<string>;
    replicaKeyArn?: pulumi.Input<string>;
    /** Ids of the replication rules whose metrics are enabled (OperationsFailedReplication, ReplicationLatency); [] without a replica. */
    replicationRuleIds: string[];
}

/** The scheduled backup job's ECS names (the backup job area's outputs). */
export interface BackupJobRefs {
    clusterArn: pulumi.Input<string>;
    backupTaskFamily: pulumi.Input<string>;
    drillTaskFamily: pulumi.Input<string>;
    schedulerDeadLetterQueueName: pulumi.Input<string>;
    /** The job's log group, for the dashboard's last successful backups. */
    logGroupName: pulumi.Input<string>;
}

export interface AlertsArgs {
    project: string;
    stack: string;
    /** Protect and retain the topics' keys (prod): like every key, deleting one is a one-way door. */
    protectData: boolean;
    /** The only principal that may disable the topics' keys or change their policies (stacks/shared/guardedKey.ts). */
    breakGlassRoleArn: string;
    /** The topics' keys' deletion window, and the shortest anyone may schedule (7-30 days). */
    kmsDeletionWindowDays: number;
    /** The primary region: the component's provider's. */
    region: string;
    settings: AlertsSettings;
    alertEmails: readonly string[];
    /** Only with the replica's bucket and key. */
    replicaRegion?: string;
    /** Tampering with the replica's key and bucket is only seen by rules in its region. Only with the replica's bucket and key. */
    replicaProvider?: aws.Provider;
    /** Route 53 health-check metrics exist only in us-east-1: the uptime alarm and its topic live there. */
    usEast1Provider: aws.Provider;
    storage: BackupStorageRefs;
    /** Absent until the scheduled backup job is deployed: then no task-failure rules or scheduler alarm. */
    backupJob?: BackupJobRefs;
    /**
     * Log groups whose error lines the log-drains area counts (metric ErrorLogLines, no dimension:
     * one count across them), by a short stable label the alarm names, e.g. { job: ..., server: ... }.
     */
    errorLogGroups?: Record<string, pulumi.Input<string>>;
}

interface AlarmSpec {
    runbook: Runbook;
    summary: string;
    args: Omit<aws.cloudwatch.MetricAlarmArgs, "name" | "alarmDescription" | "alarmActions" | "okActions">;
}

interface OffSiteRefs {
    bucketName: pulumi.Input<string>;
    keyArn: pulumi.Input<string>;
    region: string;
    provider: aws.Provider;
}

/** The off-site replica's refs when all are given; checkArgs refuses some without the others. */
function offSiteOf(args: AlertsArgs): OffSiteRefs | undefined {
    const { replicaBucketName: bucketName, replicaKeyArn: keyArn } = args.storage;
    const { replicaRegion: region, replicaProvider: provider } = args;
    if (bucketName === undefined || keyArn === undefined || region === undefined || provider === undefined) return undefined;
    return { bucketName, keyArn, region, provider };
}

/** Every problem with the arguments, found before any resource is registered. */
function checkArgs(args: AlertsArgs): void {
    const problems: string[] = [];
    const replicaArgs = {
        "storage.replicaBucketName": args.storage.replicaBucketName,
        "storage.replicaKeyArn": args.storage.replicaKeyArn,
        replicaRegion: args.replicaRegion,
        replicaProvider: args.replicaProvider,
    };
    const given = Object.entries(replicaArgs).flatMap(([key, value]) => (value === undefined ? [] : [key]));
    const missing = Object.keys(replicaArgs).filter((key) => !given.includes(key));
    if (given.length > 0 && missing.length > 0) {
        problems.push(
            `${missing.join(", ")} not given while ${given.join(", ")} are; allowed: all of them (the off-site replica) or none (offSiteReplica false)`,
        );
    }
    if (args.replicaRegion === args.region)
        problems.push(`replicaRegion is "${args.replicaRegion}", the primary region; allowed: the backup replica's own region`);
    if (args.replicaProvider !== undefined && !(args.replicaProvider instanceof aws.Provider)) {
        problems.push("replicaProvider is not an aws.Provider; allowed: createProviders(settings).replica");
    }
    if (!(args.usEast1Provider instanceof aws.Provider)) problems.push("usEast1Provider is not an aws.Provider; allowed: createProviders(settings).usEast1");
    if (args.alertEmails.length === 0) problems.push("alertEmails is empty; allowed: at least one address, or alerts reach nobody");
    if (given.length > 0 && args.storage.replicationRuleIds.length === 0) {
        problems.push("storage.replicationRuleIds is empty; allowed: the ids of the backup replication rules");
    }
    if (given.length === 0 && args.storage.replicationRuleIds.length > 0) {
        problems.push(
            `storage.replicationRuleIds is ${JSON.stringify(args.storage.replicationRuleIds)} without a replica; allowed: [] when the stack keeps no ` +
                `off-site replica`,
        );
    }
    const badLabels = Object.keys(args.errorLogGroups ?? {}).filter((label) => !/^[a-z][a-z0-9-]{0,19}$/.test(label));
    if (badLabels.length > 0)
        problems.push(`errorLogGroups labels ${badLabels.join(", ")} are invalid; allowed: 1-20 lowercase letters, digits and -, starting with a letter`);
    if (problems.length > 0) throw new Error(`Alerts arguments are invalid:\n  - ${problems.join("\n  - ")}`);
}

/**
 * Placeholder recipients or health URL: a preview (and the offline plan) warns, so a freshly cloned
 * stack can still be reviewed; `pulumi up` refuses, so no deployment can page nobody.
 */
function checkPlaceholders(args: AlertsArgs): void {
    const problems = placeholderProblems(args.alertEmails, args.settings.healthCheckUrl);
    if (problems.length === 0) return;
    if (!pulumi.runtime.isDryRun()) throw new Error(`Alerts refuse to deploy with placeholders:\n  - ${problems.join("\n  - ")}`);
    for (const problem of problems) void pulumi.log.warn(`${problem} (an error on pulumi up)`);
}

export class Alerts extends pulumi.ComponentResource {
    public readonly topicArn: pulumi.Output<string>;
    /** Undefined without an off-site replica. */
    public readonly replicaTopicArn?: pulumi.Output<string>;
    public readonly uptimeTopicArn: pulumi.Output<string>;
    public readonly healthCheckId: pulumi.Output<string>;
    public readonly dashboardName: pulumi.Output<string>;

    private readonly prefix: string;
    private readonly stem: string;
    private readonly protectData: boolean;
    private readonly breakGlassRoleArn: string;
    private readonly kmsDeletionWindowDays: number;
    private readonly baseUrl: string;

    constructor(name: string, args: AlertsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        checkArgs(args);
        checkPlaceholders(args);
        super(ALERTS_TYPE, name, {}, opts);
        const { settings, storage } = args;
        this.prefix = name;
        this.stem = nameStem({ project: args.project, stack: args.stack });
        this.protectData = args.protectData;
        this.breakGlassRoleArn = args.breakGlassRoleArn;
        this.kmsDeletionWindowDays = args.kmsDeletionWindowDays;
        this.baseUrl = settings.runbookBaseUrl;
        const account = pulumi.output(storage.keyArn).apply(accountOf);
        const offSite = offSiteOf(args);

        const primary = this.topic(`${name}-topic`, `${this.stem}-alerts`, args.alertEmails, account, {});
        const replica = offSite && this.topic(`${name}-replica-topic`, `${this.stem}-alerts`, args.alertEmails, account, { provider: offSite.provider });
        const uptime = this.topic(`${name}-uptime-topic`, `${this.stem}-uptime`, args.alertEmails, account, { provider: args.usEast1Provider });

        const alarms: aws.cloudwatch.MetricAlarm[] = [];
        const alarm = (id: string, spec: AlarmSpec, topicArn: pulumi.Output<string>, extra: pulumi.CustomResourceOptions = {}) => {
            const created = new aws.cloudwatch.MetricAlarm(
                `${name}-${id}`,
                {
                    name: `${this.stem}-${id}`,
                    alarmDescription: withRunbook(spec.summary, this.baseUrl, spec.runbook, MAX_ALARM_DESCRIPTION),
                    // OK notifications too: the runbooks' "verify recovery" step starts from them.
                    alarmActions: [topicArn],
                    okActions: [topicArn],
                    ...spec.args,
                },
                { parent: this, ...extra },
            );
            if (extra.provider === undefined) alarms.push(created);
            return created;
        };

        const backupMetric = (metricName: string) => ({ namespace: BACKUP_NAMESPACE, metricName, dimensions: { Database: settings.backupDatabaseName } });

        // Dead-man's switch: hourly sums, and every one of the last N hours without a success (missing
        // data counts) fires it. A failed run reports 0, so it counts as missing too.
        alarm(
            "backup-missing",
            {
                runbook: RUNBOOKS.backupMissing,
                summary:
                    `No successful backup of database ${settings.backupDatabaseName} for ${settings.backupMissingAfterHours} hours (BackupSuccess, ` +
                    `missing data breaches).`,
                args: {
                    ...backupMetric("BackupSuccess"),
                    statistic: "Sum",
                    period: 3600,
                    evaluationPeriods: settings.backupMissingAfterHours,
                    datapointsToAlarm: settings.backupMissingAfterHours,
                    comparisonOperator: "LessThanThreshold",
                    threshold: 1,
                    treatMissingData: "breaching",
                },
            },
            primary.arn,
        );
        alarm(
            "backup-size-anomaly",
            {
                runbook: RUNBOOKS.backupSizeAnomaly,
                summary:
                    `A backup of ${settings.backupDatabaseName} is smaller than usual: BackupBytes fell under its anomaly band ` +
                    `(${settings.backupSizeAnomalyBand} standard deviations).`,
                args: {
                    comparisonOperator: "LessThanLowerThreshold",
                    evaluationPeriods: 1,
                    thresholdMetricId: "band",
                    // Days without a backup are the backup-missing alarm's concern.
                    treatMissingData: "notBreaching",
                    metricQueries: [
                        { id: "size", returnData: true, metric: { ...backupMetric("BackupBytes"), stat: "Maximum", period: 86400 } },
                        { id: "band", returnData: true, expression: `ANOMALY_DETECTION_BAND(size, ${settings.backupSizeAnomalyBand})`, label: "expected size" },
                    ],
                },
            },
            primary.arn,
        );
        alarm(
            "restore-drill-failed",
            {
                runbook: RUNBOOKS.drillFailed,
                summary: `A restore drill (verify) of ${settings.backupDatabaseName} failed: VerifySuccess was 0.`,
                args: {
                    ...backupMetric("VerifySuccess"),
                    statistic: "Minimum",
                    period: 3600,
                    evaluationPeriods: 1,
                    comparisonOperator: "LessThanThreshold",
                    threshold: 1,
                    treatMissingData: "notBreaching",
                },
            },
            primary.arn,
        );
        alarm(
            "restore-drill-missing",
            {
                runbook: RUNBOOKS.drillMissing,
                summary:
                    `No passed restore drill of ${settings.backupDatabaseName} for ${settings.drillMissingAfterDays} days (VerifySuccess, missing data ` +
                    `breaches).`,
                args: {
                    ...backupMetric("VerifySuccess"),
                    statistic: "Sum",
                    period: 86400,
                    evaluationPeriods: settings.drillMissingAfterDays,
                    datapointsToAlarm: settings.drillMissingAfterDays,
                    comparisonOperator: "LessThanThreshold",
                    threshold: 1,
                    treatMissingData: "breaching",
                },
            },
            primary.arn,
        );

        // S3 publishes replication metrics only while objects replicate: missing data says nothing (AWS advises "ignore").
        if (offSite !== undefined) {
            for (const ruleId of storage.replicationRuleIds) {
                const dimensions = { SourceBucket: storage.bucketName, DestinationBucket: offSite.bucketName, RuleId: ruleId };
                alarm(
                    `replication-failed-${ruleId}`,
                    {
                        runbook: RUNBOOKS.replicationFailed,
                        summary:
                            `Objects of replication rule ${ruleId} failed to reach the off-site replica in ${offSite.region} ` +
                            `(OperationsFailedReplication > 0).`,
                        args: {
                            namespace: "AWS/S3",
                            metricName: "OperationsFailedReplication",
                            dimensions,
                            statistic: "Sum",
                            period: 300,
                            evaluationPeriods: 1,
                            comparisonOperator: "GreaterThanThreshold",
                            threshold: 0,
                            treatMissingData: "ignore",
                        },
                    },
                    primary.arn,
                );
                alarm(
                    `replication-latency-${ruleId}`,
                    {
                        runbook: RUNBOOKS.replicationLatency,
                        summary:
                            `Replication rule ${ruleId} lags more than ${settings.replicationLatencyMinutes} minutes behind (ReplicationLatency, 3 ` +
                            `periods of 5 minutes).`,
                        args: {
                            namespace: "AWS/S3",
                            metricName: "ReplicationLatency",
                            dimensions,
                            statistic: "Maximum",
                            period: 300,
                            evaluationPeriods: 3,
                            comparisonOperator: "GreaterThanThreshold",
                            threshold: settings.replicationLatencyMinutes * 60,
                            treatMissingData: "ignore",
                        },
                    },
                    primary.arn,
                );
            }
        }

        // A metric filter's dimensions can only come from the log line's own fields, and the log group's
        // name is not one: the drained groups add up into one dimensionless ErrorLogLines metric.
        const errorLabels = Object.keys(args.errorLogGroups ?? {});
        if (errorLabels.length > 0) {
            alarm(
                "error-log-rate",
                {
                    runbook: RUNBOOKS.errorLogRate,
                    summary:
                        `${settings.errorLogLinesPer5Minutes} or more error log lines in 5 minutes across the drained log groups ` +
                        `(${errorLabels.join(", ")}; ErrorLogLines).`,
                    args: {
                        namespace: LOG_NAMESPACE,
                        metricName: "ErrorLogLines",
                        statistic: "Sum",
                        period: 300,
                        evaluationPeriods: 1,
                        comparisonOperator: "GreaterThanOrEqualToThreshold",
                        threshold: settings.errorLogLinesPer5Minutes,
                        treatMissingData: "notBreaching",
                    },
                },
                primary.arn,
            );
        }

        if (args.backupJob !== undefined) this.backupJobAlerts(args.backupJob, primary.arn, alarm);

        // CloudTrail events reach EventBridge only in the region of the call: one pair of rules per region.
        this.tamperingRules("tampering", [storage.keyArn], [storage.bucketName], primary.arn, {});
        if (offSite !== undefined && replica !== undefined) {
            this.tamperingRules("replica-tampering", [offSite.keyArn], [offSite.bucketName], replica.arn, { provider: offSite.provider });
        }

        const url = new URL(settings.healthCheckUrl);
        const healthCheck = new aws.route53.HealthCheck(
            `${name}-health-check`,
            {
                type: "HTTPS_STR_MATCH",
                fqdn: url.hostname,
                port: url.port === "" ? 443 : Number(url.port),
                resourcePath: `${url.pathname}${url.search}`,
                searchString: settings.healthCheckSearchString,
                enableSni: true,
                requestInterval: 30,
                failureThreshold: 3,
                regions: [...settings.healthCheckRegions],
                tags: { Name: `${this.stem}-uptime` },
            },
            { parent: this, provider: args.usEast1Provider },
        );
        alarm(
            "site-down",
            {
                runbook: RUNBOOKS.siteDown,
                summary:
                    `${settings.healthCheckUrl} fails its health check (no "${settings.healthCheckSearchString}" in the response) from most Route 53 ` +
                    `checker regions.`,
                args: {
                    namespace: "AWS/Route53",
                    metricName: "HealthCheckStatus",
                    dimensions: { HealthCheckId: healthCheck.id },
                    statistic: "Minimum",
                    period: 60,
                    evaluationPeriods: 1,
                    comparisonOperator: "LessThanThreshold",
                    threshold: 1,
                    // A check that stops reporting cannot show the site is up.
                    treatMissingData: "breaching",
                },
            },
            uptime.arn,
            { provider: args.usEast1Provider },
        );

        const dashboard = new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: `${this.stem}-ops`,
                dashboardBody: pulumi.jsonStringify(
                    pulumi
                        .all([
                            pulumi.all(alarms.map((created) => created.arn)),
                            pulumi.all(Object.values(args.errorLogGroups ?? {})),
                            healthCheck.id,
                            args.backupJob?.logGroupName,
                        ])
                        .apply(([alarmArns, logGroups, healthCheckId, jobLogGroup]) =>
                            dashboardBody({
                                region: args.region,
                                database: settings.backupDatabaseName,
                                alarmArns,
                                logGroups,
                                healthCheckId,
                                ...(jobLogGroup === undefined ? {} : { jobLogGroup }),
                            }),
                        ),
                ),
            },
            { parent: this },
        );

        this.topicArn = primary.arn;
        this.replicaTopicArn = replica?.arn;
        this.uptimeTopicArn = uptime.arn;
        this.healthCheckId = healthCheck.id;
        this.dashboardName = dashboard.dashboardName;
        this.registerOutputs({
            topicArn: this.topicArn,
            replicaTopicArn: this.replicaTopicArn,
            uptimeTopicArn: this.uptimeTopicArn,
            healthCheckId: this.healthCheckId,
            dashboardName: this.dashboardName,
        });
    }

    /** A KMS-encrypted topic only this account's EventBridge rules and CloudWatch alarms may publish to, with one email subscription per recipient. */
    private topic(
        id: string,
        topicName: string,
        emails: readonly string[],
        account: pulumi.Output<string>,
        extra: pulumi.CustomResourceOptions,
    ): aws.sns.Topic {
        const child = { ...extra, parent: this };
        // Losing a topic key silently ends every page: guarded like the backup keys.
        const key = guardedKey(
            `${id}-key`,
            {
                description: `Encrypts the ${topicName} alerts topic`,
                breakGlassRoleArn: this.breakGlassRoleArn,
                deletionWindowDays: this.kmsDeletionWindowDays,
                serviceStatements: account.apply(topicKeyStatements),
            },
            { ...child, protect: this.protectData, retainOnDelete: this.protectData },
        );
        const topic = new aws.sns.Topic(id, { name: topicName, kmsMasterKeyId: key.arn }, child);
        const policy = pulumi.all([topic.arn, account]).apply(([arn, owner]) => topicPolicy(arn, owner));
        new aws.sns.TopicPolicy(`${id}-policy`, { arn: topic.arn, policy: pulumi.jsonStringify(policy) }, child);
        for (const email of emails) {
            // Named by a hash of the address, so reordering the list does not resubscribe (and re-confirm) anyone.
            const digest = createHash("sha256").update(email.toLowerCase()).digest("hex").slice(0, 8);
            new aws.sns.TopicSubscription(`${id}-email-${digest}`, { topic: topic.arn, protocol: "email", endpoint: email }, child);
        }
        return topic;
    }

    /** An EventBridge rule sending what it matches, as the readable text of `transformer`, to the topic. */
    private rule(
        id: string,
        description: string,
        runbook: Runbook,
        pattern: pulumi.Input<Record<string, unknown>>,
        transformer: aws.types.input.cloudwatch.EventTargetInputTransformer,
        topicArn: pulumi.Output<string>,
        extra: pulumi.CustomResourceOptions,
    ): void {
        const child = { ...extra, parent: this };
        const rule = new aws.cloudwatch.EventRule(
            `${this.prefix}-${id}`,
            {
                name: `${this.stem}-${id}`,
                description: withRunbook(description, this.baseUrl, runbook, MAX_RULE_DESCRIPTION),
                eventPattern: pulumi.jsonStringify(pattern),
                state: "ENABLED",
            },
            child,
        );
        new aws.cloudwatch.EventTarget(`${this.prefix}-${id}-target`, { rule: rule.name, arn: topicArn, inputTransformer: transformer }, child);
    }

    /** Task failures of the backup and the drill, and the scheduler's dead letters. */
    private backupJobAlerts(
        job: BackupJobRefs,
        topicArn: pulumi.Output<string>,
        alarm: (id: string, spec: AlarmSpec, topicArn: pulumi.Output<string>) => unknown,
    ): void {
        for (const [id, family, what, runbook] of [
            ["backup", job.backupTaskFamily, "The backup task", RUNBOOKS.backupFailed],
            ["restore-drill", job.drillTaskFamily, "The restore drill task", RUNBOOKS.drillFailed],
        ] as const) {
            const link = runbookUrl(this.baseUrl, runbook);
            this.rule(
                `${id}-task-failed`,
                `${what} stopped with a non-zero exit code.`,
                runbook,
                pulumi.all([job.clusterArn, family]).apply(([cluster, taskFamily]) => taskFailedPattern(cluster, taskFamily)),
                { inputPaths: ECS_INPUT_PATHS, inputTemplate: ecsInputTemplate(`${what} failed`, link) },
                topicArn,
                {},
            );
            this.rule(
                `${id}-task-failed-to-start`,
                `${what} never started (TaskFailedToStart: image, secrets, network or capacity).`,
                runbook,
                pulumi.all([job.clusterArn, family]).apply(([cluster, taskFamily]) => taskFailedToStartPattern(cluster, taskFamily)),
                { inputPaths: ECS_INPUT_PATHS, inputTemplate: ecsInputTemplate(`${what} failed to start`, link) },
                topicArn,
                {},
            );
        }
        alarm(
            "scheduler-dead-letters",
            {
                runbook: RUNBOOKS.schedulerDeadLetters,
                summary: "EventBridge Scheduler could not start a backup or drill task: its dead-letter queue holds messages.",
                args: {
                    namespace: "AWS/SQS",
                    metricName: "ApproximateNumberOfMessagesVisible",
                    dimensions: { QueueName: job.schedulerDeadLetterQueueName },
                    statistic: "Maximum",
                    period: 300,
                    evaluationPeriods: 1,
                    comparisonOperator: "GreaterThanThreshold",
                    threshold: 0,
                    treatMissingData: "notBreaching",
                },
            },
            topicArn,
        );
    }

    private tamperingRules(
        id: string,
        keyArns: pulumi.Input<string>[],
        bucketNames: pulumi.Input<string>[],
        topicArn: pulumi.Output<string>,
        extra: pulumi.CustomResourceOptions,
    ): void {
        const inputTransformer = { inputPaths: TAMPERING_INPUT_PATHS, inputTemplate: tamperingInputTemplate(runbookUrl(this.baseUrl, RUNBOOKS.tampering)) };
        this.rule(
            `${id}-keys`,
            "Someone scheduled deletion of, disabled or changed the policy of a backup KMS key (CloudTrail).",
            RUNBOOKS.tampering,
            pulumi.all(keyArns).apply(keyTamperingPattern),
            inputTransformer,
            topicArn,
            extra,
        );
        this.rule(
            `${id}-buckets`,
            "Someone changed the policy, lifecycle, replication, Object Lock, versioning, encryption or public access block of a backup bucket (CloudTrail).",
            RUNBOOKS.tampering,
            pulumi.all(bucketNames).apply(bucketTamperingPattern),
            inputTransformer,
            topicArn,
            extra,
        );
    }
}
