// Everything that pages someone: per region, a KMS-encrypted SNS topic with the on-call emails and
// an independent pager topic (the second channel); EventBridge rules for failed backup tasks and for
// tampering with the backups' protection or with the alerting itself; CloudWatch alarms on the
// backup job's metrics, the restore-time budget, replication, error logs, the app's errors and
// uptime; watchers on every rule's and topic's failed deliveries; the alarm drill's rule; and the
// ops dashboard. Alarms and rules are rows of the alert table (table.ts).
import { METRIC_DIMENSION } from "../../job/src/contract.js";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    alertRegions,
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
    runbookUrl,
    taskFailedPattern,
    taskFailedToStartPattern,
    withRunbook,
} from "./rules.js";
import { alertsTopic, type Subscription } from "./topic.js";
import { accountOf } from "../shared/iam.js";
import { checkEmailList } from "../settings/checks.js";
import {
    bucketTamperingPattern,
    keyTamperingPattern,
    roleTamperingPattern,
    TAMPERING_INPUT_PATHS,
    tamperingInputTemplate,
    watcherTamperingPattern,
} from "./tampering.js";
import { pagerProtocol } from "./checks.js";
import { DEPLOY_ENVIRONMENTS, deployEnvironmentOf, deployRoleArn, deployRoleName, roleName } from "../shared/account.js";
import { alertsNames, backupJobNames, backupStorageNames, nameStem } from "../shared/naming.js";
import type { AlertsSettings } from "./settings.js";
import { ALARMS, type AlarmRow, type AlarmScope, alertRow, amountOf, type EventRuleRow, type SummaryFacts, TASK_RULES } from "./table.js";

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
    /**
     * The only principal that may disable the topics' keys or change their policies (stacks/shared/guardedKey.ts), and the
     * role they trust by name: anyone creating a role by its name pages.
     */
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
    /** Route 53 health-check metrics exist only in us-east-1: the uptime alarm and its topic live there, and IAM's CloudTrail events reach EventBridge there only. */
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

/** One region's two independent channels, and the provider options that put resources in that region. */
interface Channels {
    region: string;
    alerts: aws.sns.Topic;
    pager: aws.sns.Topic;
    opts: pulumi.CustomResourceOptions;
}

/** One place an alarm row is instantiated: its dimensions' values, its region's channels, what its summary mentions. */
interface AlarmInstance {
    /** What replaces the `<…>` placeholder in the row's name: the replication rule, the watched rule or topic. */
    part?: string;
    dimensions: Record<string, pulumi.Input<string>>;
    where: Channels;
    facts: SummaryFacts;
    /** Instead of the row's severity's channels: a topic's watcher notifies the region's other topic. */
    actions?: pulumi.Output<string>[];
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
    /** What `npm run alarm-drill` needs: the drill rule's event source and detail type, and where this stack's alarms are. */
    public readonly drill: { source: string; detailType: string; alarmNamePrefix: string; regions: string[] };

    private readonly prefix: string;
    private readonly stem: string;
    private readonly baseUrl: string;
    private readonly account: pulumi.Output<string>;
    /** Each topic's key: tampering with it silences the topic, so the region's key rule watches it. */
    private readonly topicKeys = new Map<aws.sns.Topic, aws.kms.Key>();
    /** Every rule that notifies, for its FailedInvocations watcher. */
    private readonly rules: { id: string; rule: aws.cloudwatch.EventRule; where: Channels }[] = [];

