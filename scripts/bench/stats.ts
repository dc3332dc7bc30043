// Small numeric and formatting helpers for the backup benchmark.

export function median(values: readonly number[]): number {
    if (values.length === 0) throw new Error("median of no values");
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function formatBytes(bytes: number): string {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let value = bytes;
    let unit = 0;
    while (Math.abs(value) >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit += 1;
    }
    return `${unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

export function formatSeconds(seconds: number): string {
    return `${seconds.toFixed(2)} s`;
}

/** Throughput in MiB/s of `bytes` moved in `seconds`. */
export function mibPerSecond(bytes: number, seconds: number): number {
    return seconds > 0 ? bytes / 1024 / 1024 / seconds : 0;
}

/** Median and range of a set of figures, e.g. the ratios of the alternating pairs. */
export interface Spread {
    median: number;
    min: number;
    max: number;
}

export function spread(values: readonly number[]): Spread {
    return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** ours[i] / baseline[i] for each pair run in the same round: the machine's load cancels within a pair. */
export function pairRatios(ours: readonly number[], baseline: readonly number[]): number[] {
    if (ours.length !== baseline.length || ours.length === 0)
        throw new Error(`pair ratios need as many runs on each side (got ${ours.length} and ${baseline.length})`);
    return ours.map((value, i) => value / (baseline[i] as number));
}

/** "1.083 (0.97-1.21)": median of the pairs, then their range. */
export function formatSpread(s: Spread, digits = 3): string {
    return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})`;
}

export interface BenchOptions {
    sizeGb: number;
    runs: number;
    keepDb: boolean;
    /** Skip the second table (s3rver and the peer pipeline): only the file:// backup and restore pairs. */
    skipS3: boolean;
    /** Extra arguments for our `backup` command, e.g. `--part-size-mib=8` for tuning. */
    backupArgs: string[];
    help: boolean;
}

export const BENCH_USAGE = `Usage: npm run bench:backup -- [--size-gb N] [--runs N] [--keep-db] [--skip-s3] [--backup-arg=--OPTION[=VALUE] ...]

Times the backup job against bare pipelines in the same run, in alternating pairs, and prints the
ratios (median of the pairs and their range). A measurement script, not a test.

  --size-gb N      about N GB of generated COPY text in bench_1x (0.01-50; default 1); bench_2x is twice that
  --runs N         rounds of pairs (1-20; default 3)
  --keep-db        keep the generated cluster in $TMPDIR/backup-bench-cluster-<N>gb and reuse it next time
  --skip-s3        only the file:// table (backup and restore pairs): no s3rver, no peer pipeline
  --backup-arg A   pass option A to our backup runs, e.g. --backup-arg=--part-size-mib=16
  --help           print this help

(npm itself answers \`npm run bench:backup --help\`: put -- before the benchmark's options.)`;

/** Parses the benchmark's command line; errors name the option, the bad value and what is allowed. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
    const options: BenchOptions = { sizeGb: 1, runs: 3, keepDb: false, skipS3: false, backupArgs: [], help: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i] as string;
        const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
        const value = () => {
            const v = inline ?? argv[++i];
            if (v === undefined) throw new Error(`${name} needs a value`);
            return v;
        };
        switch (name) {
            case "--size-gb": {
                const v = value();
                const n = Number(v);
                if (!Number.isFinite(n) || n < 0.01 || n > 50) throw new Error(`--size-gb ${v}: expected a number from 0.01 to 50`);
                options.sizeGb = n;
                break;
            }
            case "--runs": {
                const v = value();
                const n = Number(v);
                if (!Number.isInteger(n) || n < 1 || n > 20) throw new Error(`--runs ${v}: expected a whole number from 1 to 20`);
                options.runs = n;
                break;
            }
            case "--keep-db":
            case "--skip-s3":
            case "--help":
            case "-h":
                if (inline !== undefined) throw new Error(`${name} takes no value (got ${inline})`);
                if (name === "--keep-db") options.keepDb = true;
                else if (name === "--skip-s3") options.skipS3 = true;
                else options.help = true;
                break;
            case "--backup-arg": {
                const v = value();
                if (!v.startsWith("--")) throw new Error(`--backup-arg ${v}: expected an option of the backup command, e.g. --backup-arg=--part-size-mib=8`);
                options.backupArgs.push(v);
                break;
            }
            default:
                throw new Error(`unknown argument ${arg}: allowed are --size-gb N, --runs N, --keep-db, --skip-s3, --backup-arg=--OPTION[=VALUE], --help`);
        }
    }
    return options;
}

/** The format given to GNU time (`/usr/bin/time -f`), parsed back by parseRusage. */
export const RUSAGE_FORMAT = "BENCH_RUSAGE %e %U %S %M";

export interface Rusage {
    /** User + system CPU of the command and every descendant it waited for. */
    cpuSeconds: number;
    /** Largest peak RSS of any single process among them (getrusage ru_maxrss), exact rather than sampled. */
    maxRssBytes: number;
}

/** Finds the last RUSAGE_FORMAT line in a command's stderr. */
export function parseRusage(stderr: string): Rusage | undefined {
    const lines = [...stderr.matchAll(/^BENCH_RUSAGE ([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/gm)];
    const last = lines.at(-1);
    if (!last) return undefined;
    return { cpuSeconds: Number(last[2]) + Number(last[3]), maxRssBytes: Number(last[4]) * 1024 };
}

export interface CpuBudgetInput {
    cores: number;
    /** (a)'s median wall time: the limit. */
    limitSeconds: number;
    /** The target for (c)/(a), e.g. 1.15. */
    targetRatio: number;
    /** CPU of every process (a) kept busy, PostgreSQL server included: median over runs. */
    limitCpuSeconds: number;
    /** The same for (c), the S3 server included. */
    oursCpuSeconds: number;
    /** The S3 server's share of oursCpuSeconds. */
    s3ServerCpuSeconds: number;
}

export interface CpuBudget {
    /** CPU seconds `cores` can give within targetRatio x (a). */
    capacityAtTarget: number;
    /** (a)'s work plus the S3 server's: what (c) would need if the job cost nothing beyond (a). */
    limitPlusS3Server: number;
    /** (c)'s shortest possible wall time with every core busy all the time: its CPU / cores. */
    shortestSeconds: number;
    shortestRatio: number;
}

/**
 * Whether the target can be met on this machine at all: (c) cannot finish sooner than its CPU
 * divided by the cores, however well the work is spread; if that already exceeds the target,
 * no change to the job alone can meet it here.
 */
export function cpuBudget(input: CpuBudgetInput): CpuBudget {
    const shortestSeconds = input.oursCpuSeconds / input.cores;
    return {
        capacityAtTarget: input.cores * input.targetRatio * input.limitSeconds,
        limitPlusS3Server: input.limitCpuSeconds + input.s3ServerCpuSeconds,
        shortestSeconds,
        shortestRatio: shortestSeconds / input.limitSeconds,
    };
}
