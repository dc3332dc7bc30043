// Benchmark of the backup job (issue 3):
//   npm run bench:backup -- [--size-gb N] [--runs N] [--keep-db] [--backup-arg=--OPTION=VALUE ...]
//
// Builds a database of realistic, not trivially compressible data, then times, interleaved, several
// runs each of
//   (a) bare `pg_dump -Fc -Z0 | zstd` to /dev/null at the job's compression settings: the limit;
//   (b) the usual peer pipeline: `pg_dump -Fc` (gzip) to a temporary file, then upload that file;
//   (c) our `backup` command (compiled, as the container runs it) to the local S3 server.
// It samples the process tree of (c) for peak RSS, bytes written to storage and files held open for
// writing, repeats (a) and (c) on a database twice the size, and prints medians and ratios.
// Everything it starts (PostgreSQL cluster, s3rver, temporary files) is removed at the end, also on
// failure; --keep-db keeps the generated cluster in the OS temp directory for the next run.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { cpus, totalmem, tmpdir } from "node:os";
import { join } from "node:path";
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
    median,
    mibPerSecond,
    parseBenchArgs,
    parseRusage,
    RUSAGE_FORMAT,
    type BenchOptions,
} from "./bench/stats.js";

const REPO_ROOT = join(__dirname, "..");
/** The job's defaults, passed explicitly so (a) and (c) compress identically. */
const ZSTD_LEVEL = 3;
const ZSTD_THREADS = 1;
const BUCKET = "bench";
/** Issue 3's target for (c)/(a). */
const TARGET_RATIO = 1.15;

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

interface OurRun extends BudgetedRun {
    usage: TreeUsage;
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
    private shm: string | undefined;

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
        this.s3 = await startS3();
        await this.store.createBucket(BUCKET);
    }

    async stop(): Promise<void> {
        await this.s3?.stop().catch((error: Error) => log(`stopping s3rver: ${error.message}`));
        await this.cluster?.stop().catch((error: Error) => log(`stopping PostgreSQL: ${error.message}`));
        rmSync(this.work, { recursive: true, force: true });
        if (this.shm) rmSync(this.shm, { recursive: true, force: true });
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
        await this.store.removeStored(BUCKET, prefix);
        if (this.shm) rmSync(join(this.shm, prefix), { recursive: true, force: true });
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

    /** Where (c) writes: s3rver directly (no test proxy in the path), or a tmpfs directory for the diagnostic run. */
    private destination(kind: "s3" | "tmpfs", prefix: string): { url: string; env: Record<string, string>; manifestJson(): Promise<string> } {
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
        const dir = join(this.tmpfsDir(), prefix);
        return {
            url: `file://${dir}`,
            env: {},
            manifestJson: async () => {
                const manifests = readdirSync(join(dir, "manifests"));
                if (manifests.length !== 1) throw new Error(`(c) expected one manifest in ${dir}/manifests, found ${manifests.join(", ") || "nothing"}`);
                return readFileSync(join(dir, "manifests", manifests[0] as string), "utf8");
            },
        };
    }

    /** A directory in RAM for the file:// diagnostic; its files are the target, not temporary files. */
    tmpfsDir(): string {
        this.shm ??= mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "backup-bench-"));
        return this.shm;
    }

    /** (c) our backup command, compiled (as the container runs it). */
    async ourBackup(database: string, prefix: string, kind: "s3" | "tmpfs" = "s3"): Promise<OurRun> {
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
        const [command, commandArgs] = withRusage(process.execPath, args);
        const databaseCpuStart = this.databaseCpu();
        const start = process.hrtime.bigint();
        const cpuStart = process.cpuUsage();
        const child = spawn(command, commandArgs, { cwd: cliCwd, env, stdio: ["ignore", "pipe", "pipe"] });
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
        const rusage = parseRusage(stderr);
        if (code !== 0) throw new Error(`(c) backup exited ${code}:\n${stdout.slice(-3000)}\n${stderr.slice(-2000)}`);
        const manifest = JSON.parse(await destination.manifestJson()) as Record<string, unknown>;
        const bytes = manifest["bytes"];
        if (typeof bytes !== "number") throw new Error(`(c) the manifest of ${destination.url} has no numeric "bytes"`);
        if (kind === "tmpfs") {
            const target = this.tmpfsDir();
            usage.filesOpenForWriting = usage.filesOpenForWriting.filter((file) => !file.startsWith(`${target}/`));
        }
        const leftoverBytes = dirBytes(scratch);
        rmSync(scratch, { recursive: true, force: true });
        return {
            seconds,
            bytes,
            usage,
            leftoverBytes,
            cpuSeconds: rusage?.cpuSeconds,
            databaseCpuSeconds,
            nodePeakRss: rusage?.maxRssBytes ?? usage.peakRssByCommand["node"] ?? 0,
            serverCpuSeconds,
        };
    }
}

function ourWriteBytes(usage: TreeUsage): number {
    return Object.values(usage.writeBytesByCommand).reduce((a, b) => a + b, 0);
}

