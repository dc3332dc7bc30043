// Loads a clone's own Neon project (staging) with prod's data anonymized BEFORE it leaves prod's
// project (docs/neon.md, Staging):
//   0. private branches an interrupted refresh left behind (killed, machine lost) are deleted first;
//   1. a private branch of prod's production branch, with its own compute, inside prod's project;
//   2. the deny-by-default anonymization runs there, in place, and checks itself;
//   3. pg_dump of that branch, pg_restore into the clone's database in one transaction;
//   4. the private branch is deleted, whatever happened (also on SIGINT, SIGTERM and SIGHUP).
// The clone's project never holds a byte of unanonymized data, so its history cannot restore one.
//
//   NEON_SOURCE_API_KEY=… NEON_TARGET_API_KEY=… ANONYMIZATION_KEY=… tsx scripts/neonRefresh.ts \
//     --source-project ID --target-project ID [--database neondb] [--owner-role neondb_owner] [--rules FILE]
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import {
    defaultBranchOf,
    directRoleUri,
    listBranches,
    NEON_API_URL,
    type NeonBranchState,
    type NeonConnection,
    type NeonEndpointState,
    neonRequest,
} from "../stacks/neon/api.js";
import { parseToolVersion } from "../job/src/postgres/versions.js";

const ROOT = path.resolve(__dirname, "..");

export interface NeonSide {
    connection: NeonConnection;
    projectId: string;
    database: string;
    ownerRole: string;
    /** Which side, for messages: "source" or "target". */
    label?: string;
}

export interface RefreshSteps {
    /** Anonymizes the database at `url` in place and checks it; throws when anything is left unclassified or survives. */
    anonymize(url: string, signal?: AbortSignal): Promise<void>;
    /** Replaces the target database's contents with the source's, in one transaction. */
    copy(sourceUrl: string, targetUrl: string, signal?: AbortSignal): Promise<void>;
}

/** The private branch's name: it says which clone it is for, and when, so a later run can find it if this one is killed. */
export function privateBranchName(targetProjectId: string, now: Date): string {
    return `anonymize-to-${targetProjectId}-${now.toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}Z`;
}

/** Only names privateBranchName gives for this target: never another branch of the source's project. */
export function isPrivateBranchFor(name: string, targetProjectId: string): boolean {
    const match = /^anonymize-to-(.+)-\d{8}T\d{6}Z$/.exec(name);
    return match !== null && match[1] === targetProjectId;
}

const ownerUrl = (side: NeonSide, branchId: string) => directRoleUri(side.connection, side.projectId, branchId, side.database, side.ownerRole);

/** Runs one step; its error says which step and which Neon project it was about. */
async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
        return await run();
    } catch (error) {
        throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
    }
}

function stopIfAborted(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("stopped");
}

const deleteBranch = (side: NeonSide, branchId: string) => neonRequest(side.connection, "DELETE", `/projects/${side.projectId}/branches/${branchId}`);

/**
 * Runs steps 0-4; the private branch is deleted even when a step fails or `signal` aborts. Resolves to
 * the branch's name, for the log.
 */
