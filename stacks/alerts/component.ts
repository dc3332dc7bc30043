// Everything that pages someone: KMS-encrypted SNS topics with the on-call emails, EventBridge rules
// for failed backup tasks and tampering with the backups' protection, CloudWatch alarms on the
// backup job's metrics, replication, error logs and uptime, and the ops dashboard.
import { METRIC_DIMENSION } from "../../job/src/contract.js";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
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
    withRunbook,
} from "./rules.js";
import { alertsNames, nameStem } from "../shared/naming.js";
import type { AlertsSettings } from "./settings.js";
import { alertsTopic } from "./topic.js";
import { ALARMS, type AlarmRow, type AlarmScope, alertRow, amountOf, type SummaryFacts, TASK_RULES } from "./table.js";
import { accountOf } from "../shared/iam.js";
import { checkEmailList } from "../settings/checks.js";

export const ALERTS_TYPE = "hotelgenius:ops:Alerts";

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

/** One place an alarm row is instantiated: its dimensions' values, its topic, what its summary mentions. */
interface AlarmInstance {
    /** The replication rule replacing `<rule>` in the row's name. */
    rule?: string;
    dimensions: Record<string, pulumi.Input<string>>;
    topicArn: pulumi.Output<string>;
    facts: SummaryFacts;
    /** Another region's provider: then the alarm is not on the primary region's dashboard. */
    provider?: aws.Provider;
}

