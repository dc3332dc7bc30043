// What the CLI tells a person: the help generated from the option declarations, and a guess at what a
// mistyped command or option meant.
import { COMMAND_OPTIONS, type CommandName, type OptionDecl } from "./options.js";

const HELP_WIDTH = 100;

function optionLabel(option: OptionDecl): string {
    const flag = option.name === "help" ? "-h, --help" : `--${option.name}`;
    return option.kind === "flag" ? flag : `${flag} ${option.value}`;
}

function optionText(option: OptionDecl): string {
    const range = option.kind === "int" ? `, ${option.min}-${option.max}` : "";
    const shownDefault = option.kind === "int" ? String(option.fallback) : option.kind === "text" ? option.shownDefault : undefined;
    const facts = [option.env && `env ${option.env}`, shownDefault !== undefined && `default ${shownDefault}`].filter(Boolean).join(", ");
    const extras = [facts, option.note].filter(Boolean).join("; ");
    return `${option.description}${range}${extras ? ` (${extras})` : ""}`;
}

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
    const lines: string[] = [];
    for (const word of text.split(" ")) {
        const last = lines.length - 1;
        if (last >= 0 && lines[last]!.length + 1 + word.length <= width) lines[last] += ` ${word}`;
        else lines.push(word);
    }
    return lines;
}

/** A command's help, generated from the declarations the parser enforces. */
export function commandHelp(command: CommandName): string {
    const { usage, options } = COMMAND_OPTIONS[command];
    const column = Math.max(...options.map((o) => optionLabel(o).length)) + 4;
    const lines = options.flatMap((option) =>
        wrap(optionText(option), HELP_WIDTH - column).map((text, i) =>
            i === 0 ? `  ${optionLabel(option).padEnd(column - 2)}${text}` : `${" ".repeat(column)}${text}`,
        ),
    );
    return [`Usage: ${usage}`, "", ...lines].join("\n");
}

export const MAIN_HELP = `Usage: backup-job <command> [options]

Commands:
  backup    dump a database (pg_dump -Fc | zstd) to a target, with a manifest written last
  list      list the backups in a target (only those with a manifest), newest first
  restore   restore a backup into a database, all or nothing: nothing commits unless its bytes match the manifest
  verify    restore drill: restore into a scratch database, compare row counts, drop it

Run "backup-job <command> --help" for the options of a command, "backup-job --version" for the version.
Exit codes: 0 ok, 1 internal error, 2 usage/configuration (also "latest" without --name in a
target holding several backup names), 3 connection/authentication,
4 version guard, 5 dump failed, 6 storage, 7 verification failed, 8 restore failed,
9 refused (restore target not empty, read-only or a template, a database setting the restoring role may
not set, --clean not confirmed),
10 lock wait timed out (retryable), 124 maximum runtime reached, 130/143 interrupted by SIGINT/SIGTERM.`;

/** Edits (insert, delete, replace) between two words. */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const row = [i];
        for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
        previous = row;
    }
    return previous[b.length]!;
}

/** The candidate a mistyped word most likely meant: at most two edits away (one for words of up to four letters), else none. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
    const limit = word.length <= 4 ? 1 : 2;
    const scored = candidates.map((candidate) => ({ candidate, distance: editDistance(word, candidate) })).filter((c) => c.distance <= limit);
    return scored.sort((a, b) => a.distance - b.distance)[0]?.candidate;
}

export const didYouMean = (guess: string | undefined) => (guess === undefined ? "" : `did you mean "${guess}"? `);
