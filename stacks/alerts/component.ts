// Everything that pages someone: per region, a KMS-encrypted SNS topic with the on-call emails and
// an independent pager topic (the second channel); EventBridge rules for failed backup tasks and for
// tampering with the backups' protection or with the alerting itself; CloudWatch alarms on the
// backup job's metrics, the restore-time budget, replication, error logs and uptime; watchers on
// every rule's and topic's failed deliveries; the alarm drill's rule; and the ops dashboard.
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    accountOf,
    dashboardBody,
    DRILL_INPUT_PATHS,
    drillEvent,
    drillInputTemplate,
    drillPattern,
    ECS_INPUT_PATHS,
    ecsInputTemplate,
    MAX_ALARM_DESCRIPTION,
    MAX_RULE_DESCRIPTION,
    placeholderProblems,
    type Runbook,
    RUNBOOKS,
    runbookUrl,
    taskFailedPattern,
    taskFailedToStartPattern,
    topicKeyPolicy,
    topicPolicy,
    withRunbook,
} from "./rules.js";
import {
    bucketTamperingPattern,
    keyTamperingPattern,
    roleTamperingPattern,
    TAMPERING_INPUT_PATHS,
    tamperingInputTemplate,
    watcherTamperingPattern,
} from "./tampering.js";
import { pagerProtocol } from "./checks.js";
import { DEPLOY_ROLE_NAME, deployRoleArn, roleName } from "../shared/account.js";
import { APP_ERROR_METRICS } from "../logDrains/rules.js";
import { backupJobNames, backupStorageNames, nameStem } from "../shared/naming.js";
import { RESTORE_TIME_WARNING_SHARE, type AlertsSettings } from "./settings.js";

export const ALERTS_TYPE = "hotelgenius:ops:Alerts";
/** The backup job's CloudWatch Embedded Metric Format namespace (job/src/observability/emf.ts METRIC_NAMESPACE). */
export const BACKUP_NAMESPACE = "HotelGenius/Backup";
/** The log-drains area's metric filters count error lines here, across every drained log group; the Railway forwarder counts the app's here too. */
export const LOG_NAMESPACE = "HotelGenius/Logs";
/** Connection-timeout error lines of the app in 5 minutes that page: one is a blip (a Neon compute waking), three are an outage starting. */
export const DATABASE_TIMEOUT_LINES_PER_5_MINUTES = 3;

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
    /** The primary region: the component's provider's. */
    region: string;
    settings: AlertsSettings;
    alertEmails: readonly string[];
    /** Only with the replica's bucket and key. */
    replicaRegion?: string;
    /** Tampering with the replica's key and bucket is only seen by rules in its region. Only with the replica's bucket and key. */
    replicaProvider?: aws.Provider;
    /** Route 53 health-check metrics exist only in us-east-1: the uptime alarm and its topic live there, and IAM's CloudTrail events reach EventBridge there only. */
    usEast1Provider: aws.Provider;
    /** The role the key policies trust by name (storage setting breakGlassRoleArn): anyone creating a role by its name pages. */
    breakGlassRoleArn: string;
    storage: BackupStorageRefs;
    /** Absent until the scheduled backup job is deployed: then no task-failure rules or scheduler alarm. */
    backupJob?: BackupJobRefs;
    /**
     * Log groups whose error lines the log-drains area counts (metric ErrorLogLines, no dimension:
     * one count across them), by a short stable label the alarm names, e.g. { job: ..., server: ... }.
     */
    errorLogGroups?: Record<string, pulumi.Input<string>>;
}

/**
 * `page`: the alert emails and the pager (the second channel) — someone must act now. `notify`: the
 * alert emails only — someone must look today.
 */
export type Severity = "page" | "notify";

interface AlarmSpec {
    runbook: Runbook;
    summary: string;
    severity: Severity;
    args: Omit<aws.cloudwatch.MetricAlarmArgs, "name" | "alarmDescription" | "alarmActions" | "okActions">;
}

