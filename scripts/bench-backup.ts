// Benchmark of the backup job (issues 3 and 24): `npm run bench:backup -- --help` for the options.
//
// Builds a database of realistic, not trivially compressible data, then, in each round:
//   backup pair (order alternating): bare `pg_dump -Fc -Z0 | zstd -3 > file` against our `backup` to a
//     `file://` directory on the same disk (the compiled CLI, as the container runs it);
//   restore runs (order reversed every other round), each into a fresh database: bare
//     `zstd -dc file | pg_restore --single-transaction` against our `restore --from file://` by default
//     (--checksum-pass auto, which reads the dump once from the benchmark's private folder) and with
//     --checksum-pass always (read twice);
//   second table (unless --skip-s3): (a) the bare pipeline to /dev/null, (b) the usual peer pipeline
//     (`pg_dump -Fc` to a temporary file, then upload it), (c) our `backup` to the local S3 server,
//     (d) our `restore` of (c)'s backup from it, by default (auto: s3rver keeps no object versions,
//     so the pass runs) and with --checksum-pass never, against the bare restore of the same dump
//     from a local file.
// Ratios are taken within each pair (the machine's load moves both sides of a pair alike) and printed
// as the median of the pairs with their range. It samples our process tree for peak RSS, bytes
// written and files held open for writing, repeats the backup pairs on a database twice the size,
// and removes everything it started (PostgreSQL cluster, s3rver, files) at the end, also on failure;
// --keep-db keeps the generated cluster in the OS temp directory for the next run.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem, tmpdir } from "node:os";
import { join } from "node:path";
import { JOB_ENV } from "../job/src/contract.js";
import { startPostgres, type PgCluster } from "../job/tools/servers/postgres.js";
import { treeCpuSeconds } from "../job/tools/servers/proc.js";
import { startS3, type S3Server } from "../job/tools/servers/s3.js";
import { fillDatabase, type GeneratedTable } from "./bench/datagen.js";
import { sampleTree, type TreeUsage } from "./bench/sampler.js";
import {
    BENCH_USAGE,
    cpuBudget,
    formatBytes,
    formatSeconds,
    formatSpread,
    median,
    mibPerSecond,
    pairRatios,
    parseBenchArgs,
    parseRusage,
    RUSAGE_FORMAT,
    spread,
    type BenchOptions,
} from "./bench/stats.js";

const REPO_ROOT = join(__dirname, "..");
/** The job's defaults, passed explicitly so (a) and (c) compress identically. */
const ZSTD_LEVEL = 3;
const ZSTD_THREADS = 1;
const BUCKET = "bench";
/** Issue 24's targets, each a ratio to its bare baseline in the same run. */
const TARGET_RATIO = 1.15;
const TARGET_RATIO_2X = 1.1;
const RESTORE_WALL_RATIO = 1.1;
const RESTORE_CPU_RATIO = 1.5;

interface Run {
    seconds: number;
    bytes: number;
    /** CPU seconds of the command's whole process tree (GNU time), when /usr/bin/time exists. */
    cpuSeconds?: number;
}

/** (a) and (c): the runs whose whole CPU, the server's included, goes into the CPU budget. */
interface BudgetedRun extends Run {
    /** CPU the PostgreSQL server spent meanwhile (pg_dump's session, the row counts, background workers). */
    databaseCpuSeconds: number;
}

interface PeerRun extends Run {
    dumpSeconds: number;
    uploadSeconds: number;
    tempFileBytes: number;
    tempWriteBytes: number;
}

/** A command of the file:// table, bare or ours, timed with its whole process tree. */
interface TreeRun extends BudgetedRun {
    usage: TreeUsage;
    /** Largest peak RSS of one process of the tree (GNU time's ru_maxrss), else the sampled VmHWM. */
    peakRss: number;
}

interface OurRun extends BudgetedRun {
    usage: TreeUsage;
    /** The backup's manifest: its id and dump path feed the restore pair. */
    manifest: Record<string, unknown>;
    /** The job's own stage timings (its EMF record): Preflight, Dump, RowCount, Upload, Manifest. */
    stages: Record<string, number>;
    /** Peak RSS of our node process: exact from wait4 when GNU time wraps it, else the sampled VmHWM. */
    nodePeakRss: number;
    /** CPU the benchmark process spent meanwhile: almost all of it is s3rver receiving the upload. */
    serverCpuSeconds: number;
    /** Bytes found afterwards in the empty TMPDIR and working directory the CLI was given. */
    leftoverBytes: number;
}

function log(message: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function elapsed(start: bigint): number {
    return Number(process.hrtime.bigint() - start) / 1e9;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.once("error", reject);
        child.once("close", (code, signal) =>
            code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`${what} failed (${code ?? signal}): ${stderr.trim().slice(-2000)}`)),
        );
    });
}

const GNU_TIME = "/usr/bin/time";

/** Wraps a command in GNU time, when installed, for its tree's CPU time and exact peak RSS. */
function withRusage(command: string, args: string[]): [string, string[]] {
    return existsSync(GNU_TIME) ? [GNU_TIME, ["-f", RUSAGE_FORMAT, command, ...args]] : [command, args];
}

/**
 * Flushes dirty pages between runs, untimed: (b)'s 331 MiB temp file and s3rver's objects would
 * otherwise be written back to disk during whichever run comes next, on the same two cores.
 */
function flushWrites(): void {
    const result = spawnSync("sync", [], { stdio: "ignore" });
    if (result.status !== 0) throw new Error(`sync failed (${result.status ?? result.signal ?? result.error?.message})`);
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1e6;
}

function dirBytes(dir: string): number {
    let total = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        total += entry.isDirectory() ? dirBytes(path) : statSync(path).size;
    }
    return total;
}

class Bench {
    private readonly work = mkdtempSync(join(tmpdir(), "backup-bench-"));
    private cluster: PgCluster | undefined;
    private s3: S3Server | undefined;
    private cliPath = "";

    constructor(private readonly options: BenchOptions) {}

