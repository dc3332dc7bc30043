// Drafts rules for the columns no rule covers yet: a SUGGESTION per column from its type and name,
// written in the rules file's own format so one review turns it into rules. The draft is marked
// `draft: true`, which the loader refuses, so an unreviewed draft can never drive a refresh.
import type { Column, DatabaseInventory } from "./catalog.js";

export interface Suggestion {
    /** A rule name, or a flow-style YAML map for a rule with options. */
    rule: string;
    why: string;
}

const NAME_RULES: { pattern: RegExp; rule: string; kinds: Column["kind"][] }[] = [
    { pattern: /pass(word)?_?(hash|digest)|encrypted_password|^password$/, rule: "password-hash", kinds: ["text"] },
    { pattern: /token|secret|api_?key|session|nonce|otp/, rule: "token", kinds: ["text", "uuid", "bytea"] },
    { pattern: /e_?mail/, rule: "email", kinds: ["text"] },
    { pattern: /phone|mobile|(^|_)tel(_|$)|fax|sms|msisdn/, rule: "phone", kinds: ["text"] },
    { pattern: /webhook|callback|url|uri|endpoint/, rule: "url", kinds: ["text"] },
    { pattern: /passport|id_?(card|number|no)|document_?(no|num|number)|national_id|licen[cs]e|ssn|tax_id/, rule: "identity-document", kinds: ["text"] },
    { pattern: /nationality|citizenship|country/, rule: "{ rule: choice, values: [FR, DE, ES, IT, NL] }", kinds: ["text"] },
    { pattern: /birth|dob/, rule: "shift-date", kinds: ["date"] },
    { pattern: /address|street|city|zip|postal|postcode/, rule: "address", kinds: ["text"] },
    { pattern: /(^|_)ip($|_)|ip_?address|remote_addr/, rule: "ip", kinds: ["text", "network"] },
    { pattern: /iban|payment|transaction|charge|card|stripe|invoice_ref/, rule: "payment-reference", kinds: ["text"] },
    { pattern: /(^|_)(first|last|full|given|family|middle|sur|maiden|guest|holder|contact)_?name$|^surname$/, rule: "name", kinds: ["text"] },
];

/** Names of things that are codes, not people: statuses, currencies, locales. */
const CODE_NAME = /(^|_)(status|state|type|kind|code|currency|locale|lang|language|slug|sku|category|channel|source|version|unit)$/;
const TIMESTAMP_NAME = /(_at|_on|_date|_time|^date|^time|created|updated|deleted|check_?in|check_?out|arrival|departure)$/;

/** A suggested rule for one unclassified column: from its name first, then its type. Always to be reviewed. */
export function suggest(column: Column): Suggestion {
    const name = column.column.toLowerCase();
    const byName = NAME_RULES.find((entry) => entry.pattern.test(name) && entry.kinds.includes(column.kind));
    if (byName) return { rule: byName.rule, why: `name "${column.column}"` };
    const type = `type ${column.type}`;
    switch (column.kind) {
        case "json":
            return { rule: "json-strings", why: `${type}: every string leaf replaced; narrow with paths if some must stay` };
        case "bytea":
            return column.nullable
                ? { rule: "set-null", why: `${type}: documents and scans dropped` }
                : { rule: "{ rule: constant, value: '\\x' }", why: type };
        case "network":
            return { rule: "ip", why: type };
        case "date":
        case "time":
            return TIMESTAMP_NAME.test(name) ? { rule: "safe", why: `${type}, an event time` } : { rule: "shift-date", why: `${type}: could be a birth date` };
        case "enum":
            return { rule: "safe", why: `${type}: a closed list; use choice if it encodes a person's attribute (gender, nationality)` };
        case "uuid":
            return name === "id" || name.endsWith("_id") ? { rule: "safe", why: `${type}, an identifier` } : { rule: "token", why: type };
        case "text":
            return CODE_NAME.test(name) ? { rule: "safe", why: `${type}, named like a code` } : { rule: "text", why: `${type}: unknown text is replaced` };
        case "other":
            return column.nullable
                ? { rule: "set-null", why: `${type}: unknown content` }
                : { rule: "safe", why: `${type}: NOT NULL, unknown content: CHECK IT` };
    }
}

/** JSON strings are YAML double-quoted scalars: any schema, table or column name is written exactly. */
const key = (name: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(name) ? name : JSON.stringify(name));

/** The draft as YAML text: every unclassified column with its suggestion and why. */
export function draftYaml(unclassified: Column[], inventory: Pick<DatabaseInventory, "largeObjects">, needsLargeObjects: boolean): string {
    const lines = [
        "# DRAFT anonymization rules: every rule below is a SUGGESTION from the column's name and type.",
        "# Review each one (docs/staging-anonymization.md), move it into scripts/staging/anonymization.yaml,",
        "# and never keep `draft: true`: a rules file with it is refused.",
        "version: 1",
        "draft: true",
    ];
    if (needsLargeObjects) lines.push(`largeObjects: drop # SUGGESTED: the database holds ${inventory.largeObjects} large objects`);
    lines.push("schemas:");
    let schema: string | undefined;
    let table: string | undefined;
    for (const column of unclassified) {
        if (column.schema !== schema) {
            schema = column.schema;
            table = undefined;
            lines.push(`  ${key(schema)}:`);
        }
        if (column.table !== table) {
            table = column.table;
            lines.push(`    ${key(table)}:`);
        }
        const { rule, why } = suggest(column);
        lines.push(`      ${key(column.column)}: ${rule} # SUGGESTED (${why})`);
    }
    if (!unclassified.length) lines.push("  {}");
    return `${lines.join("\n")}\n`;
}
