// The offline plan: runs the Pulumi program under the mock runtime with a stack's settings and
// prints every resource `pulumi up` would create. No Pulumi CLI, cloud account or plugin needed.
//
//   npm run plan -- --stack prod [--config-file PATH] [--json]
//   npm run plan -- --stack prod --diff [--diff-ref GIT_REF]   against plans/prod.json (or as committed at GIT_REF)
//   npm run plan -- --program bootstrap --stack account [--json]     the account program (bootstrap/)
//   npm run plan:update            rewrites plans/<stack>.json for every Pulumi.<stack>.yaml, and
//                                  plans/bootstrap-<stack>.json for every bootstrap/Pulumi.<stack>.yaml
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { callerDirectory } from "../../job/src/storage/target.js";
import { ACCOUNT_PROJECT } from "../../stacks/shared/account.js";
import { SettingsError } from "../../stacks/settings/registry.js";
import { PROJECT, runOffline } from "./mockRuntime.js";
import { diffPlans, diffToText } from "./planDiff.js";
import { buildPlan, type Plan, parsePlan, planToJson, planToText, stackNames } from "./planFormat.js";
import { readStackFile, StackFileError } from "./stackFile.js";

const ROOT = path.resolve(__dirname, "..", "..");
const USAGE = "usage: npm run plan -- [--program main|bootstrap] --stack <name> [--config-file <path>] [--json | --diff [--diff-ref <git ref>]] | --update-all";

/** The two Pulumi programs of the repository: where their stack files are, their project, how to load them, where their plans go. */
interface Program {
    dir: string;
    project: string;
    load: () => Promise<Record<string, unknown>>;
    planFile: (stack: string) => string;
}

const PROGRAMS: Record<string, Program> = {
    main: { dir: ROOT, project: PROJECT, load: () => import("../../index.js"), planFile: (stack) => planFilePath(stack) },
    bootstrap: {
        dir: path.join(ROOT, "bootstrap"),
        project: ACCOUNT_PROJECT,
        load: () => import("../../bootstrap/index.js"),
        planFile: (stack) => planFilePath(`bootstrap-${stack}`),
    },
};

function programNamed(name: string): Program {
    const program = PROGRAMS[name];
    if (program === undefined) throw new UsageError(`--program "${name}" is not a program; allowed: ${Object.keys(PROGRAMS).join(", ")}`);
    return program;
}

/** Exit codes: 2 for a wrong command line, 3 for invalid stack settings or an unreadable settings file. */
class UsageError extends Error {}

function planFilePath(stack: string): string {
    return path.join(ROOT, "plans", `${stack}.json`);
}

async function planStack(program: Program, stack: string, configFile: string) {
    const stackFile = readStackFile(configFile, program.project);
    const run = await runOffline({
        stack,
        project: program.project,
        config: stackFile.values,
        secretKeys: [...stackFile.secretKeys],
        load: program.load,
    });
    return buildPlan(program.project, stack, run);
}

/** The plan to compare with: plans/<stack>.json as it is, or as committed at a git ref. */
function committedPlan(program: Program, stack: string, ref: string | undefined): { plan: Plan; source: string } {
    const file = path.relative(ROOT, program.planFile(stack));
    if (ref === undefined) {
        if (!existsSync(program.planFile(stack))) {
            throw new UsageError(`--diff: ${file} does not exist (stacks with a committed plan: ${stackNames(program.dir).join(", ")})`);
        }
        return { plan: parsePlan(readFileSync(program.planFile(stack), "utf8")), source: file };
    }
    if (ref.startsWith("-")) throw new UsageError(`--diff-ref ${ref}: expected a git ref (a branch, tag or commit)`);
    const shown = spawnSync("git", ["show", `${ref}:${file}`], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (shown.status !== 0) throw new UsageError(`--diff-ref ${ref}: git has no ${file} there (${shown.stderr.trim().split("\n")[0]})`);
    return { plan: parsePlan(shown.stdout), source: `${file} at ${ref}` };
}

/** Each stack needs a fresh process: the Pulumi runtime keeps one program's state per process. */
function updateAll(): void {
    for (const [name, program] of Object.entries(PROGRAMS)) {
        for (const stack of stackNames(program.dir)) {
            const json = execFileSync(process.execPath, [...process.execArgv, __filename, "--program", name, "--stack", stack, "--json"], {
                cwd: ROOT,
                encoding: "utf8",
                stdio: ["ignore", "pipe", "inherit"],
            });
            writeFileSync(program.planFile(stack), json);
            process.stdout.write(`wrote ${path.relative(ROOT, program.planFile(stack))}\n`);
        }
    }
}

async function main(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: {
            program: { type: "string", default: "main" },
            stack: { type: "string" },
            "config-file": { type: "string" },
            json: { type: "boolean", default: false },
            diff: { type: "boolean", default: false },
            "diff-ref": { type: "string" },
            "update-all": { type: "boolean", default: false },
            help: { type: "boolean", default: false },
        },
        strict: true,
    });
    if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        return;
    }
    if (values["update-all"]) {
        updateAll();
        return;
    }
    const program = programNamed(values.program);
    const stack = values.stack;
    if (!stack) throw new UsageError(`--stack is required (one of: ${stackNames(program.dir).join(", ")})\n${USAGE}`);
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack "${stack}" is not a stack name: use letters, digits, "-", "_" or "."`);
    const given = values["config-file"];
    // As the backup job reads relative paths: against the directory the user typed the command in
    // (npm runs scripts from the repository root and passes that directory in INIT_CWD).
    const configFile = given !== undefined ? path.resolve(callerDirectory(process.env, process.cwd()), given) : path.join(program.dir, `Pulumi.${stack}.yaml`);
    if (!existsSync(configFile)) {
        const stacks = `stacks with a settings file: ${stackNames(program.dir).join(", ")}`;
        throw new UsageError(
            given !== undefined
                ? `--config-file ${given}: ${configFile} does not exist`
                : `no settings file for stack "${stack}": ${path.relative(ROOT, configFile)} does not exist (${stacks}; or give one with --config-file <path>)`,
        );
    }
    if (values["diff-ref"] !== undefined && !values.diff) throw new UsageError(`--diff-ref needs --diff\n${USAGE}`);
    if (values.diff && values.json) throw new UsageError(`--diff and --json are exclusive\n${USAGE}`);
    // Read before planning: a bad ref or a stack with no committed plan fails at once.
    const base = values.diff ? committedPlan(program, stack, values["diff-ref"]) : undefined;
    const plan = await planStack(program, stack, configFile);
    if (base) process.stdout.write(diffToText(diffPlans(base.plan, plan), base.source));
    else process.stdout.write(values.json ? planToJson(plan) : planToText(plan));
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((error: unknown) => {
        if (error instanceof SettingsError || error instanceof StackFileError) {
            process.stderr.write(`${error.message}\n`);
            process.exit(3);
        }
        if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
            process.stderr.write(`${(error as Error).message}\n`);
            process.exit(2);
        }
        process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
        process.exit(1);
    });
}
