// Applies the rules to a database in place (one transaction), and checks afterwards that no sampled
// original value survives. The keyed hash is HMAC-SHA256 computed by the server with core functions
// (sha256, PostgreSQL 11+), so no extension is created in a database that is then dumped elsewhere.
import { createHash } from "node:crypto";
import type pg from "pg";
import { type Column, columnLabel, type DatabaseInventory, qualifiedName, quoteIdent, type TablePlan } from "./catalog.js";
import { StagingError, StagingExit } from "./errors.js";
import type { ColumnRule, Rules } from "./rules.js";

const MIN_KEY_LENGTH = 16;
const HMAC_BLOCK = 64;

/** HMAC's inner and outer keys (RFC 2104): the server finishes the HMAC with sha256, so the key itself never travels. */
export function hmacPads(key: string): { inner: Buffer; outer: Buffer } {
    let block = Buffer.from(key, "utf8");
    if (block.length > HMAC_BLOCK) block = createHash("sha256").update(block).digest();
    const padded = Buffer.alloc(HMAC_BLOCK);
    block.copy(padded);
    return { inner: padded.map((byte) => byte ^ 0x36) as Buffer, outer: padded.map((byte) => byte ^ 0x5c) as Buffer };
}

/** The key from ANONYMIZATION_KEY, checked; the message never quotes it. */
export function anonymizationKey(env: NodeJS.ProcessEnv): string {
    const key = env["ANONYMIZATION_KEY"];
    if (!key) {
        throw new StagingError(
            `ANONYMIZATION_KEY is not set; allowed: at least ${MIN_KEY_LENGTH} random characters (the same key gives the same fakes)`,
            StagingExit.Usage,
        );
    }
    if (key.length < MIN_KEY_LENGTH) {
        throw new StagingError(
            `ANONYMIZATION_KEY is ${key.length} characters long (not shown); allowed: at least ${MIN_KEY_LENGTH} random characters`,
            StagingExit.Usage,
        );
    }
    return key;
}

function literal(value: string): string {
    return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Prepares a session: the key's pads in a temporary table (sent as bind parameters, never as SQL
 * text), and the helper functions in pg_temp, which vanish with the session and are never dumped.
 * Statement logging is turned off for the session where the role may do so.
 */
export async function prepareSession(client: pg.Client, key: string): Promise<void> {
    for (const setting of ["log_statement = 'none'", "log_min_duration_statement = -1", "log_parameter_max_length = 0"]) {
        await client.query(`SET ${setting}`).catch(() => undefined);
    }
    await client.query("SET log_parameter_max_length_on_error = 0; SET statement_timeout = 0");
    const { inner, outer } = hmacPads(key);
    await client.query("CREATE TEMP TABLE anon_key (inner_pad bytea NOT NULL, outer_pad bytea NOT NULL)");
    await client.query("INSERT INTO pg_temp.anon_key VALUES ($1, $2)", [inner, outer]);
    await client.query(`
        CREATE FUNCTION pg_temp.anon_hmac(kind text, value text) RETURNS text LANGUAGE sql STABLE STRICT AS $$
            SELECT encode(sha256(k.outer_pad || sha256(k.inner_pad || convert_to(kind || ':' || value, 'UTF8'))), 'hex') FROM pg_temp.anon_key k
        $$;
        CREATE FUNCTION pg_temp.anon_json_leaves(doc jsonb) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
        BEGIN
            CASE jsonb_typeof(doc)
                WHEN 'string' THEN RETURN to_jsonb('redacted-' || left(pg_temp.anon_hmac('json', doc #>> '{}'), 12));
                WHEN 'object' THEN RETURN (SELECT coalesce(jsonb_object_agg(key, pg_temp.anon_json_leaves(value)), '{}') FROM jsonb_each(doc));
                WHEN 'array' THEN
                    RETURN (SELECT coalesce(jsonb_agg(pg_temp.anon_json_leaves(value) ORDER BY i), '[]') FROM jsonb_array_elements(doc) WITH ORDINALITY AS e(value, i));
                ELSE RETURN doc;
            END CASE;
        END
        $$;
        CREATE FUNCTION pg_temp.anon_json_path(doc jsonb, path text[]) RETURNS jsonb LANGUAGE sql STABLE AS $$
            SELECT CASE WHEN cardinality(path) = 0 THEN pg_temp.anon_json_leaves(doc)
                        WHEN doc #> path IS NULL THEN doc
                        ELSE jsonb_set(doc, path, pg_temp.anon_json_leaves(doc #> path)) END
        $$;
    `);
}

const hex = (hash: string, from: number, digits: number) => `('x' || substr(${hash}, ${from}, ${digits}))::bit(${digits * 4})::bigint`;

