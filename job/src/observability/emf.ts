export const METRIC_NAMESPACE = "HotelGenius/Backup";

/**
 * The variable that switches the EMF metrics record on. Set only in the ECS task definitions, where
 * CloudWatch Logs collects it: a person at a terminal has no use for it, and guessing the environment
 * could silence BackupSuccess (and page the backup-missing alarm every night).
 */
export const EMF_METRICS_VARIABLE = "BACKUP_EMF_METRICS";

export function emfMetricsEnabled(env: NodeJS.ProcessEnv): boolean {
    return env[EMF_METRICS_VARIABLE] === "1";
}

export type Unit = "Count" | "Seconds" | "Bytes";

export interface Metric {
    name: string;
    unit: Unit;
    value: number;
}

/**
 * One CloudWatch Embedded Metric Format record: CloudWatch Logs extracts the metrics from the log
 * line itself, so the job needs no PutMetricData permission.
 */
export function emfRecord(database: string, metrics: Metric[], timestamp: Date): Record<string, unknown> {
    const record: Record<string, unknown> = {
        _aws: {
            Timestamp: timestamp.getTime(),
            CloudWatchMetrics: [
                {
                    Namespace: METRIC_NAMESPACE,
                    Dimensions: [["Database"]],
                    Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
                },
            ],
        },
        Database: database,
    };
    for (const m of metrics) record[m.name] = m.value;
    return record;
}

/** Stage name -> metric name: "Dump" -> "DumpDuration". */
export function stageMetrics(stages: Record<string, number>): Metric[] {
    return Object.entries(stages).map(([stage, seconds]) => ({ name: `${stage}Duration`, unit: "Seconds" as const, value: round3(seconds) }));
}

export function round3(n: number): number {
    return Math.round(n * 1000) / 1000;
}
