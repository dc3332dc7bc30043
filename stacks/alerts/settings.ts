// The alerts' settings: where runbooks live, what the uptime check requests, and the thresholds of
// the backup, replication and error-log alarms. Recipients are `alertEmails` (stacks/settings/core.ts).
import { isValidName } from "../../job/src/storage/ids.js";
import { defineArea, integer, list, text, type RelationProblem, type Values } from "../settings/spec.js";
import { checkCheckerRegions } from "./checks.js";
import { checkHttpsUrl } from "../settings/checks.js";
import { longestScheduleGapMinutes } from "../backupJob/schedule.js";

/** One hour on top of the schedule's longest gap: the run itself, a cold Neon compute, a clock change. */
export const BACKUP_MISSING_MARGIN_HOURS = 1;

export const alertsArea = defineArea({
    name: "alerts",
    settings: {
        runbookBaseUrl: text({
            // Every alert's text ends with the link, and Sentry rule names hold at most 256 characters.
            check: (value) =>
                checkHttpsUrl(value) ?? (value.length > 100 ? "must be at most 100 characters: every alert's text ends with a link under it" : undefined),
            allowed: "an https:// URL of the repository's runbooks/ folder, at most 100 characters",
            description: "https:// URL of the runbooks/ folder; every alarm and Sentry rule links to <runbookBaseUrl>/<runbook>.md.",
            why: "No default: a guessed link that opens nothing is worse than none. Point it at runbooks/ on the default branch of this repository.",
        }),
        healthCheckUrl: text({
            check: checkHttpsUrl,
            allowed: "an https:// URL of the app's health endpoint",
            description: "https:// URL of the app's public health endpoint, checked by Route 53 from several regions.",
            why: "No default: each stack checks its own app. https so the certificate's expiry takes the site down in the check as it does for guests.",
        }),
        healthCheckSearchString: text({
            default: "ok",
            check: (value) => (value.length >= 1 && value.length <= 255 ? undefined : "must be 1-255 characters (Route 53's limit)"),
            allowed: "1–255 characters the health response's first 5120 bytes must contain",
            description: "Text the health response must contain (in its first 5120 bytes) to count as up.",
            why: "A 200 from a proxy's error page is not the app: the check also needs the app's own answer.",
        }),
        healthCheckRegions: list({
            default: ["eu-west-1", "us-east-1", "us-west-2"],
            check: checkCheckerRegions,
            allowed: "at least 3 distinct Route 53 checker regions",
            description: "Route 53 checker regions the health check runs from (at least 3).",
            why:
                "Route 53 needs at least three. Its only EU checker region is Ireland; the others are the nearest to Europe that AWS offers. A check " +
                "carries no guest data.",
        }),
        backupDatabaseName: text({
            default: "neondb",
            // The backup job names its backups after it (validateName): a name it cannot use would fail every backup.
            check: (value) =>
                value.length <= 63 && isValidName(value)
                    ? undefined
                    : 'must be a database name of 1-63 letters, digits, "_", "." and "-", starting with a letter or digit (the backups are named after it)',
            allowed: "the database named in `databaseUrl`",
            description:
                "Database name in databaseUrl; the backup job reports its metrics with it as the Database dimension, names its backups after it, and the " +
                "weekly drill verifies the newest backup of that name.",
            why:
                "Neon's default database. The backup alarms watch the job's metrics for this dimension only; `pulumi up` refuses a name that differs from " +
                "`databaseUrl`'s.",
        }),
        backupMissingAfterHours: integer({
            default: 25,
            min: 2,
            max: 168,
            rangeReason: " (CloudWatch evaluates at most 7 days)",
            allowed: `2–168, at least the longest gap between two runs of \`backupSchedule\` plus ${BACKUP_MISSING_MARGIN_HOURS} hour`,
            description: "Hours without a successful backup before the backup-missing alarm fires.",
            why: "A daily schedule's 24 hours plus one for the run itself: a single missed night pages before the next business day.",
        }),
        drillMissingAfterDays: integer({
            default: 7,
            min: 1,
            max: 7,
            rangeReason: " (CloudWatch evaluates at most 7 days)",
            description: "Days without a successful restore drill (verify) before the drill-missing alarm fires.",
            why: "The drill runs weekly: a week without a passed drill means nobody knows whether the backups restore.",
        }),
        backupSizeAnomalyBand: integer({
            default: 2,
            min: 1,
            max: 10,
            description: "Width, in standard deviations, of the anomaly band under which a backup's size raises the size-anomaly alarm.",
            why: "Two standard deviations: a dump that suddenly shrinks (a dropped table, an empty schema, a wrong database) alarms, daily growth does not.",
        }),
        replicationLatencyMinutes: integer({
            default: 60,
            min: 1,
            max: 1440,
            description: "Minutes of S3 replication latency to the off-site replica before the replication-latency alarm fires.",
            why: "Without Replication Time Control most objects replicate in seconds to minutes; an hour behind means the off-site copy is not keeping up.",
        }),
        errorLogLinesPer5Minutes: integer({
            default: 10,
            min: 1,
            max: 100_000,
            description: "Error log lines in 5 minutes, across the drained log groups, that raise the error-log rate alarm.",
            why: "A few errors happen (a guest's bad input); ten in five minutes is a pattern worth a look.",
        }),
    },
    relations: (values) => {
        const problems: RelationProblem[] = [];
        const { backupMissingAfterHours } = values;
        const schedule = values["backupSchedule"] as string | undefined;
        const gap = schedule === undefined ? undefined : longestScheduleGapMinutes(schedule);
        if (backupMissingAfterHours !== undefined && gap !== undefined) {
            const needed = Math.ceil(gap / 60) + BACKUP_MISSING_MARGIN_HOURS;
            if (needed > 168) {
                problems.push({
                    setting: "backupMissingAfterHours",
                    value: backupMissingAfterHours,
                    allowed:
                        `cannot watch backupSchedule ${schedule}: it leaves ${gap / 60} hours between runs, and with the ${BACKUP_MISSING_MARGIN_HOURS}-hour ` +
                        `margin ` +
                        "that exceeds the 7 days CloudWatch evaluates; schedule backups more often than weekly",
                });
            } else if (backupMissingAfterHours < needed) {
                problems.push({
                    setting: "backupMissingAfterHours",
                    value: backupMissingAfterHours,
                    allowed:
                        `must be at least ${needed}: backupSchedule ${schedule} leaves up to ${gap / 60} hours between runs, ` +
                        `plus ${BACKUP_MISSING_MARGIN_HOURS} for the run, or the alarm pages for a backup that is not late`,
                });
            }
        }
        const databaseUrl = values["databaseUrl"] as string | undefined;
        const { backupDatabaseName } = values;
        // Only a real preview or update can read the URL; the message names neither value of the secret.
        if (databaseUrl !== undefined && backupDatabaseName !== undefined && URL.canParse(databaseUrl)) {
            const named = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
            if (named !== "" && named !== backupDatabaseName) {
                problems.push({
                    setting: "backupDatabaseName",
                    value: backupDatabaseName,
                    allowed:
                        "must be the database named in databaseUrl: the job reports its metrics under that name, and alarms watching another name would page " +
                        "every day",
                });
            }
        }
        return problems;
    },
});

export type AlertsSettings = Values<typeof alertsArea.settings>;
