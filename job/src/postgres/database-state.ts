// Database-level state that a dump of the database's contents does not carry: `ALTER DATABASE ... SET`
// settings and the grants on the database itself. Backup records them in the manifest; restore
// brings the settings back by default and the grants on request (--grants).
import type pg from "pg";
import { quoteIdent } from "./db.js";

export interface DatabaseGrant {
    /** A role name, or PUBLIC. */
    grantee: string;
    /** CREATE, CONNECT or TEMPORARY. */
    privilege: string;
    grantable: boolean;
}

export interface DatabaseState {
    /** As pg_db_role_setting holds them: "name=value". */
    settings: string[];
    /** Every grant on the database but the owner's own (the owner may differ where it is restored). */
    grants: DatabaseGrant[];
}

export async function readDatabaseState(client: pg.Client): Promise<DatabaseState> {
    const res = await client.query<DatabaseState>(
        `SELECT coalesce((SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setrole = 0 AND s.setdatabase = d.oid), '{}') AS settings,
                (SELECT coalesce(json_agg(json_build_object(
                            'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                            'privilege', a.privilege_type, 'grantable', a.is_grantable) ORDER BY a.grantee, a.privilege_type), '[]')
                 FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a WHERE a.grantee <> d.datdba) AS grants
         FROM pg_database d WHERE d.datname = current_database()`,
    );
    return res.rows[0]!;
}

/** Settings whose value is a list of names, each quoted on its own (as pg_dump writes them). */
const LIST_SETTINGS = new Set(["search_path", "temp_tablespaces", "local_preload_libraries", "session_preload_libraries"]);

function literal(text: string): string {
    return `'${text.replace(/'/g, "''")}'`;
}

/** Splits a stored list value such as `"$user", public` into its names, double quotes removed. */
export function splitNameList(value: string): string[] {
    return [...value.matchAll(/\s*(?:"((?:[^"]|"")*)"|([^,]*[^,\s]))\s*(?:,|$)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!));
}

/**
 * `ALTER DATABASE ... SET` for each recorded setting. Inside the restore's transaction: they take
 * effect for sessions that connect after the COMMIT, and a failed restore leaves none behind.
 */
export function databaseSettingsSql(database: string, settings: readonly string[]): string {
    return settings
        .map((setting) => {
            const at = setting.indexOf("=");
            const name = setting.slice(0, at);
            const value = setting.slice(at + 1);
            const values = LIST_SETTINGS.has(name) ? splitNameList(value).map(literal).join(", ") : literal(value);
            return `ALTER DATABASE ${quoteIdent(database)} SET ${quoteIdent(name)} = ${values};\n`;
        })
        .join("");
}

/** The recorded grants, after revoking PUBLIC's defaults so that PUBLIC ends with exactly what it had. */
export function databaseGrantsSql(database: string, grants: readonly DatabaseGrant[]): string {
    const db = quoteIdent(database);
    const lines = [`REVOKE ALL ON DATABASE ${db} FROM PUBLIC;`];
    for (const g of grants) {
        const grantee = g.grantee === "PUBLIC" ? "PUBLIC" : quoteIdent(g.grantee);
        lines.push(`GRANT ${g.privilege} ON DATABASE ${db} TO ${grantee}${g.grantable ? " WITH GRANT OPTION" : ""};`);
    }
    return `${lines.join("\n")}\n`;
}

/**
 * The recorded settings that the session's role may not set with ALTER DATABASE: superuser-only
 * parameters (log_min_duration_statement, session_preload_libraries, ...) for a role that is no
 * superuser and, on PostgreSQL 15+, holds no SET privilege on them. Found before the restore starts,
 * so that it is refused with their names instead of failing at the end and rolling back.
 */
export async function unsettableSettings(client: pg.Client, settings: readonly string[]): Promise<string[]> {
    const names = settings.map((setting) => setting.slice(0, setting.indexOf("=")).toLowerCase());
    const major = (await client.query<{ major: number }>("SELECT pg_catalog.current_setting('server_version_num')::int / 10000 AS major")).rows[0]!.major;
    const mayNotSet =
        major >= 15 ? "NOT pg_catalog.has_parameter_privilege(s.name, 'SET')" : "NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)";
    const res = await client.query<{ name: string }>(
        `SELECT s.name FROM pg_catalog.pg_settings s WHERE s.name = ANY($1::text[]) AND s.context = 'superuser' AND ${mayNotSet} ORDER BY 1`,
        [names],
    );
    return res.rows.map((row) => row.name);
}
