// The backup job's database role: reads everything, changes nothing. Created with SQL by the
// branch's owner role, not through Neon's API: an API role is created
// `INHERIT CREATEROLE CREATEDB BYPASSRLS REPLICATION IN ROLE neon_superuser` (Neon's compute_ctl,
// compute_tools/src/spec_apply.rs), so it could create roles and databases, stream the WAL and
// write every table. A role made by plain CREATE ROLE holds only what is granted here:
// - pg_read_all_data: SELECT on every table, view and sequence and USAGE on every schema, now and
//   for objects created later;
// - BYPASSRLS: pg_read_all_data does not bypass row-level security, and pg_dump (row_security off)
//   fails on a table with policies unless the role may bypass them; filtering instead
//   (--enable-row-security) would write a backup that silently lacks rows. The owner may give
//   BYPASSRLS because it holds it itself (PostgreSQL 16+, which Neon runs);
// - default_transaction_read_only, so even a mistaken write is refused by the server.
// No ownership, no CREATE, no membership in neon_superuser.
import type pg from "pg";

export interface BackupRoleSpec {
    name: string;
    password: string;
}

/** The statements, in order; every one may run again (an update re-applies them all). */
export function backupRoleStatements(client: Pick<pg.Client, "escapeIdentifier" | "escapeLiteral">, role: BackupRoleSpec, exists: boolean): string[] {
    const name = client.escapeIdentifier(role.name);
    const attributes = "LOGIN INHERIT BYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION";
    return [
        `${exists ? "ALTER" : "CREATE"} ROLE ${name} ${attributes} PASSWORD ${client.escapeLiteral(role.password)}`,
        `GRANT pg_read_all_data TO ${name}`,
        `ALTER ROLE ${name} SET default_transaction_read_only = on`,
    ];
}

/** Creates or updates the role over an owner's connection, in one transaction: all of it or none. */
export async function applyBackupRole(client: pg.Client, role: BackupRoleSpec): Promise<void> {
    const found = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role.name]);
    await client.query("BEGIN");
    try {
        for (const statement of backupRoleStatements(client, role, (found.rowCount ?? 0) > 0)) await client.query(statement);
        await client.query("COMMIT");
    } catch (error) {
        await client.query("ROLLBACK");
        throw error;
    }
}

export async function backupRoleExists(client: pg.Client, name: string): Promise<boolean> {
    const found = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name]);
    return (found.rowCount ?? 0) > 0;
}

export async function dropBackupRole(client: pg.Client, name: string): Promise<void> {
    await client.query(`DROP ROLE IF EXISTS ${client.escapeIdentifier(name)}`);
}
