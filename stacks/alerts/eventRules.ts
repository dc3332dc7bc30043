// The EventBridge rules of the alert table (table.ts): the task rules, once per task, and the
// tampering rules, once per region that holds backups.
import { type Runbook, RUNBOOKS, type Severity } from "../shared/runbooks.js";
import type { EventRuleRow } from "./table.js";
import {
    ACCOUNT_PUBLIC_ACCESS_EVENTS,
    BUCKET_TAMPERING_EVENTS,
    KEY_TAMPERING_EVENTS,
    ROLE_TAMPERING_EVENTS,
    RULE_TAMPERING_EVENTS,
    TRAIL_TAMPERING_EVENTS,
} from "./tampering.js";

const TASK_FAILED = "EventBridge `ECS Task State Change` of the family's group, `STOPPED`, exit code not 0";
const TASK_FAILED_TO_START = "EventBridge `ECS Task State Change` of the family's group, `stopCode` `TaskFailedToStart`";
const names = (events: readonly string[]) => events.map((event) => `\`${event}\``).join(", ");
const NOT_DEPLOY = "by anyone but the deploy role";
const KEY_TAMPERING = `CloudTrail ${names(KEY_TAMPERING_EVENTS)} on the backup keys and the region's topic keys, ${NOT_DEPLOY}`;
const BUCKET_TAMPERING = `CloudTrail ${names(BUCKET_TAMPERING_EVENTS)} on a backup bucket, and ${names(ACCOUNT_PUBLIC_ACCESS_EVENTS)}, ${NOT_DEPLOY}`;
const ALERTING_TAMPERING =
    `CloudTrail ${names(TRAIL_TAMPERING_EVENTS)} on any trail; ${names(RULE_TAMPERING_EVENTS)}, \`RemoveTargets\`, \`PutTargets\` on the stack's rules; ` +
    "`DeleteTopic`, `SetTopicAttributes`, `RemovePermission`, `Unsubscribe` on its topics; `DeleteAlarms`, `DisableAlarmActions`, " +
    `\`PutMetricAlarm\` on its alarms; \`DeleteSchedule\`, \`UpdateSchedule\` on any schedule of the region; ${NOT_DEPLOY}`;

/** Task rules, once per task: the backup's and the restore drill's. */
export const TASK_RULES = [
    { task: "backup", what: "The backup task", runbook: RUNBOOKS.backupFailed, severity: "page" },
    { task: "restore-drill", what: "The restore drill task", runbook: RUNBOOKS.drillFailed, severity: "next business day" },
] as const satisfies readonly { task: string; what: string; runbook: Runbook; severity: Severity }[];

export const EVENT_RULES: readonly EventRuleRow[] = [
    ...TASK_RULES.flatMap(({ task, what, runbook, severity }): EventRuleRow[] => [
        {
            kind: "event rule",
            name: `${task}-task-failed`,
            when: "only once the backup job is wired",
            event: TASK_FAILED,
            description: `${what} stopped with a non-zero exit code.`,
            runbook,
            severity,
        },
        {
            kind: "event rule",
            name: `${task}-task-failed-to-start`,
            when: "only once the backup job is wired",
            event: TASK_FAILED_TO_START,
            description: `${what} never started (TaskFailedToStart: image, secrets, network or capacity).`,
            runbook,
            severity,
        },
    ]),
    ...(
        [
            ["tampering", "always; in the primary region"],
            ["replica-tampering", "only with an off-site replica; in the replica's region, to its topic"],
        ] as const
    ).flatMap(([prefix, when]): EventRuleRow[] => [
        {
            kind: "event rule",
            name: `${prefix}-keys`,
            when,
            event: KEY_TAMPERING,
            description:
                "Someone but the deploy role deleted, disabled, re-granted, re-aliased or changed the policy or rotation of a backup or alerts KMS key (CloudTrail).",
            runbook: RUNBOOKS.tampering,
            severity: "page",
        },
        {
            kind: "event rule",
            name: `${prefix}-buckets`,
            when,
            event: BUCKET_TAMPERING,
            description:
                "Someone but the deploy role changed the policy, lifecycle, replication, lock, versioning, encryption, ownership or public access of a backup bucket.",
            runbook: RUNBOOKS.tampering,
            severity: "page",
        },
        {
            kind: "event rule",
            name: `${prefix}-alerting`,
            when,
            event: ALERTING_TAMPERING,
            description:
                "Someone but the deploy role stopped a trail or changed this stack's rules, topics, subscriptions or alarms, or a schedule (CloudTrail).",
            runbook: RUNBOOKS.alertTampering,
            severity: "page",
        },
    ]),
    {
        kind: "event rule",
        name: "tampering-roles",
        when: "always; in us-east-1 (IAM's events arrive only there), to the `<stack>-iam` topic",
        event:
            `CloudTrail ${names(ROLE_TAMPERING_EVENTS)} on the job's roles, the replication role, the break-glass role (by name: creating it too) and ` +
            `the deploy role, ${NOT_DEPLOY}`,
        description: "Someone but the deploy role changed, created or deleted a role the backups or the alerts rely on, or the break-glass role (CloudTrail).",
        runbook: RUNBOOKS.roleTampering,
        severity: "page",
    },
    {
        kind: "event rule",
        name: "alarm-drill",
        when: "always; in the primary region",
        event: "custom events of source `<stack>.alarm-drill`, detail type `Alarm drill` (sent by `npm run alarm-drill`)",
        description: "The monthly alarm drill (npm run alarm-drill): a test event sent through EventBridge to both channels.",
        runbook: RUNBOOKS.alarmDrill,
        severity: "page",
    },
];
