// What a database holds that the rules must cover: every column of every table whose type can carry
// personal data or a secret, large objects, materialized views. Read from the catalogs only (no
// row is read), so the check and the draft can run against any copy of the schema.
import type pg from "pg";
import { type ColumnKind, type ColumnRule, RULES, type Rules } from "./rules.js";

export interface Column {
    schema: string;
    table: string;
    /** Partitioned parents are updated as a whole; their partitions are not listed. */
    partitioned: boolean;
    column: string;
    /** The declared type as SQL (format_type), e.g. `character varying(64)`, `email_address`, `text[]`. */
    type: string;
    /** The element's type as SQL when the column (or the domain it uses) is an array. */
    elementType?: string;
    kind: ColumnKind;
    nullable: boolean;
}

export interface DatabaseInventory {
    columns: Column[];
    /** Schema-qualified tables (quoted as needed) with no column needing a rule, for the truncate check. */
    tables: { schema: string; table: string; partitioned: boolean }[];
    largeObjects: number;
    /** Populated materialized views, schema-qualified and quoted, oldest first. */
    materializedViews: string[];
}

/** Exempt from classification: numbers, booleans, intervals, object identifiers. They cannot hold a name, a note or a token. */
const EXEMPT_CATEGORIES = new Set(["N", "B", "T"]);

interface TypeRow {
    oid: number;
    typname: string;
    nspname: string;
    typtype: string;
    typcategory: string;
    typbasetype: number;
    typelem: number;
    typlen: number;
}

/** Kind of a base (non-domain, non-array) type; undefined when it is exempt. */
export function kindOf(type: Pick<TypeRow, "typname" | "nspname" | "typtype" | "typcategory">): ColumnKind | undefined {
    const builtin = type.nspname === "pg_catalog";
    if (type.typtype === "e") return "enum";
    if (builtin && (type.typname === "json" || type.typname === "jsonb")) return "json";
    if (builtin && (type.typname === "date" || type.typname === "timestamp" || type.typname === "timestamptz")) return "date";
    if (builtin && (type.typname === "time" || type.typname === "timetz")) return "time";
    if (builtin && (type.typname === "inet" || type.typname === "cidr")) return "network";
    if (builtin && type.typname === "bytea") return "bytea";
    if (builtin && type.typname === "uuid") return "uuid";
    if (type.typcategory === "S" || (builtin && type.typname === "char")) return "text";
    if (EXEMPT_CATEGORIES.has(type.typcategory)) return undefined;
    return "other";
}

/** Follows domains down to the base type, and an array to its element (itself followed through domains). */
export function resolveType(oid: number, types: Map<number, TypeRow>): { base: TypeRow; elementOid?: number } {
    const throughDomains = (start: number): TypeRow => {
        let type = types.get(start);
        for (let depth = 0; type?.typtype === "d" && depth < 100; depth++) type = types.get(type.typbasetype);
        if (!type) throw new Error(`type ${start} is not in pg_type`);
        return type;
    };
    const base = throughDomains(oid);
    if (base.typcategory === "A" && base.typelem !== 0 && base.typlen === -1) return { base: throughDomains(base.typelem), elementOid: base.typelem };
    return { base };
}

export async function readInventory(client: pg.Client): Promise<DatabaseInventory> {
    const typeRows = await client.query<TypeRow>(
        `SELECT t.oid::int AS oid, t.typname, n.nspname, t.typtype, t.typcategory, t.typbasetype::int AS typbasetype, t.typelem::int AS typelem, t.typlen
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace`,
    );
    const types = new Map(typeRows.rows.map((row) => [row.oid, row]));
    const columnRows = await client.query<{
        schema: string;
        table: string;
        relkind: string;
        column: string;
        type_oid: number;
        type: string;
        nullable: boolean;
    }>(
        `SELECT n.nspname AS schema, c.relname AS table, c.relkind, a.attname AS column, a.atttypid::int AS type_oid,
                format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
         ORDER BY n.nspname, c.relname, a.attnum`,
    );
    const tables = new Map<string, DatabaseInventory["tables"][number]>();
    const columns: Column[] = [];
    for (const row of columnRows.rows) {
        const partitioned = row.relkind === "p";
        tables.set(`${row.schema}\u0000${row.table}`, { schema: row.schema, table: row.table, partitioned });
        const { base, elementOid } = resolveType(row.type_oid, types);
        const kind = kindOf(base);
        if (!kind) continue;
        const element = elementOid === undefined ? undefined : types.get(elementOid);
        columns.push({
            schema: row.schema,
            table: row.table,
            partitioned,
            column: row.column,
            type: row.type,
            ...(element ? { elementType: `${quoteIdent(element.nspname)}.${quoteIdent(element.typname)}` } : {}),
            kind,
            nullable: row.nullable,
        });
    }
    const largeObjects = await client.query<{ count: string }>("SELECT count(*) AS count FROM pg_largeobject_metadata");
    const views = await client.query<{ name: string }>(
        `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'm' AND c.relispopulated ORDER BY c.oid`,
    );
    return {
        columns,
        tables: [...tables.values()],
        largeObjects: Number(largeObjects.rows[0]?.count ?? 0),
        materializedViews: views.rows.map((row) => row.name),
    };
}