async function main(): Promise<void> {
    let options: BenchOptions | "help";
    try {
        options = parseBenchArgs(process.argv.slice(2));
    } catch (error) {
        process.stderr.write(`bench:backup: ${(error as Error).message}\n${BENCH_USAGE}\n`);
        process.exitCode = 2;
        return;
    }
    if (options === "help") {
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

        log("warm-up (a), not counted");
        await bench.bareDump("bench_1x");
        const a: BudgetedRun[] = [];
        const b: PeerRun[] = [];
        const c: OurRun[] = [];
        const cFile: OurRun[] = [];
        for (let i = 1; i <= options.runs; i++) {
            flushWrites();
            a.push(await bench.bareDump("bench_1x"));
            log(`run ${i}/${options.runs} (a) ${formatSeconds(a.at(-1)!.seconds)}`);
            flushWrites();
            b.push(await bench.peerPipeline("bench_1x", `peer-${i}/bench_1x.dump`));
            log(`run ${i}/${options.runs} (b) ${formatSeconds(b.at(-1)!.seconds)}`);
            await bench.clear(`peer-${i}`);
            flushWrites();
            c.push(await bench.ourBackup("bench_1x", `ours-${i}`));
            log(`run ${i}/${options.runs} (c) ${formatSeconds(c.at(-1)!.seconds)}`);
            await bench.clear(`ours-${i}`);
            flushWrites();
            cFile.push(await bench.ourBackup("bench_1x", `file-${i}`, "tmpfs"));
            log(`run ${i}/${options.runs} (c) to file:// in RAM ${formatSeconds(cFile.at(-1)!.seconds)}`);
            await bench.clear(`file-${i}`);
        }

        log(`preparing bench_2x (bench_1x + ~${options.sizeGb} GB)`);
        await bench.ensureDatabase("bench_2x", bytes, "bench_1x");
        const size2x = await bench.databaseSize("bench_2x");
        log(`bench_2x: ${formatBytes(size2x)} on disk`);
        flushWrites();
        const a2 = await bench.bareDump("bench_2x");
        flushWrites();
        const c2 = await bench.ourBackup("bench_2x", "ours-2x");
        await bench.clear("ours-2x");

        const ma = median(a.map((r) => r.seconds));
        const mb = median(b.map((r) => r.seconds));
        const mc = median(c.map((r) => r.seconds));
        const mcFile = median(cFile.map((r) => r.seconds));
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
            machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memory: totalmem(), node: process.version, pgDump: bench.pgDumpVersion() },
            options,
            database1x: { bytesOnDisk: size1x },
            database2x: { bytesOnDisk: size2x },
            a: {
                seconds: a.map((r) => r.seconds),
                median: ma,
                cpuMedian: cpu(a),
                databaseCpuMedian: median(a.map((r) => r.databaseCpuSeconds)),
                allCpuMedian: aAllCpu,
                outputBytes: a[0]?.bytes,
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
                dumpBytes: c[0]?.bytes,
                nodePeakRss: c.map((r) => r.nodePeakRss),
                treePeakRss: c.map((r) => r.usage.treePeakRss),
                peakRssByCommand: c.map((r) => r.usage.peakRssByCommand),
                cpuSecondsByCommand: c.map((r) => r.usage.cpuSecondsByCommand),
                writeBytes: c.map((r) => ourWriteBytes(r.usage)),
                writeBytesByCommand: c.map((r) => r.usage.writeBytesByCommand),
                filesOpenForWriting: c.flatMap((r) => r.usage.filesOpenForWriting),
                leftoverBytes: c.map((r) => r.leftoverBytes),
            },
            cFile: {
                target: `file://${bench.tmpfsDir()}`,
                seconds: cFile.map((r) => r.seconds),
                median: mcFile,
                cpuMedian: cpu(cFile),
                overA: mcFile / ma,
                nodePeakRss: cFile.map((r) => r.nodePeakRss),
                writeBytesByCommand: cFile.map((r) => r.usage.writeBytesByCommand),
                filesOpenForWriting: cFile.flatMap((r) => r.usage.filesOpenForWriting),
            },
            twoX: {
                a: a2.seconds,
                c: c2.seconds,
                cOverA: c2.seconds / a2.seconds,
                nodePeakRss: c2.nodePeakRss,
                treePeakRss: c2.usage.treePeakRss,
                writeBytes: ourWriteBytes(c2.usage),
                writeBytesByCommand: c2.usage.writeBytesByCommand,
                filesOpenForWriting: c2.usage.filesOpenForWriting,
                leftoverBytes: c2.leftoverBytes,
                dumpBytes: c2.bytes,
            },
            ratios: { cOverA: mc / ma, bOverC: mb / mc },
            cpuBudget: budget,
            totalSeconds: elapsed(total),
        };
        const cpuText = (seconds: number | undefined) => (seconds === undefined ? "" : `, CPU ${formatSeconds(seconds)}`);
        const openFiles = [...results.c.filesOpenForWriting, ...c2.usage.filesOpenForWriting];
        const lines = [
            "",
            `Backup benchmark: ${options.sizeGb} GB of generated data, ${options.runs} runs each, ` +
                `medians${options.backupArgs.length ? `; backup ${options.backupArgs.join(" ")}` : ""}`,
            `  machine: ${results.machine.cpus} x ${results.machine.cpuModel}, ${formatBytes(results.machine.memory)} RAM, Node ${results.machine.node}, ` +
                `${results.machine.pgDump}`,
            `  database: 1x ${formatBytes(size1x)} on disk; 2x ${formatBytes(size2x)}`,
            `  (a) pg_dump -Fc -Z0 | zstd -${ZSTD_LEVEL}   ${formatSeconds(ma)}${cpuText(results.a.cpuMedian)}  -> ${formatBytes(a[0]?.bytes ?? 0)} ` +
                `(${mibPerSecond(a[0]?.bytes ?? 0, ma).toFixed(1)} MiB/s out)`,
            `  (b) pg_dump -Fc + upload      ${formatSeconds(mb)}  (dump ${formatSeconds(results.b.dumpMedian)}, upload ` +
                `${formatSeconds(results.b.uploadMedian)}; temp file ${formatBytes(b[0]?.tempFileBytes ?? 0)})`,
            `  (c) our backup -> S3          ${formatSeconds(mc)}${cpuText(results.c.cpuMedian)} (+ s3rver CPU ${formatSeconds(results.c.serverCpuMedian)})  ` +
                `-> ${formatBytes(c[0]?.bytes ?? 0)}`,
            `  (c) CPU by process (sampled, last run): ${Object.entries(c.at(-1)?.usage.cpuSecondsByCommand ?? {})
                .filter(([comm]) => comm !== "time")
                .map(([comm, sec]) => `${comm} ${formatSeconds(sec)}`)
                .join(", ")}`,
            `  (c') our backup -> file:// in RAM (diagnostic: no S3 server on the CPUs) ${formatSeconds(mcFile)}${cpuText(results.cFile.cpuMedian)}; ` +
                `(c')/(a) = ${results.cFile.overA.toFixed(3)}`,
            `  (c)/(a) = ${results.ratios.cOverA.toFixed(3)}  (target <= ${TARGET_RATIO})`,
            ...(budget === undefined
                ? ["  CPU budget: needs GNU time (/usr/bin/time)"]
                : [
                      `  CPU of every process (medians): (a) ${formatSeconds(aAllCpu!)} (its tree ${formatSeconds(results.a.cpuMedian!)} + PostgreSQL ` +
                          `${formatSeconds(results.a.databaseCpuMedian)}); (c) ${formatSeconds(cAllCpu!)} (our tree ${formatSeconds(results.c.cpuMedian!)} ` +
                          `+ PostgreSQL ${formatSeconds(results.c.databaseCpuMedian)} + s3rver ${formatSeconds(results.c.serverCpuMedian)})`,
                      `  CPU budget: ${cpus().length} cores x ${TARGET_RATIO} x (a) = ${formatSeconds(budget.capacityAtTarget)} of CPU; (a)'s work + ` +
                          `s3rver's alone = ${formatSeconds(budget.limitPlusS3Server)}; (c) cannot end before ${formatSeconds(budget.shortestSeconds)} = ` +
                          `${budget.shortestRatio.toFixed(3)} x (a) on ${cpus().length} cores`,
                  ]),
            `  (b)/(c) = ${results.ratios.bOverC.toFixed(2)}  (target >= 2)`,
            `  peak RSS of our node process: ${c.map((r) => formatBytes(r.nodePeakRss)).join(", ")}; 2x database: ${formatBytes(c2.nodePeakRss)}  (target < ` +
                `200 MiB)`,
            `  peak RSS of the whole tree (node + pg_dump + zstd, sampled): ${c.map((r) => formatBytes(r.usage.treePeakRss)).join(", ")}; 2x: ` +
                `${formatBytes(c2.usage.treePeakRss)}`,
            `  temp disk, ours: write_bytes ${c.map((r) => formatBytes(ourWriteBytes(r.usage))).join(", ")}; 2x: ${formatBytes(ourWriteBytes(c2.usage))}; ` +
                `files open for writing: ${openFiles.length ? openFiles.join(", ") : "none"}; left in its TMPDIR and cwd: ` +
                `${formatBytes(Math.max(...results.c.leftoverBytes, c2.leftoverBytes))}`,
            `  temp disk, peer (b): file ${formatBytes(b[0]?.tempFileBytes ?? 0)}; pg_dump write_bytes ` +
                `${b.map((r) => formatBytes(r.tempWriteBytes)).join(", ")}`,
            `  2x database: (a) ${formatSeconds(a2.seconds)}, (c) ${formatSeconds(c2.seconds)}, (c)/(a) ${results.twoX.cOverA.toFixed(3)}`,
            `  total bench time ${formatSeconds(results.totalSeconds)}`,
        ];
        process.stdout.write(`${lines.join("\n")}\n${JSON.stringify(results)}\n`);
    } finally {
        await stopOnce();
    }
}

main().catch((error: Error) => {
    process.stderr.write(`bench:backup failed: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
});
