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
    taskFailedPattern,
    taskFailedToStartPattern,
} from "./rules.js";
import { MAX_ALARM_DESCRIPTION, MAX_RULE_DESCRIPTION, runbookUrl, withRunbook } from "../shared/runbooks.js";
import { alertsTopic, type Subscription } from "./topic.js";
import { accountOf } from "../shared/iam.js";
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
import { ALARMS, metricAlarmArgs } from "./alarms.js";
import { type AlertsArgs, type BackupJobRefs, checkArgs, checkPlaceholders, offSiteOf } from "./arguments.js";
import { TASK_RULES } from "./eventRules.js";
import { type AlarmScope, alertRow, type EventRuleRow, type SummaryFacts } from "./table.js";

export const ALERTS_TYPE = "hotelgenius:ops:Alerts";

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
