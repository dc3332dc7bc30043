// The log metrics' names: the log drains' metric filters and the Railway forwarder create them, the
// alerts alarm on them.
/** What the monitoring area alarms on: one metric per level, counted across the drained log groups. */
export const LOG_METRIC_NAMESPACE = "HotelGenius/Logs";
export const LOG_LEVEL_METRICS = { error: "ErrorLogLines", warn: "WarnLogLines" } as const;
export type CountedLevel = keyof typeof LOG_LEVEL_METRICS;
/**
 * What the Railway forwarder (deploy/vector/vector.yaml) counts from the app's lines, which no
 * metric filter sees: its error lines, and among them those saying the database timed out
 * (stacks/shared/databaseTimeouts.ts). Dimensionless, in the same namespace.
 */
export const APP_ERROR_METRICS = { errors: "AppErrorLines", databaseTimeouts: "DatabaseTimeoutLines" } as const;