export async function refreshFromSource(
    source: NeonSide,
    target: NeonSide,
    steps: RefreshSteps,
    log: (line: string) => void,
    signal?: AbortSignal,
): Promise<string> {
    const sourceLabel = `${source.label ?? "source"} project ${source.projectId}`;
    const targetLabel = `${target.label ?? "target"} project ${target.projectId}`;
    if (source.projectId === target.projectId) {
        throw new Error(`--target-project ${target.projectId} is the source project itself: the clone must load into its own project`);
    }
    const production = await step(`reading the default branch of ${sourceLabel}`, () => defaultBranchOf(source.connection, source.projectId));
    const targetBranch = await step(`reading the default branch of ${targetLabel}`, () => defaultBranchOf(target.connection, target.projectId));
    const branches = await step(`listing the private branches of ${sourceLabel}`, () =>
        listBranches(source.connection, source.projectId, `anonymize-to-${target.projectId}-`),
    );
    for (const leftover of branches.filter((branch) => isPrivateBranchFor(branch.name, target.projectId))) {
        await step(`deleting private branch ${leftover.name} (${leftover.id}) of ${sourceLabel}, left by an interrupted refresh`, () =>
            deleteBranch(source, leftover.id),
        );
        log(`deleted private branch ${leftover.name} (${leftover.id}), left in ${sourceLabel} by an interrupted refresh`);
    }
    stopIfAborted(signal);
    const name = privateBranchName(target.projectId, new Date());
    const created = await step(`creating private branch ${name} in ${sourceLabel}`, () =>
        neonRequest<{ branch: NeonBranchState; endpoints: NeonEndpointState[] }>(source.connection, "POST", `/projects/${source.projectId}/branches`, {
            branch: { name, parent_id: production.id },
            endpoints: [{ type: "read_write", autoscaling_limit_min_cu: 0.25, autoscaling_limit_max_cu: 2 }],
        }),
    );
    log(`created private branch ${name} (${created.branch.id}) of ${sourceLabel}'s ${production.name}`);
    // Whatever happens in the steps, the branch is deleted before the outcome is reported.
    let failure: Error | undefined;
    try {
        stopIfAborted(signal);
        const branchUrl = await step(`asking ${sourceLabel} for the owner's URL on ${name}`, () => ownerUrl(source, created.branch.id));
        await step(`anonymizing ${name}`, () => steps.anonymize(branchUrl, signal));
        log(`anonymized ${name} and checked it`);
        stopIfAborted(signal);
        const targetUrl = await step(`asking ${targetLabel} for the owner's URL on ${targetBranch.name}`, () => ownerUrl(target, targetBranch.id));
        await step(`loading ${targetLabel}'s ${targetBranch.name} from ${name}`, () => steps.copy(branchUrl, targetUrl, signal));
        log(`loaded ${targetLabel}'s ${targetBranch.name} from ${name}`);
    } catch (error) {
        failure = error as Error;
    }
    const problem = await deleteBranch(source, created.branch.id).then(
        () => undefined,
        (error: Error) => error,
    );
    if (problem === undefined) log(`deleted private branch ${name}`);
    else {
        const message =
            `could not delete private branch ${name} (${created.branch.id}) of ${sourceLabel}, which holds prod's data: ${problem.message}. ` +
            "The next refresh deletes it first; or delete it in the Neon console now";
        log(message);
        failure ??= new Error(message);
    }
    if (failure !== undefined) throw failure;
    return name;
}

/**
 * A URL without its password, and the password as PGPASSWORD (libpq and node-postgres both read it):
 * a command line is visible to every user of the machine (ps), the environment is not.
 */
export function passwordApart(url: string): { url: string; env: Record<string, string> } {
    const parsed = new URL(url);
    const password = decodeURIComponent(parsed.password);
    parsed.password = "";
    return { url: parsed.toString(), env: password === "" ? {} : { PGPASSWORD: password } };
}

/** Stops a child and, when it leads its own process group (npm, sh, tsx, node), the whole group. */
function stopChild(child: ChildProcess, group: boolean): void {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
        process.kill(group ? -child.pid : child.pid, "SIGTERM");
    } catch {
        // already gone
    }
}

/**
 * Runs a command to completion in its own process group, stopped as a whole when `signal` aborts;
 * rejects with its exit code and the end of its stderr (which never holds a URL we passed by environment).
 */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env, stdio: ["ignore", "inherit", "pipe"], detached: true });
        const stop = () => stopChild(child, true);
        signal?.addEventListener("abort", stop, { once: true });
        let stderr = "";
        child.stderr?.on("data", (chunk: Buffer) => {
            process.stderr.write(chunk);
            stderr = (stderr + chunk.toString()).slice(-2000);
        });
        child.on("error", reject);
        child.on("close", (code, killed) => {
            signal?.removeEventListener("abort", stop);
            if (code === 0) resolve();
            else reject(new Error(`${command} ${args[0] ?? ""} ${killed ? `was stopped (${killed})` : `exited ${code}`}: ${stderr.trim().slice(-600)}`));
        });
    });
}

