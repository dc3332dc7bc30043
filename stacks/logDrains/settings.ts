// The log drains' settings: where the JSON log lines go (a log service over HTTPS, or only the S3
// archive), how Firehose buffers and retries, how long the archive keeps them, and which app log
// groups are drained besides the backup job's.
import type * as pulumi from "@pulumi/pulumi";
import { ARCHIVE_STORAGE_CLASSES, type ArchiveStorageClass, lifecycleOrderProblems, MAX_DAYS } from "../shared/lifecycle.js";
import { defineArea, integer, list, oneOf, text, type RelationProblem, type Values } from "../settings/spec.js";
import { checkLogGroupList, checkLogGroupName, checkLogServiceEndpoint } from "./checks.js";
import { checkLogRetentionDays, LOG_RETENTION_DAYS } from "../shared/logRetention.js";

export const logDrainsArea = defineArea({
    name: "logDrains",
    settings: {
        logServiceEndpoint: text({
            optional: true,
            check: checkLogServiceEndpoint,
            allowed:
                "an https:// URL of a Firehose HTTP endpoint intake (Better Stack, Datadog, ...), without credentials; unset: logs go to the S3 archive only",
            description: "HTTPS intake URL of the log service the drain delivers to; unset delivers to the S3 log archive only.",
            why:
                "No default: the intake URL depends on the chosen service and account (Datadog EU: " +
                "`https://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input`; Better Stack gives one per source). Unset, every line is still archived in " +
                "S3.",
        }),
        logServiceAccessKey: text({
            optional: true,
            secret: true,
            allowed: "the log service's API key or source token, as a secret; required when `logServiceEndpoint` is set",
            description: "API key or source token of the log service; stored in Secrets Manager for Firehose. Required with logServiceEndpoint.",
            why: 'Firehose reads it from Secrets Manager (`{"api_key": ...}`), so it never appears in the delivery stream\'s configuration or the plan.',
        }),
        logBufferingSizeMb: integer({
            default: 1,
            min: 1,
            max: 64,
            rangeReason: " (Firehose's HTTP endpoint limit)",
            description: "MiB Firehose buffers before delivering a batch of log lines (1-64).",
            why: "Log lines are small: the smallest buffer delivers by time, not size, so lines are searchable within the buffering interval.",
        }),
        logBufferingIntervalSeconds: integer({
            default: 60,
            min: 0,
            max: 900,
            rangeReason: " (Firehose's limit)",
            description: "Seconds Firehose buffers before delivering a batch of log lines (0-900).",
            why:
                "A minute from a log line to the log service and the archive, at about 1,440 archive objects a day per stream; Firehose's own default, 300 " +
                "s, makes incidents wait five minutes for their logs.",
        }),
        logServiceRetrySeconds: integer({
            default: 3600,
            min: 0,
            max: 7200,
            rangeReason: " (Firehose's limit)",
            description: "Seconds Firehose keeps retrying the log service before writing a batch to the archive's error prefix (0-7200).",
            why:
                "Rides out an hour-long log service outage. Every line is archived in S3 anyway (all records are backed up), so retries only decide whether " +
                "the service receives it late or never.",
        }),
        logArchiveTransitionDays: integer({
            default: 90,
            min: 1,
            max: MAX_DAYS,
            description: "Days after creation an archived log object moves to logArchiveStorageClass.",
            why: "Logs are read during incidents and audits of the last quarter; older ones are kept for the record at archive prices.",
        }),
        logArchiveStorageClass: oneOf(ARCHIVE_STORAGE_CLASSES, {
            default: "GLACIER" as ArchiveStorageClass,
            description: "Storage class archived logs move to, GLACIER_IR, GLACIER or DEEP_ARCHIVE.",
            why: "Glacier Flexible Retrieval: old logs are almost never read, and a restore request of minutes to hours is acceptable for an audit.",
        }),
        logArchiveExpirationDays: integer({
            default: 400,
            min: 1,
            max: MAX_DAYS,
            allowed: "a whole number from 1 to 36500, greater than `logArchiveTransitionDays`",
            description: "Days after creation an archived log object is deleted; after logArchiveTransitionDays.",
            why:
                "A year and a month: a full booking season plus the yearly audit. Logs hold guests' personal data, so they are not kept longer than needed " +
                "(GDPR storage limitation).",
        }),
        logRetentionDays: integer({
            default: 90,
            min: 1,
            max: 3653,
            check: checkLogRetentionDays,
            allowed: `one of the periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(", ")}`,
            description: "Days CloudWatch Logs keeps the log group of the drain's own delivery errors.",
            why: "A quarter of Firehose delivery errors is enough to investigate a gap in the archive or the log service.",
        }),
        appLogGroups: list({
            optional: true,
            item: checkLogGroupName,
            check: checkLogGroupList,
            allowed: "a list of existing CloudWatch Logs log group names, distinct; each may have at most one other subscription filter",
            description:
                "CloudWatch Logs log groups of the app, besides the backup job's, drained to the log service and archive and counted by the level metric " +
                "filters.",
            why:
                "Unset: only the backup job's log group is drained from CloudWatch; the Railway app ships its own lines through the Vector forwarder " +
                "(deploy/vector/).",
        }),
    },
    relations: (values, context) => {
        const problems: RelationProblem[] = [];
        const { logServiceEndpoint: endpoint, logServiceAccessKey: key } = values;
        // A refused endpoint or key was reported already: only a setting truly left unset is missing.
        if (endpoint !== undefined && !context.isSet("logServiceAccessKey")) {
            problems.push({
                setting: "logServiceAccessKey",
                value: undefined,
                allowed:
                    `required when ${context.keyOf("logServiceEndpoint")} is set: \`pulumi config set --secret logServiceAccessKey <key>\` (Firehose ` +
                    `reads it from Secrets Manager)`,
            });
        }
        if (key !== undefined && !context.isSet("logServiceEndpoint")) {
            problems.push({
                setting: "logServiceAccessKey",
                value: key,
                allowed: `is set but ${context.keyOf("logServiceEndpoint")} is not: set the endpoint too, or remove the key`,
            });
        }
        const order = lifecycleOrderProblems(
            { transitionToArchiveDays: values.logArchiveTransitionDays, expirationDays: values.logArchiveExpirationDays },
            context.keyOf,
        );
        for (const problem of order) problems.push({ ...problem, setting: "logArchiveExpirationDays" });
        return problems;
    },
});

type LogDrainValues = Values<typeof logDrainsArea.settings>;

export interface LogDrainSettings extends Omit<LogDrainValues, "logServiceEndpoint" | "logServiceAccessKey" | "appLogGroups"> {
    /** Unset: the drain delivers straight to the archive bucket. */
    logService?: { endpoint: string; accessKey: pulumi.Output<string> };
    appLogGroups: readonly string[];
}

export function logDrainSettings(values: LogDrainValues, secret: (value: string) => pulumi.Output<string>): LogDrainSettings {
    const { logServiceEndpoint, logServiceAccessKey, appLogGroups, ...rest } = values;
    const logService =
        logServiceEndpoint !== undefined && logServiceAccessKey !== undefined
            ? { endpoint: logServiceEndpoint, accessKey: secret(logServiceAccessKey) }
            : undefined;
    return { ...rest, ...(logService ? { logService } : {}), appLogGroups: appLogGroups ?? [] };
}
