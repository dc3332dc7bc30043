// The scheduled backup job's settings: when it runs and which database it dumps.
import { defineArea, text } from "./settings/spec.js";
import { checkDatabaseUrl, checkScheduleExpression, checkTimeZone } from "./settings/validators.js";

export const backupJobArea = defineArea({
    name: "backupJob",
    settings: {
        backupSchedule: text({
            default: "cron(0 2 * * ? *)",
            check: checkScheduleExpression,
            allowed:
                "EventBridge Scheduler `cron(min hour day-of-month month day-of-week year)` with exactly one of the day fields `?` (a day-of-week with `#`, such as `2#1`, takes one expression, not a list), or `rate(N minute(s)/hour(s)/day(s))` (singular unit only for 1). One-time `at()` is refused.",
            description: "EventBridge Scheduler expression for the backup job, cron(min hour dom month dow year) or rate(N unit).",
            why: "Daily at 02:00 UTC, the original cron job's `0 2 * * *`: 03:00 or 04:00 in Paris, before the hotels' day starts.",
        }),
        backupScheduleTimezone: text({
            default: "UTC",
            check: checkTimeZone,
            allowed: "an IANA time-zone name, spelled exactly (e.g. `Europe/Paris`), not an offset",
            description: "IANA time zone the backup cron expression is read in.",
            why: "UTC has no daylight saving, so the run is never skipped or doubled when clocks change.",
        }),
        databaseUrl: text({
            secret: true,
            check: checkDatabaseUrl,
            allowed: "a `postgres://` or `postgresql://` URL with host and database, on Neon's direct endpoint (not a `-pooler` host); must be a secret",
            description:
                "postgres:// URL of the database to back up, on its direct (not -pooler) endpoint; from the stack's ESC environment or `pulumi config set --secret`.",
            why: "What the backup job dumps. pg_dump's session settings break a transaction-mode PgBouncer, so the pooled endpoint is refused.",
        }),
    },
});