/** The anonymization CLI (npm run anonymize, docs/staging-anonymization.md) on a database: deny-by-default, then a self-check. */
export function anonymizationCommand(root: string, databaseUrl: string, rules: string | undefined): string[] {
    const scripts = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts?: Record<string, string> }).scripts ?? {};
    if (scripts["anonymize"] === undefined) {
        throw new Error(
            "this checkout has no anonymization CLI (`npm run anonymize`): refusing to copy prod's data anywhere. It is the deny-by-default " +
                "anonymization of docs/neon.md, Staging",
        );
    }
    return ["npm", "run", "--silent", "anonymize", "--", "run", "--database-url", databaseUrl, ...(rules === undefined ? [] : ["--rules", rules])];
}

/**
 * What keeps the planner's statistics out of the copy. pg_dump and pg_restore 18 can carry them, and
 * their most common values are column values sampled on the branch before the anonymization rewrote
 * it (issue 22 §2: "its statistics hold sample values"); older versions never dump them and do not know the option.
 */
export function statisticsArgs(versionBanner: string): string[] {
    return parseToolVersion(versionBanner).major >= 18 ? ["--no-statistics"] : [];
}

function versionBanner(tool: string): string {
    const result = spawnSync(tool, ["--version"], { encoding: "utf8" });
    if (result.status !== 0)
        throw new Error(`${tool} --version failed (${result.error?.message ?? result.stderr.trim()}): set PG_BIN_DIR or PATH to PostgreSQL's tools`);
    return result.stdout;
}

/**
 * pg_dump of the source piped into pg_restore on the target: no owner, no grants (the roles differ), the
 * target's objects replaced in ONE transaction, so a failure or a stop leaves the target as it was.
 */
export function pgCopy(binDir: string | undefined): RefreshSteps["copy"] {
    const bin = (name: string) => (binDir === undefined ? name : path.join(binDir, name));
    return (sourceUrl, targetUrl, signal) =>
        new Promise((resolve, reject) => {
            const from = passwordApart(sourceUrl);
            const to = passwordApart(targetUrl);
            const dumpArgs = ["--format=custom", "--no-owner", "--no-acl", ...statisticsArgs(versionBanner(bin("pg_dump")))];
            const restoreArgs = ["--no-owner", "--no-acl", "--clean", "--if-exists", "--single-transaction", "--exit-on-error"];
            const dump = spawn(bin("pg_dump"), [...dumpArgs, "--dbname", from.url], {
                stdio: ["ignore", "pipe", "pipe"],
                env: { ...process.env, ...from.env },
            });
            const restore = spawn(bin("pg_restore"), [...restoreArgs, ...statisticsArgs(versionBanner(bin("pg_restore"))), "--dbname", to.url], {
                stdio: ["pipe", "inherit", "pipe"],
                env: { ...process.env, ...to.env },
            });
            const stop = () => {
                stopChild(dump, false);
                stopChild(restore, false);
            };
            signal?.addEventListener("abort", stop, { once: true });
            dump.stdout.pipe(restore.stdin);
            restore.stdin.on("error", () => undefined); // pg_restore gone first: its own exit code says why
            const errors: string[] = [];
            dump.stderr.on("data", (chunk: Buffer) => errors.push(chunk.toString()));
            restore.stderr.on("data", (chunk: Buffer) => errors.push(chunk.toString()));
            const exits = [dump, restore].map((child) => new Promise<string>((done) => child.on("close", (code, killed) => done(killed ?? String(code)))));
            Promise.all(exits).then(([dumpExit, restoreExit]) => {
                signal?.removeEventListener("abort", stop);
                if (dumpExit === "0" && restoreExit === "0") resolve();
                else reject(new Error(`pg_dump exited ${dumpExit}, pg_restore exited ${restoreExit}: ${errors.join("").trim().slice(-2000)}`));
            }, reject);
        });
}

