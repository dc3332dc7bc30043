// The rules file, the classification and the draft, without a database: what is refused and why.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type Column, classify, type DatabaseInventory, kindOf, refusal, resolveType } from "./catalog.js";
import { draftYaml, suggest } from "./draft.js";
import { StagingExit } from "./errors.js";
import { parseRules, RULES } from "./rules.js";

const column = (overrides: Partial<Column>): Column => ({
    schema: "public",
    table: "guests",
    partitioned: false,
    column: "email",
    type: "text",
    kind: "text",
    nullable: true,
    ...overrides,
});

const inventory = (columns: Column[], extra: Partial<DatabaseInventory> = {}): DatabaseInventory => ({
    columns,
    tables: [...new Map(columns.map((c) => [`${c.schema}.${c.table}`, { schema: c.schema, table: c.table, partitioned: c.partitioned }])).values()],
    largeObjects: 0,
    materializedViews: [],
    ...extra,
});

const rulesError = (text: string): { message: string; exitCode: number } => {
    try {
        parseRules(text, "rules.yaml");
    } catch (error) {
        return error as { message: string; exitCode: number };
    }
    throw new Error("the rules were accepted");
};

describe("parseRules", () => {
    it("reads rule names and rules with options, per schema, table and column", () => {
        const rules = parseRules(
            `version: 1
largeObjects: drop
schemas:
  public:
    guests:
      email: email
      nationality: { rule: choice, values: [FR, DE] }
      details: { rule: json-strings, paths: [contact.email, notes] }
    sessions: truncate
`,
            "rules.yaml",
        );
        expect(rules.largeObjects).toBe("drop");
        const guests = rules.schemas.get("public")?.get("guests");
        expect(guests instanceof Map && Object.fromEntries(guests)).toEqual({
            email: { rule: "email" },
            nationality: { rule: "choice", values: ["FR", "DE"] },
            details: { rule: "json-strings", paths: [["contact", "email"], ["notes"]] },
        });
        expect(rules.schemas.get("public")?.get("sessions")).toBe("truncate");
    });

    it("names the column, the bad value and what is allowed, for every problem at once", () => {
        const error = rulesError(`version: 1
schemas:
  public:
    guests:
      email: scramble
      note: { rule: constant }
      dob: { rule: shift-date, maxDays: 0 }
      tags: { rule: text, paths: [a] }
    sessions: truncat
`);
        expect(error.exitCode).toBe(StagingExit.Usage);
        expect(error.message).toContain('schemas.public.guests.email: rule "scramble" is unknown; allowed: safe, set-null, constant, text, email');
        expect(error.message).toContain("schemas.public.guests.note: rule constant needs value");
        expect(error.message).toContain("schemas.public.guests.dob: maxDays of rule shift-date must be a whole number of days from 1 to 3650, not 0");
        expect(error.message).toContain("schemas.public.guests.tags: rule text takes no option paths; allowed: none");
        expect(error.message).toContain('schemas.public.sessions: "truncat" is not a table\'s rules; allowed: truncate, or a map of column: rule');
    });

    it("refuses an unreviewed draft, an unknown version and unknown top-level keys", () => {
        expect(rulesError("version: 1\ndraft: true\nschemas: {}\n").message).toContain(
            'is a draft (draft: true): review every suggested rule, then remove the "draft: true" line',
        );
        expect(rulesError("version: 2\nschemas: {}\n").message).toContain("version");
        expect(rulesError("version: 1\nschemas: {}\nskip: [public.guests]\n").message).toContain("skip");
    });
});

describe("classify", () => {
    it("matches exactly: a rule for public.guests.email covers no other email column", () => {
        const rules = parseRules("version: 1\nschemas:\n  public:\n    guests:\n      email: email\n", "rules.yaml");
        const other = column({ table: "newsletter", column: "email" });
        const result = classify(rules, inventory([column({}), other, column({ schema: "crm", column: "email" })]));
        expect(result.unclassified.map((c) => `${c.schema}.${c.table}.${c.column}`)).toEqual(["public.newsletter.email", "crm.guests.email"]);
        expect(refusal(result, "rules.yaml")).toContain(
            "2 column(s) that can hold personal data have no rule in rules.yaml:\n  public.newsletter.email (text)\n  crm.guests.email (text)",
        );
    });

    it("refuses a rule on a type it cannot rewrite, NULL into NOT NULL, and large objects without a decision", () => {
        const rules = parseRules("version: 1\nschemas:\n  public:\n    guests:\n      details: email\n      scan: set-null\n", "rules.yaml");
        const result = classify(
            rules,
            inventory([column({ column: "details", type: "jsonb", kind: "json" }), column({ column: "scan", type: "bytea", kind: "bytea", nullable: false })], {
                largeObjects: 3,
            }),
        );
        expect(result.problems).toEqual([
            "public.guests.details (jsonb): rule email does not apply to this type; allowed: safe, set-null, constant, json-strings",
            "public.guests.scan (bytea): rule set-null on a NOT NULL column; use constant or a rewriting rule",
            "the database holds 3 large objects (pg_largeobject), which no column rule covers: set largeObjects: drop (or keep, once you know they hold nothing personal) in the rules file",
        ]);
        expect(result.plan).toEqual([]);
    });

    it("a truncated table needs no column rules; rules for missing tables or columns are reported, not applied", () => {
        const rules = parseRules(
            "version: 1\nschemas:\n  public:\n    sessions: truncate\n    guests:\n      email: safe\n      passport: identity-document\n    gone: { x: safe }\n",
            "rules.yaml",
        );
        const result = classify(rules, inventory([column({ table: "sessions", column: "token" }), column({})]));
        expect(result.unclassified).toEqual([]);
        expect(result.plan).toEqual([{ schema: "public", table: "sessions", partitioned: false, truncate: true, columns: [] }]);
        expect(result.stale).toEqual(["public.guests.passport: no such column, or its type needs no rule", "public.gone: no such table"]);
    });
});

