// The rules every stack must keep. Each rule is written against resource TYPES, never against
// one component's logical names, so resources other areas add later are held to the same rules.
// Kept apart from index.ts because `new PolicyPack` starts a gRPC server: tests import this module.
import type {
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

export const BUCKET = "aws:s3/bucket:Bucket";
const VERSIONING = "aws:s3/bucketVersioning:BucketVersioning";
const ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
const PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration";
const OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const MANAGED_POLICY = "aws:iam/policy:Policy";
const ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
/** The component that owns the backup buckets; every bucket it holds must keep Object Lock. */
export const BACKUP_STORAGE_COMPONENT = "hotelgenius:ops:BackupStorage";

export const REQUIRED_TAGS = ["project", "stack", "owner", "managed-by"];
export const PRODUCTION_STACKS = ["prod"];
/** The Neon project (stacks/neon/resources.ts) holds the database and its history, the first copy of the backups. */
export const NEON_PROJECT = "pulumi-nodejs:dynamic/neon:Project";
/**
 * Resources whose loss loses data or weakens its protection: the buckets, every one of their
 * settings, the keys that decrypt them, the repository of the image that takes the backups, and the Neon project.
 */
export const DATA_RESOURCE_TYPES = [
    BUCKET,
    "aws:kms/key:Key",
    OBJECT_LOCK,
    VERSIONING,
    ENCRYPTION,
    PUBLIC_ACCESS,
    BUCKET_POLICY,
    LIFECYCLE,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "aws:ecr/repository:Repository",
    NEON_PROJECT,
];

/**
 * AWS types that accept tags, among those this project uses or is about to use. A type missing here
 * is simply not checked; policy/policies.test.ts compares this list with @pulumi/aws's own type
 * definitions for every type in the committed plans, so a new taggable type cannot slip by.
 */
export const TAGGABLE_TYPES = new Set([
    BUCKET,
    "aws:kms/key:Key",
    ROLE,
    "aws:iam/user:User",
    MANAGED_POLICY,
    LOG_GROUP,
    METRIC_ALARM,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/metricStream:MetricStream",
    "aws:ecs/cluster:Cluster",
    TASK_DEFINITION,
    "aws:ecs/service:Service",
    "aws:ecr/repository:Repository",
    "aws:scheduler/scheduleGroup:ScheduleGroup",
    "aws:sns/topic:Topic",
    "aws:sqs/queue:Queue",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    "aws:secretsmanager/secret:Secret",
    "aws:route53/healthCheck:HealthCheck",
    "aws:ec2/securityGroup:SecurityGroup",
]);

// ---------------------------------------------------------------------------------------------
// Pure helpers: the logic of each rule, testable on plain values.

/** The stack a URN belongs to: `urn:pulumi:<stack>::<project>::<type>::<name>`. */
export function stackOfUrn(urn: string): string {
    return urn.replace(/^urn:pulumi:/, "").split("::")[0] ?? "";
}

/** Provider properties nested in objects arrive as JSON text (the engine stores provider config that way). */
function jsonOrValue(value: unknown): unknown {
    if (typeof value !== "string") return value;
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

function record(value: unknown): Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Tags AWS will put on the resource: the provider's defaultTags, then the resource's own tags over them. */
export function effectiveTags(props: Record<string, unknown>, providerProps: Record<string, unknown> | undefined): Record<string, unknown> {
    const defaults = record(record(jsonOrValue(providerProps?.["defaultTags"]))["tags"]);
    return { ...defaults, ...record(props["tags"]) };
}

export function missingTags(tags: Record<string, unknown>, required: readonly string[]): string[] {
    return required.filter((key) => typeof tags[key] !== "string" || (tags[key] as string).trim() === "");
}

interface Statement {
    Effect?: string;
    Action?: string | string[];
    NotAction?: string | string[];
}

function globMatches(pattern: string, action: string): boolean {
    const regex = new RegExp(
        `^${pattern
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, ".*")
            .replace(/\?/g, ".")}$`,
        "i",
    );
    return regex.test(action);
}

/** Deleting actions no backup-task action pattern may reach: a backup that can delete backups defeats the point. */
const DELETE_PROBES = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket", "s3:DeleteBucketPolicy"];

/**
 * The Allow-ed action patterns of an IAM policy document that grant every action of a service or
 * could delete objects ("*", "s3:*", "s3:Delete*", "s3:Del*", "s3:DeleteObject", ...). NotAction in
 * an Allow grants everything not listed, so it always counts as a wildcard.
 */
export function forbiddenActions(document: unknown): string[] {
    const parsed = record(jsonOrValue(document));
    const statements = ([] as unknown[]).concat(parsed["Statement"] ?? []).map((statement) => record(statement) as Statement);
    const found: string[] = [];
    for (const statement of statements.filter((candidate) => candidate.Effect === "Allow")) {
        if (statement.NotAction !== undefined) found.push(`NotAction ${JSON.stringify(statement.NotAction)}`);
        for (const action of ([] as string[]).concat(statement.Action ?? [])) {
            const wildcardService = /^[^:]*:\*$/.test(action) || action === "*";
            if (wildcardService || DELETE_PROBES.some((probe) => globMatches(action, probe))) found.push(action);
        }
    }
    return found;
}

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|DATABASE_URL|CONNECTION_STRING)/i;
const SECRET_VALUES: [RegExp, string][] = [
    [/^\[secret\]$/, "a Pulumi secret"],
    [/[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, "a URL with a password"],
    [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/, "an AWS access key id"],
    [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
];

/**
 * Environment variables of ECS container definitions that look like secrets, by name or by value.
 * Plain environment values are readable by anyone who can describe the task definition; secrets
 * belong in `secrets` (Secrets Manager / SSM references), which only the execution role resolves.
 */
export function secretLookingEnvironment(containerDefinitions: unknown): string[] {
    const containers = jsonOrValue(containerDefinitions);
    if (!Array.isArray(containers)) return [];
    const found: string[] = [];
    for (const container of containers.map(record)) {
        const environment = Array.isArray(container["environment"]) ? container["environment"].map(record) : [];
        for (const variable of environment) {
            const name = String(variable["name"] ?? "");
            const value = String(variable["value"] ?? "");
            const where = `container ${String(container["name"] ?? "?")} environment ${name}`;
            if (SECRET_NAME.test(name)) found.push(`${where} (its name says it holds a secret)`);
            else {
                const match = SECRET_VALUES.find(([pattern]) => pattern.test(value));
                if (match) found.push(`${where} (its value looks like ${match[1]})`);
            }
        }
    }
    return found;
}

/** A runbook link: an https URL with "runbook" in it (runbooks/ in the repository, or a wiki page). */
export function hasRunbookLink(description: unknown): boolean {
    return typeof description === "string" && /https:\/\/\S*runbook\S*/i.test(description);
}

// ---------------------------------------------------------------------------------------------
// Bucket rules: the settings of a bucket live in sibling resources that name it in `bucket`.

/** Sibling resources of `type` that configure `bucket` (matched by its name or id). */
export function configsOf(bucket: PolicyResource, resources: PolicyResource[], type: string): PolicyResource[] {
    const names = new Set([bucket.props["bucket"], bucket.props["id"]].filter((name) => typeof name === "string"));
    return resources.filter((resource) => resource.type === type && names.has(resource.props["bucket"]));
}

function bucketLabel(bucket: PolicyResource): string {
    return `bucket ${bucket.name} (${String(bucket.props["bucket"] ?? "name not known yet")})`;
}

export function versioningProblem(bucket: PolicyResource, resources: PolicyResource[]): string | undefined {
    const enabled = configsOf(bucket, resources, VERSIONING).some((config) => record(config.props["versioningConfiguration"])["status"] === "Enabled");
    return enabled ? undefined : `${bucketLabel(bucket)} has no BucketVersioning with status Enabled; deleted or overwritten backups must stay recoverable`;
}

export function encryptionProblem(bucket: PolicyResource, resources: PolicyResource[]): string | undefined {
    const kms = configsOf(bucket, resources, ENCRYPTION).some((config) =>
        ([] as unknown[]).concat(config.props["rules"] ?? []).some((rule) => {
            const algorithm = record(record(rule)["applyServerSideEncryptionByDefault"])["sseAlgorithm"];
            return algorithm === "aws:kms" || algorithm === "aws:kms:dsse";
        }),
    );
    return kms ? undefined : `${bucketLabel(bucket)} has no default encryption with sseAlgorithm aws:kms or aws:kms:dsse`;
}

const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

export function publicAccessProblem(bucket: PolicyResource, resources: PolicyResource[]): string | undefined {
    const blocks = configsOf(bucket, resources, PUBLIC_ACCESS);
    if (blocks.length === 0) return `${bucketLabel(bucket)} has no BucketPublicAccessBlock; allowed: one with ${PUBLIC_ACCESS_FLAGS.join(", ")} all true`;
    const off = PUBLIC_ACCESS_FLAGS.filter((flag) => !blocks.some((block) => block.props[flag] === true));
    return off.length === 0 ? undefined : `${bucketLabel(bucket)} public access block has ${off.join(", ")} not true; all four must be true`;
}

/** A Deny of every s3 action when aws:SecureTransport is false, the TLS-only statement AWS documents. */
export function tlsOnlyProblem(bucket: PolicyResource, resources: PolicyResource[]): string | undefined {
    const tlsOnly = configsOf(bucket, resources, BUCKET_POLICY).some((policy) => {
        const statements = ([] as unknown[]).concat(record(jsonOrValue(policy.props["policy"]))["Statement"] ?? []).map(record);
        return statements.some((statement) => {
            const actions = ([] as unknown[]).concat(statement["Action"] ?? []);
            const secure = record(record(statement["Condition"])["Bool"])["aws:SecureTransport"];
            return statement["Effect"] === "Deny" && (actions.includes("s3:*") || actions.includes("*")) && String(secure) === "false";
        });
    });
    return tlsOnly ? undefined : `${bucketLabel(bucket)} has no bucket policy denying s3:* when aws:SecureTransport is false (TLS only)`;
}

export function lifecycleProblem(bucket: PolicyResource, resources: PolicyResource[]): string | undefined {
    const aborts = configsOf(bucket, resources, LIFECYCLE).some((config) =>
        ([] as unknown[])
            .concat(config.props["rules"] ?? [])
            .map(record)
            .some((rule) => {
                const days = record(rule["abortIncompleteMultipartUpload"])["daysAfterInitiation"];
                return rule["status"] === "Enabled" && typeof days === "number" && days > 0;
            }),
    );
    return aborts
        ? undefined
        : `${bucketLabel(bucket)} has no enabled lifecycle rule with abortIncompleteMultipartUpload.daysAfterInitiation > 0; parts of failed uploads would ` +
              `be billed forever`;
}

/** Only buckets a BackupStorage component owns must be locked; log archives may legitimately be rewritten. */
export function objectLockProblem(bucket: PolicyResource, resources: PolicyResource[]): string | undefined {
    if (bucket.parent?.type !== BACKUP_STORAGE_COMPONENT) return undefined;
    const locked = configsOf(bucket, resources, OBJECT_LOCK).some((config) => {
        const retention = record(record(config.props["rule"])["defaultRetention"]);
        const period = Number(retention["days"] ?? retention["years"] ?? 0);
        return config.props["objectLockEnabled"] === "Enabled" && ["GOVERNANCE", "COMPLIANCE"].includes(String(retention["mode"])) && period > 0;
    });
    if (bucket.props["objectLockEnabled"] !== true) return `backup ${bucketLabel(bucket)} has objectLockEnabled not true`;
    return locked ? undefined : `backup ${bucketLabel(bucket)} has no Object Lock configuration with a default retention (mode and days or years)`;
}

function bucketPolicy(
    name: string,
    description: string,
    problem: (bucket: PolicyResource, resources: PolicyResource[]) => string | undefined,
): StackValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: "mandatory",
        validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
            for (const bucket of args.resources.filter((resource) => resource.type === BUCKET)) {
                const found = problem(bucket, args.resources);
                if (found) reportViolation(found, bucket.urn);
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// IAM: every way a principal of the plan receives permissions, and every resource policy of a
// bucket or key. A pull request that gives the backup task (or anyone) deletes must show up here,
// whichever resource type it uses.

const USER = "aws:iam/user:User";
const GROUP = "aws:iam/group:Group";
const KEY = "aws:kms/key:Key";
/** Resource types that give a principal a policy: their type -> [the principal's type, the input naming it]. */
const INLINE_POLICY_TYPES: Record<string, [string, string]> = {
    [ROLE_POLICY]: [ROLE, "role"],
    "aws:iam/userPolicy:UserPolicy": [USER, "user"],
    "aws:iam/groupPolicy:GroupPolicy": [GROUP, "group"],
};
const ATTACHMENT_TYPES: Record<string, [string, string]> = {
    [ROLE_POLICY_ATTACHMENT]: [ROLE, "role"],
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": [USER, "user"],
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": [GROUP, "group"],
};
const POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment";
/** The principals of the plan, and PolicyAttachment's input listing each kind. */
const POLICY_ATTACHMENT_KEYS: Record<string, string> = { [ROLE]: "roles", [USER]: "users", [GROUP]: "groups" };

/**
 * AWS managed policies the pack cannot read but which were reviewed: none grants a delete of any
 * kind. Keep this list short; every entry is a policy AWS can change without asking.
 */
export const REVIEWED_AWS_MANAGED_POLICIES = [
    // ECR pulls (GetAuthorizationToken, BatchCheckLayerAvailability, GetDownloadUrlForLayer, BatchGetImage) and CreateLogStream/PutLogEvents.
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
];

/**
 * Roles of the account program whose key rights are their purpose, reviewed: the break-glass role (trusted by named
 * administrators with MFA) is the one principal the guarded key policies let change a key policy or disable a key; the
 * deploy roles delete the keys Pulumi replaces, and every key's own policy refuses a window under its
 * kmsDeletionWindowDays (30 days in prod). Names as stacks/shared/account.ts fixes them (a test compares).
 */
export const REVIEWED_KEY_ADMINISTRATORS: Readonly<Record<string, readonly string[]>> = {
    "hotelgenius-break-glass": ["kms:PutKeyPolicy", "kms:DisableKey"],
    "hotelgenius-account-ci-deploy-prod": ["kms:ScheduleKeyDeletion"],
    "hotelgenius-account-ci-deploy-staging": ["kms:ScheduleKeyDeletion"],
};

/** A policy document that reaches a principal, or the ARN of one the pack cannot read. */
export type Grant = { source: PolicyResource; document: unknown } | { source: PolicyResource; unreadable: string };

function list(value: unknown): unknown[] {
    return ([] as unknown[]).concat(jsonOrValue(value) ?? []);
}

/** The ways resources name a principal: its name, id or ARN. */
function identifiers(principal: PolicyResource): Set<unknown> {
    return new Set([principal.props["name"], principal.props["id"], principal.props["arn"]].filter((name) => typeof name === "string"));
}

/** A managed policy by ARN: the stack's own (its document), a reviewed AWS one (nothing to read), or unreadable. */
function managedPolicy(source: PolicyResource, arn: unknown, resources: PolicyResource[]): Grant[] {
    const own = resources.find((resource) => resource.type === MANAGED_POLICY && (resource.props["arn"] === arn || resource.props["id"] === arn));
    if (own !== undefined) return [{ source: own, document: own.props["policy"] }];
    if (typeof arn === "string" && REVIEWED_AWS_MANAGED_POLICIES.includes(arn)) return [];
    return [{ source, unreadable: String(arn) }];
}

/** The groups a user belongs to, through either membership resource. */
function groupsOf(user: PolicyResource, resources: PolicyResource[]): PolicyResource[] {
    const names = identifiers(user);
    const groupNames = new Set<unknown>();
    for (const resource of resources) {
        if (resource.type === "aws:iam/groupMembership:GroupMembership" && list(resource.props["users"]).some((name) => names.has(name))) {
            groupNames.add(resource.props["group"]);
        }
        if (resource.type === "aws:iam/userGroupMembership:UserGroupMembership" && names.has(resource.props["user"])) {
            for (const group of list(resource.props["groups"])) groupNames.add(group);
        }
    }
    return resources.filter((resource) => resource.type === GROUP && [...identifiers(resource)].some((name) => groupNames.has(name)));
}

/**
 * Every identity policy that reaches a role, user or group of the plan: the role's inlinePolicies and
 * managedPolicyArns, RolePolicy/UserPolicy/GroupPolicy, the three *PolicyAttachment types,
 * PolicyAttachment (roles, users, groups), and for a user its groups' policies. A managed policy that
 * is not in the plan and not reviewed comes back unreadable.
 */
export function grantsOf(principal: PolicyResource, resources: PolicyResource[]): Grant[] {
    const names = identifiers(principal);
    const grants: Grant[] = [];
    for (const policy of list(principal.props["inlinePolicies"])) grants.push({ source: principal, document: record(policy)["policy"] });
    for (const arn of list(principal.props["managedPolicyArns"])) grants.push(...managedPolicy(principal, arn, resources));
    const namesPrincipal = (pair: [string, string] | undefined, resource: PolicyResource) =>
        pair !== undefined && pair[0] === principal.type && names.has(resource.props[pair[1]]);
    for (const resource of resources) {
        if (namesPrincipal(INLINE_POLICY_TYPES[resource.type], resource)) grants.push({ source: resource, document: resource.props["policy"] });
        if (namesPrincipal(ATTACHMENT_TYPES[resource.type], resource)) grants.push(...managedPolicy(resource, resource.props["policyArn"], resources));
        const attachmentKey = POLICY_ATTACHMENT_KEYS[principal.type];
        if (resource.type === POLICY_ATTACHMENT && attachmentKey !== undefined && list(resource.props[attachmentKey]).some((name) => names.has(name))) {
            grants.push(...managedPolicy(resource, resource.props["policyArn"], resources));
        }
    }
    if (principal.type === USER) for (const group of groupsOf(principal, resources)) grants.push(...grantsOf(group, resources));
    return grants;
}

function trustsEcsTasks(role: PolicyResource): boolean {
    const statements = list(record(jsonOrValue(role.props["assumeRolePolicy"]))["Statement"]).map(record);
    return statements.some((statement) => {
        const services = list(record(statement["Principal"])["Service"]);
        return statement["Effect"] === "Allow" && services.includes("ecs-tasks.amazonaws.com");
    });
}

/** Actions that delete backups or archives, or make S3 or KMS delete them (lifecycle, Object Lock bypass, key deletion). */
export const DESTRUCTIVE_PROBES = [
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutLifecycleConfiguration",
    "s3:BypassGovernanceRetention",
    "s3:PutBucketPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:PutKeyPolicy",
];

/** Whether a statement's Resource (or NotResource, which allows everything not listed) can reach one of `targets` (undefined: any resource). */
function reaches(statement: Record<string, unknown>, targets: readonly string[] | undefined): boolean {
    if (targets === undefined || statement["NotResource"] !== undefined) return true;
    const patterns = list(statement["Resource"] ?? "*").map(String);
    return patterns.some((pattern) => targets.some((target) => globMatches(pattern, target)));
}

/** Allow statements of `document` granting a destructive action on one of `targets` (undefined: on anything); NotAction always counts. */
export function destructiveGrants(document: unknown, targets?: readonly string[]): string[] {
    const found: string[] = [];
    for (const statement of list(record(jsonOrValue(document))["Statement"]).map(record)) {
        if (statement["Effect"] !== "Allow" || !reaches(statement, targets)) continue;
        if (statement["NotAction"] !== undefined) found.push(`NotAction ${JSON.stringify(statement["NotAction"])}`);
        for (const action of list(statement["Action"]).map(String)) {
            const probes = DESTRUCTIVE_PROBES.filter((probe) => globMatches(action, probe));
            if (probes.length > 0) found.push(`${action} (${probes.join(", ")})`);
        }
    }
    return found;
}

/** The ARNs of the plan's buckets (and their objects) and keys: every one holds or decrypts backups or archives. */
function dataTargets(resources: PolicyResource[]): string[] {
    const buckets = resources.filter((resource) => resource.type === BUCKET).map((bucket) => `arn:aws:s3:::${String(bucket.props["bucket"])}`);
    const keys = resources.filter((resource) => resource.type === KEY).map((key) => String(key.props["arn"]));
    return [...buckets, ...buckets.map((bucket) => `${bucket}/any-object`), ...keys];
}

/** The account root of a key policy's IAM delegation (`arn:aws:iam::<account>:root`), the only Allow a guarded key policy may hold for kms:*. */
function isIamDelegation(statement: Record<string, unknown>): boolean {
    const principals = list(record(statement["Principal"])["AWS"]).map(String);
    return principals.length > 0 && principals.every((principal) => /^arn:aws:iam::\d{12}:root$/.test(principal)) && statement["Condition"] === undefined;
}

/** What a key policy grants that can destroy the key, beyond the delegation to the account's IAM (which identity policies are judged by). */
export function keyPolicyProblems(policy: unknown): string[] {
    const statements = list(record(jsonOrValue(policy))["Statement"]).map(record);
    const problems: string[] = [];
    for (const statement of statements.filter((candidate) => candidate["Effect"] === "Allow" && !isIamDelegation(candidate))) {
        if (statement["NotPrincipal"] !== undefined) problems.push(`statement ${String(statement["Sid"] ?? "?")} allows with NotPrincipal`);
        // A key policy's statements are about this key, whatever their Resource says.
        const found = destructiveGrants({ Statement: [statement] });
        if (found.length > 0) problems.push(`statement ${String(statement["Sid"] ?? "?")} allows ${found.join(", ")}`);
    }
    const denies = statements.filter((statement) => statement["Effect"] === "Deny" && statement["Principal"] === "*");
    const denied = (action: string, conditionKey: string) =>
        denies.some((statement) => list(statement["Action"]).includes(action) && JSON.stringify(statement["Condition"] ?? {}).includes(conditionKey));
    if (!denied("kms:ScheduleKeyDeletion", "kms:ScheduleKeyDeletionPendingWindowInDays")) {
        problems.push("no Deny of kms:ScheduleKeyDeletion to everyone under a minimum kms:ScheduleKeyDeletionPendingWindowInDays");
    }
    if (!denied("kms:PutKeyPolicy", "aws:PrincipalArn") || !denied("kms:DisableKey", "aws:PrincipalArn")) {
        problems.push("no Deny of kms:DisableKey and kms:PutKeyPolicy to everyone but the break-glass role (aws:PrincipalArn)");
    }
    return problems;
}

/** Resource policies on buckets: BucketPolicy and a bucket's own `policy` input, judged on the stack's buckets and keys. */
const BUCKET_POLICY_TYPES = [BUCKET_POLICY, BUCKET];
/**
 * Access point policies name the access point's ARNs, not the bucket's, and an access point may be
 * given any bucket: a destructive Allow in any of them is refused, whatever its Resource.
 */
const ACCESS_POINT_POLICY_TYPES = ["aws:s3/accessPoint:AccessPoint", "aws:s3control/accessPointPolicy:AccessPointPolicy"];

// ---------------------------------------------------------------------------------------------
// The policies.

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
    bucketPolicy("s3-versioning-enabled", "Backup and archive buckets keep versioning enabled.", versioningProblem),
    bucketPolicy("s3-kms-encryption", "Backup and archive buckets encrypt by default with KMS.", encryptionProblem),
    bucketPolicy("s3-public-access-blocked", "Backup and archive buckets block every kind of public access.", publicAccessProblem),
    bucketPolicy("s3-tls-only", "Backup and archive buckets refuse requests without TLS.", tlsOnlyProblem),
    bucketPolicy("s3-lifecycle-aborts-incomplete-uploads", "Backup and archive buckets abort unfinished multipart uploads.", lifecycleProblem),
    bucketPolicy("s3-backup-object-lock", "Backup buckets keep S3 Object Lock with a default retention.", objectLockProblem),
    {
        name: "backup-task-no-delete-actions",
        description:
            "No IAM policy of a role ECS tasks assume, however attached, grants s3:Delete* or wildcard (*, service:*) actions; no AWS managed policy " +
            "the pack cannot read, unless reviewed.",
        enforcementLevel: "mandatory",
        validateStack: (args, reportViolation) => {
            for (const role of args.resources.filter((resource) => resource.type === ROLE && trustsEcsTasks(resource))) {
                for (const grant of grantsOf(role, args.resources)) {
                    if ("unreadable" in grant) continue;
                    const found = forbiddenActions(grant.document);
                    if (found.length > 0) {
                        reportViolation(
                            `${grant.source.type} ${grant.source.name} grants ECS task role ${role.name}: ${found.join(", ")}; allowed: named actions that ` +
                                `cannot delete objects`,
                            grant.source.urn,
                        );
                    }
                }
            }
        },
    },
    {
        name: "iam-policies-readable",
        description: "Every managed policy attached to a role, user or group of the stack is the stack's own, or a reviewed AWS managed policy.",
        enforcementLevel: "mandatory",
        validateStack: (args, reportViolation) => {
            for (const principal of args.resources.filter((resource) => POLICY_ATTACHMENT_KEYS[resource.type] !== undefined)) {
                for (const grant of grantsOf(principal, args.resources)) {
                    if (!("unreadable" in grant)) continue;
                    reportViolation(
                        `${grant.source.type} ${grant.source.name} attaches ${grant.unreadable} to ${principal.name}, a policy the pack cannot read; allowed: ` +
                            `a policy of this stack, or a reviewed AWS managed policy (${REVIEWED_AWS_MANAGED_POLICIES.join(", ")})`,
                        grant.source.urn,
                    );
                }
            }
        },
    },
    {
        name: "no-destructive-grants-on-data",
        description:
            "No identity policy of the stack, bucket policy, access point policy or key policy allows deleting backups or archives (objects, buckets, " +
            "lifecycle, Object Lock bypass) or destroying their keys; every key keeps the guard; no KMS grants or bucket ACLs on them.",
        enforcementLevel: "mandatory",
        validateStack: (args, reportViolation) => {
            const targets = dataTargets(args.resources);
            for (const principal of args.resources.filter((resource) => POLICY_ATTACHMENT_KEYS[resource.type] !== undefined)) {
                for (const grant of grantsOf(principal, args.resources)) {
                    if ("unreadable" in grant) continue;
                    const reviewed = REVIEWED_KEY_ADMINISTRATORS[String(principal.props["name"])] ?? [];
                    const found = destructiveGrants(grant.document, targets).filter((finding) => !reviewed.some((action) => finding.startsWith(`${action} `)));
                    if (found.length > 0) {
                        reportViolation(
                            `${grant.source.type} ${grant.source.name} lets ${principal.type} ${principal.name} destroy backups, archives or their keys: ` +
                                `${found.join("; ")}; allowed: no such action on the stack's buckets and keys`,
                            grant.source.urn,
                        );
                    }
                }
            }
            for (const resource of args.resources) {
                const scope = BUCKET_POLICY_TYPES.includes(resource.type) ? targets : ACCESS_POINT_POLICY_TYPES.includes(resource.type) ? undefined : null;
                const document = resource.props["policy"];
                if (scope !== null && document !== undefined && document !== null && document !== "") {
                    const found = destructiveGrants(document, scope);
                    if (found.length > 0) {
                        reportViolation(
                            `${resource.type} ${resource.name} allows ${found.join("; ")} on the stack's data; allowed: Deny statements only`,
                            resource.urn,
                        );
                    }
                }
                if (resource.type === KEY) {
                    for (const problem of keyPolicyProblems(resource.props["policy"])) reportViolation(`key ${resource.name}: ${problem}`, resource.urn);
                }
                if (resource.type === "aws:kms/grant:Grant") {
                    reportViolation(`KMS grant ${resource.name}: grants bypass the key policy's review; allowed: IAM policies of the stack`, resource.urn);
                }
                if (resource.type === "aws:s3/bucketAclV2:BucketAclV2" || resource.type === "aws:s3/bucketAcl:BucketAcl") {
                    reportViolation(`bucket ACL ${resource.name}: the buckets enforce bucket-owner ownership and take no ACLs`, resource.urn);
                }
            }
        },
    },
    {
        name: "ecs-no-secret-environment",
        description: "ECS container definitions carry no secret-looking values in `environment` (use `secrets`).",
        enforcementLevel: "mandatory",
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (args.type !== TASK_DEFINITION) return;
            for (const found of secretLookingEnvironment(args.props["containerDefinitions"])) {
                reportViolation(`${args.name}: ${found}; move it to the container's secrets (Secrets Manager or SSM valueFrom)`);
            }
        },
    },
    {
        name: "log-group-retention",
        description: "Every CloudWatch log group sets retentionInDays (never keep logs, and guests' data in them, forever).",
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            if (args.type !== LOG_GROUP) return;
            const days = args.props["retentionInDays"];
            if (typeof days !== "number" || days <= 0) {
                reportViolation(`log group ${args.name} has retentionInDays ${JSON.stringify(days)}; allowed: a positive number of days`);
            }
        },
    },
    {
        name: "alarm-actions-and-runbook",
        description: "Every metric alarm notifies someone (alarmActions) and links its runbook in alarmDescription.",
        enforcementLevel: "mandatory",
        validateResource: (args, reportViolation) => {
            if (args.type !== METRIC_ALARM) return;
            const actions = args.props["alarmActions"];
            if (!Array.isArray(actions) || actions.length === 0) reportViolation(`alarm ${args.name} has no alarmActions; nobody would be told`);
            if (args.props["actionsEnabled"] === false) reportViolation(`alarm ${args.name} has actionsEnabled false; nobody would be told`);
            if (!hasRunbookLink(args.props["alarmDescription"])) {
                reportViolation(`alarm ${args.name} alarmDescription has no runbook link; allowed: a description with an https://…runbook… URL`);
            }
        },
    },
    {
        name: "required-tags",
        description: "Every taggable AWS resource carries the required tags, from its own tags or its provider's defaultTags.",
        enforcementLevel: "mandatory",
        configSchema: { properties: { tags: { type: "array", items: { type: "string" }, default: REQUIRED_TAGS } } },
        validateResource: (args, reportViolation) => {
            if (!TAGGABLE_TYPES.has(args.type)) return;
            // The server returns {} when the pack was never configured: fall back to the schema's defaults.
            const { tags = REQUIRED_TAGS } = args.getConfig<{ tags?: string[] }>();
            const missing = missingTags(effectiveTags(args.props, args.provider?.props), tags);
            if (missing.length > 0) {
                reportViolation(
                    `${args.type} ${args.name} lacks the tags ${missing.join(", ")} (provider ${args.provider?.name ?? "default"}); ` +
                        "use the stack's explicit providers (their defaultTags) or set them in tags",
                );
            }
        },
    },
    {
        name: "prod-data-protected",
        description: "In production stacks, resources that hold or decrypt data are protected from deletion.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                productionStacks: { type: "array", items: { type: "string" }, default: PRODUCTION_STACKS },
                dataTypes: { type: "array", items: { type: "string" }, default: DATA_RESOURCE_TYPES },
            },
        },
        validateResource: (args, reportViolation) => {
            const { productionStacks = PRODUCTION_STACKS, dataTypes = DATA_RESOURCE_TYPES } = args.getConfig<{
                productionStacks?: string[];
                dataTypes?: string[];
            }>();
            if (!dataTypes.includes(args.type) || !productionStacks.includes(stackOfUrn(args.urn))) return;
            if (!args.opts.protect) reportViolation(`${args.type} ${args.name} holds data in production stack ${stackOfUrn(args.urn)} but is not protect-ed`);
            if (args.props["forceDelete"] === true || args.props["forceDestroy"] === true) {
                reportViolation(
                    `${args.type} ${args.name} in production stack ${stackOfUrn(args.urn)} is force-deletable; allowed: forceDelete/forceDestroy false`,
                );
            }
        },
    },
];