    private get pg(): PgCluster {
        if (!this.cluster) throw new Error("cluster not started");
        return this.cluster;
    }

    /** The postmaster's tree, ended sessions included; read before and after a run. */
    private databaseCpu(): number {
        const pid = Number(readFileSync(join(this.pg.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
        const seconds = treeCpuSeconds(pid);
        if (seconds === undefined) throw new Error(`the PostgreSQL server (pid ${pid}) is not running`);
        return seconds;
    }

    private get store(): S3Server {
        if (!this.s3) throw new Error("S3 server not started");
        return this.s3;
    }

    private pgEnv(): NodeJS.ProcessEnv {
        return { ...process.env, PGPASSWORD: this.pg.password };
    }

    /** Compiles the job the way the image does (tsc -p tsconfig.build.json), into the bench's own directory. */
    private buildCli(): void {
        const jobDir = join(this.work, "job");
        mkdirSync(jobDir);
        copyFileSync(join(REPO_ROOT, "job", "package.json"), join(jobDir, "package.json"));
        // One workspace install: the job's dependencies are hoisted into the repository's node_modules.
        symlinkSync(join(REPO_ROOT, "node_modules"), join(jobDir, "node_modules"));
        const tsc = spawnSync(
            join(REPO_ROOT, "node_modules", ".bin", "tsc"),
            ["-p", join(REPO_ROOT, "job", "tsconfig.build.json"), "--outDir", join(jobDir, "dist")],
            {
                encoding: "utf8",
            },
        );
        if (tsc.status !== 0) throw new Error(`compiling the job failed:\n${tsc.stdout}${tsc.stderr}`);
        this.cliPath = join(jobDir, "dist", "cli.js");
    }

    async start(): Promise<void> {
        if (!existsSync(join(REPO_ROOT, "job", "src", "cli.ts"))) throw new Error("job/src/cli.ts does not exist: (c) needs the backup command");
        log("compiling the job");
        this.buildCli();
        const kept = this.options.keepDb ? join(tmpdir(), `backup-bench-cluster-${this.options.sizeGb}gb`) : undefined;
        log(kept ? `starting PostgreSQL (kept in ${kept})` : "starting PostgreSQL");
        this.cluster = await startPostgres({
            directory: kept,
            // Loading a few GB quickly: fewer checkpoints; the data is throwaway.
            settings: { max_wal_size: "8GB", checkpoint_timeout: "30min", shared_buffers: "256MB", maintenance_work_mem: "256MB" },
        });
        if (this.options.skipS3) return;
        this.s3 = await startS3();
        await this.store.createBucket(BUCKET);
    }

    async stop(): Promise<void> {
        await this.s3?.stop().catch((error: Error) => log(`stopping s3rver: ${error.message}`));
        await this.cluster?.stop().catch((error: Error) => log(`stopping PostgreSQL: ${error.message}`));
        rmSync(this.work, { recursive: true, force: true });
    }

    /** Creates and fills `name` unless a complete copy survives from a --keep-db run. */
    async ensureDatabase(name: string, bytes: number, from?: string): Promise<GeneratedTable[] | "reused"> {
        const exists = await this.pg.query("postgres", "SELECT 1 FROM pg_database WHERE datname = $1", [name]);
        if (exists.length) {
            const done = await this.pg.query(name, "SELECT 1 FROM pg_tables WHERE tablename = 'bench_complete'");
            if (done.length) return "reused";
            await this.pg.dropDatabase(name);
        }
        const start = process.hrtime.bigint();
        let tables: GeneratedTable[];
        if (from) {
            // A file copy of the 1x database, then as much again: the 2x database costs half a generation.
            await this.pg.query("postgres", `CREATE DATABASE ${name} TEMPLATE ${from} STRATEGY FILE_COPY`);
            await this.pg.query(name, "DROP TABLE bench_complete");
            tables = await fillDatabase(this.pg, name, bytes, { seed: 2, append: true, onTable: (t) => log(`  ${name}.${t.name}: +${t.rows} rows`) });
        } else {
            await this.pg.createDatabase(name);
            tables = await fillDatabase(this.pg, name, bytes, {
                seed: 1,
                onTable: (t) => log(`  ${name}.${t.name}: ${t.rows} rows, ${formatBytes(t.copyBytes)}`),
            });
        }
        await this.pg.query(name, "CREATE TABLE bench_complete ()");
        log(`  generated in ${formatSeconds(elapsed(start))}`);
        return tables;
    }

    async clear(prefix: string): Promise<void> {
        if (this.s3) await this.store.removeStored(BUCKET, prefix);
        rmSync(this.diskTarget(prefix), { recursive: true, force: true });
    }

    pgDumpVersion(): string {
        return spawnSync(join(this.pg.binDir, "pg_dump"), ["--version"], { encoding: "utf8" }).stdout.trim();
    }

    async databaseSize(name: string): Promise<number> {
        const [row] = await this.pg.query<{ size: string }>("postgres", "SELECT pg_database_size($1)::text AS size", [name]);
        return Number(row?.size);
    }

    /** (a) pg_dump -Fc -Z0 | zstd -> /dev/null; also counts the compressed bytes. */
    async bareDump(database: string): Promise<BudgetedRun> {
        const databaseCpuStart = this.databaseCpu();
        const start = process.hrtime.bigint();
        const script =
            `set -o pipefail; "$PG_DUMP" -Fc -Z0 -h 127.0.0.1 -p "$PGPORT" -U "$PGUSER" -d "$PGDATABASE" | zstd -${ZSTD_LEVEL} -T${ZSTD_THREADS} ` +
            `-c -q | wc -c`;
        const { stdout, stderr } = await run(
            ...withRusage("bash", ["-c", script]),
            {
                ...this.pgEnv(),
                PG_DUMP: join(this.pg.binDir, "pg_dump"),
                PGPORT: String(this.pg.port),
                PGUSER: this.pg.superuser,
                PGDATABASE: database,
            },
            "(a) pg_dump | zstd",
        );
        const seconds = elapsed(start);
        return {
            seconds,
            bytes: Number(stdout.trim()),
            cpuSeconds: parseRusage(stderr)?.cpuSeconds,
            databaseCpuSeconds: this.databaseCpu() - databaseCpuStart,
        };
    }

    /** (b) pg_dump -Fc (gzip) to a temporary file, then a multipart upload of the file. */
    async peerPipeline(database: string, key: string): Promise<PeerRun> {
        const file = join(this.work, `${key.replace(/\//g, "_")}.dump`);
        const start = process.hrtime.bigint();
        const dump = spawn(
            join(this.pg.binDir, "pg_dump"),
            ["-Fc", "-h", "127.0.0.1", "-p", String(this.pg.port), "-U", this.pg.superuser, "-d", database, "-f", file],
            {
                env: this.pgEnv(),
                stdio: ["ignore", "ignore", "pipe"],
            },
        );
        const sampler = sampleTree(dump.pid as number, 100);
        let stderr = "";
        dump.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const code = await new Promise<number | null>((resolve) => dump.once("close", resolve));
        const usage = sampler.stop();
        if (code !== 0) throw new Error(`(b) pg_dump -Fc failed (${code}): ${stderr.trim()}`);
        const dumpSeconds = elapsed(start);
        const tempFileBytes = statSync(file).size;
        const uploadStart = process.hrtime.bigint();
        await this.store.uploadFile(BUCKET, key, file, this.store.directEndpoint);
        const uploadSeconds = elapsed(uploadStart);
        rmSync(file);
        return {
            seconds: elapsed(start),
            bytes: tempFileBytes,
            dumpSeconds,
            uploadSeconds,
            tempFileBytes,
            tempWriteBytes: usage.writeBytesByCommand["pg_dump"] ?? 0,
        };
    }

    /** Where our backup writes: s3rver directly (no test proxy in the path), or a directory on the same disk as the bare pipeline's file. */
    private destination(kind: "s3" | "disk", prefix: string): { url: string; env: Record<string, string>; manifestJson(): Promise<string> } {
        if (kind === "s3") {
            return {
                url: `s3://${BUCKET}/${prefix}`,
                env: this.store.envFor(this.store.directEndpoint),
                manifestJson: async () => {
                    const manifests = await this.store.listKeys(BUCKET, `${prefix}/manifests/`);
                    const dumps = await this.store.listKeys(BUCKET, `${prefix}/dumps/`);
                    if (manifests.length !== 1 || dumps.length !== 1) {
                        throw new Error(`(c) expected one dump and one manifest under ${prefix}/, found ${[...dumps, ...manifests].join(", ") || "nothing"}`);
                    }
                    return (await this.store.getObject(BUCKET, manifests[0] as string)).toString("utf8");
                },
            };
        }
        const dir = this.diskTarget(prefix);
        return {
            url: `file://${dir}`,
            env: {},
            manifestJson: async () => {
                const manifests = readdirSync(join(dir, "manifests"));
                if (manifests.length !== 1) throw new Error(`expected one manifest in ${dir}/manifests, found ${manifests.join(", ") || "nothing"}`);
                return readFileSync(join(dir, "manifests", manifests[0] as string), "utf8");
            },
        };
    }

    /** A file:// target directory, on the same disk as the bare pipeline's output file. */
    diskTarget(prefix: string): string {
        return join(this.work, "targets", prefix);
    }

    /**
     * Runs a command under GNU time while sampling its process tree: wall, the tree's CPU, the
     * PostgreSQL server's CPU meanwhile, peak RSS. Throws, with the end of its output, when it fails.
     */
    private async treeRun(
        command: string,
        args: string[],
        options: { env: NodeJS.ProcessEnv; cwd?: string; what: string },
    ): Promise<TreeRun & { stdout: string; stderr: string; serverCpuSeconds: number }> {
        const [timedCommand, timedArgs] = withRusage(command, args);
        const databaseCpuStart = this.databaseCpu();
        const start = process.hrtime.bigint();
        const cpuStart = process.cpuUsage();
        const child = spawn(timedCommand, timedArgs, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
        const sampler = sampleTree(child.pid as number, 100);
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
        const seconds = elapsed(start);
        const serverCpuSeconds = cpuSecondsSince(cpuStart);
        const databaseCpuSeconds = this.databaseCpu() - databaseCpuStart;
        const usage = sampler.stop();
        if (code !== 0) throw new Error(`${options.what} exited ${code}:\n${stdout.slice(-3000)}\n${stderr.slice(-2000)}`);
        const rusage = parseRusage(stderr);
        const sampledPeak = Math.max(
            0,
            ...Object.entries(usage.peakRssByCommand)
                .filter(([comm]) => comm !== "time")
                .map(([, bytes]) => bytes),
        );
        return {
            seconds,
            bytes: 0,
            cpuSeconds: rusage?.cpuSeconds,
            databaseCpuSeconds,
            usage,
            peakRss: rusage?.maxRssBytes ?? sampledPeak,
            stdout,
            stderr,
            serverCpuSeconds,
        };
    }

    private pgToolEnv(database: string): NodeJS.ProcessEnv {
        return {
            ...this.pgEnv(),
            PG_BIN: this.pg.binDir,
            PGHOST: "127.0.0.1",
            PGPORT: String(this.pg.port),
            PGUSER: this.pg.superuser,
            PGDATABASE: database,
        };
    }

    /** The primary table's backup baseline: `pg_dump -Fc -Z0 | zstd -3 > file`, the file on the same disk as our file:// target. */
    async bareDumpToFile(database: string, file: string): Promise<TreeRun> {
        const script = `set -o pipefail; "$PG_BIN/pg_dump" -Fc -Z0 | zstd -${ZSTD_LEVEL} -T${ZSTD_THREADS} -c -q > "$OUT"`;
        const result = await this.treeRun("bash", ["-c", script], { env: { ...this.pgToolEnv(database), OUT: file }, what: "bare pg_dump | zstd > file" });
        return { ...result, bytes: statSync(file).size };
    }

    /** Copies a dump from s3rver to a file of the bench's own (untimed): the bare restore's input. */
    async fetchDump(prefix: string, dumpKey: string): Promise<string> {
        const file = join(this.work, "s3-dump.pgdump.zst");
        writeFileSync(file, await this.store.getObject(BUCKET, `${prefix}/${dumpKey}`));
        return file;
    }

    /** The restore baseline: `zstd -dc file | pg_restore --single-transaction` into a fresh database, with the options our restore uses. */
    async bareRestore(file: string, database: string): Promise<TreeRun> {
        await this.pg.createDatabase(database);
        const script = `set -o pipefail; zstd -dc -q "$IN" | "$PG_BIN/pg_restore" --no-owner --no-acl --single-transaction --exit-on-error -d "$PGDATABASE"`;
        try {
            return await this.treeRun("bash", ["-c", script], { env: { ...this.pgToolEnv(database), IN: file }, what: "bare zstd -dc | pg_restore" });
        } finally {
            await this.pg.dropDatabase(database);
        }
    }

    /** Our `restore` of a backup into a fresh database, from a file:// target (a directory) or from s3rver (`prefix` under the bench bucket). */
    async ourRestore(
        from: { dir: string } | { s3Prefix: string },
        backupId: string,
        database: string,
        extra: string[] = [],
    ): Promise<TreeRun & { stages: Record<string, number> }> {
        await this.pg.createDatabase(database);
        try {
            const source = "dir" in from ? { url: `file://${from.dir}`, env: {} } : this.destination("s3", from.s3Prefix);
            const args = [this.cliPath, "restore", "--database-url", this.pg.url(database), "--from", source.url, "--backup", backupId, ...extra];
            const result = await this.treeRun(process.execPath, [...args, "--pg-bin", this.pg.binDir], {
                env: { PATH: process.env["PATH"], HOME: process.env["HOME"], ...source.env },
                what: `our restore from ${source.url}`,
            });
            return { ...result, stages: restoreStages(result.stdout, result.seconds) };
        } finally {
            await this.pg.dropDatabase(database);
        }
    }

    /** Our backup command, compiled (as the container runs it), to s3rver or to a file:// directory on disk. */
    async ourBackup(database: string, prefix: string, kind: "s3" | "disk"): Promise<OurRun> {
        const scratch = mkdtempSync(join(this.work, "cli-"));
        const cliTmp = join(scratch, "tmp");
        const cliCwd = join(scratch, "cwd");
        mkdirSync(cliTmp);
        mkdirSync(cliCwd);
        const destination = this.destination(kind, prefix);
        const env: NodeJS.ProcessEnv = {
            PATH: process.env["PATH"],
            HOME: process.env["HOME"],
            TMPDIR: cliTmp,
            // The EMF record carries the stage timings printed as "our backup's stages".
            [JOB_ENV.emfMetrics]: "1",
            ...destination.env,
        };
        const args = [
            this.cliPath,
            "backup",
            "--database-url",
            this.pg.url(database),
            "--to",
            destination.url,
            "--pg-bin",
            this.pg.binDir,
            "--compression-level",
            String(ZSTD_LEVEL),
            "--compression-threads",
            String(ZSTD_THREADS),
            ...this.options.backupArgs,
        ];
        const result = await this.treeRun(process.execPath, args, { env, cwd: cliCwd, what: `our backup to ${destination.url}` });
        const manifest = JSON.parse(await destination.manifestJson()) as Record<string, unknown>;
        const bytes = manifest["bytes"];
        if (typeof bytes !== "number") throw new Error(`the manifest of ${destination.url} has no numeric "bytes"`);
        if (kind === "disk") {
            const target = this.diskTarget(prefix);
            result.usage.filesOpenForWriting = result.usage.filesOpenForWriting.filter((file) => !file.startsWith(`${target}/`));
        }
        const leftoverBytes = dirBytes(scratch);
        rmSync(scratch, { recursive: true, force: true });
        return {
            seconds: result.seconds,
            bytes,
            usage: result.usage,
            manifest,
            stages: jobStages(result.stdout, result.seconds),
            leftoverBytes,
            cpuSeconds: result.cpuSeconds,
            databaseCpuSeconds: result.databaseCpuSeconds,
            nodePeakRss: result.peakRss,
            serverCpuSeconds: result.serverCpuSeconds,
        };
    }
}

/**
 * Where our restore's time went, from its JSON log lines: the checksum pass and the restore stream
 * each log their seconds; the rest of the wall time is process start, module loading and preflight.
 */
function restoreStages(stdout: string, wallSeconds: number): Record<string, number> {
    const stages: Record<string, number> = {};
    for (const line of stdout.split("\n")) {
        if (!line.startsWith("{")) continue;
        const entry = JSON.parse(line) as { message?: string; context?: { seconds?: number } };
        if (entry.message === "dump checksum verified" && entry.context?.seconds !== undefined) stages["ChecksumPass"] = entry.context.seconds;
        if (entry.message === "restore complete" && entry.context?.seconds !== undefined) stages["RestoreStream"] = entry.context.seconds;
    }
    stages["StartAndPreflight"] = wallSeconds - (stages["ChecksumPass"] ?? 0) - (stages["RestoreStream"] ?? 0);
    return stages;
}

/** The stage durations of the backup's EMF record (`<Stage>Duration`), in seconds; Start is the process start and module loading before it. */
function jobStages(stdout: string, wallSeconds: number): Record<string, number> {
    for (const line of stdout.split("\n")) {
        if (!line.includes('"_aws"')) continue;
        const record = JSON.parse(line) as Record<string, unknown>;
        const stages: Record<string, number> = {};
        for (const [key, value] of Object.entries(record)) {
            if (key.endsWith("Duration") && typeof value === "number") stages[key.slice(0, -"Duration".length)] = value;
        }
        if (stages["Backup"] !== undefined) stages["Start"] = wallSeconds - stages["Backup"];
        return stages;
    }
    return {};
}

function ourWriteBytes(usage: TreeUsage): number {
    return Object.values(usage.writeBytesByCommand).reduce((a, b) => a + b, 0);
}

/** One round's runs, in reversed order every other round so that no side always runs first on a warm cache. */
async function inTurn<T>(round: number, runs: (() => Promise<T>)[]): Promise<T[]> {
    const order = runs.map((_, i) => i);
    if (round % 2 === 0) order.reverse();
    const results: T[] = [];
    for (const i of order) {
        flushWrites();
        results[i] = await (runs[i] as () => Promise<T>)();
    }
    return results;
}

async function pair<A, B>(round: number, bare: () => Promise<A>, ours: () => Promise<B>): Promise<[A, B]> {
    const [a, b] = await inTurn<A | B>(round, [bare, ours]);
    return [a as A, b as B];
}

interface PairTable {
    bare: TreeRun[];
    ours: { seconds: number; cpuSeconds?: number; databaseCpuSeconds: number; peakRss: number }[];
}

/** Per-pair ratios of wall time, client CPU (the command's process tree) and peak RSS, each as median and range. */
function pairSummary(t: PairTable) {
    const cpu = (runs: { cpuSeconds?: number }[]) => (runs.every((r) => r.cpuSeconds !== undefined) ? runs.map((r) => r.cpuSeconds as number) : undefined);
    const bareCpu = cpu(t.bare);
    const oursCpu = cpu(t.ours);
    return {
        bare: {
            seconds: t.bare.map((r) => r.seconds),
            cpuSeconds: bareCpu,
            databaseCpuSeconds: t.bare.map((r) => r.databaseCpuSeconds),
            peakRss: t.bare.map((r) => r.peakRss),
        },
        ours: {
            seconds: t.ours.map((r) => r.seconds),
            cpuSeconds: oursCpu,
            databaseCpuSeconds: t.ours.map((r) => r.databaseCpuSeconds),
            peakRss: t.ours.map((r) => r.peakRss),
        },
        wall: spread(
            pairRatios(
                t.ours.map((r) => r.seconds),
                t.bare.map((r) => r.seconds),
            ),
        ),
        cpu: bareCpu && oursCpu ? spread(pairRatios(oursCpu, bareCpu)) : undefined,
    };
}

function pairLines(title: string, summary: ReturnType<typeof pairSummary>, targets: { wall: number; cpu?: number }): string[] {
    const s = (values: number[]) => `${formatSeconds(median(values))} (${formatSeconds(Math.min(...values))}-${formatSeconds(Math.max(...values))})`;
    const cpu = (values: number[] | undefined) => (values ? `, client CPU ${s(values)}` : "");
    return [
        `  ${title}`,
        `    bare: wall ${s(summary.bare.seconds)}${cpu(summary.bare.cpuSeconds)}, PostgreSQL CPU ${s(summary.bare.databaseCpuSeconds)}, ` +
            `peak RSS ${summary.bare.peakRss.map(formatBytes).join(", ")}`,
        `    ours: wall ${s(summary.ours.seconds)}${cpu(summary.ours.cpuSeconds)}, PostgreSQL CPU ${s(summary.ours.databaseCpuSeconds)}, ` +
            `peak RSS ${summary.ours.peakRss.map(formatBytes).join(", ")}`,
        `    ours/bare per pair, median (range): wall ${formatSpread(summary.wall)} (target <= ${targets.wall})` +
            (summary.cpu ? `; client CPU ${formatSpread(summary.cpu)}${targets.cpu === undefined ? "" : ` (target <= ${targets.cpu})`}` : ""),
    ];
}

/** Restores from s3rver, each against a bare restore of the same dump from a local file in the same round. */
interface S3Restores {
    bare: TreeRun[];
    ours: TreeRun[];
    once: TreeRun[];
}

/** The second table: (a) bare to /dev/null, (b) the peer pipeline, (c) our backup to s3rver, (d) our restore from it. */
async function s3Round(bench: Bench, round: number, runs: number, a: BudgetedRun[], b: PeerRun[], c: OurRun[], d: S3Restores): Promise<void> {
    flushWrites();
    a.push(await bench.bareDump("bench_1x"));
    log(`round ${round}/${runs} (a) ${formatSeconds(a.at(-1)!.seconds)}`);
    flushWrites();
    b.push(await bench.peerPipeline("bench_1x", `peer-${round}/bench_1x.dump`));
    log(`round ${round}/${runs} (b) ${formatSeconds(b.at(-1)!.seconds)}`);
    await bench.clear(`peer-${round}`);
    flushWrites();
    c.push(await bench.ourBackup("bench_1x", `ours-${round}`, "s3"));
    log(`round ${round}/${runs} (c) ${formatSeconds(c.at(-1)!.seconds)}`);
    const manifest = c.at(-1)!.manifest;
    const dumpFile = await bench.fetchDump(`ours-${round}`, String(manifest["dump"]));
    const backupId = String(manifest["id"]);
    const [bare, ours, once] = await inTurn<TreeRun>(round, [
        () => bench.bareRestore(dumpFile, "restore_bare"),
        () => bench.ourRestore({ s3Prefix: `ours-${round}` }, backupId, "restore_ours"),
        () => bench.ourRestore({ s3Prefix: `ours-${round}` }, backupId, "restore_once", ["--checksum-pass", "never"]),
    ]);
    d.bare.push(bare!);
    d.ours.push(ours!);
    d.once.push(once!);
    log(
        `round ${round}/${runs} (d) restore: bare from a file ${formatSeconds(bare!.seconds)}, ours from S3 ${formatSeconds(ours!.seconds)}, --checksum-pass never ${formatSeconds(once!.seconds)}`,
    );
    rmSync(dumpFile, { force: true });
    await bench.clear(`ours-${round}`);
}

async function main(): Promise<void> {
    let options: BenchOptions;
    try {
        options = parseBenchArgs(process.argv.slice(2));
    } catch (error) {
        process.stderr.write(`bench:backup: ${(error as Error).message}\n${BENCH_USAGE}\n`);
        process.exitCode = 2;
        return;
    }
    if (options.help) {
        process.stdout.write(`${BENCH_USAGE}\n`);
        return;
    }
    const bench = new Bench(options);
    // Ctrl-C or a kill must still clean up: process.exit() skips the finally below, so the signal
    // handler runs the same stop() first (then the harness's exit hooks run).
    let stopping: Promise<void> | undefined;
    const stopOnce = () => (stopping ??= bench.stop());
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
            log(`${signal}: stopping and cleaning up`);
            void stopOnce().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
        });
    }
    const total = process.hrtime.bigint();
    try {
        await bench.start();
        const bytes = options.sizeGb * 1e9;
        log(`preparing bench_1x (~${options.sizeGb} GB of COPY text)`);
        const generated = await bench.ensureDatabase("bench_1x", bytes);
        const size1x = await bench.databaseSize("bench_1x");
        log(`bench_1x: ${formatBytes(size1x)} on disk${generated === "reused" ? " (reused)" : ""}`);
        const bareFile = join(bench.diskTarget("bare"), "bench.pgdump.zst");
        mkdirSync(bench.diskTarget("bare"), { recursive: true });

        log("warm-up: one bare dump and one of ours, not counted");
        await bench.bareDumpToFile("bench_1x", bareFile);
        await bench.ourBackup("bench_1x", "warm-up", "disk");
        await bench.clear("warm-up");

        const backups: { bare: TreeRun[]; ours: OurRun[] } = { bare: [], ours: [] };
        const restores: { bare: TreeRun[]; ours: (TreeRun & { stages: Record<string, number> })[] } = { bare: [], ours: [] };
        const restoresWithPass: TreeRun[] = [];
        const a: BudgetedRun[] = [];
        const b: PeerRun[] = [];
        const c: OurRun[] = [];
        const d: S3Restores = { bare: [], ours: [], once: [] };
        for (let i = 1; i <= options.runs; i++) {
            const [bareBackup, ourBackup] = await pair(
                i,
                () => bench.bareDumpToFile("bench_1x", bareFile),
                () => bench.ourBackup("bench_1x", `file-${i}`, "disk"),
            );
            backups.bare.push(bareBackup);
            backups.ours.push(ourBackup);
            log(`round ${i}/${options.runs} backup: bare ${formatSeconds(bareBackup.seconds)}, ours ${formatSeconds(ourBackup.seconds)}`);
            const targetDir = bench.diskTarget(`file-${i}`);
            const dumpFile = join(targetDir, String(ourBackup.manifest["dump"]));
            const backupId = String(ourBackup.manifest["id"]);
            const [bareRestore, ourRestore, ourWithPass] = await inTurn<TreeRun & { stages?: Record<string, number> }>(i, [
                () => bench.bareRestore(dumpFile, "restore_bare"),
                () => bench.ourRestore({ dir: targetDir }, backupId, "restore_ours"),
                () => bench.ourRestore({ dir: targetDir }, backupId, "restore_twice", ["--checksum-pass", "always"]),
            ]);
            restores.bare.push(bareRestore as TreeRun);
            restores.ours.push(ourRestore as TreeRun & { stages: Record<string, number> });
            restoresWithPass.push(ourWithPass as TreeRun);
            log(
                `round ${i}/${options.runs} restore: bare ${formatSeconds(bareRestore!.seconds)}, ours ${formatSeconds(ourRestore!.seconds)}, ` +
                    `ours --checksum-pass always ${formatSeconds(ourWithPass!.seconds)}`,
            );
            await bench.clear(`file-${i}`);
            if (!options.skipS3) await s3Round(bench, i, options.runs, a, b, c, d);
        }

        log(`preparing bench_2x (bench_1x + ~${options.sizeGb} GB)`);
        await bench.ensureDatabase("bench_2x", bytes, "bench_1x");
        const size2x = await bench.databaseSize("bench_2x");
        log(`bench_2x: ${formatBytes(size2x)} on disk`);
        const backups2x: { bare: TreeRun[]; ours: OurRun[] } = { bare: [], ours: [] };
        for (let i = 1; i <= options.runs; i++) {
            const [bareBackup, ourBackup] = await pair(
                i,
                () => bench.bareDumpToFile("bench_2x", bareFile),
                () => bench.ourBackup("bench_2x", `file2x-${i}`, "disk"),
            );
            backups2x.bare.push(bareBackup);
            backups2x.ours.push(ourBackup);
            log(`round ${i}/${options.runs} 2x backup: bare ${formatSeconds(bareBackup.seconds)}, ours ${formatSeconds(ourBackup.seconds)}`);
            await bench.clear(`file2x-${i}`);
        }
        rmSync(bareFile, { force: true });
        let s3x2: { a: BudgetedRun; c: OurRun } | undefined;
        if (!options.skipS3) {
            flushWrites();
            const a2 = await bench.bareDump("bench_2x");
            flushWrites();
            s3x2 = { a: a2, c: await bench.ourBackup("bench_2x", "ours-2x", "s3") };
            await bench.clear("ours-2x");
        }

        const asPairs = (t: { bare: TreeRun[]; ours: OurRun[] }): PairTable => ({ bare: t.bare, ours: t.ours.map((r) => ({ ...r, peakRss: r.nodePeakRss })) });
        const backup = pairSummary(asPairs(backups));
        const backup2x = pairSummary(asPairs(backups2x));
        const restore = pairSummary(restores);
        const restoreWithPass = pairSummary({ bare: restores.bare, ours: restoresWithPass });
        const medianStages = (runs: { stages: Record<string, number> }[]) =>
            Object.fromEntries([...new Set(runs.flatMap((r) => Object.keys(r.stages)))].map((name) => [name, median(runs.map((r) => r.stages[name] ?? 0))]));
        const stageText = (stages: Record<string, number>) =>
            Object.entries(stages)
                .map(([name, sec]) => `${name} ${formatSeconds(sec)}`)
                .join(", ");
        const stages = medianStages(backups.ours);
        const ourRestoreStages = medianStages(restores.ours);
        const byCommand = (runs: { usage: TreeUsage }[]) =>
            Object.entries(runs.at(-1)?.usage.cpuSecondsByCommand ?? {})
                .filter(([comm]) => comm !== "time" && comm !== "bash")
                .map(([comm, sec]) => `${comm} ${formatSeconds(sec)}`)
                .join(", ");
        const openFiles = [...backups.ours, ...backups2x.ours].flatMap((r) => r.usage.filesOpenForWriting);
        const fileTable = {
            backup,
            backup2x,
            restore,
            restoreWithPass,
            ourBackupStages: stages,
            ourRestoreStages,
            ourBackupCpuByCommand: backups.ours.map((r) => r.usage.cpuSecondsByCommand),
            ourRestoreCpuByCommand: restores.ours.map((r) => r.usage.cpuSecondsByCommand),
            bareRestoreCpuByCommand: restores.bare.map((r) => r.usage.cpuSecondsByCommand),
            dumpBytes: backups.ours[0]?.bytes,
            bareDumpBytes: backups.bare[0]?.bytes,
            filesOpenForWriting: openFiles,
            leftoverBytes: [...backups.ours, ...backups2x.ours].map((r) => r.leftoverBytes),
        };
        const lines = [
            "",
            `Backup benchmark: ${options.sizeGb} GB of generated data, ${options.runs} rounds of alternating pairs` +
                `${options.backupArgs.length ? `; backup ${options.backupArgs.join(" ")}` : ""}`,
            `  machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown"}, ${formatBytes(totalmem())} RAM, Node ${process.version}, ${bench.pgDumpVersion()}; ` +
                `load average at the end ${loadavg()
                    .map((l) => l.toFixed(1))
                    .join(", ")}`,
            `  database: 1x ${formatBytes(size1x)} on disk; 2x ${formatBytes(size2x)}; compressed dump ${formatBytes(fileTable.dumpBytes ?? 0)}`,
            "",
            "Table 1: file:// on the same disk, ours against the bare pipeline in the same round",
            ...pairLines(`backup 1x: pg_dump -Fc -Z0 | zstd -${ZSTD_LEVEL} > file  vs  our backup --to file://`, backup, { wall: TARGET_RATIO }),
            ...pairLines("backup 2x (twice the data)", backup2x, { wall: TARGET_RATIO_2X }),
            ...pairLines("restore: zstd -dc file | pg_restore --single-transaction  vs  our restore --from file:// (default: auto, read once here)", restore, {
                wall: RESTORE_WALL_RATIO,
                cpu: RESTORE_CPU_RATIO,
            }),
            ...pairLines("restore, ours with --checksum-pass always (the dump read twice), against the same bare runs", restoreWithPass, {
                wall: RESTORE_WALL_RATIO,
                cpu: RESTORE_CPU_RATIO,
            }),
            `  our backup's stages (medians; Start = process start and module loading): ${stageText(stages)}`,
            `  our restore's stages (medians): ${stageText(ourRestoreStages)}`,
            `  CPU by process (sampled, last round): our backup ${byCommand(backups.ours)}; our restore ${byCommand(restores.ours)}; ` +
                `bare restore ${byCommand(restores.bare)}`,
            `  temp disk, our backup: files open for writing outside the target: ${openFiles.length ? openFiles.join(", ") : "none"}; left in its TMPDIR ` +
                `and cwd: ${formatBytes(Math.max(...fileTable.leftoverBytes))}`,
        ];
        const results: Record<string, unknown> = {
            machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memory: totalmem(), node: process.version, pgDump: bench.pgDumpVersion() },
            loadAverageAtEnd: loadavg(),
            options,
            database1x: { bytesOnDisk: size1x },
            database2x: { bytesOnDisk: size2x },
            file: fileTable,
        };
        if (!options.skipS3 && s3x2) {
            const s3 = s3Summary(a, b, c, s3x2);
            const s3Restore = pairSummary({ bare: d.bare, ours: d.ours });
            const s3RestoreOnce = pairSummary({ bare: d.bare, ours: d.once });
            results["s3"] = { ...s3.results, restore: s3Restore, restoreSingleRead: s3RestoreOnce };
            lines.push(
                "",
                ...s3.lines,
                ...pairLines(
                    "(d) restore: zstd -dc file | pg_restore --single-transaction  vs  our restore --from s3:// (s3rver; default auto: no versions, so the pass runs)",
                    s3Restore,
                    {
                        wall: RESTORE_WALL_RATIO,
                        cpu: RESTORE_CPU_RATIO,
                    },
                ),
                ...pairLines("(d) restore, ours with --checksum-pass never (the dump downloaded once), against the same bare runs", s3RestoreOnce, {
                    wall: RESTORE_WALL_RATIO,
                    cpu: RESTORE_CPU_RATIO,
                }),
            );
        }
        results["totalSeconds"] = elapsed(total);
        lines.push(`  total bench time ${formatSeconds(elapsed(total))}`);
        process.stdout.write(`${lines.join("\n")}\n${JSON.stringify(results)}\n`);
    } finally {
        await stopOnce();
    }
}

