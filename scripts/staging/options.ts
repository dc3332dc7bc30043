// Command-line options shared by the staging tools: named, checked, and refused with what is allowed.
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { redact } from "../../job/src/observability/redact.js";
import { StagingError, StagingExit } from "./errors.js";

/** The reviewed rules file, relative to the repository root. */
export const DEFAULT_RULES = join(resolve(__dirname, "..", ".."), "scripts", "staging", "anonymization.yaml");

export type OptionSpec = Record<string, { type: "string" | "boolean"; default?: string }>;

export function parseOptions<T extends OptionSpec>(argv: string[], spec: T, usage: string) {
    try {
        return parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false }).values;
    } catch (error) {
        const allowed = Object.keys(spec).map((name) => `--${name}`);
        throw new StagingError(`${(error as Error).message}; allowed: ${allowed.join(", ")}\n${usage}`, StagingExit.Usage);
    }
}

/** A whole number option within bounds, or a usage error naming it. */
export function wholeNumber(name: string, raw: string | undefined, min: number, max: number): number {
    const value = Number(raw);
    if (!raw || !Number.isInteger(value) || value < min || value > max) {
        throw new StagingError(`--${name} is ${JSON.stringify(raw)}; allowed: a whole number from ${min} to ${max}`, StagingExit.Usage);
    }
    return value;
}

export function required(values: Record<string, unknown>, names: string[], usage: string): void {
    const missing = names.filter((name) => !values[name]);
    if (missing.length) throw new StagingError(`missing ${missing.map((name) => `--${name}`).join(" ")}\n${usage}`, StagingExit.Usage);
}

/** Runs a tool's main: its error to stderr (secrets masked), its exit code. */
export function runTool(main: () => Promise<number>): void {
    main().then(
        (code) => {
            process.exitCode = code;
        },
        (error: unknown) => {
            const exitCode = error instanceof StagingError ? error.exitCode : 1;
            process.stderr.write(`${redact(error instanceof Error ? error.message : String(error))}\n`);
            process.exitCode = exitCode;
        },
    );
}