export function quoteIdent(name: string): string {
    return `"${name.replaceAll('"', '""')}"`;
}

export function qualifiedName(schema: string, table: string): string {
    return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** How a column is named in messages and the rules file: schema.table.column, as written in the catalog. */
export function columnLabel(column: Pick<Column, "schema" | "table" | "column">): string {
    return `${column.schema}.${column.table}.${column.column}`;
}

export interface TablePlan {
    schema: string;
    table: string;
    partitioned: boolean;
    truncate: boolean;
    /** Columns with a rule other than `safe`. */
    columns: { column: Column; rule: ColumnRule }[];
}

export interface Classification {
    /** Columns no rule covers: each one stops the refresh. */
    unclassified: Column[];
    /** Rules that cannot apply to their column (wrong type, NULL into NOT NULL) and large objects without a decision. */
    problems: string[];
    /** Rules naming a table or column the database does not have (renamed or dropped?): reported, not fatal. */
    stale: string[];
    plan: TablePlan[];
}

/** Matches the rules against the database, exactly by name; nothing is inferred. */
export function classify(rules: Rules, inventory: DatabaseInventory): Classification {
    const unclassified: Column[] = [];
    const problems: string[] = [];
    const plans = new Map<string, TablePlan>();
    const used = new Set<string>();
    const planFor = (schema: string, table: string, partitioned: boolean, truncate: boolean) => {
        const key = `${schema}\u0000${table}`;
        const plan = plans.get(key) ?? { schema, table, partitioned, truncate, columns: [] };
        plans.set(key, plan);
        return plan;
    };
    for (const { schema, table, partitioned } of inventory.tables) {
        if (rules.schemas.get(schema)?.get(table) === "truncate") planFor(schema, table, partitioned, true);
    }
    for (const column of inventory.columns) {
        const tableRules = rules.schemas.get(column.schema)?.get(column.table);
        if (tableRules === "truncate") continue;
        const rule = tableRules?.get(column.column);
        if (!rule) {
            unclassified.push(column);
            continue;
        }
        const label = columnLabel(column);
        used.add(label);
        if (!RULES[rule.rule].kinds.includes(column.kind)) {
            const allowed = Object.entries(RULES)
                .filter(([, spec]) => spec.kinds.includes(column.kind))
                .map(([name]) => name);
            problems.push(`${label} (${column.type}): rule ${rule.rule} does not apply to this type; allowed: ${allowed.join(", ")}`);
            continue;
        }
        if (rule.rule === "set-null" && !column.nullable) {
            problems.push(`${label} (${column.type}): rule set-null on a NOT NULL column; use constant or a rewriting rule`);
            continue;
        }
        if (rule.rule !== "safe") planFor(column.schema, column.table, column.partitioned, false).columns.push({ column, rule });
    }
    if (inventory.largeObjects > 0 && !rules.largeObjects) {
        problems.push(
            `the database holds ${inventory.largeObjects} large objects (pg_largeobject), which no column rule covers: ` +
                `set largeObjects: drop (or keep, once you know they hold nothing personal) in the rules file`,
        );
    }
    const stale: string[] = [];
    for (const [schema, tables] of rules.schemas) {
        for (const [table, tableRules] of tables) {
            if (!inventory.tables.some((t) => t.schema === schema && t.table === table)) stale.push(`${schema}.${table}: no such table`);
            else if (tableRules !== "truncate") {
                for (const column of tableRules.keys()) {
                    if (!used.has(`${schema}.${table}.${column}`)) stale.push(`${schema}.${table}.${column}: no such column, or its type needs no rule`);
                }
            }
        }
    }
    return { unclassified, problems, stale, plan: [...plans.values()] };
}

/** The refusal message: every unclassified column by name, then every other problem. */
export function refusal(classification: Classification, rulesPath: string): string | undefined {
    const { unclassified, problems } = classification;
    if (!unclassified.length && !problems.length) return undefined;
    const lines: string[] = [];
    if (unclassified.length) {
        lines.push(`${unclassified.length} column(s) that can hold personal data have no rule in ${rulesPath}:`);
        for (const column of unclassified) lines.push(`  ${columnLabel(column)} (${column.type})`);
        lines.push(`draft rules for them with: npm run --silent anonymize -- draft --database-url URL --rules ${rulesPath}`);
    }
    if (problems.length) {
        lines.push(`${problems.length} rule problem(s):`);
        for (const problem of problems) lines.push(`  ${problem}`);
    }
    return lines.join("\n");
}