/** The second table: our backup to s3rver against the bare pipeline to /dev/null and the peer pipeline. */
function s3Summary(a: BudgetedRun[], b: PeerRun[], c: OurRun[], twoX: { a: BudgetedRun; c: OurRun }) {
    const ma = median(a.map((r) => r.seconds));
    const mb = median(b.map((r) => r.seconds));
    const mc = median(c.map((r) => r.seconds));
    const cpu = (runs: Run[]) => (runs.every((r) => r.cpuSeconds !== undefined) ? median(runs.map((r) => r.cpuSeconds as number)) : undefined);
    // Every process each run kept busy: its own tree, the PostgreSQL server and, for (c), s3rver.
    const allCpu = <R extends BudgetedRun>(runs: R[], extra: (run: R) => number = () => 0) =>
        runs.every((r) => r.cpuSeconds !== undefined) ? median(runs.map((r) => (r.cpuSeconds as number) + r.databaseCpuSeconds + extra(r))) : undefined;
    const aAllCpu = allCpu(a);
    const cAllCpu = allCpu(c, (r) => r.serverCpuSeconds);
    const budget =
        aAllCpu === undefined || cAllCpu === undefined
            ? undefined
            : cpuBudget({
                  cores: cpus().length,
                  limitSeconds: ma,
                  targetRatio: TARGET_RATIO,
                  limitCpuSeconds: aAllCpu,
                  oursCpuSeconds: cAllCpu,
                  s3ServerCpuSeconds: median(c.map((r) => r.serverCpuSeconds)),
              });
    const results = {
        a: {
            seconds: a.map((r) => r.seconds),
            median: ma,
            cpuMedian: cpu(a),
            databaseCpuMedian: median(a.map((r) => r.databaseCpuSeconds)),
            allCpuMedian: aAllCpu,
        },
        b: {
            seconds: b.map((r) => r.seconds),
            median: mb,
            dumpMedian: median(b.map((r) => r.dumpSeconds)),
            uploadMedian: median(b.map((r) => r.uploadSeconds)),
            fileBytes: b[0]?.tempFileBytes,
            pgDumpWriteBytes: b.map((r) => r.tempWriteBytes),
        },
        c: {
            seconds: c.map((r) => r.seconds),
            median: mc,
            cpuMedian: cpu(c),
            serverCpuMedian: median(c.map((r) => r.serverCpuSeconds)),
            databaseCpuMedian: median(c.map((r) => r.databaseCpuSeconds)),
            allCpuMedian: cAllCpu,
            nodePeakRss: c.map((r) => r.nodePeakRss),
            treePeakRss: c.map((r) => r.usage.treePeakRss),
            writeBytes: c.map((r) => ourWriteBytes(r.usage)),
            filesOpenForWriting: c.flatMap((r) => r.usage.filesOpenForWriting),
            leftoverBytes: c.map((r) => r.leftoverBytes),
        },
        cOverAPerRound: spread(
            pairRatios(
                c.map((r) => r.seconds),
                a.map((r) => r.seconds),
            ),
        ),
        twoX: { a: twoX.a.seconds, c: twoX.c.seconds, cOverA: twoX.c.seconds / twoX.a.seconds, nodePeakRss: twoX.c.nodePeakRss },
        ratios: { cOverA: mc / ma, bOverC: mb / mc },
        cpuBudget: budget,
    };
    const cpuText = (seconds: number | undefined) => (seconds === undefined ? "" : `, CPU ${formatSeconds(seconds)}`);
    const openFiles = [...results.c.filesOpenForWriting, ...twoX.c.usage.filesOpenForWriting];
    const lines = [
        "Table 2: to the local S3 server (s3rver on the same two cores)",
        `  (a) pg_dump -Fc -Z0 | zstd -${ZSTD_LEVEL} > /dev/null  ${formatSeconds(ma)}${cpuText(results.a.cpuMedian)}  -> ${formatBytes(a[0]?.bytes ?? 0)} ` +
            `(${mibPerSecond(a[0]?.bytes ?? 0, ma).toFixed(1)} MiB/s out)`,
        `  (b) pg_dump -Fc + upload      ${formatSeconds(mb)}  (dump ${formatSeconds(results.b.dumpMedian)}, upload ` +
            `${formatSeconds(results.b.uploadMedian)}; temp file ${formatBytes(b[0]?.tempFileBytes ?? 0)})`,
        `  (c) our backup -> S3          ${formatSeconds(mc)}${cpuText(results.c.cpuMedian)} (+ s3rver CPU ${formatSeconds(results.c.serverCpuMedian)})`,
        `  (c)/(a) = ${results.ratios.cOverA.toFixed(3)} (per round ${formatSpread(results.cOverAPerRound)}); (b)/(c) = ${results.ratios.bOverC.toFixed(2)} ` +
            "(target >= 2)",
        ...(budget === undefined
            ? ["  CPU budget: needs GNU time (/usr/bin/time)"]
            : [
                  `  CPU of every process (medians): (a) ${formatSeconds(aAllCpu!)}; (c) ${formatSeconds(cAllCpu!)} (our tree ${formatSeconds(results.c.cpuMedian!)} ` +
                      `+ PostgreSQL ${formatSeconds(results.c.databaseCpuMedian)} + s3rver ${formatSeconds(results.c.serverCpuMedian)})`,
                  `  CPU budget: ${cpus().length} cores x ${TARGET_RATIO} x (a) = ${formatSeconds(budget.capacityAtTarget)} of CPU; (a)'s work + ` +
                      `s3rver's alone = ${formatSeconds(budget.limitPlusS3Server)}; (c) cannot end before ${formatSeconds(budget.shortestSeconds)} = ` +
                      `${budget.shortestRatio.toFixed(3)} x (a) on ${cpus().length} cores`,
              ]),
        `  peak RSS of our node process: ${c.map((r) => formatBytes(r.nodePeakRss)).join(", ")}; 2x database: ${formatBytes(twoX.c.nodePeakRss)} (target < 200 MiB)`,
        `  temp disk, ours: write_bytes ${c.map((r) => formatBytes(ourWriteBytes(r.usage))).join(", ")}; files open for writing: ` +
            `${openFiles.length ? openFiles.join(", ") : "none"}; left in its TMPDIR and cwd: ${formatBytes(Math.max(...results.c.leftoverBytes, twoX.c.leftoverBytes))}`,
        `  temp disk, peer (b): file ${formatBytes(b[0]?.tempFileBytes ?? 0)}; pg_dump write_bytes ${b.map((r) => formatBytes(r.tempWriteBytes)).join(", ")}`,
        `  2x database: (a) ${formatSeconds(twoX.a.seconds)}, (c) ${formatSeconds(twoX.c.seconds)}, (c)/(a) ${results.twoX.cOverA.toFixed(3)}`,
    ];
    return { results, lines };
}

main().catch((error: Error) => {
    process.stderr.write(`bench:backup failed: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
});
