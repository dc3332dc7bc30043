// CloudWatch Logs retention periods, for every log group the stack creates or drains.

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export function checkLogRetentionDays(value: number): string | undefined {
    if (LOG_RETENTION_DAYS.includes(value)) return undefined;
    const nearest = LOG_RETENTION_DAYS.reduce((best, days) => (Math.abs(days - value) < Math.abs(best - value) ? days : best));
    return `must be one of the periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(", ")} (nearest: ${nearest})`;
}