/** One region's two independent channels, and the provider options that put resources in that region. */
interface Channels {
    region: string;
    alerts: aws.sns.Topic;
    pager: aws.sns.Topic;
    opts: pulumi.CustomResourceOptions;
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
    if (pagerProtocol(args.settings.pagerEndpoint) === undefined) {
        problems.push(
            `settings.pagerEndpoint "${args.settings.pagerEndpoint}" is not a pager endpoint; allowed: an https:// URL, an E.164 number or an email address`,
        );
    }
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
    const problems = placeholderProblems(args.alertEmails, args.settings.healthCheckUrl, args.settings.pagerEndpoint);
    if (problems.length === 0) return;
    if (!pulumi.runtime.isDryRun()) throw new Error(`Alerts refuse to deploy with placeholders:\n  - ${problems.join("\n  - ")}`);
    for (const problem of problems) void pulumi.log.warn(`${problem} (an error on pulumi up)`);
}

export class Alerts extends pulumi.ComponentResource {
    public readonly topicArn: pulumi.Output<string>;
    /** Undefined without an off-site replica. */
    public readonly replicaTopicArn?: pulumi.Output<string>;
    public readonly uptimeTopicArn: pulumi.Output<string>;
    /** The IAM tampering rule's own topic, in us-east-1. */
    public readonly iamTopicArn: pulumi.Output<string>;
    /** The second channel's topic in the primary region. */
    public readonly pagerTopicArn: pulumi.Output<string>;
    public readonly healthCheckId: pulumi.Output<string>;
    public readonly dashboardName: pulumi.Output<string>;
    /** What `npm run alarm-drill` needs: the drill rule's event source and detail type, and the regions holding this stack's alarms. */
    public readonly drill: { source: string; detailType: string; alarmNamePrefix: string; regions: string[] };

    private readonly prefix: string;
    private readonly stem: string;
    private readonly protectData: boolean;
    private readonly baseUrl: string;
    private readonly account: pulumi.Output<string>;
    /** Every rule that notifies, for its FailedInvocations watcher. */
    private readonly rules: { id: string; rule: aws.cloudwatch.EventRule; channels: Channels }[] = [];

