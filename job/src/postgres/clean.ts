import type pg from "pg";
import { quoteIdent } from "./db.js";

export interface CleanPlan {
    schemas: string[];
    extensions: string[];
    /** public is owned by pg_database_owner since PostgreSQL 14. */
    serverMajor: number;
}

export async function planClean(client: pg.Client): Promise<CleanPlan> {
    const schemas = await client.query<{ name: string }>(
        `SELECT nspname AS name FROM pg_namespace
         WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'
         ORDER BY 1`,
    );
    const extensions = await client.query<{ name: string }>("SELECT extname AS name FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1");
    const version = await client.query<{ num: string }>("SELECT current_setting('server_version_num') AS num");
    return {
        schemas: schemas.rows.map((r) => r.name),
        extensions: extensions.rows.map((r) => r.name),
        serverMajor: Math.floor(Number(version.rows[0]!.num) / 10000),
    };
}

/**
 * SQL run in the SAME transaction as the restore for --clean: empty the database (every schema,
 * extension and large object), recreate a default public schema, then the dump recreates the rest.
 * pg_restore's own --clean cannot be used: it fails on partitioned tables ("cannot drop inherited
 * constraint") and leaves objects that are not in the dump.
 */
export function cleanPreludeSql(plan: CleanPlan): string {
    const lines = ["SET client_min_messages = warning;"];
    for (const ext of plan.extensions) lines.push(`DROP EXTENSION IF EXISTS ${quoteIdent(ext)} CASCADE;`);
    for (const schema of plan.schemas) lines.push(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE;`);
    lines.push("SELECT count(pg_catalog.lo_unlink(oid)) FROM pg_catalog.pg_largeobject_metadata;");
    lines.push(plan.serverMajor >= 14 ? "CREATE SCHEMA public AUTHORIZATION pg_database_owner;" : "CREATE SCHEMA public;");
    lines.push("GRANT USAGE ON SCHEMA public TO PUBLIC;");
    lines.push(plan.serverMajor >= 15 ? "" : "GRANT CREATE ON SCHEMA public TO PUBLIC;");
    lines.push("SET client_min_messages = notice;");
    return `${lines.filter((l) => l !== "").join("\n")}\n`;
}
