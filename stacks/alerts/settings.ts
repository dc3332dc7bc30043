// The alerts' settings: where runbooks live, the second channel, what the uptime check requests, and
// the thresholds of the backup, restore-time, replication and error-log alarms. The first channel's
// recipients are `alertEmails` (stacks/settings/core.ts).
import { isValidBackupName } from "../../job/src/contract.js";
import { defineArea, integer, list, text, type RelationProblem, type Values } from "../settings/spec.js";
import { checkCheckerRegions, checkPagerEndpoint, checkPagerIndependent } from "./checks.js";
import { checkHttpsUrl } from "../settings/checks.js";

/** The share of the restore-time budget at which the restore-time warning fires: time to act before the budget is spent. */
export const RESTORE_TIME_WARNING_SHARE = 0.8;

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
        pagerEndpoint: text({
            check: checkPagerEndpoint,
            allowed:
                "an https:// URL of the on-call service's SNS integration, an SMS number in E.164 form (+33612345678), or an email address on another " +
                "domain than alertEmails",
            description:
                "Second, independent alert channel (one per region: primary, replica, us-east-1): delivery-failure alarms and the most severe alarms and " +
                "rules notify it.",
            why:
                "No default: a page that never arrives is worse than none, and alertEmails alone cannot tell anyone that their own delivery failed. An " +
                "on-call service's HTTPS integration (PagerDuty, Opsgenie, Better Stack…) is best: it pages a phone and escalates.",
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
                value.length <= 63 && isValidBackupName(value)
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
            // backupJob/settings.ts checks it against the schedule it watches, beside the schedule's cron logic.
            allowed: "2–168, at least the longest gap between two runs of `backupSchedule` plus 1 hour",
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
        restoreTimeObjectiveMinutes: integer({
            default: 60,
            min: 5,
            max: 1440,
            description:
                "Recovery time budget for the restore itself, in minutes: the restore-time alarm fires when a restore drill's VerifyDuration exceeds it, " +
                `the restore-time warning at ${RESTORE_TIME_WARNING_SHARE * 100}% of it.`,
            why:
                "One hour: front desks can check guests in on paper for about that long, and the restore is only part of a recovery (deciding, repointing " +
                "the app, checking). The drill restores the same dump a disaster would, so its time is the promise's measure.",
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
        appErrorLinesPer5Minutes: integer({
            default: 10,
            min: 1,
            max: 100_000,
            description: "The app's error log lines in 5 minutes, counted by the Railway log forwarder (AppErrorLines), that raise the app-error-rate alarm.",
            why: "As for the AWS-side logs: a few errors happen, ten in five minutes is a pattern. Tune it from the dashboard after a few weeks.",
        }),
    },
    relations: (values) => {
        const problems: RelationProblem[] = [];
        const alertEmails = values["alertEmails"] as string[] | undefined;
        const { pagerEndpoint } = values;
        const dependent = pagerEndpoint === undefined || alertEmails === undefined ? undefined : checkPagerIndependent(pagerEndpoint, alertEmails);
        if (dependent !== undefined) problems.push({ setting: "pagerEndpoint", value: pagerEndpoint, allowed: dependent });
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