    constructor(name: string, args: AlertsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        checkArgs(args);
        checkPlaceholders(args);
        super(ALERTS_TYPE, name, {}, opts);
        const { settings, storage } = args;
        this.prefix = name;
        this.stem = nameStem({ project: args.project, stack: args.stack });
        this.protectData = args.protectData;
        this.baseUrl = settings.runbookBaseUrl;
        this.account = pulumi.output(storage.keyArn).apply(accountOf);
        const deployRole = this.account.apply(deployRoleArn);
        const offSite = offSiteOf(args);

        const emails = args.alertEmails.map((email) => ({ protocol: "email", endpoint: email }));
        const pagerSubscription = [{ protocol: pagerProtocol(settings.pagerEndpoint) as string, endpoint: settings.pagerEndpoint }];
        const channels = (ids: [alerts: string, pager: string], region: string, extra: pulumi.CustomResourceOptions, alertsTopic = "alerts"): Channels => ({
            region,
            alerts: this.topic(`${name}-${ids[0]}`, `${this.stem}-${alertsTopic}`, emails, extra),
            pager: this.topic(`${name}-${ids[1]}`, `${this.stem}-pager`, pagerSubscription, extra),
            opts: extra,
        });
        const primary = channels(["topic", "pager-topic"], args.region, {});
        const replica = offSite && channels(["replica-topic", "replica-pager-topic"], offSite.region, { provider: offSite.provider });
        // us-east-1: the uptime alarm (Route 53's metrics) and the IAM rule (IAM's CloudTrail events), each with its own email topic.
        const usEast1 = channels(["uptime-topic", "us-east-1-pager-topic"], "us-east-1", { provider: args.usEast1Provider }, "uptime");
        const iam = { ...usEast1, alerts: this.topic(`${name}-iam-topic`, `${this.stem}-iam`, emails, usEast1.opts) };

        const alarms: aws.cloudwatch.MetricAlarm[] = [];
        const alarm = (id: string, spec: AlarmSpec, where: Channels, actions?: pulumi.Output<string>[]) => {
            const targets = actions ?? (spec.severity === "page" ? [where.alerts.arn, where.pager.arn] : [where.alerts.arn]);
            const created = new aws.cloudwatch.MetricAlarm(
                `${name}-${id}`,
                {
                    name: `${this.stem}-${id}`,
                    alarmDescription: withRunbook(spec.summary, this.baseUrl, spec.runbook, MAX_ALARM_DESCRIPTION),
                    // OK notifications too: the runbooks' "verify recovery" step starts from them.
                    alarmActions: targets,
                    okActions: targets,
                    ...spec.args,
                },
                { parent: this, ...where.opts },
            );
            if (where.opts.provider === undefined) alarms.push(created);
            return created;
        };

        const backupMetric = (metricName: string) => ({ namespace: BACKUP_NAMESPACE, metricName, dimensions: { Database: settings.backupDatabaseName } });

        // Dead-man's switch: hourly sums, and every one of the last N hours without a success (missing
        // data counts) fires it. A failed run reports 0, so it counts as missing too.
        alarm(
            "backup-missing",
            {
                runbook: RUNBOOKS.backupMissing,
                severity: "page",
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
            primary,
        );
        alarm(
            "backup-size-anomaly",
            {
                runbook: RUNBOOKS.backupSizeAnomaly,
                severity: "notify",
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
            primary,
        );
        alarm(
            "restore-drill-failed",
            {
                runbook: RUNBOOKS.drillFailed,
                severity: "notify",
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
            primary,
        );
        alarm(
            "restore-drill-missing",
            {
                runbook: RUNBOOKS.drillMissing,
                severity: "notify",
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
            primary,
        );
        // The drill restores the dump a disaster would: its duration is the restore-time promise's measure.
        // It runs weekly, so "ignore" keeps each verdict until the next drill reports.
        const budgetSeconds = settings.restoreTimeObjectiveMinutes * 60;
        for (const [id, share, what] of [
            ["restore-time-warning", RESTORE_TIME_WARNING_SHARE, `${RESTORE_TIME_WARNING_SHARE * 100}% of`],
            ["restore-time-exceeded", 1, "more than"],
        ] as const) {
            alarm(
                id,
                {
                    runbook: RUNBOOKS.restoreTime,
                    severity: "notify",
                    summary:
                        `The restore drill of ${settings.backupDatabaseName} took ${what} the ${settings.restoreTimeObjectiveMinutes}-minute restore-time ` +
                        `budget (VerifyDuration > ${Math.round(budgetSeconds * share)} s).`,
                    args: {
                        ...backupMetric("VerifyDuration"),
                        statistic: "Maximum",
                        period: 3600,
                        evaluationPeriods: 1,
                        comparisonOperator: "GreaterThanThreshold",
                        threshold: Math.round(budgetSeconds * share),
                        treatMissingData: "ignore",
                    },
                },
                primary,
            );
        }

        // S3 publishes replication metrics only while objects replicate: missing data says nothing (AWS advises "ignore").
        if (offSite !== undefined) {
            for (const ruleId of storage.replicationRuleIds) {
                const dimensions = { SourceBucket: storage.bucketName, DestinationBucket: offSite.bucketName, RuleId: ruleId };
                alarm(
                    `replication-failed-${ruleId}`,
                    {
                        runbook: RUNBOOKS.replicationFailed,
                        severity: "notify",
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
                    primary,
                );
                alarm(
                    `replication-latency-${ruleId}`,
                    {
                        runbook: RUNBOOKS.replicationLatency,
                        severity: "notify",
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
                    primary,
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
                    severity: "page",
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
                primary,
            );
        }
        // The app's lines reach Firehose through the Railway forwarder, which no metric filter sees: the
        // forwarder counts them itself (deploy/vector/vector.yaml) into these two dimensionless metrics.
        const appLines = (metricName: string, threshold: number) => ({
            namespace: LOG_NAMESPACE,
            metricName,
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold,
            treatMissingData: "notBreaching",
        });
        alarm(
            "app-error-rate",
            {
                runbook: RUNBOOKS.appErrorRate,
                severity: "page",
                summary: `${settings.appErrorLinesPer5Minutes} or more of the app's error log lines in 5 minutes (AppErrorLines, counted by the Railway forwarder).`,
                args: appLines(APP_ERROR_METRICS.errors, settings.appErrorLinesPer5Minutes),
            },
            primary,
        );
        alarm(
            "database-connection-timeout",
            {
                runbook: RUNBOOKS.databaseConnectionTimeout,
                severity: "page",
                summary:
                    `${DATABASE_TIMEOUT_LINES_PER_5_MINUTES} or more of the app's error lines in 5 minutes say the database connection timed out or was ` +
                    `refused (DatabaseTimeoutLines, counted by the Railway forwarder).`,
                args: appLines(APP_ERROR_METRICS.databaseTimeouts, DATABASE_TIMEOUT_LINES_PER_5_MINUTES),
            },
            primary,
        );

        if (args.backupJob !== undefined) this.backupJobAlerts(args.backupJob, primary, alarm);

        // CloudTrail events reach EventBridge only in the region of the call: one set of rules per region.
        this.tamperingRules("tampering", [storage.keyArn], [storage.bucketName], primary, deployRole);
        if (offSite !== undefined && replica !== undefined) {
            this.tamperingRules("replica-tampering", [offSite.keyArn], [offSite.bucketName], replica, deployRole);
        }
        // IAM is global: its events reach EventBridge in us-east-1 only.
        const jobRoles = args.backupJob === undefined ? [] : Object.values(pickRoles(backupJobNames({ project: args.project, stack: args.stack })));
        const replicationRole = offSite === undefined ? [] : [backupStorageNames({ project: args.project, stack: args.stack }, offSite.region).replicationRole];
        const watchedRoles = [...jobRoles, ...replicationRole, roleName(args.breakGlassRoleArn), DEPLOY_ROLE_NAME];
        this.rule(
            "tampering-roles",
            "Someone but the deploy role changed, created or deleted a role the backups or the alerts rely on, or the break-glass role (CloudTrail).",
            RUNBOOKS.roleTampering,
            deployRole.apply((deployer) => roleTamperingPattern(watchedRoles, deployer)),
            this.tamperingTransformer("IAM role changed", RUNBOOKS.roleTampering),
            iam,
        );

        // The drill's rule is built like the real ones (an event pattern, an input transformer, both channels), so its delivery proves theirs.
        this.rule(
            "alarm-drill",
            "The monthly alarm drill (npm run alarm-drill): a test event sent through EventBridge to both channels.",
            RUNBOOKS.alarmDrill,
            drillPattern(this.stem),
            { inputPaths: DRILL_INPUT_PATHS, inputTemplate: drillInputTemplate(runbookUrl(this.baseUrl, RUNBOOKS.alarmDrill)) },
            primary,
        );

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
                severity: "page",
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
            usEast1,
        );

        // Watch the watchers, through CloudWatch's own path to SNS (a different principal from EventBridge's):
        // a rule whose deliveries fail pages both channels; a topic whose deliveries fail pages the other one.
        for (const { id, rule, channels: where } of this.rules) {
            alarm(
                `${id}-failed-invocations`,
                {
                    runbook: RUNBOOKS.alertDeliveryFailed,
                    severity: "page",
                    summary: `EventBridge could not deliver what rule ${this.stem}-${id} matched to its topics (FailedInvocations > 0): that alert never arrived.`,
                    args: anyIn5Minutes("AWS/Events", "FailedInvocations", { RuleName: rule.name }),
                },
                where,
            );
        }
        const regionsChannels = [primary, ...(replica === undefined ? [] : [replica]), usEast1];
        for (const where of regionsChannels) {
            const label = where === primary ? "" : where === usEast1 ? "us-east-1-" : "replica-";
            const topics: [string, aws.sns.Topic, aws.sns.Topic][] = [
                [where === usEast1 ? "uptime" : "alerts", where.alerts, where.pager],
                ["pager", where.pager, where.alerts],
                ...(where === usEast1 ? ([["iam", iam.alerts, where.pager]] as [string, aws.sns.Topic, aws.sns.Topic][]) : []),
            ];
            for (const [topicId, topic, other] of topics) {
                alarm(
                    `${label}${topicId}-notifications-failed`,
                    {
                        runbook: RUNBOOKS.alertDeliveryFailed,
                        severity: "page",
                        summary: `SNS could not deliver notifications of topic ${this.stem}-${topicId} in ${where.region} to a subscriber (NumberOfNotificationsFailed > 0).`,
                        args: anyIn5Minutes("AWS/SNS", "NumberOfNotificationsFailed", { TopicName: topic.name }),
                    },
                    where,
                    [other.arn],
                );
            }
        }

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
                                restoreTimeBudgetSeconds: budgetSeconds,
                                ...(jobLogGroup === undefined ? {} : { jobLogGroup }),
                            }),
                        ),
                ),
            },
            { parent: this },
        );

        this.topicArn = primary.alerts.arn;
        this.replicaTopicArn = replica?.alerts.arn;
        this.uptimeTopicArn = usEast1.alerts.arn;
        this.iamTopicArn = iam.alerts.arn;
        this.pagerTopicArn = primary.pager.arn;
        this.healthCheckId = healthCheck.id;
        this.dashboardName = dashboard.dashboardName;
        this.drill = { ...drillEvent(this.stem), alarmNamePrefix: `${this.stem}-`, regions: regionsChannels.map((where) => where.region) };
        this.registerOutputs({
            topicArn: this.topicArn,
            replicaTopicArn: this.replicaTopicArn,
            uptimeTopicArn: this.uptimeTopicArn,
            iamTopicArn: this.iamTopicArn,
            pagerTopicArn: this.pagerTopicArn,
            healthCheckId: this.healthCheckId,
            dashboardName: this.dashboardName,
            drill: this.drill,
        });
    }