describe("column kinds", () => {
    const type = (oid: number, typname: string, extra: Record<string, unknown> = {}) => ({
        oid,
        typname,
        nspname: "pg_catalog",
        typtype: "b",
        typcategory: "U",
        typbasetype: 0,
        typelem: 0,
        typlen: -1,
        ...extra,
    });

    it("follows a domain over an array of a domain over text down to text", () => {
        const types = new Map(
            [
                type(25, "text", { typcategory: "S" }),
                type(1, "name_part", { nspname: "public", typtype: "d", typbasetype: 25 }),
                type(2, "_name_part", { nspname: "public", typcategory: "A", typelem: 1 }),
                type(3, "name_parts", { nspname: "public", typtype: "d", typbasetype: 2 }),
            ].map((t) => [t.oid, t]),
        );
        const resolved = resolveType(3, types);
        expect(resolved.base.typname).toBe("text");
        expect(resolved.elementOid).toBe(1);
        expect(kindOf(resolved.base)).toBe("text");
    });

    it("exempts only numbers, booleans and intervals; an unknown type must be classified", () => {
        expect(kindOf(type(0, "int4", { typcategory: "N" }))).toBeUndefined();
        expect(kindOf(type(0, "bool", { typcategory: "B" }))).toBeUndefined();
        expect(kindOf(type(0, "interval", { typcategory: "T" }))).toBeUndefined();
        expect(kindOf(type(0, "citext", { nspname: "public", typcategory: "S" }))).toBe("text");
        expect(kindOf(type(0, "point", { typcategory: "G" }))).toBe("other");
        expect(kindOf(type(0, "mood", { nspname: "public", typtype: "e", typcategory: "E" }))).toBe("enum");
    });
});

describe("draft", () => {
    it("suggests from the name first, then the type", () => {
        expect(suggest(column({ column: "password_hash" })).rule).toBe("password-hash");
        expect(suggest(column({ column: "api_token" })).rule).toBe("token");
        expect(suggest(column({ column: "created_at", type: "timestamptz", kind: "date" })).rule).toBe("safe");
        expect(suggest(column({ column: "born", type: "date", kind: "date" })).rule).toBe("shift-date");
        expect(suggest(column({ column: "payload", type: "jsonb", kind: "json" })).rule).toBe("json-strings");
        expect(suggest(column({ column: "remarks" })).rule).toBe("text");
        expect(suggest(column({ column: "status" })).rule).toBe("safe");
    });

    it("writes every name exactly, marks each rule as a suggestion, and the whole file as a draft", () => {
        const odd = [
            column({ schema: 'S "x"', table: "T Ü", column: "true" }),
            column({ schema: 'S "x"', table: "T Ü", column: "notes: 1" }),
            column({ table: "staff", column: "password_hash" }),
        ];
        const text = draftYaml(odd, { largeObjects: 2 }, true);
        expect(
            text
                .split("\n")
                .filter((line) => line.includes(": ") && line.startsWith("      "))
                .every((line) => line.includes("# SUGGESTED (")),
        ).toBe(true);
        expect(parse(text)).toEqual({
            version: 1,
            draft: true,
            largeObjects: "drop",
            schemas: { 'S "x"': { "T Ü": { true: "text", "notes: 1": "text" } }, public: { staff: { password_hash: "password-hash" } } },
        });
    });
});

describe("docs/staging-anonymization.md", () => {
    it("has a row for every rule, with the column types it applies to", () => {
        const doc = readFileSync(join(__dirname, "..", "..", "docs", "staging-anonymization.md"), "utf8");
        for (const [name, spec] of Object.entries(RULES)) {
            const row = doc.split("\n").find((line) => line.startsWith(`| \`${name}\``));
            expect(row, name).toBeDefined();
            if (spec.kinds.length < 9)
                for (const kind of spec.kinds)
                    expect(row, `${name}: ${kind}`).toMatch(new RegExp(kind === "date" ? "date" : kind === "network" ? "inet" : kind));
        }
    });
});
