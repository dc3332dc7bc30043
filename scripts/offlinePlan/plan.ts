// The offline plan: runs the Pulumi program under the mock runtime with a stack's settings and
// prints every resource `pulumi up` would create. No Pulumi CLI, cloud account or plugin needed.
//
//   npm run plan -- --stack prod [--config-file PATH] [--json]
//   npm run plan -- --program bootstrap --stack account [--json]     the account program (bootstrap/)
//   npm run plan:update            rewrites plans/<stack>.json for every Pulumi.<stack>.yaml, and
//                                  plans/bootstrap-<stack>.json for every bootstrap/Pulumi.<stack>.yaml
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ACCOUNT_PROJECT } from "../../stacks/shared/account.js";
import { SettingsError } from "../../stacks/settings/registry.js";
import { PROJECT, runOffline } from "./mockRuntime.js";
import { buildPlan, planToJson, planToText, stackNames } from "./planFormat.js";
import { readStackFile, StackFileError } from "./stackFile.js";

const ROOT = path.resolve(__dirname, "..", "..");
const USAGE = "usage: npm run plan -- [--program main|bootstrap] --stack <name> [--config-file <path>] [--json] | --update-all";

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
    const configFile = path.resolve(values["config-file"] ?? path.join(program.dir, `Pulumi.${stack}.yaml`));
    if (!existsSync(configFile)) {
        throw new UsageError(`--config-file ${configFile} does not exist (stacks with a settings file: ${stackNames(program.dir).join(", ")})`);
    }
    const plan = await planStack(program, stack, configFile);
    process.stdout.write(values.json ? planToJson(plan) : planToText(plan));
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