    /** A KMS-encrypted topic only this account's EventBridge rules and CloudWatch alarms may publish to, with its subscriptions. */
    private topic(id: string, topicName: string, subscriptions: { protocol: string; endpoint: string }[], extra: pulumi.CustomResourceOptions): aws.sns.Topic {
        const child = { ...extra, parent: this };
        const key = new aws.kms.Key(
            `${id}-key`,
            {
                description: `Encrypts the ${topicName} alerts topic`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: pulumi.jsonStringify(this.account.apply(topicKeyPolicy)),
            },
            { ...child, protect: this.protectData, retainOnDelete: this.protectData },
        );
        const topic = new aws.sns.Topic(id, { name: topicName, kmsMasterKeyId: key.arn }, child);
        const policy = pulumi.all([topic.arn, this.account]).apply(([arn, owner]) => topicPolicy(arn, owner));
        new aws.sns.TopicPolicy(`${id}-policy`, { arn: topic.arn, policy: pulumi.jsonStringify(policy) }, child);
        for (const { protocol, endpoint } of subscriptions) {
            // Named by a hash of the endpoint, so reordering the list does not resubscribe (and re-confirm) anyone.
            const digest = createHash("sha256").update(endpoint.toLowerCase()).digest("hex").slice(0, 8);
            new aws.sns.TopicSubscription(
                `${id}-${protocol}-${digest}`,
                {
                    topic: topic.arn,
                    protocol,
                    endpoint,
                    // On-call services confirm their SNS subscriptions themselves; one that does not fails `pulumi up` instead of staying pending.
                    ...(protocol === "https" ? { endpointAutoConfirms: true } : {}),
                },
                child,
            );
        }
        this.topicKeys.set(topic, key);
        return topic;
    }

