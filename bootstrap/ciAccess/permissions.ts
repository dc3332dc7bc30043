// What CI's roles may do. The preview role reads configuration, never data; the drift role adds
// reading the main program's secrets (a refresh reads secret versions); the account drift role reads
// the account program's own resources and nothing else; each deploy role manages only its own
// stack's resources (named <project>-<environment>-...), per service, and carries a permissions
// boundary that every role or user it creates must carry too.
import { ACCOUNT_PROJECT, breakGlassRoleArn, type DeployEnvironment, deployBoundaryPolicyArn, TRAIL_NAME } from "../../stacks/shared/account.js";
import type { PolicyDocument, PolicyStatement } from "../../stacks/shared/iam.js";
import { BUCKET_TYPES, readsOf, UNSCOPED_READS } from "./refreshReads.js";
import { GITHUB_OIDC_HOST } from "./trust.js";

export interface Scope {
    account: string;
    /** The main program's project name, the first part of every name it gives. */
    mainProject: string;
    /** Principals the deploy roles must never touch: the account program's own roles (break-glass, CI). */
    accountRoleArns: readonly string[];
    /** The state bucket prefix of an s3:// backend, as an S3 object ARN pattern; undefined for Pulumi Cloud. */
    stateObjects?: string;
}

/** What a preview or refresh reads: descriptions, policies, tags and configurations of every service the main program uses. */
export const READ_ACTIONS: readonly string[] = [
    "s3:GetBucket*",
    "s3:GetAccelerateConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetIntelligentTieringConfiguration",
    "s3:GetInventoryConfiguration",
    "s3:GetMetricsConfiguration",
    "s3:GetAnalyticsConfiguration",
    "s3:ListBucket",
    "s3:ListAllMyBuckets",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListResourceTags",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:GetUser",
    "iam:GetUserPolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetOpenIDConnectProvider",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListUserPolicies",
    "iam:ListAttachedUserPolicies",
    "iam:ListAccessKeys",
    "iam:ListRoleTags",
    "iam:ListUserTags",
    "iam:ListInstanceProfilesForRole",
    "ecs:Describe*",
    "ecs:List*",
    "ecr:DescribeRepositories",
    "ecr:DescribeImages",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "ecr:ListTagsForResource",
    "ecr:GetAuthorizationToken",
    "logs:Describe*",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "events:Describe*",
    "events:List*",
    "scheduler:GetSchedule",
    "scheduler:ListSchedules",
    "scheduler:ListTagsForResource",
    "sns:GetTopicAttributes",
    "sns:GetSubscriptionAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ListQueueTags",
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetResourcePolicy",
    "firehose:DescribeDeliveryStream",
    "firehose:ListTagsForDeliveryStream",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetDashboard",
    "cloudwatch:ListTagsForResource",
    "route53:GetHealthCheck",
    "route53:ListTagsForResource",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
];

/** Reads of data a pull request's code must never make: secret values, dumps and log archives, decryption. */
export const DATA_READS: readonly string[] = ["secretsmanager:GetSecretValue", "s3:GetObject", "s3:GetObjectVersion", "kms:Decrypt"];

function stateStatements(scope: Scope, actions: string[]): PolicyStatement[] {
    if (scope.stateObjects === undefined) return [];
    return [{ Sid: "PulumiState", Effect: "Allow", Action: actions, Resource: scope.stateObjects }];
}

/** What preview and drift share: every configuration read, and the state when it lives in S3. */
function readStatements(scope: Scope): PolicyStatement[] {
    return [{ Sid: "ReadConfiguration", Effect: "Allow", Action: [...READ_ACTIONS], Resource: "*" }, ...stateStatements(scope, ["s3:GetObject"])];
}

/** An explicit deny on data that no later grant can lift. */
function neverReadData(scope: Scope): PolicyStatement {
    return {
        Sid: "NeverReadData",
        Effect: "Deny",
        Action: [...DATA_READS],
        // An s3:// backend's state is the one object a preview must read.
        ...(scope.stateObjects === undefined ? { Resource: "*" } : { NotResource: scope.stateObjects }),
    };
}

/** The preview role: every configuration read, and never data. */
export function previewPolicy(scope: Scope): PolicyDocument {
    return { Version: "2012-10-17", Statement: [...readStatements(scope), neverReadData(scope)] };
}

/**
 * The account drift role: what `pulumi preview --refresh` of the account program reads
 * (refreshReads.ts), on the account program's own resources only (its roles, policies, OIDC
 * provider, trail, trail bucket and key), never their data.
 */
