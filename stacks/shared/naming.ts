// Physical names and tags derived from project + stack, so that several stacks (prod, staging, a
// clone) can share one AWS account without any two of them claiming the same name.

export interface NamingContext {
    project: string;
    stack: string;
}

export interface BackupStorageNames {
    /** Primary backup bucket; S3 names are global across all accounts. */
    bucket: string;
    /** Off-site replica bucket. It carries its region: a bucket cannot move, so a new region is a new bucket. */
    replicaBucket: string;
    /** KMS aliases are per account and region; the replica's differs anyway so both read clearly in one listing. */
    keyAlias: string;
    replicaKeyAlias: string;
    /** IAM names are global to the account. */
    replicationRole: string;
}

const BUCKET_NAME_RULES =
    "3-63 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit, " +
    "not starting with xn--, sthree- or amzn-s3-demo-, not ending with -s3alias, --ol-s3, --x-s3 or --table-s3";
const RESERVED_BUCKET_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_BUCKET_SUFFIXES = ["-s3alias", "--ol-s3", "--x-s3", "--table-s3"];

/**
 * Problems with a bucket name under S3's general purpose bucket naming rules, or [] when valid.
 * Dots are refused although S3 allows them: they break TLS certificate matching on virtual-hosted
 * requests and Transfer Acceleration, and a name with dots cannot be IP-address shaped either.
 */
export function bucketNameProblems(name: string): string[] {
    const problems: string[] = [];
    if (name.length < 3 || name.length > 63) problems.push(`is ${name.length} characters long`);
    if (!/^[a-z0-9-]*$/.test(name)) problems.push("contains characters other than lowercase letters, digits and hyphens");
    if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) problems.push("does not start and end with a letter or digit");
    const prefix = RESERVED_BUCKET_PREFIXES.find((reserved) => name.startsWith(reserved));
    if (prefix) problems.push(`starts with the reserved prefix ${prefix}`);
    const suffix = RESERVED_BUCKET_SUFFIXES.find((reserved) => name.endsWith(reserved));
    if (suffix) problems.push(`ends with the reserved suffix ${suffix}`);
    return problems;
}

/**
 * Where a derived name's problem goes: components throw on it (the default); the settings check
 * collects every one, so a stack name is refused with all its problems before anything is registered.
 */
export type ReportName = (problem: string) => void;
const fail: ReportName = (problem) => {
    throw new Error(problem);
};

function checkedBucketName(name: string, context: NamingContext, report: ReportName = fail): string {
    const problems = bucketNameProblems(name);
    if (problems.length > 0) {
        report(
            `S3 bucket name "${name}" derived from project "${context.project}" and stack "${context.stack}" ${problems.join(", ")}; ` +
                `allowed: ${BUCKET_NAME_RULES}. Use a shorter or simpler stack name.`,
        );
    }
    return name;
}

function checkedRoleName(name: string, context: NamingContext, report: ReportName = fail, kind = "IAM role"): string {
    if (name.length > 64 || !/^[\w+=,.@-]+$/.test(name)) {
        report(
            `${kind} name "${name}" derived from project "${context.project}" and stack "${context.stack}" is invalid; ` +
                "allowed: at most 64 characters of letters, digits and + = , . @ _ -. Use a shorter stack name.",
        );
    }
    return name;
}

/** Lowercased "<project>-<stack>", the stem of every physical name. */
export function nameStem(context: NamingContext): string {
    if (context.project.trim() === "" || context.stack.trim() === "") {
        throw new Error(`project ("${context.project}") and stack ("${context.stack}") must both be non-empty to derive resource names`);
    }
    return `${context.project}-${context.stack}`.toLowerCase();
}

/**
 * Names of the backup storage resources. The primary always ends in "-backups" and the replica in
 * its region, so no stack's replica can take another stack's primary name.
 */