/** Neon's API, or a local fake of it (tests only): the API keys are sent nowhere else. */
export function neonApiUrl(env: NodeJS.ProcessEnv): string {
    const override = env["NEON_API_URL"];
    if (override === undefined || override === "") return NEON_API_URL;
    if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(override)) {
        throw new Error(
            `NEON_API_URL is ${JSON.stringify(override)}; allowed: unset (Neon's API, ${NEON_API_URL}) or http://127.0.0.1:PORT/... (a local fake, in tests)`,
        );
    }
    return override;
}

const EXIT_ON_SIGNAL: Readonly<Record<string, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

async function main(argv: string[]): Promise<number> {
    const { values } = parseArgs({
        args: argv,
        options: {
            "source-project": { type: "string" },
            "target-project": { type: "string" },
            database: { type: "string", default: "neondb" },
            "owner-role": { type: "string", default: "neondb_owner" },
            rules: { type: "string" },
        },
        strict: true,
    });
    const sourceKey = process.env["NEON_SOURCE_API_KEY"];
    const targetKey = process.env["NEON_TARGET_API_KEY"];
    if (!values["source-project"] || !values["target-project"]) throw new Error("--source-project and --target-project are required");
    if (!sourceKey || !targetKey)
        throw new Error("NEON_SOURCE_API_KEY and NEON_TARGET_API_KEY must be set (scripts/neon-refresh.sh reads them from the stacks)");
    if (!process.env["ANONYMIZATION_KEY"]) throw new Error("ANONYMIZATION_KEY must be set: the anonymization's keyed fakes need it");
    const baseUrl = neonApiUrl(process.env);
    anonymizationCommand(ROOT, "", values.rules);
    // A stop (Ctrl-C, SIGTERM, a closed terminal) stops the running step, then the private branch is
    // deleted before the process exits. A SIGKILL cannot be caught: the next refresh deletes the branch first.
    const controller = new AbortController();
    let stoppedBy: string | undefined;
    for (const name of Object.keys(EXIT_ON_SIGNAL)) {
        process.on(name, () => {
            if (stoppedBy !== undefined) return;
            stoppedBy = name;
            process.stderr.write(`${name}: stopping; the private branch is deleted before exit\n`);
            controller.abort(new Error(`stopped by ${name}`));
        });
    }
    const side = (apiKey: string, projectId: string, label: string): NeonSide => ({
        connection: { baseUrl, apiKey },
        projectId,
        database: values.database,
        ownerRole: values["owner-role"],
        label,
    });
    try {
        await refreshFromSource(
            side(sourceKey, values["source-project"], "source"),
            side(targetKey, values["target-project"], "target"),
            {
                anonymize: (url, signal) => {
                    const { url: bare, env } = passwordApart(url);
                    const [command, ...args] = anonymizationCommand(ROOT, bare, values.rules) as [string, ...string[]];
                    return run(command, args, { ...process.env, ...env, NEON_SOURCE_API_KEY: "", NEON_TARGET_API_KEY: "" }, signal);
                },
                copy: pgCopy(process.env["PG_BIN_DIR"]),
            },
            (line) => process.stderr.write(`${line}\n`),
            controller.signal,
        );
        return 0;
    } catch (error) {
        process.stderr.write(`${(error as Error).message}\n`);
        return stoppedBy === undefined ? 1 : (EXIT_ON_SIGNAL[stoppedBy] ?? 1);
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: unknown) => {
            process.stderr.write(`${(error as Error).message}\n`);
            process.exit(2);
        },
    );
}