export function accountDriftPolicy(scope: Scope): PolicyDocument {
    const iam = `arn:aws:iam::${scope.account}`;
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadAccountRoles",
                Effect: "Allow",
                Action: readsOf("aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"),
                Resource: [`${iam}:role/${ACCOUNT_PROJECT}-*`, breakGlassRoleArn(scope.account)],
            },
            { Sid: "ReadAccountPolicies", Effect: "Allow", Action: readsOf("aws:iam/policy:Policy"), Resource: `${iam}:policy/${ACCOUNT_PROJECT}-*` },
            {
                Sid: "ReadGitHubOidcProvider",
                Effect: "Allow",
                Action: readsOf("aws:iam/openIdConnectProvider:OpenIdConnectProvider"),
                Resource: `${iam}:oidc-provider/${GITHUB_OIDC_HOST}`,
            },
            {
                Sid: "ReadTrail",
                Effect: "Allow",
                Action: readsOf("aws:cloudtrail/trail:Trail"),
                Resource: `arn:aws:cloudtrail:*:${scope.account}:trail/${TRAIL_NAME}`,
            },
            { Sid: "ReadWhatNamesNoResource", Effect: "Allow", Action: [...UNSCOPED_READS], Resource: "*" },
            {
                Sid: "ReadTrailBucketConfiguration",
                Effect: "Allow",
                // Bucket-level reads only: the resource is the bucket, never an object in it.
                Action: readsOf(...BUCKET_TYPES),
                Resource: `arn:aws:s3:::${ACCOUNT_PROJECT}-*`,
            },
            {
                Sid: "ReadAccountKeys",
                Effect: "Allow",
                Action: readsOf("aws:kms/key:Key"),
                Resource: `arn:aws:kms:*:${scope.account}:key/*`,
                // A key's ARN carries no name: the account program's tag says it is one of its keys.
                Condition: { StringEquals: { "aws:ResourceTag/project": ACCOUNT_PROJECT } },
            },
            ...stateStatements(scope, ["s3:GetObject"]),
            neverReadData(scope),
        ],
    };
}

/** The drift role: the preview's reads plus the main program's secret values, which a refresh of prod reads. */
export function driftPolicy(scope: Scope): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            ...readStatements(scope),
            {
                Sid: "ReadProdSecrets",
                Effect: "Allow",
                Action: "secretsmanager:GetSecretValue",
                Resource: `arn:aws:secretsmanager:*:${scope.account}:secret:${scope.mainProject}-prod/*`,
            },
            {
                Sid: "DecryptThroughSecretsManagerOnly",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: `arn:aws:kms:*:${scope.account}:key/*`,
                Condition: {
                    StringLike: { "kms:ViaService": "secretsmanager.*.amazonaws.com" },
                    StringEquals: { "aws:ResourceTag/project": scope.mainProject, "aws:ResourceTag/stack": "prod" },
                },
            },
        ],
    };
}

