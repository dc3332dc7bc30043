// The tampering rules' event patterns: CloudTrail management calls that weaken the backups'
// protection (keys, buckets) or silence the alerts themselves (the trail, these rules, the topics,
// the alarms, the schedules, IAM roles), made by anyone but the deploy role. Pure: tested against
// real CloudTrail event samples with eventPattern.ts (tampering.test.ts).

const CLOUDTRAIL = "AWS API Call via CloudTrail";

/**
 * Anyone but the deploy role. `pulumi up` in CI calls PutRule, PutBucket*, UpdateSchedule… on
 * every deploy: those sessions are the deploy role's (`sessionIssuer.arn`). Every other caller
 * pages: other roles, IAM users and the root user — who have no session issuer at all, and
 * `anything-but` never matches a missing field, hence the second alternative.
 */
export function notByDeployRole(deployRoleArn: string): Record<string, unknown> {
    return {
        $or: [
            { sessionContext: { sessionIssuer: { arn: [{ "anything-but": deployRoleArn }] } } },
            { sessionContext: { sessionIssuer: { arn: [{ exists: false }] } } },
        ],
    };
}

/** KMS calls that make what a key encrypts unreadable, open it to others, or quietly redirect its alias. */
export const KEY_TAMPERING_EVENTS = [
    "ScheduleKeyDeletion",
    "DisableKey",
    "PutKeyPolicy",
    "DisableKeyRotation",
    // A grant lets its grantee use the key without any policy change showing it.
    "CreateGrant",
    "DeleteAlias",
    "UpdateAlias",
];

/**
 * Bucket operations that can expose, shorten or stop protecting the backups. CloudTrail records
 * PutBucketLifecycleConfiguration as PutBucketLifecycle (and its deletion as DeleteBucketLifecycle).
 * PutBucketVersioning is matched whatever it sets: suspending versioning stops replication, and a
 * deploy never calls it on these buckets except through the deploy role.
 */
export const BUCKET_TAMPERING_EVENTS = [
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketLifecycle",
    "DeleteBucketLifecycle",
    "PutBucketReplication",
    "DeleteBucketReplication",
    "PutObjectLockConfiguration",
    "PutBucketVersioning",
    "PutBucketEncryption",
    "DeleteBucketEncryption",
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    // Turning ACLs back on (BucketOwnerEnforced off) lets objects be shared past the bucket policy.
    "PutBucketOwnershipControls",
    "DeleteBucket",
];

/** The account-level block public access (S3 Control PutPublicAccessBlock), as CloudTrail names it: it has no bucket. */
export const ACCOUNT_PUBLIC_ACCESS_EVENTS = ["PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock"];

/** Calls that stop CloudTrail from recording, so that no tampering rule would ever see what follows. Any trail: each one may be the one feeding EventBridge. */
export const TRAIL_TAMPERING_EVENTS = ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"];
export const RULE_TAMPERING_EVENTS = ["DisableRule", "DeleteRule", "PutRule"];
/** RemoveTargets and PutTargets name the rule in `rule`, not `name`. */
export const TARGET_TAMPERING_EVENTS = ["RemoveTargets", "PutTargets"];
export const TOPIC_TAMPERING_EVENTS = ["DeleteTopic", "SetTopicAttributes", "RemovePermission"];
/** Unsubscribe names the subscription (`<topic ARN>:<id>`), not the topic. */
export const SUBSCRIPTION_TAMPERING_EVENTS = ["Unsubscribe"];
export const ALARM_TAMPERING_EVENTS = ["DeleteAlarms", "DisableAlarmActions"];
/** PutMetricAlarm names one alarm (`alarmName`): rewriting an alarm's actions silences it as well as deleting it. */
export const ALARM_REWRITE_EVENTS = ["PutMetricAlarm"];
export const SCHEDULE_TAMPERING_EVENTS = ["DeleteSchedule", "UpdateSchedule"];
/** IAM calls that change who a role trusts or what it may do, delete it, or create it. */
export const ROLE_TAMPERING_EVENTS = [
    "CreateRole",
    "DeleteRole",
    "UpdateRole",
    "UpdateAssumeRolePolicy",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
];

/** CloudTrail management calls against these keys, matched on the event's resources (the caller may pass an alias). */
export function keyTamperingPattern(keyArns: string[], deployRoleArn: string): Record<string, unknown> {
    return {
        source: ["aws.kms"],
        "detail-type": [CLOUDTRAIL],
        detail: {
            eventSource: ["kms.amazonaws.com"],
            eventName: KEY_TAMPERING_EVENTS,
            resources: { ARN: keyArns },
            userIdentity: notByDeployRole(deployRoleArn),
        },
    };
}

