import type pg from "pg";
import { quoteIdent } from "./db.js";

export interface CleanPlan {
    schemas: string[];
    extensions: string[];
    /** Objects outside schemas that survive DROP SCHEMA ... CASCADE; user mappings go with their server. */
    foreignDataWrappers: string[];
    foreignServers: string[];
    publications: string[];
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
    const names = async (sql: string) => (await client.query<{ name: string }>(sql)).rows.map((r) => r.name);
    return {
        schemas: schemas.rows.map((r) => r.name),
        extensions: extensions.rows.map((r) => r.name),
        // Those an extension owns go with DROP EXTENSION.
        foreignDataWrappers: await names(
            `SELECT w.fdwname AS name FROM pg_foreign_data_wrapper w
             WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_foreign_data_wrapper'::regclass AND d.objid = w.oid AND d.deptype = 'e')
             ORDER BY 1`,
        ),
        foreignServers: await names("SELECT srvname AS name FROM pg_foreign_server ORDER BY 1"),
        publications: await names("SELECT pubname AS name FROM pg_publication ORDER BY 1"),
        serverMajor: Math.floor(Number(version.rows[0]!.num) / 10000),
    };
}

/**
 * SQL run in the SAME transaction as the restore for --clean: empty the database (every schema,
 * extension, large object, publication, foreign server and user mapping), recreate a default public schema, then the dump recreates the rest.
 * pg_restore's own --clean cannot be used: it fails on partitioned tables ("cannot drop inherited
 * constraint") and leaves objects that are not in the dump.
 */
export function cleanPreludeSql(plan: CleanPlan): string {
    const lines = ["SET client_min_messages = warning;"];
    for (const ext of plan.extensions) lines.push(`DROP EXTENSION IF EXISTS ${quoteIdent(ext)} CASCADE;`);
    // IF EXISTS: dropping an extension or a wrapper may already have dropped a server.
    for (const fdw of plan.foreignDataWrappers) lines.push(`DROP FOREIGN DATA WRAPPER IF EXISTS ${quoteIdent(fdw)} CASCADE;`);
    for (const server of plan.foreignServers) lines.push(`DROP SERVER IF EXISTS ${quoteIdent(server)} CASCADE;`);
    for (const publication of plan.publications) lines.push(`DROP PUBLICATION IF EXISTS ${quoteIdent(publication)};`);
    for (const schema of plan.schemas) lines.push(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE;`);
    lines.push("SELECT count(pg_catalog.lo_unlink(oid)) FROM pg_catalog.pg_largeobject_metadata;");
    lines.push(plan.serverMajor >= 14 ? "CREATE SCHEMA public AUTHORIZATION pg_database_owner;" : "CREATE SCHEMA public;");
    lines.push("GRANT USAGE ON SCHEMA public TO PUBLIC;");
    lines.push(plan.serverMajor >= 15 ? "" : "GRANT CREATE ON SCHEMA public TO PUBLIC;");
    lines.push("SET client_min_messages = notice;");
    return `${lines.filter((l) => l !== "").join("\n")}\n`;
}

/**
 * Objects --clean cannot drop inside the restore's transaction: DROP SUBSCRIPTION drops the
 * publisher's replication slot and cannot run in a transaction block; event triggers belong to a
 * superuser. The restore is refused before it reads a byte of the dump.
 */
export async function undroppableObjects(client: pg.Client): Promise<{ kind: string; name: string }[]> {
    const res = await client.query<{ kind: string; name: string }>(
        `SELECT 'subscription' AS kind, subname AS name FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         UNION ALL
         SELECT 'event trigger', evtname FROM pg_event_trigger
         ORDER BY 1, 2`,
    );
    return res.rows;
}
