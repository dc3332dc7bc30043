// Loads a clone's own Neon project (staging) with prod's data anonymized BEFORE it leaves prod's
// project (docs/neon.md, Staging):
//   1. a private branch of prod's production branch, with its own compute, inside prod's project;
//   2. the deny-by-default anonymization runs there, in place, and checks itself;
//   3. pg_dump of that branch, pg_restore into the clone's database;
//   4. the private branch is deleted, whatever happened.
// The clone's project never holds a byte of unanonymized data, so its history cannot restore one.
//
//   NEON_SOURCE_API_KEY=… NEON_TARGET_API_KEY=… ANONYMIZATION_KEY=… tsx scripts/neonRefresh.ts \
//     --source-project ID --target-project ID [--database neondb] [--owner-role neondb_owner]
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import {
    defaultBranchOf,
    directRoleUri,
    NEON_API_URL,
    type NeonBranchState,
    type NeonConnection,
    type NeonEndpointState,
    neonRequest,
} from "../stacks/neon/api.js";

const ROOT = path.resolve(__dirname, "..");

export interface NeonSide {
    connection: NeonConnection;
    projectId: string;
    database: string;
    ownerRole: string;
}

export interface RefreshSteps {
    /** Anonymizes the database at `url` in place and checks it; throws when anything is left unclassified or survives. */
    anonymize(url: string): Promise<void>;
    /** Replaces the target database's contents with the source's. */
    copy(sourceUrl: string, targetUrl: string): Promise<void>;
}

const ownerUrl = (side: NeonSide, branchId: string) => directRoleUri(side.connection, side.projectId, branchId, side.database, side.ownerRole);

/** Runs the four steps; the private branch is deleted even when a step fails. Resolves to the branch's name, for the log. */
export async function refreshFromSource(source: NeonSide, target: NeonSide, steps: RefreshSteps, log: (line: string) => void): Promise<string> {
    if (source.projectId === target.projectId) {
        throw new Error(`--target-project ${target.projectId} is the source project itself: the clone must load into its own project`);
    }
    const production = await defaultBranchOf(source.connection, source.projectId);
    const targetBranch = await defaultBranchOf(target.connection, target.projectId);
    const name = `anonymize-${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}`;
    const created = await neonRequest<{ branch: NeonBranchState; endpoints: NeonEndpointState[] }>(
        source.connection,
        "POST",
        `/projects/${source.projectId}/branches`,
        { branch: { name, parent_id: production.id }, endpoints: [{ type: "read_write", autoscaling_limit_min_cu: 0.25, autoscaling_limit_max_cu: 2 }] },
    );
    log(`created private branch ${name} (${created.branch.id}) of ${source.projectId}'s ${production.name}`);
    try {
        const branchUrl = await ownerUrl(source, created.branch.id);
        await steps.anonymize(branchUrl);
        log(`anonymized ${name} and checked it`);
        await steps.copy(branchUrl, await ownerUrl(target, targetBranch.id));
        log(`loaded ${target.projectId}'s ${targetBranch.name} from ${name}`);
    } finally {
        await neonRequest(source.connection, "DELETE", `/projects/${source.projectId}/branches/${created.branch.id}`);
        log(`deleted private branch ${name}`);
    }
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

/** Runs a command to completion; rejects with its exit code and the end of its stderr (which never holds a URL we passed by environment). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env, stdio: ["ignore", "inherit", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => {
            stderr = (stderr + chunk.toString()).slice(-2000);
        });
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args[0] ?? ""} exited ${code}: ${stderr.trim()}`))));
    });
}

/** The anonymization CLI (npm run anonymize, docs/staging-anonymization.md): deny-by-default, then a self-check. */
export function anonymizationCommand(root = ROOT): string[] {
    const scripts = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts?: Record<string, string> }).scripts ?? {};
    if (scripts["anonymize"] === undefined) {
        throw new Error(
            "this checkout has no anonymization CLI (`npm run anonymize`): refusing to copy prod's data anywhere. It is the deny-by-default " +
                "anonymization of docs/neon.md, Staging",
        );
    }
    return ["npm", "run", "--silent", "anonymize", "--", "run", "--database-url"];
}

/** pg_dump of the source piped into pg_restore on the target: no owner, no grants (the roles differ), the target's objects replaced. */
export function pgCopy(binDir: string | undefined): RefreshSteps["copy"] {
    const bin = (name: string) => (binDir === undefined ? name : path.join(binDir, name));
    return (sourceUrl, targetUrl) =>
        new Promise((resolve, reject) => {
            const from = passwordApart(sourceUrl);
            const to = passwordApart(targetUrl);
            const dump = spawn(bin("pg_dump"), ["--format=custom", "--no-owner", "--no-acl", "--dbname", from.url], {
                stdio: ["ignore", "pipe", "pipe"],
                env: { ...process.env, ...from.env },
            });
            const restore = spawn(
                bin("pg_restore"),
                ["--no-owner", "--no-acl", "--clean", "--if-exists", "--single-transaction", "--exit-on-error", "--dbname", to.url],
                { stdio: ["pipe", "inherit", "pipe"], env: { ...process.env, ...to.env } },
            );
            dump.stdout.pipe(restore.stdin);
            const errors: string[] = [];
            dump.stderr.on("data", (chunk: Buffer) => errors.push(chunk.toString()));
            restore.stderr.on("data", (chunk: Buffer) => errors.push(chunk.toString()));
            const exits = [dump, restore].map((child) => new Promise<number | null>((done) => child.on("close", done)));
            Promise.all(exits).then(([dumpCode, restoreCode]) => {
                if (dumpCode === 0 && restoreCode === 0) resolve();
                else reject(new Error(`pg_dump exited ${dumpCode}, pg_restore exited ${restoreCode}: ${errors.join("").trim().slice(-2000)}`));
            }, reject);
        });
}

async function main(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: {
            "source-project": { type: "string" },
            "target-project": { type: "string" },
            database: { type: "string", default: "neondb" },
            "owner-role": { type: "string", default: "neondb_owner" },
        },
        strict: true,
    });
    const sourceKey = process.env["NEON_SOURCE_API_KEY"];
    const targetKey = process.env["NEON_TARGET_API_KEY"];
    if (!values["source-project"] || !values["target-project"]) throw new Error("--source-project and --target-project are required");
    if (!sourceKey || !targetKey)
        throw new Error("NEON_SOURCE_API_KEY and NEON_TARGET_API_KEY must be set (scripts/neon-refresh.sh reads them from the stacks)");
    if (!process.env["ANONYMIZATION_KEY"]) throw new Error("ANONYMIZATION_KEY must be set: the anonymization's keyed fakes need it");
    const anonymize = anonymizationCommand();
    const side = (connection: NeonConnection, projectId: string): NeonSide => ({
        connection,
        projectId,
        database: values.database,
        ownerRole: values["owner-role"],
    });
    const [command, ...args] = anonymize as [string, ...string[]];
    await refreshFromSource(
        side({ baseUrl: NEON_API_URL, apiKey: sourceKey }, values["source-project"]),
        side({ baseUrl: NEON_API_URL, apiKey: targetKey }, values["target-project"]),
        {
            anonymize: (url) => {
                const { url: bare, env } = passwordApart(url);
                return run(command, [...args, bare], { ...process.env, ...env, NEON_SOURCE_API_KEY: "", NEON_TARGET_API_KEY: "" });
            },
            copy: pgCopy(process.env["PG_BIN_DIR"]),
        },
        (line) => process.stderr.write(`${line}\n`),
    );
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((error: unknown) => {
        process.stderr.write(`${(error as Error).message}\n`);
        process.exit(1);
    });
}