    /** Each topic's key: tampering with it silences the topic, so the region's key rule watches it. */
    private readonly topicKeys = new Map<aws.sns.Topic, aws.kms.Key>();

    /** An EventBridge rule sending what it matches, as the readable text of `transformer`, to the region's alert emails (and pager, to page). */
    private rule(
        id: string,
        description: string,
        runbook: Runbook,
        pattern: pulumi.Input<Record<string, unknown>>,
        transformer: aws.types.input.cloudwatch.EventTargetInputTransformer,
        where: Channels,
        severity: Severity = "page",
    ): void {
        const child = { ...where.opts, parent: this };
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
        new aws.cloudwatch.EventTarget(`${this.prefix}-${id}-target`, { rule: rule.name, arn: where.alerts.arn, inputTransformer: transformer }, child);
        if (severity === "page") {
            new aws.cloudwatch.EventTarget(
                `${this.prefix}-${id}-pager-target`,
                { rule: rule.name, arn: where.pager.arn, inputTransformer: transformer },
                child,
            );
        }
        this.rules.push({ id, rule, channels: where });
    }

    /** Task failures of the backup and the drill, and the scheduler's dead letters. */
    private backupJobAlerts(job: BackupJobRefs, where: Channels, alarm: (id: string, spec: AlarmSpec, where: Channels) => unknown): void {
        // A failed backup pages; a failed drill can wait for the next business day (the backups themselves are still made).
        for (const [id, family, what, runbook, severity] of [
            ["backup", job.backupTaskFamily, "The backup task", RUNBOOKS.backupFailed, "page"],
            ["restore-drill", job.drillTaskFamily, "The restore drill task", RUNBOOKS.drillFailed, "notify"],
        ] as const) {
            const link = runbookUrl(this.baseUrl, runbook);
            this.rule(
                `${id}-task-failed`,
                `${what} stopped with a non-zero exit code.`,
                runbook,
                pulumi.all([job.clusterArn, family]).apply(([cluster, taskFamily]) => taskFailedPattern(cluster, taskFamily)),
                { inputPaths: ECS_INPUT_PATHS, inputTemplate: ecsInputTemplate(`${what} failed`, link) },
                where,
                severity,
            );
            this.rule(
                `${id}-task-failed-to-start`,
                `${what} never started (TaskFailedToStart: image, secrets, network or capacity).`,
                runbook,
                pulumi.all([job.clusterArn, family]).apply(([cluster, taskFamily]) => taskFailedToStartPattern(cluster, taskFamily)),
                { inputPaths: ECS_INPUT_PATHS, inputTemplate: ecsInputTemplate(`${what} failed to start`, link) },
                where,
                severity,
            );
        }
        // Messages *sent* per period, not messages visible: the queue keeps a message 14 days, so a
        // visible-count alarm stays in ALARM after the first failure and every later one is silent.
        // Scheduler puts its dead letters with SendMessage, which this metric counts.
        alarm(
            "scheduler-dead-letters",
            {
                runbook: RUNBOOKS.schedulerDeadLetters,
                severity: "page",
                summary:
                    "EventBridge Scheduler could not start a backup or drill task: it sent the attempt to its dead-letter queue (NumberOfMessagesSent > 0).",
                args: anyIn5Minutes("AWS/SQS", "NumberOfMessagesSent", { QueueName: job.schedulerDeadLetterQueueName }),
            },
            where,
        );
    }