/** SQL for one (element) value `v` under `rule`, of the element's type or text. */
function valueSql(rule: ColumnRule, v: string, column: Column): string {
    const h = (kind: string, input = `(${v})::text`) => `pg_temp.anon_hmac('${kind}', ${input})`;
    switch (rule.rule) {
        case "text":
            return `left(repeat('Lorem ipsum dolor sit amet. ', length((${v})::text) / 28 + 1), length((${v})::text))`;
        case "email":
            return `'guest-' || left(${h("email", `lower((${v})::text)`)}, 16) || '@example.invalid'`;
        case "name":
            return `'Guest ' || upper(left(${h("name")}, 8))`;
        case "phone":
            return `'+999' || lpad((${hex(h("phone"), 1, 12)} % 1000000000)::text, 9, '0')`;
        case "address": {
            const hash = h("address");
            return `(${hex(hash, 1, 4)} % 200 + 1)::text || ' Example Street, ' || lpad((${hex(hash, 5, 5)} % 100000)::text, 5, '0') || ' Sampletown'`;
        }
        case "identity-document":
            return `'X' || upper(left(${h("identity-document")}, 8))`;
        case "payment-reference":
            return `'PAYREF-' || upper(left(${h("payment-reference")}, 16))`;
        case "ip": {
            const hash = h("ip");
            return `'2001:db8:' || ${[1, 5, 9, 13, 17, 21].map((at) => `substr(${hash}, ${at}, 4)`).join(" || ':' || ")}`;
        }
        case "url":
            return `'https://hooks.example.invalid/' || left(${h("url")}, 16)`;
        case "token":
            if (column.kind === "uuid") return "gen_random_uuid()";
            if (column.kind === "bytea") return "uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())";
            return `'staging-' || replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '')`;
        case "password-hash":
            return "'!staging-login-disabled'";
        case "shift-date": {
            const hash = h("shift-date");
            const days = `(CASE WHEN ${hex(hash, 1, 1)} % 2 = 0 THEN 1 ELSE -1 END) * (1 + ${hex(hash, 2, 7)} % ${rule.maxDays ?? 182})`;
            return `(${v}) + make_interval(days => (${days})::int)`;
        }
        case "choice": {
            const values = rule.values ?? [];
            return `(ARRAY[${values.map(literal).join(", ")}])[1 + ${hex(h("choice"), 1, 7)} % ${values.length}]`;
        }
        case "json-strings": {
            let document = `(${v})::jsonb`;
            for (const path of rule.paths ?? [[]]) document = `pg_temp.anon_json_path(${document}, ARRAY[${path.map(literal).join(", ")}]::text[])`;
            return document;
        }
        case "safe":
        case "set-null":
        case "constant":
            throw new Error(`rule ${rule.rule} sets the whole column, not each value`);
    }
}

/** The new value of the column: the rule applied to the value, or to each element of an array (order kept). */
export function assignmentSql(column: Column, rule: ColumnRule): string {
    const name = quoteIdent(column.column);
    if (rule.rule === "set-null") return `${name} = NULL`;
    if (rule.rule === "constant") {
        const text = typeof rule.value === "string" ? rule.value : JSON.stringify(rule.value);
        return `${name} = ${literal(text)}::${column.type}`;
    }
    if (column.elementType) {
        const element = `CASE WHEN e IS NULL THEN NULL ELSE (${valueSql(rule, "e", column)})::${column.elementType} END`;
        return `${name} = CASE WHEN ${name} IS NULL THEN NULL ELSE ARRAY(SELECT ${element} FROM unnest(${name}) WITH ORDINALITY AS u(e, i) ORDER BY i)::${column.type} END`;
    }
    return `${name} = CASE WHEN ${name} IS NULL THEN NULL ELSE (${valueSql(rule, name, column)})::${column.type} END`;
}

function tableSql(plan: Pick<TablePlan, "schema" | "table" | "partitioned">): string {
    return `${plan.partitioned ? "" : "ONLY "}${qualifiedName(plan.schema, plan.table)}`;
}

/** Rewrites the database in one transaction; returns one line per thing done, for the run's output. */
export async function applyRules(client: pg.Client, plan: TablePlan[], inventory: DatabaseInventory, rules: Rules): Promise<string[]> {
    const done: string[] = [];
    await client.query("BEGIN");
    try {
        // Row-level security would hide rows from the UPDATE, leaving them as they were; off makes such a table an error instead.
        await client.query("SET LOCAL row_security = off");
        for (const table of plan) {
            const name = qualifiedName(table.schema, table.table);
            const label = `${table.schema}.${table.table}`;
            if (table.truncate) {
                await client.query(`TRUNCATE ${tableSql(table)}`);
                done.push(`emptied ${label}`);
                continue;
            }
            // Triggers (audit logs, updated_at) must not record the anonymization as people's own changes.
            await client.query(`ALTER TABLE ${name} DISABLE TRIGGER USER`);
            const result = await client.query(
                `UPDATE ${tableSql(table)} SET ${table.columns.map(({ column, rule }) => assignmentSql(column, rule)).join(", ")}`,
            );
            await client.query(`ALTER TABLE ${name} ENABLE TRIGGER USER`);
            done.push(
                `anonymized ${result.rowCount} rows of ${label}: ${table.columns.map(({ column, rule }) => `${column.column} (${rule.rule})`).join(", ")}`,
            );
        }
        if (inventory.largeObjects > 0 && rules.largeObjects === "drop") {
            await client.query("SELECT lo_unlink(oid) FROM pg_largeobject_metadata");
            done.push(`dropped ${inventory.largeObjects} large objects`);
        }
        // Materialized views hold copies of what they were built from: rebuilt from the anonymized tables.
        for (const view of inventory.materializedViews) {
            await client.query(`REFRESH MATERIALIZED VIEW ${view}`);
            done.push(`refreshed materialized view ${view}`);
        }
        await client.query("COMMIT");
    } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
    }
    return done;
}

