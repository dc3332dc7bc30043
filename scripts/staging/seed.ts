// scripts/seed-staging-data.sh: seeds a non-production database from production's backup, anonymized
// BEFORE it gets there. The backup is restored into a scratch database on a server you trust; the
// rules file must cover every column that can hold personal data (else the run stops there, naming
// each column, and the target is never touched); the rules rewrite the scratch copy; only that copy
// is backed up and restored into the target; a self-check then looks for sampled originals in it.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type pg from "pg";
import { withDatabase } from "../../job/src/postgres/dburl.js";
import { anonymizationKey, findSurvivors } from "./anonymize.js";
import { quoteIdent } from "./catalog.js";
import { DEFAULT_RULES, parseOptions, required, runTool, wholeNumber } from "./options.js";
import { StagingError, StagingExit } from "./errors.js";
import { anonymizeInPlace, connectTo } from "./refresh.js";
import { loadRules } from "./rules.js";

const REPO_ROOT = resolve(__dirname, "..", "..");

const USAGE = `usage: scripts/seed-staging-data.sh --from s3://PROD-BUCKET/PREFIX --database-url TARGET_URL --scratch-url SERVER_URL [--name NAME] [--backup ID|latest] [--clean]
                                   [--rules FILE] [--check-rows N] [--check-seconds S]
  --from           where production's backups are (the prod stack's output backupBucketName + /postgres)
  --database-url   the database to seed (staging's own; never production's)
  --scratch-url    a database on a server you trust (e.g. postgresql://localhost/postgres), role with CREATEDB:
                   a scratch database is created there for the raw restore and dropped at the end
  --name           backup name to seed from (the prod stack's backupDatabaseName); needed for latest when
                   the target holds backups of more than one name
  --backup         backup id to seed from (default: latest, the newest backup of --name)
  --clean          replace the target's contents (without it, a non-empty target is refused, exit 9)
  --rules          the anonymization rules (default: scripts/staging/anonymization.yaml); every column that can hold
                   personal data needs one, else the run stops (exit 11) before the target is touched
  --check-rows     rows per anonymized column whose original values the self-check looks for in the target (default 200)
  --check-seconds  time the self-check may take in all (default 120)
  ANONYMIZATION_KEY (environment): at least 16 characters; the same key gives the same fakes on every
  reseed. Without it a random key is used for this run.`;

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The backup job, run the way the README teaches (the workspace's bin, so a signal reaches the job itself):
 * the ONLY place this tool invokes it. The database URL reaches it through a private file, never its
 * argv, which every local user can read in `ps`. Its output goes to stderr.
 */
function backupJob(args: string[], databaseUrl: string, work: string, running: Set<ChildProcess>): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...process.env, PAGER: "cat", PSQL_PAGER: "cat" };
    delete env["ANONYMIZATION_KEY"];
    const urlFile = join(mkdtempSync(join(work, "url-")), "database-url");
    writeFileSync(urlFile, databaseUrl, { mode: 0o600 });
    const child = spawn(join(REPO_ROOT, "node_modules", ".bin", "backup-job"), [...args, "--database-url-file", urlFile], {
        stdio: ["ignore", 2, 2],
        env,
        detached: true,
    });
    running.add(child);
    return new Promise((done, fail) => {
        child.once("error", fail);
        child.once("close", (code, signal) => {
            running.delete(child);
            rmSync(urlFile, { force: true });
            if (code === 0) done();
            else fail(new StagingError(`the backup job's ${args[0]} failed (exit ${code ?? signal})`, code ?? (signal === "SIGINT" ? 130 : 143)));
        });
    });
}