    private tamperingTransformer(what: string, runbook: Runbook): aws.types.input.cloudwatch.EventTargetInputTransformer {
        return { inputPaths: TAMPERING_INPUT_PATHS, inputTemplate: tamperingInputTemplate(what, runbookUrl(this.baseUrl, runbook)) };
    }

    /** One region's rules: the backups' key and bucket, and what silences detection or delivery there. */
    private tamperingRules(
        id: string,
        keyArns: pulumi.Input<string>[],
        bucketNames: pulumi.Input<string>[],
        where: Channels,
        deployRole: pulumi.Output<string>,
    ): void {
        const topicKeys = [where.alerts, where.pager].map((topic) => this.topicKeys.get(topic)!.arn);
        this.rule(
            `${id}-keys`,
            "Someone but the deploy role deleted, disabled, re-granted, re-aliased or changed the policy or rotation of a backup or alerts KMS key (CloudTrail).",
            RUNBOOKS.tampering,
            pulumi.all([pulumi.all([...keyArns, ...topicKeys]), deployRole]).apply(([keys, deployer]) => keyTamperingPattern(keys, deployer)),
            this.tamperingTransformer("Backup or alert key changed", RUNBOOKS.tampering),
            where,
        );
        this.rule(
            `${id}-buckets`,
            "Someone but the deploy role changed the policy, lifecycle, replication, lock, versioning, encryption, ownership or public access of a backup bucket.",
            RUNBOOKS.tampering,
            pulumi.all([pulumi.all(bucketNames), deployRole]).apply(([buckets, deployer]) => bucketTamperingPattern(buckets, deployer)),
            this.tamperingTransformer("Backup protection changed", RUNBOOKS.tampering),
            where,
        );
        this.rule(
            `${id}-alerting`,
            "Someone but the deploy role stopped a trail or changed this stack's rules, topics, subscriptions, alarms or schedules (CloudTrail).",
            RUNBOOKS.alertTampering,
            pulumi
                .all([this.account, deployRole])
                .apply(([account, deployer]) =>
                    watcherTamperingPattern({ namePrefix: `${this.stem}-`, topicArnPrefix: `arn:aws:sns:${where.region}:${account}:${this.stem}-` }, deployer),
                ),
            this.tamperingTransformer("Alerting changed", RUNBOOKS.alertTampering),
            where,
        );
    }
}

/** A count that must stay 0: any occurrence in 5 minutes fires; no occurrence is no data, which is fine. */
function anyIn5Minutes(namespace: string, metricName: string, dimensions: Record<string, pulumi.Input<string>>): AlarmSpec["args"] {
    return {
        namespace,
        metricName,
        dimensions,
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        treatMissingData: "notBreaching",
    };
}

/** The job's roles the IAM rule watches (the execution roles can read its secrets, the task roles its backups, the scheduler's can run it). */
function pickRoles(names: ReturnType<typeof backupJobNames>): Record<string, string> {
    const { backupExecutionRole, backupTaskRole, drillExecutionRole, drillTaskRole, schedulerRole } = names;
    return { backupExecutionRole, backupTaskRole, drillExecutionRole, drillTaskRole, schedulerRole };
}