/** Services whose resources carry the stack's name; each gets its own statement, scoped to `<project>-<environment>` names. */
function namedResources(scope: Scope, stem: string): PolicyStatement[] {
    const at = `*:${scope.account}`;
    const table: [string, string[], string[]][] = [
        ["S3", ["s3:*"], [`arn:aws:s3:::${stem}-*`]],
        ["EventBridge", ["events:*"], [`arn:aws:events:${at}:rule/${stem}-*`]],
        ["Scheduler", ["scheduler:*"], [`arn:aws:scheduler:${at}:schedule/*/${stem}-*`]],
        ["Sns", ["sns:*"], [`arn:aws:sns:${at}:${stem}-*`]],
        ["Sqs", ["sqs:*"], [`arn:aws:sqs:${at}:${stem}-*`]],
        ["Firehose", ["firehose:*"], [`arn:aws:firehose:${at}:deliverystream/${stem}-*`]],
        ["SecretsManager", ["secretsmanager:*"], [`arn:aws:secretsmanager:${at}:secret:${stem}/*`]],
        ["CloudWatch", ["cloudwatch:*"], [`arn:aws:cloudwatch:${at}:alarm:${stem}-*`, `arn:aws:cloudwatch::${scope.account}:dashboard/${stem}-*`]],
        ["Ecr", ["ecr:*"], [`arn:aws:ecr:${at}:repository/${stem}/*`]],
        ["Ecs", ["ecs:*"], [`arn:aws:ecs:${at}:cluster/${stem}-*`, `arn:aws:ecs:${at}:task-definition/${stem}-*:*`]],
        ["Logs", ["logs:*"], [`arn:aws:logs:${at}:log-group:/ecs/${stem}/*`, `arn:aws:logs:${at}:log-group:/aws/kinesisfirehose/${stem}-*`]],
        ["KmsAliases", ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"], [`arn:aws:kms:${at}:alias/${stem}-*`]],
    ];
    return table.map(([sid, actions, resources]) => ({ Sid: `Manage${sid}`, Effect: "Allow", Action: actions, Resource: resources }));
}

/**
 * A deploy role's own policy. Names scope most services; KMS keys and security groups have no
 * name in their ARN, so their stack and project tags scope them; creating a role or user needs
 * the boundary on it.
 */
export function deployPolicy(scope: Scope, environment: DeployEnvironment): PolicyDocument {
    const stem = `${scope.mainProject}-${environment}`;
    const boundary = deployBoundaryPolicyArn(scope.account);
    const tagged = { "aws:ResourceTag/project": scope.mainProject, "aws:ResourceTag/stack": environment };
    const requestTagged = { "aws:RequestTag/project": scope.mainProject, "aws:RequestTag/stack": environment };
    const roles = `arn:aws:iam::${scope.account}:role/${stem}-*`;
    const users = `arn:aws:iam::${scope.account}:user/${stem}-*`;
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ReadConfiguration", Effect: "Allow", Action: [...READ_ACTIONS, "kms:ListKeys", "logs:DescribeLogGroups"], Resource: "*" },
            ...stateStatements(scope, ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
            ...namedResources(scope, stem),
            {
                Sid: "CreateTaggedKeys",
                Effect: "Allow",
                Action: ["kms:CreateKey", "kms:TagResource"],
                Resource: "*",
                // A key being created has no tags yet; an existing key keeps its stack: no claiming another stack's key by retagging it.
                Condition: { StringEquals: requestTagged, StringEqualsIfExists: { "aws:ResourceTag/stack": environment } },
            },
            {
                Sid: "ManageOwnKeys",
                Effect: "Allow",
                Action: [
                    "kms:DescribeKey",
                    "kms:GetKeyPolicy",
                    "kms:GetKeyRotationStatus",
                    "kms:EnableKeyRotation",
                    "kms:ListResourceTags",
                    "kms:TagResource",
                    "kms:UntagResource",
                    "kms:ScheduleKeyDeletion",
                    "kms:CreateAlias",
                    "kms:DeleteAlias",
                    "kms:UpdateAlias",
                    // Writing a secret version under the stack's own key goes through the caller's key rights.
                    "kms:GenerateDataKey",
                    "kms:Decrypt",
                ],
                Resource: `arn:aws:kms:*:${scope.account}:key/*`,
                Condition: { StringEquals: tagged },
            },
            {
                Sid: "CreateBoundedRolesAndUsers",
                Effect: "Allow",
                Action: ["iam:CreateRole", "iam:CreateUser", "iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary"],
                Resource: [roles, users],
                Condition: { StringEquals: { "iam:PermissionsBoundary": boundary } },
            },
            {
                Sid: "ManageOwnRolesAndUsers",
                Effect: "Allow",
                Action: [
                    "iam:DeleteRole",
                    "iam:UpdateRole",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:TagRole",
                    "iam:UntagRole",
                    "iam:PutRolePolicy",
                    "iam:DeleteRolePolicy",
                    "iam:DeleteUser",
                    "iam:TagUser",
                    "iam:UntagUser",
                    "iam:PutUserPolicy",
                    "iam:DeleteUserPolicy",
                    "iam:CreateAccessKey",
                    "iam:DeleteAccessKey",
                    "iam:ListGroupsForUser",
                ],
                Resource: [roles, users],
            },
            {
                Sid: "PassOwnRolesToItsServices",
                Effect: "Allow",
                Action: "iam:PassRole",
                Resource: roles,
                Condition: {
                    StringEquals: {
                        "iam:PassedToService": [
                            "ecs-tasks.amazonaws.com",
                            "scheduler.amazonaws.com",
                            "s3.amazonaws.com",
                            "firehose.amazonaws.com",
                            "logs.amazonaws.com",
                        ],
                    },
                },
            },
            {
                Sid: "ManageLogFilters",
                Effect: "Allow",
                // Subscription and metric filters go on the app's log groups too, which carry other names.
                Action: ["logs:PutSubscriptionFilter", "logs:DeleteSubscriptionFilter", "logs:PutMetricFilter", "logs:DeleteMetricFilter"],
                Resource: `arn:aws:logs:*:${scope.account}:log-group:*`,
            },
            {
                Sid: "RegisterTaskDefinitions",
                Effect: "Allow",
                // ECS offers no resource-level permission for registering task definitions.
                Action: ["ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition"],
                Resource: "*",
            },
            {
                Sid: "ManageHealthChecks",
                Effect: "Allow",
                Action: ["route53:CreateHealthCheck", "route53:UpdateHealthCheck", "route53:DeleteHealthCheck", "route53:ChangeTagsForResource"],
                Resource: "arn:aws:route53:::healthcheck/*",
            },
            {
                Sid: "CreateSecurityGroups",
                Effect: "Allow",
                Action: "ec2:CreateSecurityGroup",
                Resource: [`arn:aws:ec2:*:${scope.account}:security-group/*`, `arn:aws:ec2:*:${scope.account}:vpc/*`],
            },
            {
                Sid: "TagOwnSecurityGroups",
                Effect: "Allow",
                Action: "ec2:CreateTags",
                Resource: `arn:aws:ec2:*:${scope.account}:security-group/*`,
                // As for keys: tags at creation, or on a group already this stack's.
                Condition: { StringEquals: requestTagged, StringEqualsIfExists: { "aws:ResourceTag/stack": environment } },
            },
            {
                Sid: "ManageOwnSecurityGroups",
                Effect: "Allow",
                Action: [
                    "ec2:DeleteSecurityGroup",
                    "ec2:AuthorizeSecurityGroupEgress",
                    "ec2:AuthorizeSecurityGroupIngress",
                    "ec2:RevokeSecurityGroupEgress",
                    "ec2:RevokeSecurityGroupIngress",
                ],
                Resource: `arn:aws:ec2:*:${scope.account}:security-group/*`,
                Condition: { StringEquals: tagged },
            },
            ...deploymentDenies(scope, environment),
        ],
    };
}

