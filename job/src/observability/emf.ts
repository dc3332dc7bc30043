import { JOB_ENV, METRIC_DIMENSION, METRIC_NAMESPACE, METRICS, type MetricName, type MetricUnit, stageMetricName } from "../contract.js";
import type { Variables } from "../environment.js";

/**
 * The EMF metrics record is written only when JOB_ENV.emfMetrics is "1": the ECS task definitions set it, where
 * CloudWatch Logs collects the record. A person at a terminal has no use for it, and guessing the environment
 * could silence BackupSuccess (and page the backup-missing alarm every night).
 */
export function emfMetricsEnabled(env: Variables): boolean {
    return env[JOB_ENV.emfMetrics] === "1";
}

export interface Metric {
    name: string;
    unit: MetricUnit;
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
                    Dimensions: [[METRIC_DIMENSION]],
                    Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
                },
            ],
        },
        [METRIC_DIMENSION]: database,
    };
    for (const m of metrics) record[m.name] = m.value;
    return record;
}

/** One of the contract's metrics, with its declared unit. */
export function metric(name: MetricName, value: number): Metric {
    return { name, unit: METRICS[name], value };
}

/** Each stage's duration in seconds, named as the contract says ("Dump" -> "DumpDuration"). */
export function stageMetrics(stages: Record<string, number>): Metric[] {
    return Object.entries(stages).map(([stage, seconds]) => ({ name: stageMetricName(stage), unit: "Seconds" as const, value: round3(seconds) }));
}

export function round3(n: number): number {
    return Math.round(n * 1000) / 1000;
}
