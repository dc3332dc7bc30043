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

export interface BenchOptions {
    sizeGb: number;
    runs: number;
    keepDb: boolean;
    /** Extra arguments for our `backup` command, e.g. `--part-size-mib=8` for tuning. */
    backupArgs: string[];
}

export const BENCH_USAGE = `usage: npm run bench:backup -- [--size-gb N] [--runs N] [--keep-db] [--backup-arg=--OPTION[=VALUE] ...]
  --size-gb N       COPY text to generate for the 1x database, 0.01 to 50 (default 1; the 2x database adds as much)
  --runs N          timed runs of each pipeline, 1 to 20 (default 3)
  --keep-db         keep the generated PostgreSQL cluster in the OS temp directory for the next run
  --backup-arg ARG  an option passed to our backup command, e.g. --backup-arg=--part-size-mib=8 (repeatable)
  --help            print this help
Times bare pg_dump | zstd, the peer pipeline and the backup job on a generated database (docs/backup-job-benchmark.md).`;

/** Parses the benchmark's command line ("help" for --help); errors name the option, the bad value and what is allowed. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | "help" {
    const options: BenchOptions = { sizeGb: 1, runs: 3, keepDb: false, backupArgs: [] };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i] as string;
        const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
        const value = () => {
            const v = inline ?? argv[++i];
            if (v === undefined) throw new Error(`${name} needs a value`);
            return v;
        };
        switch (name) {
            case "--help":
            case "-h":
                return "help";
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
                if (inline !== undefined) throw new Error(`--keep-db takes no value (got ${inline})`);
                options.keepDb = true;
                break;
            case "--backup-arg": {
                const v = value();
                if (!v.startsWith("--")) throw new Error(`--backup-arg ${v}: expected an option of the backup command, e.g. --backup-arg=--part-size-mib=8`);
                options.backupArgs.push(v);
                break;
            }
            default:
                throw new Error(`unknown argument ${arg}: allowed are --size-gb N, --runs N, --keep-db, --backup-arg=--OPTION[=VALUE], --help`);
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