/** A table row as MetricAlarm arguments (without name, description and actions). */
export function metricAlarmArgs(
    row: AlarmRow,
    settings: AlertsSettings,
    dimensions: Record<string, pulumi.Input<string>>,
): Omit<aws.cloudwatch.MetricAlarmArgs, "name" | "alarmDescription" | "alarmActions" | "okActions"> {
    const evaluationPeriods = amountOf(row.evaluationPeriods, settings);
    const common = {
        comparisonOperator: row.comparison,
        evaluationPeriods,
        ...(row.everyPeriod ? { datapointsToAlarm: evaluationPeriods } : {}),
        treatMissingData: row.missingData,
    };
    const metric = { namespace: row.namespace, metricName: row.metric, ...(Object.keys(dimensions).length === 0 ? {} : { dimensions }) };
    if (typeof row.threshold === "object" && "anomalyBand" in row.threshold) {
        const { anomalyBand, metricId, bandLabel } = row.threshold;
        return {
            ...common,
            thresholdMetricId: "band",
            metricQueries: [
                { id: metricId, returnData: true, metric: { ...metric, stat: row.statistic, period: row.period } },
                { id: "band", returnData: true, expression: `ANOMALY_DETECTION_BAND(${metricId}, ${settings[anomalyBand]})`, label: bandLabel },
            ],
        };
    }
    return { ...common, ...metric, statistic: row.statistic, period: row.period, threshold: amountOf(row.threshold, settings) };
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
    // The settings layer's own check of the recipients, so a component built without it refuses the same lists.
    const recipients = checkEmailList([...args.alertEmails]);
    if (recipients !== undefined) problems.push(`alertEmails ${recipients}`);
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
    private readonly baseUrl: string;

    constructor(name: string, args: AlertsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        checkArgs(args);
        checkPlaceholders(args);
        super(ALERTS_TYPE, name, {}, opts);
        const { settings, storage } = args;
        this.prefix = name;
        this.stem = nameStem({ project: args.project, stack: args.stack });
        this.baseUrl = settings.runbookBaseUrl;
        const account = pulumi.output(storage.keyArn).apply(accountOf);
        const offSite = offSiteOf(args);

        const names = alertsNames({ project: args.project, stack: args.stack });
        const primary = alertsTopic(this, args.protectData, `${name}-topic`, names.alertsTopic, args.alertEmails, account, {});
        const replica =
            offSite &&
            alertsTopic(this, args.protectData, `${name}-replica-topic`, names.alertsTopic, args.alertEmails, account, { provider: offSite.provider });
        const uptime = alertsTopic(this, args.protectData, `${name}-uptime-topic`, names.uptimeTopic, args.alertEmails, account, {
            provider: args.usEast1Provider,
        });

        // CloudTrail events reach EventBridge only in the region of the call: one pair of rules per region.
        this.tamperingRules("tampering", [storage.keyArn], [storage.bucketName], primary.arn, {});
        if (offSite !== undefined && replica !== undefined) {
            this.tamperingRules("replica-tampering", [offSite.keyArn], [offSite.bucketName], replica.arn, { provider: offSite.provider });
        }
        if (args.backupJob !== undefined) this.taskRules(args.backupJob, primary.arn);

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

        // Each scope's instances: its dimensions, its topic and the facts its summaries mention.
        const errorLabels = Object.keys(args.errorLogGroups ?? {});
        const noFacts: SummaryFacts = { ruleId: "", replicaRegion: "", errorLabels };
        const instances: Record<AlarmScope, AlarmInstance[]> = {
            backup: [{ dimensions: { [METRIC_DIMENSION]: settings.backupDatabaseName }, topicArn: primary.arn, facts: noFacts }],
            replication:
                offSite === undefined
                    ? []
                    : storage.replicationRuleIds.map((ruleId) => ({
                          rule: ruleId,
                          dimensions: { SourceBucket: storage.bucketName, DestinationBucket: offSite.bucketName, RuleId: ruleId },
                          topicArn: primary.arn,
                          facts: { ...noFacts, ruleId, replicaRegion: offSite.region },
                      })),
            errorLogs: errorLabels.length === 0 ? [] : [{ dimensions: {}, topicArn: primary.arn, facts: noFacts }],
            scheduler:
                args.backupJob === undefined
                    ? []
                    : [{ dimensions: { QueueName: args.backupJob.schedulerDeadLetterQueueName }, topicArn: primary.arn, facts: noFacts }],
            uptime: [{ dimensions: { HealthCheckId: healthCheck.id }, topicArn: uptime.arn, facts: noFacts, provider: args.usEast1Provider }],
        };
        // Only the primary region's alarms go on its dashboard, in the table's order.
        const alarms: aws.cloudwatch.MetricAlarm[] = [];
        for (const scope of Object.keys(instances) as AlarmScope[]) {
            for (const instance of instances[scope]) {
                for (const row of ALARMS.filter((candidate) => candidate.scope === scope)) {
                    const id = instance.rule === undefined ? row.name : row.name.replace("<rule>", instance.rule);
                    const created = new aws.cloudwatch.MetricAlarm(
                        `${name}-${id}`,
                        {
                            name: `${this.stem}-${id}`,
                            alarmDescription: withRunbook(row.summary(settings, instance.facts), this.baseUrl, row.runbook, MAX_ALARM_DESCRIPTION),
                            // OK notifications too: the runbooks' "verify recovery" step starts from them.
                            alarmActions: [instance.topicArn],
                            okActions: [instance.topicArn],
                            ...metricAlarmArgs(row, settings, instance.dimensions),
                        },
                        { parent: this, ...(instance.provider === undefined ? {} : { provider: instance.provider }) },
                    );
                    if (instance.provider === undefined) alarms.push(created);
                }
            }
        }

        const dashboard = new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: names.dashboard,
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

    /** Failed and never-started backup and drill tasks. */
    private taskRules(job: BackupJobRefs, topicArn: pulumi.Output<string>): void {
        for (const { task, what, runbook } of TASK_RULES) {
            const family = task === "backup" ? job.backupTaskFamily : job.drillTaskFamily;
            const link = runbookUrl(this.baseUrl, runbook);
            const failed = alertRow("event rule", `${task}-task-failed`);
            this.rule(
                failed.name,
                failed.description,
                failed.runbook,
                pulumi.all([job.clusterArn, family]).apply(([cluster, taskFamily]) => taskFailedPattern(cluster, taskFamily)),
                { inputPaths: ECS_INPUT_PATHS, inputTemplate: ecsInputTemplate(`${what} failed`, link) },
                topicArn,
                {},
            );
            const notStarted = alertRow("event rule", `${task}-task-failed-to-start`);
            this.rule(
                notStarted.name,
                notStarted.description,
                notStarted.runbook,
                pulumi.all([job.clusterArn, family]).apply(([cluster, taskFamily]) => taskFailedToStartPattern(cluster, taskFamily)),
                { inputPaths: ECS_INPUT_PATHS, inputTemplate: ecsInputTemplate(`${what} failed to start`, link) },
                topicArn,
                {},
            );
        }
    }

    private tamperingRules(
        id: "tampering" | "replica-tampering",
        keyArns: pulumi.Input<string>[],
        bucketNames: pulumi.Input<string>[],
        topicArn: pulumi.Output<string>,
        extra: pulumi.CustomResourceOptions,
    ): void {
        const keys = alertRow("event rule", `${id}-keys`);
        const buckets = alertRow("event rule", `${id}-buckets`);
        const inputTransformer = { inputPaths: TAMPERING_INPUT_PATHS, inputTemplate: tamperingInputTemplate(runbookUrl(this.baseUrl, RUNBOOKS.tampering)) };
        this.rule(keys.name, keys.description, keys.runbook, pulumi.all(keyArns).apply(keyTamperingPattern), inputTransformer, topicArn, extra);
        this.rule(buckets.name, buckets.description, buckets.runbook, pulumi.all(bucketNames).apply(bucketTamperingPattern), inputTransformer, topicArn, extra);
    }
}