export function backupStorageNames(
    context: NamingContext,
    replicaRegion: string,
    { report = fail, replica = true }: { report?: ReportName; replica?: boolean } = {},
): BackupStorageNames {
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(replicaRegion)) {
        throw new Error(`replica region "${replicaRegion}" is not an AWS region code; allowed: codes such as eu-west-1 or us-east-2`);
    }
    const stem = nameStem(context);
    // The replica's names are checked only when the stack creates the replica: a clone without one
    // must not be refused for a bucket it never makes.
    const replicaReport: ReportName = replica ? report : () => undefined;
    return {
        bucket: checkedBucketName(`${stem}-backups`, context, report),
        replicaBucket: checkedBucketName(`${stem}-backups-replica-${replicaRegion}`, context, replicaReport),
        keyAlias: `alias/${stem}-backups`,
        replicaKeyAlias: `alias/${stem}-backups-replica`,
        replicationRole: checkedRoleName(`${stem}-backup-replication`, context, replicaReport),
    };
}

export interface TagContext extends NamingContext {
    owner: string;
}

/** Tags every resource gets through the providers' defaultTags. */
export function defaultTags(context: TagContext): Record<string, string> {
    if (context.owner.trim() === "") throw new Error("owner must be non-empty: it becomes the owner tag on every resource");
    return {
        project: context.project,
        stack: context.stack,
        "managed-by": "pulumi",
        owner: context.owner,
    };
}

export interface LogDrainNames {
    archiveBucket: string;
    keyAlias: string;
    /** Takes CloudWatch Logs subscriptions only: its decompression processor fails any other record. */
    cloudwatchStream: string;
    /** Takes the Railway forwarder's plain JSON lines (direct PUT). */
    railwayStream: string;
    deliveryRole: string;
    subscriptionRole: string;
    ingestUser: string;
    serviceKeySecret: string;
    /** Firehose's own delivery-error log group. */
    errorLogGroup: string;
    /** Prefix of the subscription and metric filter names, which are scoped to their log group. */
    filter: string;
}

/** Names of the log drain resources; IAM names checked like the backup ones. */
export function logDrainNames(context: NamingContext, report: ReportName = fail): LogDrainNames {
    const stem = nameStem(context);
    const stream = (suffix: string) => checkedShortName("Firehose stream", 64, `${stem}-${suffix}`, context, report, FIREHOSE_CHARACTERS);
    return {
        archiveBucket: checkedBucketName(`${stem}-logs`, context, report),
        keyAlias: `alias/${stem}-logs`,
        cloudwatchStream: stream("logs-cloudwatch"),
        railwayStream: stream("logs-railway"),
        deliveryRole: checkedRoleName(`${stem}-log-delivery`, context, report),
        subscriptionRole: checkedRoleName(`${stem}-log-subscription`, context, report),
        ingestUser: checkedRoleName(`${stem}-railway-log-ingest`, context, report, "IAM user"),
        serviceKeySecret: `${stem}/log-service-api-key`,
        errorLogGroup: `/aws/kinesisfirehose/${stem}-logs`,
        filter: `${stem}-log-drain`,
    };
}

export interface BackupJobNames {
    cluster: string;
    /** ECR repository names are per account and region, lowercase. */
    repository: string;
    logGroup: string;
    keyAlias: string;
    backupFamily: string;
    drillFamily: string;
    backupExecutionRole: string;
    backupTaskRole: string;
    drillExecutionRole: string;
    drillTaskRole: string;
    schedulerRole: string;
    backupSchedule: string;
    drillSchedule: string;
    deadLetterQueue: string;
    securityGroup: string;
    /** Secrets Manager name prefixes: a deleted secret keeps its name for its recovery window, so each gets a unique suffix. */
    secretPrefix: string;
}

const SHORT_CHARACTERS = { pattern: /^[A-Za-z0-9_-]+$/, described: "letters, digits, hyphens and underscores" };
const FIREHOSE_CHARACTERS = { pattern: /^[A-Za-z0-9_.-]+$/, described: "letters, digits, hyphens, underscores and periods" };
const SENTRY_SLUG_CHARACTERS = { pattern: /^[a-z0-9_-]+$/, described: "lowercase letters, digits, hyphens and underscores" };

/** Schedule (64), queue (80), cluster and task family (255), SNS topic (256), dashboard (255), Firehose stream (64) and Sentry slug (50) names. */
function checkedShortName(
    kind: string,
    max: number,
    name: string,
    context: NamingContext,
    report: ReportName = fail,
    characters: { pattern: RegExp; described: string } = SHORT_CHARACTERS,
): string {
    if (name.length > max || !characters.pattern.test(name)) {
        report(
            `${kind} name "${name}" derived from project "${context.project}" and stack "${context.stack}" is invalid; ` +
                `allowed: at most ${max} ${characters.described}. Use a shorter stack name.`,
        );
    }
    return name;
}