/** What no deploy role may do, whatever else grants it; prod's locked objects are never deleted, staging's GOVERNANCE teardown is its own choice. */
function deploymentDenies(scope: Scope, environment: DeployEnvironment): PolicyStatement[] {
    return [
        {
            Sid: "NeverChangeKeyPolicies",
            Effect: "Deny",
            // Only the break-glass role changes a guarded key's policy or disables a key; creating a key with its policy is CreateKey.
            Action: ["kms:PutKeyPolicy", "kms:DisableKey"],
            Resource: "*",
        },
        ...(environment === "prod" ? [denyDeletingLockedObjects(scope)] : []),
    ];
}

function denyDeletingLockedObjects(scope: Scope): PolicyStatement {
    return {
        Sid: "NeverDeleteProdLockedObjects",
        Effect: "Deny",
        Action: ["s3:BypassGovernanceRetention", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:PutObjectLegalHold"],
        Resource: `arn:aws:s3:::${scope.mainProject}-prod-*/*`,
    };
}

/** Services the main program's resources belong to: the boundary's ceiling. */
export const BOUNDARY_SERVICES: readonly string[] = [
    "s3",
    "kms",
    "iam",
    "ecs",
    "ecr",
    "logs",
    "events",
    "scheduler",
    "sns",
    "sqs",
    "secretsmanager",
    "firehose",
    "cloudwatch",
    "route53",
    "ec2",
    "cloudtrail",
];

/**
 * The permissions boundary of the deploy roles and of every role or user they create. It is a
 * ceiling (the main program's services) with denies that no policy under it can lift: no key policy
 * changes, no principal without this boundary, no removing or editing it, no touching the account
 * program's roles, no silencing the trail, no deleting prod's locked objects.
 */
export function deployBoundary(scope: Scope): PolicyDocument {
    const boundary = deployBoundaryPolicyArn(scope.account);
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "MainProgramServices", Effect: "Allow", Action: BOUNDARY_SERVICES.map((service) => `${service}:*`), Resource: "*" },
            { Sid: "NeverChangeKeyPolicies", Effect: "Deny", Action: ["kms:PutKeyPolicy", "kms:DisableKey"], Resource: "*" },
            {
                Sid: "NeverCreateUnboundedPrincipals",
                Effect: "Deny",
                Action: ["iam:CreateRole", "iam:CreateUser", "iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary"],
                Resource: "*",
                Condition: { StringNotEquals: { "iam:PermissionsBoundary": boundary } },
            },
            { Sid: "NeverRemoveABoundary", Effect: "Deny", Action: ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"], Resource: "*" },
            // The boundary itself is among these: nobody under it can edit or delete it.
            { Sid: "NeverTouchAccountRoles", Effect: "Deny", Action: "iam:*", Resource: [...scope.accountRoleArns, boundary] },
            {
                Sid: "NeverSilenceTheTrail",
                Effect: "Deny",
                Action: ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors"],
                Resource: "*",
            },
            denyDeletingLockedObjects(scope),
        ],
    };
}