/** Rules whose output can equal an original by design (a date moved a few days, a value from a short list, a fixed value). */
const NOT_COMPARABLE = new Set(["safe", "set-null", "constant", "shift-date", "choice"]);

/** SQL listing the values (as text) the rule rewrites in this column: each element of an array, each string leaf under the paths. */
function valuesSql(column: Column, rule: ColumnRule, rows?: number): string {
    const name = quoteIdent(column.column);
    const from = `(SELECT ${name} AS c FROM ${tableSql(column)} WHERE ${name} IS NOT NULL${rows === undefined ? "" : ` LIMIT ${rows}`}) AS s`;
    if (rule.rule === "json-strings") {
        const leaves = (rule.paths ?? [[]]).map(
            (path) =>
                `SELECT l #>> '{}' AS v FROM ${from}, jsonb_path_query((s.c)::jsonb #> ARRAY[${path.map(literal).join(", ")}]::text[], 'strict $.** ? (@.type() == "string")') AS l`,
        );
        return leaves.join(" UNION ALL ");
    }
    if (column.elementType) return `SELECT e::text AS v FROM ${from}, unnest(s.c) AS e WHERE e IS NOT NULL`;
    return `SELECT (s.c)::text AS v FROM ${from}`;
}

export interface Samples {
    rows: number;
    columns: { column: Column; rule: ColumnRule; values: string[] }[];
    /** Columns anonymized by a rule whose output may equal an original, with that rule. */
    notCompared: { column: Column; rule: string }[];
}

/** Up to `rows` rows' original values of every rewritten column, read before the rules run; kept in memory only. */
export async function sampleOriginals(client: pg.Client, plan: TablePlan[], rows: number): Promise<Samples> {
    const samples: Samples = { rows, columns: [], notCompared: [] };
    for (const table of plan) {
        for (const { column, rule } of table.columns) {
            if (NOT_COMPARABLE.has(rule.rule)) {
                samples.notCompared.push({ column, rule: rule.rule });
                continue;
            }
            const result = await client.query<{ v: string }>(`SELECT DISTINCT v FROM (${valuesSql(column, rule, rows)}) AS x WHERE v <> ''`);
            samples.columns.push({ column, rule, values: result.rows.map((row) => row.v) });
        }
    }
    return samples;
}

export interface SelfCheck {
    /** One line per column, what was checked and what was found; never a value. */
    report: string[];
    /** Columns where a sampled original value was found. */
    survivors: string[];
}

/** Looks for every sampled original in the same column of `client`'s database, within `seconds` in all. */
export async function findSurvivors(client: pg.Client, samples: Samples, seconds: number): Promise<SelfCheck> {
    const deadline = Date.now() + seconds * 1000;
    const report: string[] = [];
    const survivors: string[] = [];
    let checkedValues = 0;
    for (const { column, rule, values } of samples.columns) {
        const left = deadline - Date.now();
        if (left <= 0) {
            report.push(`  ${columnLabel(column)} (${rule.rule}): not checked, out of time`);
            continue;
        }
        await client.query(`SET statement_timeout = ${Math.max(1, left)}`);
        try {
            const found = await client.query<{ count: string }>(
                `SELECT count(DISTINCT v) AS count FROM (${valuesSql(column, rule)}) AS x WHERE v = ANY($1::text[])`,
                [values],
            );
            const count = Number(found.rows[0]?.count ?? 0);
            checkedValues += values.length;
            report.push(`  ${columnLabel(column)} (${rule.rule}): ${values.length} original values, ${count} found`);
            if (count > 0) survivors.push(`${columnLabel(column)}: ${count} of ${values.length} sampled original values are still there`);
        } catch (error) {
            if ((error as { code?: string }).code !== "57014") throw error;
            report.push(`  ${columnLabel(column)} (${rule.rule}): not checked, out of time`);
        }
    }
    await client.query("SET statement_timeout = 0");
    for (const { column, rule } of samples.notCompared) report.push(`  ${columnLabel(column)} (${rule}): not compared, the rule may keep a value by design`);
    report.unshift(
        `self-check: ${checkedValues} original values from the first ${samples.rows} rows of ${samples.columns.length} anonymized columns, looked for in the result` +
            ` (${survivors.length ? "FOUND SOME" : "none found"}):`,
    );
    return { report, survivors };
}