/** Names of the scheduled backup job's resources, each carrying project and stack. */
export function backupJobNames(context: NamingContext, report: ReportName = fail): BackupJobNames {
    const stem = nameStem(context);
    const role = (suffix: string) => checkedRoleName(`${stem}-${suffix}`, context, report);
    const short = (kind: string, max: number, suffix: string) => checkedShortName(kind, max, `${stem}-${suffix}`, context, report);
    return {
        cluster: short("ECS cluster", 255, "backup"),
        repository: `${stem}/backup-job`,
        logGroup: `/ecs/${stem}/backup-job`,
        keyAlias: `alias/${stem}-backup-job`,
        backupFamily: short("task definition family", 255, "backup"),
        drillFamily: short("task definition family", 255, "restore-drill"),
        backupExecutionRole: role("backup-execution"),
        backupTaskRole: role("backup-task"),
        drillExecutionRole: role("drill-execution"),
        drillTaskRole: role("drill-task"),
        schedulerRole: role("backup-scheduler"),
        backupSchedule: short("schedule", 64, "backup"),
        drillSchedule: short("schedule", 64, "restore-drill"),
        deadLetterQueue: short("SQS queue", 80, "backup-schedule-dlq"),
        securityGroup: `${stem}-backup-job`,
        secretPrefix: `${stem}/backup-job/`,
    };
}

export interface AlertsNames {
    /** One topic per region that alerts come from (primary, replica): the same name in each region. */
    alertsTopic: string;
    uptimeTopic: string;
    pagerTopic: string;
    iamTopic: string;
    dashboard: string;
}

export function alertsNames(context: NamingContext, report: ReportName = fail): AlertsNames {
    const stem = nameStem(context);
    return {
        alertsTopic: checkedShortName("SNS topic", 256, `${stem}-alerts`, context, report),
        uptimeTopic: checkedShortName("SNS topic", 256, `${stem}-uptime`, context, report),
        pagerTopic: checkedShortName("SNS topic", 256, `${stem}-pager`, context, report),
        iamTopic: checkedShortName("SNS topic", 256, `${stem}-iam`, context, report),
        dashboard: checkedShortName("CloudWatch dashboard", 255, `${stem}-ops`, context, report),
    };
}

/** Sentry team and project slugs: the team's is the stem, each project's the stem and its role. */
export function sentrySlug(context: NamingContext, role: string | undefined, report: ReportName = fail): string {
    const stem = nameStem(context);
    return checkedShortName("Sentry slug", 50, role === undefined ? stem : `${stem}-${role}`, context, report, SENTRY_SLUG_CHARACTERS);
}

/** What decides which named resources a stack creates. */
export interface NamedResources {
    offSiteReplica: boolean;
    replicaRegion: string;
    sentryProjectRoles: readonly string[];
}

/** Every problem with the physical names the stack's resources would take (only those it creates), [] when all are valid. */
export function physicalNameProblems(context: NamingContext, resources: NamedResources): string[] {
    const problems: string[] = [];
    const report: ReportName = (problem) => problems.push(problem);
    backupStorageNames(context, resources.replicaRegion, { report, replica: resources.offSiteReplica });
    backupJobNames(context, report);
    logDrainNames(context, report);
    alertsNames(context, report);
    for (const role of [undefined, ...resources.sentryProjectRoles]) sentrySlug(context, role, report);
    return problems;
}

/** The most characters a stack name may have in this project with these resources (every derived name within its limit). */
export function longestStackName(project: string, resources: NamedResources): number {
    let longest = 0;
    while (physicalNameProblems({ project, stack: "a".repeat(longest + 1) }, resources).length === 0) longest++;
    return longest;
}

/** The characters every derived name accepts (S3 buckets are the strictest): what a new stack name may use. */
export const STACK_NAME_CHARACTERS = "lowercase letters, digits and hyphens, starting and ending with a letter or digit";
export const STACK_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** The replication rules' ids, dumps first: the RuleId dimension of their metrics. */
export const REPLICATION_RULE_IDS = ["dumps-off-site", "manifests-off-site"] as const;