export function bucketTamperingPattern(bucketNames: string[], deployRoleArn: string): Record<string, unknown> {
    return {
        source: ["aws.s3"],
        "detail-type": [CLOUDTRAIL],
        detail: {
            eventSource: ["s3.amazonaws.com"],
            $or: [{ eventName: BUCKET_TAMPERING_EVENTS, requestParameters: { bucketName: bucketNames } }, { eventName: ACCOUNT_PUBLIC_ACCESS_EVENTS }],
            userIdentity: notByDeployRole(deployRoleArn),
        },
    };
}

export interface WatchedNames {
    /** `<project>-<stack>-`: the rules, alarms, schedules and topics of the stack all start with it. */
    namePrefix: string;
    /** `arn:aws:sns:<region>:<account>:<namePrefix>`: the stack's topics in the rule's region, and their subscriptions. */
    topicArnPrefix: string;
}

/**
 * What silences detection or delivery in one region: the trail, the stack's rules and their
 * targets, its topics and subscriptions, its alarms, the schedules. One rule: each alternative
 * names its service, so a call of one service never matches another's fields. The source is any
 * AWS service (custom events cannot carry an `aws.` source).
 */
export function watcherTamperingPattern(names: WatchedNames, deployRoleArn: string): Record<string, unknown> {
    const named = [{ prefix: names.namePrefix }];
    const topics = [{ prefix: names.topicArnPrefix }];
    const calls = (eventSource: string, eventName: string[], requestParameters?: Record<string, unknown>) => ({
        eventSource: [eventSource],
        eventName,
        ...(requestParameters === undefined ? {} : { requestParameters }),
    });
    return {
        source: [{ prefix: "aws." }],
        "detail-type": [CLOUDTRAIL],
        detail: {
            $or: [
                calls("cloudtrail.amazonaws.com", TRAIL_TAMPERING_EVENTS),
                calls("events.amazonaws.com", RULE_TAMPERING_EVENTS, { name: named }),
                calls("events.amazonaws.com", TARGET_TAMPERING_EVENTS, { rule: named }),
                calls("sns.amazonaws.com", TOPIC_TAMPERING_EVENTS, { topicArn: topics }),
                calls("sns.amazonaws.com", SUBSCRIPTION_TAMPERING_EVENTS, { subscriptionArn: topics }),
                calls("monitoring.amazonaws.com", ALARM_TAMPERING_EVENTS, { alarmNames: named }),
                calls("monitoring.amazonaws.com", ALARM_REWRITE_EVENTS, { alarmName: named }),
                // Any schedule of the region: the name's field in Scheduler's CloudTrail records is not checked here, and a
                // schedule change that slipped past a misspelt field would be silent; an account holds few schedules.
                calls("scheduler.amazonaws.com", SCHEDULE_TAMPERING_EVENTS),
            ],
            userIdentity: notByDeployRole(deployRoleArn),
        },
    };
}

/**
 * IAM changes to the roles the backups and the alerts rely on. IAM is global: its CloudTrail events
 * reach EventBridge in us-east-1 only, so this rule lives there. `roleNames` includes the break-glass
 * role's name: the key policies trust it by name, so whoever creates a role of that name holds the keys.
 */
export function roleTamperingPattern(roleNames: string[], deployRoleArn: string): Record<string, unknown> {
    return {
        source: ["aws.iam"],
        "detail-type": [CLOUDTRAIL],
        detail: {
            eventSource: ["iam.amazonaws.com"],
            eventName: ROLE_TAMPERING_EVENTS,
            requestParameters: { roleName: roleNames },
            userIdentity: notByDeployRole(deployRoleArn),
        },
    };
}

export const TAMPERING_INPUT_PATHS = {
    time: "$.detail.eventTime",
    region: "$.region",
    event: "$.detail.eventName",
    who: "$.detail.userIdentity.arn",
    from: "$.detail.sourceIPAddress",
    error: "$.detail.errorCode",
};

export function tamperingInputTemplate(what: string, runbook: string): string {
    return JSON.stringify(
        `${what}: <event> at <time> in <region> by <who> from <from> (error code, if refused: <error>). ` +
            `Not the deploy role: if nobody on the team did this, treat it as an incident now. Runbook: ${runbook}`,
    );
}