    constructor(name: string, args: AlertsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        checkArgs(args);
        checkPlaceholders(args);
        super(ALERTS_TYPE, name, {}, opts);
        const { settings, storage } = args;
        this.prefix = name;
        this.stem = nameStem({ project: args.project, stack: args.stack });
        this.baseUrl = settings.runbookBaseUrl;
        this.account = pulumi.output(storage.keyArn).apply(accountOf);
        const deployRole = this.account.apply((account) => deployRoleArn(account, deployEnvironmentOf(args.stack)));
        const offSite = offSiteOf(args);

        // Losing a topic key silently ends every page: guarded like the backup keys.
        const keyGuard = { protectData: args.protectData, breakGlassRoleArn: args.breakGlassRoleArn, deletionWindowDays: args.kmsDeletionWindowDays };
        const emails: Subscription[] = args.alertEmails.map((email) => ({ protocol: "email", endpoint: email }));
        const pager = [{ protocol: pagerProtocol(settings.pagerEndpoint) as string, endpoint: settings.pagerEndpoint }];
        const names = alertsNames({ project: args.project, stack: args.stack });
        const topic = (id: string, topicName: string, subscriptions: Subscription[], extra: pulumi.CustomResourceOptions) => {
            const created = alertsTopic(this, keyGuard, `${name}-${id}`, topicName, subscriptions, this.account, extra);
            this.topicKeys.set(created.topic, created.key);
            return created.topic;
        };
        const channels = (
            ids: [alerts: string, pager: string],
            region: string,
            extra: pulumi.CustomResourceOptions,
            alertsTopic = names.alertsTopic,
        ): Channels => ({
            region,
            alerts: topic(ids[0], alertsTopic, emails, extra),
            pager: topic(ids[1], names.pagerTopic, pager, extra),
            opts: extra,
        });
        const primary = channels(["topic", "pager-topic"], args.region, {});
        const replica = offSite && channels(["replica-topic", "replica-pager-topic"], offSite.region, { provider: offSite.provider });
        // us-east-1: the uptime alarm (Route 53's metrics) and the IAM rule (IAM's CloudTrail events), each with its own email topic.
        const usEast1 = channels(["uptime-topic", "us-east-1-pager-topic"], "us-east-1", { provider: args.usEast1Provider }, names.uptimeTopic);
        const iam: Channels = { ...usEast1, alerts: topic("iam-topic", names.iamTopic, emails, usEast1.opts) };

        // CloudTrail events reach EventBridge only in the region of the call: one set of rules per region.
        this.tamperingRules("tampering", [storage.keyArn], [storage.bucketName], primary, deployRole);
        if (offSite !== undefined && replica !== undefined) {
            this.tamperingRules("replica-tampering", [offSite.keyArn], [offSite.bucketName], replica, deployRole);
        }
        // IAM is global: its events reach EventBridge in us-east-1 only.
        const naming = { project: args.project, stack: args.stack };
        const jobRoles = args.backupJob === undefined ? [] : jobRoleNames(backupJobNames(naming));
        const replicationRole = offSite === undefined ? [] : [backupStorageNames(naming, offSite.region).replicationRole];
        const watchedRoles = [...jobRoles, ...replicationRole, roleName(args.breakGlassRoleArn), ...DEPLOY_ENVIRONMENTS.map(deployRoleName)];
        this.rule(
            alertRow("event rule", "tampering-roles"),
            deployRole.apply((deployer) => roleTamperingPattern(watchedRoles, deployer)),
            this.tamperingTransformer("IAM role changed", alertRow("event rule", "tampering-roles")),
            iam,
        );
        if (args.backupJob !== undefined) this.taskRules(args.backupJob, primary);
        // The drill's rule is built like the real ones (a pattern, an input transformer, both channels), so its delivery proves theirs.
        const drillRow = alertRow("event rule", "alarm-drill");
        this.rule(
            drillRow,
            drillPattern(this.stem),
            { inputPaths: DRILL_INPUT_PATHS, inputTemplate: drillInputTemplate(runbookUrl(this.baseUrl, drillRow.runbook)) },
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

        // Each scope's instances: its dimensions, its region's channels and the facts its summaries mention.
        const errorLabels = Object.keys(args.errorLogGroups ?? {});
        const noFacts: SummaryFacts = { ruleId: "", replicaRegion: "", errorLabels, watched: "", region: args.region };
        const regions = [primary, ...(replica === undefined ? [] : [replica]), usEast1];
        const instances: Record<AlarmScope, AlarmInstance[]> = {
            backup: [{ dimensions: { [METRIC_DIMENSION]: settings.backupDatabaseName }, where: primary, facts: noFacts }],
            replication:
                offSite === undefined
                    ? []
                    : storage.replicationRuleIds.map((ruleId) => ({
                          part: ruleId,
                          dimensions: { SourceBucket: storage.bucketName, DestinationBucket: offSite.bucketName, RuleId: ruleId },
                          where: primary,
                          facts: { ...noFacts, ruleId, replicaRegion: offSite.region },
                      })),
            errorLogs: errorLabels.length === 0 ? [] : [{ dimensions: {}, where: primary, facts: noFacts }],
            appLogs: [{ dimensions: {}, where: primary, facts: noFacts }],
            scheduler:
                args.backupJob === undefined
                    ? []
                    : [{ dimensions: { QueueName: args.backupJob.schedulerDeadLetterQueueName }, where: primary, facts: noFacts }],
            uptime: [{ dimensions: { HealthCheckId: healthCheck.id }, where: usEast1, facts: noFacts }],
            // Watch the watchers through CloudWatch's own path to SNS (a different principal from EventBridge's).
            ruleDelivery: this.rules.map(({ id, rule, where }) => ({
                part: id,
                dimensions: { RuleName: rule.name },
                where,
                facts: { ...noFacts, watched: `${this.stem}-${id}`, region: where.region },
            })),
            // A topic whose deliveries fail pages the region's other topic.
            topicDelivery: regions.flatMap((where) => {
                const label = where === primary ? "" : where === usEast1 ? "us-east-1-" : "replica-";
                const topics: [string, aws.sns.Topic, aws.sns.Topic][] = [
                    [where === usEast1 ? "uptime" : "alerts", where.alerts, where.pager],
                    ["pager", where.pager, where.alerts],
                    ...(where === usEast1 ? ([["iam", iam.alerts, where.pager]] as [string, aws.sns.Topic, aws.sns.Topic][]) : []),
                ];
                return topics.map(([topicId, topic, other]) => ({
                    part: `${label}${topicId}`,
                    dimensions: { TopicName: topic.name },
                    where,
                    facts: { ...noFacts, watched: `${this.stem}-${topicId}`, region: where.region },
                    actions: [other.arn],
                }));
            }),
        };
        // Only the primary region's alarms go on its dashboard, in the table's order.
        const alarms: aws.cloudwatch.MetricAlarm[] = [];
        for (const scope of Object.keys(instances) as AlarmScope[]) {
            for (const instance of instances[scope]) {
                for (const row of ALARMS.filter((candidate) => candidate.scope === scope)) {
                    const id = instance.part === undefined ? row.name : row.name.replace(/<[a-z]+>/, instance.part);
                    const { where } = instance;
                    // Page: the emails and the pager. Next business day: the emails.
                    const actions = instance.actions ?? (row.severity === "page" ? [where.alerts.arn, where.pager.arn] : [where.alerts.arn]);
                    const created = new aws.cloudwatch.MetricAlarm(
                        `${name}-${id}`,
                        {
                            name: `${this.stem}-${id}`,
                            alarmDescription: withRunbook(row.summary(settings, instance.facts), this.baseUrl, row.runbook, MAX_ALARM_DESCRIPTION),
                            // OK notifications too: the runbooks' "verify recovery" step starts from them.
                            alarmActions: actions,
                            okActions: actions,
                            ...metricAlarmArgs(row, settings, instance.dimensions),
                        },
                        { parent: this, ...where.opts },
                    );
                    if (where === primary) alarms.push(created);
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
                                restoreTimeBudgetSeconds: settings.restoreTimeObjectiveMinutes * 60,
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
        this.drill = { ...drillEvent(this.stem), alarmNamePrefix: `${this.stem}-`, regions: alertRegions(args.region, offSite?.region) };
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

    /** The row's EventBridge rule, sending what it matches as the readable text of `transformer` to the region's emails, and to its pager when it pages. */
    private rule(
        row: EventRuleRow,
        pattern: pulumi.Input<Record<string, unknown>>,
        transformer: aws.types.input.cloudwatch.EventTargetInputTransformer,
        where: Channels,
    ): void {
        const child = { ...where.opts, parent: this };
        const rule = new aws.cloudwatch.EventRule(
            `${this.prefix}-${row.name}`,
            {
                name: `${this.stem}-${row.name}`,
                description: withRunbook(row.description, this.baseUrl, row.runbook, MAX_RULE_DESCRIPTION),
                eventPattern: pulumi.jsonStringify(pattern),
                state: "ENABLED",
            },
            child,
        );
        new aws.cloudwatch.EventTarget(`${this.prefix}-${row.name}-target`, { rule: rule.name, arn: where.alerts.arn, inputTransformer: transformer }, child);
        if (row.severity === "page") {
            new aws.cloudwatch.EventTarget(
                `${this.prefix}-${row.name}-pager-target`,
                { rule: rule.name, arn: where.pager.arn, inputTransformer: transformer },
                child,
            );
        }
        this.rules.push({ id: row.name, rule, where });
    }

    /** Failed and never-started backup and drill tasks. */
    private taskRules(job: BackupJobRefs, where: Channels): void {
        for (const { task, what, runbook } of TASK_RULES) {
            const family = task === "backup" ? job.backupTaskFamily : job.drillTaskFamily;
            const link = runbookUrl(this.baseUrl, runbook);
            this.rule(
                alertRow("event rule", `${task}-task-failed`),
                pulumi.all([job.clusterArn, family]).apply(([cluster, taskFamily]) => taskFailedPattern(cluster, taskFamily)),
                { inputPaths: ECS_INPUT_PATHS, inputTemplate: ecsInputTemplate(`${what} failed`, link) },
                where,
            );
            this.rule(
                alertRow("event rule", `${task}-task-failed-to-start`),
                pulumi.all([job.clusterArn, family]).apply(([cluster, taskFamily]) => taskFailedToStartPattern(cluster, taskFamily)),
                { inputPaths: ECS_INPUT_PATHS, inputTemplate: ecsInputTemplate(`${what} failed to start`, link) },
                where,
            );
        }
    }

    private tamperingTransformer(what: string, row: EventRuleRow): aws.types.input.cloudwatch.EventTargetInputTransformer {
        return { inputPaths: TAMPERING_INPUT_PATHS, inputTemplate: tamperingInputTemplate(what, runbookUrl(this.baseUrl, row.runbook)) };
    }

    /** One region's rules: the backups' (and the topics') keys, the backups' buckets, and what silences detection or delivery there. */
    private tamperingRules(
        id: "tampering" | "replica-tampering",
        keyArns: pulumi.Input<string>[],
        bucketNames: pulumi.Input<string>[],
        where: Channels,
        deployRole: pulumi.Output<string>,
    ): void {
        const keys = alertRow("event rule", `${id}-keys`);
        const buckets = alertRow("event rule", `${id}-buckets`);
        const alerting = alertRow("event rule", `${id}-alerting`);
        const topicKeys = [where.alerts, where.pager].map((topic) => this.topicKeys.get(topic)!.arn);
        this.rule(
            keys,
            pulumi.all([pulumi.all([...keyArns, ...topicKeys]), deployRole]).apply(([arns, deployer]) => keyTamperingPattern(arns, deployer)),
            this.tamperingTransformer("Backup or alert key changed", keys),
            where,
        );
        this.rule(
            buckets,
            pulumi.all([pulumi.all(bucketNames), deployRole]).apply(([names, deployer]) => bucketTamperingPattern(names, deployer)),
            this.tamperingTransformer("Backup protection changed", buckets),
            where,
        );
        this.rule(
            alerting,
            pulumi
                .all([this.account, deployRole])
                .apply(([account, deployer]) =>
                    watcherTamperingPattern({ namePrefix: `${this.stem}-`, topicArnPrefix: `arn:aws:sns:${where.region}:${account}:${this.stem}-` }, deployer),
                ),
            this.tamperingTransformer("Alerting changed", alerting),
            where,
        );
    }
}

/** The job's roles the IAM rule watches: the execution roles can read its secrets, the task roles its backups, the scheduler's can run it. */
function jobRoleNames(names: ReturnType<typeof backupJobNames>): string[] {
    return [names.backupExecutionRole, names.backupTaskRole, names.drillExecutionRole, names.drillTaskRole, names.schedulerRole];
}
