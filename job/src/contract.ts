// The names the Pulumi program (stacks/) and the backup job must agree on, declared once and imported
// by both: the environment the task definitions set, the metrics the job emits and the alarms and
// dashboard read, the Sentry monitor's slug, the exit codes. The job image is built from job/ alone
// and must never load Pulumi, so this module imports nothing.

/** Environment variables the task definitions set and the job reads. */
export const JOB_ENV = {
    /** Connection string of the database to dump (a Secrets Manager secret in the task). */
    databaseUrl: "DATABASE_URL",
    /** The restore drill's scratch server (a secret in the drill task). */
    scratchDatabaseUrl: "SCRATCH_DATABASE_URL",
    /** s3://bucket/prefix the job writes to and the drill reads from. */
    target: "BACKUP_TARGET",
    /** The key uploads name explicitly, as the bucket policy requires. */
    kmsKeyArn: "BACKUP_KMS_KEY_ARN",
    maxRuntimeSeconds: "BACKUP_MAX_RUNTIME_SECONDS",
    requestTimeoutSeconds: "BACKUP_REQUEST_TIMEOUT_SECONDS",
    lockWaitTimeoutSeconds: "BACKUP_LOCK_WAIT_TIMEOUT_SECONDS",
    /** The schedule's 5-field crontab and time zone, for the Sentry monitor's configuration. */
    schedule: "BACKUP_SCHEDULE",
    scheduleTimezone: "BACKUP_SCHEDULE_TIMEZONE",
    sentryDsn: "SENTRY_DSN",
    sentryMonitorSlug: "SENTRY_MONITOR_SLUG",
    sentryEnvironment: "SENTRY_ENVIRONMENT",
    sentryCheckinMarginMinutes: "SENTRY_CHECKIN_MARGIN_MINUTES",
    sentryMaxRuntimeMinutes: "SENTRY_MAX_RUNTIME_MINUTES",
    awsRegion: "AWS_REGION",
    /** "1" where CloudWatch Logs collects the job's Embedded Metric Format records (the task definitions): nowhere else. */
    emfMetrics: "BACKUP_EMF_METRICS",
} as const;

/**
 * A backup name: the stack passes one to the backup and the drill (--name, the backupDatabaseName
 * setting) and the job names its backups' ids after it, so both check it alike.
 */
export function isValidBackupName(name: string): boolean {
    return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(name);
}

/** The CloudWatch namespace of the job's metrics (Embedded Metric Format log lines). */
export const METRIC_NAMESPACE = "HotelGenius/Backup";
/** The one dimension of every metric: the database's name. */
export const METRIC_DIMENSION = "Database";

export type MetricUnit = "Count" | "Seconds" | "Bytes";

/**
 * The job's metrics and their units. Besides these, a successful backup reports each stage's duration
 * as `<Stage>Duration` in seconds (stageMetricName).
 */
export const METRICS = {
    /** 1 for a successful backup, 0 for a failed one. */
    BackupSuccess: "Count",
    BackupDuration: "Seconds",
    /** Compressed size of a successful backup. */
    BackupBytes: "Bytes",
    /** 1 for a passed restore drill, 0 for a failed one. */
    VerifySuccess: "Count",
    VerifyDuration: "Seconds",
} as const satisfies Record<string, MetricUnit>;

export type MetricName = keyof typeof METRICS;

/** Stage name -> metric name: "Dump" -> "DumpDuration" (unit Seconds). */
export function stageMetricName(stage: string): string {
    return `${stage}Duration`;
}

/** The Sentry cron monitor the backup job checks in to, unless SENTRY_MONITOR_SLUG says otherwise. */
export const SENTRY_MONITOR_SLUG = "database-backup";

/** Exit codes of the backup job; the README, the runbooks and the alarms depend on these numbers. */
export const ExitCode = {
    Ok: 0,
    Internal: 1,
    Usage: 2,
    Connection: 3,
    Version: 4,
    Dump: 5,
    Storage: 6,
    Verification: 7,
    Restore: 8,
    Refused: 9,
    /** A table lock was not granted within --lock-wait-timeout (a migration?): retry later. */
    LockTimeout: 10,
    /** --max-runtime reached; the run was stopped as on SIGTERM. */
    TimedOut: 124,
    Interrupted: 130,
    Terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
