// The anonymization rules file (scripts/staging/anonymization.yaml): one explicit rule per column that
// can hold personal data or a secret, matched by exact schema, table and column name. Parsing and the
// rule catalog live here; what each rule does in SQL is in anonymize.ts.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";
import { StagingError, StagingExit } from "./errors.js";

/**
 * What a column's (element) type can carry, from its base type after domains and arrays. Numbers,
 * booleans and intervals are the only types exempt from classification: they cannot hold a name, a
 * note or a token. Everything else, including types this list has never heard of, must be classified.
 */
export type ColumnKind = "text" | "json" | "date" | "time" | "network" | "bytea" | "uuid" | "enum" | "other";

export const RULE_NAMES = [
    "safe",
    "set-null",
    "constant",
    "text",
    "email",
    "name",
    "phone",
    "address",
    "identity-document",
    "payment-reference",
    "ip",
    "url",
    "token",
    "password-hash",
    "shift-date",
    "choice",
    "json-strings",
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

const ANY_KIND: readonly ColumnKind[] = ["text", "json", "date", "time", "network", "bytea", "uuid", "enum", "other"];
const TEXT: readonly ColumnKind[] = ["text"];

/** Which column kinds each rule can rewrite, and what it does (shown in errors and the draft). */
export const RULES: Record<RuleName, { kinds: readonly ColumnKind[]; does: string }> = {
    safe: { kinds: ANY_KIND, does: "declared free of personal data and secrets: copied as it is" },
    "set-null": { kinds: ANY_KIND, does: "set to NULL (the column must be nullable)" },
    constant: { kinds: ANY_KIND, does: "set to `value` (read as the column's type) in every row" },
    text: { kinds: TEXT, does: "free text replaced whole by filler text of the same length" },
    email: { kinds: TEXT, does: "guest-<keyed hash>@example.invalid (stable: the same address gives the same fake)" },
    name: { kinds: TEXT, does: "Guest <keyed hash> (stable)" },
    phone: { kinds: TEXT, does: "+999 and 9 digits from a keyed hash: +999 is an unassigned country code (stable)" },
    address: { kinds: TEXT, does: "<n> Example Street, <5 digits> Sampletown (stable)" },
    "identity-document": { kinds: TEXT, does: "X and 8 characters from a keyed hash: passport and ID card numbers (stable)" },
    "payment-reference": { kinds: TEXT, does: "PAYREF-<keyed hash> (stable)" },
    ip: { kinds: ["text", "network"], does: "an address in 2001:db8::/32, the IPv6 documentation range (stable)" },
    url: { kinds: TEXT, does: "https://hooks.example.invalid/<keyed hash>: webhooks and callbacks that reach nobody (stable)" },
    token: { kinds: ["text", "uuid", "bytea"], does: "a new random value in every row: sessions, API tokens, reset links" },
    "password-hash": { kinds: TEXT, does: "!staging-login-disabled: no password verifies against it" },
    "shift-date": { kinds: ["date"], does: "moved by 1 to `maxDays` days (default 182) either way, keyed by the value: ages stay plausible" },
    choice: { kinds: ["text", "enum"], does: "one of `values`, picked by a keyed hash of the original: nationality, gender (stable)" },
    "json-strings": {
        kinds: ["json"],
        does: "every string leaf under each of `paths` (dotted keys; all of the document without `paths`) replaced by a keyed hash",
    },
};

const rulesFile = z
    .object({
        version: z.literal(1),
        draft: z.literal(true).optional(),
        largeObjects: z.enum(["keep", "drop"]).optional(),
        schemas: z.record(z.string(), z.record(z.string(), z.unknown())),
    })
    .strict();

/** One column's rule with its options, normalized. */
export interface ColumnRule {
    rule: RuleName;
    value?: unknown;
    maxDays?: number;
    values?: string[];
    /** Each path as its keys, e.g. "contact.email" -> ["contact", "email"]. */
    paths?: string[][];
}

export interface Rules {
    /** What to do with large objects (pg_largeobject): without a decision, a database holding any is refused. */
    largeObjects?: "keep" | "drop";
    /** schema -> table -> "truncate" or column -> rule. */
    schemas: Map<string, Map<string, "truncate" | Map<string, ColumnRule>>>;
}

/** Options each rule takes (beyond `rule`), and which of them it needs. */
const OPTIONS: Partial<Record<RuleName, { required: string[]; optional: string[] }>> = {
    constant: { required: ["value"], optional: [] },
    choice: { required: ["values"], optional: [] },
    "shift-date": { required: [], optional: ["maxDays"] },
    "json-strings": { required: [], optional: ["paths"] },
};

function isRuleName(value: unknown): value is RuleName {
    return typeof value === "string" && (RULE_NAMES as readonly string[]).includes(value);
}

/** One column's rule as written: a rule name, or `{ rule: NAME, ...options }`. Returns the problem, if any, as text. */
function columnRule(input: unknown): ColumnRule | string {
    const written = typeof input === "string" ? { rule: input } : input;
    if (typeof written !== "object" || written === null || Array.isArray(written)) {
        return `${JSON.stringify(input)} is not a rule; allowed: a rule name or { rule: NAME, ...options }`;
    }
    const { rule, ...options } = written as Record<string, unknown>;
    if (!isRuleName(rule)) return `rule ${JSON.stringify(rule)} is unknown; allowed: ${RULE_NAMES.join(", ")}`;
    const allowed = OPTIONS[rule] ?? { required: [], optional: [] };
    const extra = Object.keys(options).filter((option) => ![...allowed.required, ...allowed.optional].includes(option));
    if (extra.length) return `rule ${rule} takes no option ${extra.join(", ")}; allowed: ${[...allowed.required, ...allowed.optional].join(", ") || "none"}`;
    const missing = allowed.required.filter((option) => !(option in options));
    if (missing.length) return `rule ${rule} needs ${missing.join(", ")}`;
    const { value, values, maxDays, paths } = options;
    if (values !== undefined && !(Array.isArray(values) && values.length > 0 && values.every((v) => typeof v === "string"))) {
        return `values of rule choice must be a non-empty list of strings, not ${JSON.stringify(values)}`;
    }
    if (maxDays !== undefined && !(Number.isInteger(maxDays) && (maxDays as number) >= 1 && (maxDays as number) <= 3650)) {
        return `maxDays of rule shift-date must be a whole number of days from 1 to 3650, not ${JSON.stringify(maxDays)}`;
    }
    if (paths !== undefined && !(Array.isArray(paths) && paths.length > 0 && paths.every((p) => typeof p === "string" && p !== ""))) {
        return `paths of rule json-strings must be a non-empty list of dotted key paths such as contact.email, not ${JSON.stringify(paths)}`;
    }
    return {
        rule,
        ...(value !== undefined ? { value } : {}),
        ...(values !== undefined ? { values: values as string[] } : {}),
        ...(maxDays !== undefined ? { maxDays: maxDays as number } : {}),
        ...(paths !== undefined ? { paths: (paths as string[]).map((path) => path.split(".")) } : {}),
    };
}

/** Parses the rules file's text; `source` names it in errors. Throws one message listing every problem. */
export function parseRules(text: string, source: string): Rules {
    let document: unknown;
    try {
        document = parse(text);
    } catch (error) {
        throw new StagingError(`${source} is not valid YAML: ${(error as Error).message}`, StagingExit.Usage);
    }
    const parsed = rulesFile.safeParse(document);
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
        throw new StagingError(
            `${source} is not a valid rules file:\n${problems.join("\n")}\n` +
                `allowed rules: ${RULE_NAMES.join(", ")}, or "truncate" for a whole table (docs/staging-anonymization.md)`,
            StagingExit.Usage,
        );
    }
    if (parsed.data.draft) {
        throw new StagingError(`${source} is a draft (draft: true): review every suggested rule, then remove the "draft: true" line`, StagingExit.Usage);
    }
    const schemas: Rules["schemas"] = new Map();
    const problems: string[] = [];
    for (const [schema, tables] of Object.entries(parsed.data.schemas)) {
        const byTable = new Map<string, "truncate" | Map<string, ColumnRule>>();
        for (const [table, rules] of Object.entries(tables)) {
            if (rules === "truncate") {
                byTable.set(table, "truncate");
                continue;
            }
            if (typeof rules !== "object" || rules === null || Array.isArray(rules)) {
                problems.push(`  schemas.${schema}.${table}: ${JSON.stringify(rules)} is not a table's rules; allowed: truncate, or a map of column: rule`);
                continue;
            }
            const byColumn = new Map<string, ColumnRule>();
            for (const [column, written] of Object.entries(rules)) {
                const rule = columnRule(written);
                if (typeof rule === "string") problems.push(`  schemas.${schema}.${table}.${column}: ${rule}`);
                else byColumn.set(column, rule);
            }
            byTable.set(table, byColumn);
        }
        schemas.set(schema, byTable);
    }
    if (problems.length) throw new StagingError(`${source} is not a valid rules file:\n${problems.join("\n")}`, StagingExit.Usage);
    return { ...(parsed.data.largeObjects ? { largeObjects: parsed.data.largeObjects } : {}), schemas };
}

export function loadRules(path: string): Rules {
    let text: string;
    try {
        text = readFileSync(path, "utf8");
    } catch (error) {
        throw new StagingError(`cannot read the rules file ${path}: ${(error as Error).message}`, StagingExit.Usage);
    }
    return parseRules(text, path);
}