async function main(argv: string[]): Promise<number> {
    const values = parseOptions(
        argv,
        {
            from: { type: "string" },
            "database-url": { type: "string" },
            "scratch-url": { type: "string" },
            name: { type: "string" },
            backup: { type: "string", default: "latest" },
            clean: { type: "boolean" },
            rules: { type: "string", default: DEFAULT_RULES },
            "check-rows": { type: "string", default: "200" },
            "check-seconds": { type: "string", default: "120" },
            help: { type: "boolean" },
        },
        USAGE,
    );
    if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    required(values, ["from", "database-url", "scratch-url"], USAGE);
    const [from, target, scratchServer, backup] = [values.from, values["database-url"], values["scratch-url"], values.backup ?? "latest"] as string[];
    const rulesPath = values.rules ?? DEFAULT_RULES;
    const rules = loadRules(rulesPath);
    const sampleRows = wholeNumber("check-rows", values["check-rows"], 1, 1_000_000);
    const seconds = wholeNumber("check-seconds", values["check-seconds"], 1, 86_400);
    if (!/^postgres(ql)?:\/\//.test(scratchServer)) throw new StagingError("--scratch-url must be a postgres:// or postgresql:// URL", StagingExit.Usage);
    let key: string;
    if (process.env["ANONYMIZATION_KEY"] === undefined) {
        key = randomBytes(24).toString("base64");
        log("ANONYMIZATION_KEY not set: using a random key for this run (fakes differ from the previous seed)");
    } else key = anonymizationKey(process.env);

    const scratchName = `seed_anonymize_${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}_${process.pid}`;
    const scratchUrl = withDatabase(scratchServer, scratchName);
    const running = new Set<ChildProcess>();
    const sessions = new Set<pg.Client>();
    let interrupted: NodeJS.Signals | undefined;
    /** Between steps: a signal received during the last one ends the run here, through the cleanup. */
    const step = (line: string) => {
        if (interrupted) throw new StagingError(`stopped by ${interrupted}`, interrupted === "SIGINT" ? 130 : 143);
        log(line);
    };
    const open = async (url: string) => {
        const client = await connectTo(url);
        sessions.add(client);
        return client;
    };
    const close = async (client: pg.Client) => {
        sessions.delete(client);
        await client.end().catch(() => undefined);
    };
    // On SIGINT/SIGTERM: stop the job's process group and end the data sessions (their open transaction rolls back).
    // The admin session is left to finish its statement, so the cleanup knows whether the scratch database exists.
    const stop = (signal: NodeJS.Signals) => {
        interrupted = signal;
        for (const child of running) {
            try {
                if (child.pid) process.kill(-child.pid, signal);
            } catch {
                // It ended meanwhile.
            }
        }
        for (const client of sessions) void close(client);
    };
    process.on("SIGINT", stop).on("SIGTERM", stop);

    const admin = await connectTo(scratchServer);
    const work = mkdtempSync(join(tmpdir(), "seed-staging-"));
    let created = false;
    try {
        step(`1/5 restoring ${from} (${backup}) into scratch database ${scratchName}`);
        // template0: nothing added to template1 on that server can collide with the restored objects.
        await admin.query(`CREATE DATABASE ${quoteIdent(scratchName)} TEMPLATE template0`);
        created = true;
        step(`    ${scratchName} created; the backup job restores into it`);
        await backupJob(
            ["restore", "--from", from, ...(values.name === undefined ? [] : ["--name", values.name]), "--backup", backup],
            scratchUrl,
            work,
            running,
        );

        step(`2/5 checking the rules (${rulesPath}) and anonymizing the scratch copy`);
        const scratch = await open(scratchUrl);
        const samples = await anonymizeInPlace(scratch, rules, rulesPath, key, { sampleRows, log }).finally(() => close(scratch));

        step("3/5 backing up the anonymized copy");
        await backupJob(["backup", "--to", `file://${join(work, "dump")}`, "--name", "anonymized"], scratchUrl, work, running);

        step("4/5 restoring the anonymized copy into the target");
        await backupJob(
            ["restore", "--from", `file://${join(work, "dump")}`, "--name", "anonymized", "--backup", "latest", ...(values.clean ? ["--clean"] : [])],
            target,
            work,
            running,
        );

        step("5/5 looking for the source's original values in the target");
        const seeded = await open(target);
        const check = await findSurvivors(seeded, samples, seconds).finally(() => close(seeded));
        for (const line of check.report) log(line);
        if (check.survivors.length) {
            throw new StagingError(`self-check failed: original values reached the target:\n  ${check.survivors.join("\n  ")}`, StagingExit.SurvivorsFound);
        }
        process.stdout.write(`seeded the target with an anonymized copy of ${from} (${backup})\n`);
        return 0;
    } finally {
        if (created) {
            await admin
                .query(`DROP DATABASE IF EXISTS ${quoteIdent(scratchName)} WITH (FORCE)`)
                .catch(() => log(`could not drop scratch database ${scratchName}; drop it by hand`));
        }
        await admin.end().catch(() => undefined);
        rmSync(work, { recursive: true, force: true });
    }
}

runTool(() => main(process.argv.slice(2)));
