// The backup role's grants on a real PostgreSQL server, dumped by the real pg_dump as that role: a
// schema with row-level security (one table FORCE'd) must dump whole, and every kind of change
// must be refused.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PgCluster } from "../../job/tools/servers/postgres.js";
import { applyBackupRole, backupRoleExists, backupRoleStatements, dropBackupRole } from "./backupRole.js";

const ROLE = { name: "hotelgenius_backup", password: "not-a-real-password-1" };
const DATABASE = "hotel";

let cluster: PgCluster;

async function asOwner<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: cluster.url(DATABASE) });
    await client.connect();
    try {
        return await run(client);
    } finally {
        await client.end();
    }
}

/** Runs each statement in its own transaction, in one session; resolves to the last one's rows. */
async function asBackup(...statements: string[]): Promise<unknown[]> {
    const client = new pg.Client({ connectionString: cluster.url(DATABASE, { user: ROLE.name, password: ROLE.password }) });
    await client.connect();
    try {
        let rows: unknown[] = [];
        for (const sql of statements) rows = (await client.query(sql)).rows;
        return rows;
    } finally {
        await client.end();
    }
}

function dumpAsBackup(): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(
        join(cluster.binDir, "pg_dump"),
        ["--format=plain", "--no-owner", cluster.url(DATABASE, { user: ROLE.name, password: ROLE.password })],
        {
            encoding: "utf8",
        },
    );
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
    cluster = await startPostgres();
    await cluster.createDatabase(DATABASE);
    // The app's schema as it could be: an owner role, tables with policies that hide every row from
    // anyone but the hotel's own sessions, one of them FORCE'd so even its owner is filtered.
    await cluster.query(
        DATABASE,
        `CREATE ROLE app_owner NOLOGIN;
         CREATE SCHEMA app AUTHORIZATION app_owner;
         CREATE TABLE app.guests (id int PRIMARY KEY, hotel text NOT NULL, email text NOT NULL);
         CREATE TABLE app.bookings (id int PRIMARY KEY, guest int REFERENCES app.guests, nights int);
         CREATE TABLE public.settings (key text PRIMARY KEY, value text);
         INSERT INTO app.guests SELECT n, 'hotel-' || (n % 3), 'guest' || n || '@example.invalid' FROM generate_series(1, 40) n;
         INSERT INTO app.bookings SELECT n, n, n % 7 FROM generate_series(1, 40) n;
         INSERT INTO public.settings VALUES ('theme', 'dark');
         ALTER TABLE app.guests ENABLE ROW LEVEL SECURITY;
         ALTER TABLE app.guests FORCE ROW LEVEL SECURITY;
         CREATE POLICY own_hotel ON app.guests USING (hotel = current_setting('app.hotel', true));
         ALTER TABLE app.bookings ENABLE ROW LEVEL SECURITY;
         CREATE POLICY nobody ON app.bookings USING (false);
         ALTER TABLE app.guests OWNER TO app_owner;
         ALTER TABLE app.bookings OWNER TO app_owner;`,
    );
    await asOwner((client) => applyBackupRole(client, ROLE));
});

afterAll(async () => {
    await cluster?.stop();
});

describe("the backup role", () => {
    it("dumps every row of tables with row-level security, FORCE'd ones included, with the real pg_dump", () => {
        const dump = dumpAsBackup();
        expect(dump.stderr).toBe("");
        expect(dump.status).toBe(0);
        const guests = dump.stdout.split("COPY app.guests")[1]?.split("\\.")[0] ?? "";
        const bookings = dump.stdout.split("COPY app.bookings")[1]?.split("\\.")[0] ?? "";
        expect(guests.trim().split("\n").length - 1).toBe(40);
        expect(bookings.trim().split("\n").length - 1).toBe(40);
        expect(dump.stdout).toContain("CREATE POLICY own_hotel");
    });

    it("is needed: the same role without BYPASSRLS cannot dump those tables", async () => {
        await cluster.query(DATABASE, `ALTER ROLE ${ROLE.name} NOBYPASSRLS`);
        try {
            const dump = dumpAsBackup();
            expect(dump.status).not.toBe(0);
            expect(dump.stderr).toMatch(/row-level security/);
        } finally {
            await asOwner((client) => applyBackupRole(client, ROLE));
        }
    });

    it.each([
        ["insert", "INSERT INTO public.settings VALUES ('x', 'y')"],
        ["update", "UPDATE app.guests SET email = 'x'"],
        ["delete", "DELETE FROM app.bookings"],
        ["truncate", "TRUNCATE public.settings"],
        ["create a table", "CREATE TABLE public.mine (id int)"],
        ["alter a table", "ALTER TABLE app.guests ADD COLUMN x int"],
        ["drop a table", "DROP TABLE public.settings"],
        ["create a role", "CREATE ROLE intruder"],
        ["create a database", "CREATE DATABASE intruder"],
    ])("cannot %s", async (_what, sql) => {
        await expect(asBackup(sql)).rejects.toThrow(/read-only transaction|permission denied|must be owner/);
    });

    it("cannot write even with the read-only default turned off in its session: it holds no write grant", async () => {
        const writable = "SET default_transaction_read_only = off";
        await expect(asBackup(writable, "INSERT INTO public.settings VALUES ('x', 'y')")).rejects.toThrow(/permission denied/);
        await expect(asBackup(writable, "UPDATE app.guests SET email = 'x'")).rejects.toThrow(/permission denied/);
        await expect(asBackup(writable, "CREATE TABLE public.mine (id int)")).rejects.toThrow(/permission denied/);
        await expect(asBackup(writable, "CREATE DATABASE intruder")).rejects.toThrow(/permission denied/);
    });

    it("holds no attribute or membership beyond reading: not superuser, no CREATEDB, CREATEROLE or REPLICATION, only pg_read_all_data", async () => {
        const [role] = await cluster.query(
            DATABASE,
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolinherit FROM pg_roles WHERE rolname = $1",
            [ROLE.name],
        );
        expect(role).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: true, rolinherit: true });
        const memberships = await cluster.query(
            DATABASE,
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1",
            [ROLE.name],
        );
        expect(memberships).toEqual([{ rolname: "pg_read_all_data" }]);
    });

    it("re-applying undoes a right granted and a guard removed by hand", async () => {
        await cluster.query(DATABASE, `ALTER ROLE ${ROLE.name} CREATEDB; ALTER ROLE ${ROLE.name} RESET default_transaction_read_only`);
        await asOwner((client) => applyBackupRole(client, ROLE));
        await expect(asBackup("SET default_transaction_read_only = off", "CREATE DATABASE intruder")).rejects.toThrow(/permission denied/);
        await expect(asBackup("SHOW default_transaction_read_only")).resolves.toEqual([{ default_transaction_read_only: "on" }]);
    });

    it("quotes the role name and password, so neither can carry SQL", () => {
        const client = new pg.Client();
        const [create] = backupRoleStatements(client, { name: 'x"; DROP TABLE y; --', password: "p'; DROP TABLE y; --" }, false);
        expect(create).toBe(
            `CREATE ROLE "x""; DROP TABLE y; --" LOGIN INHERIT BYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD 'p''; DROP TABLE y; --'`,
        );
    });

    it("is dropped by dropBackupRole, and dropping again is harmless", async () => {
        await asOwner(async (client) => {
            await client.query("CREATE ROLE short_lived LOGIN");
            await dropBackupRole(client, "short_lived");
            expect(await backupRoleExists(client, "short_lived")).toBe(false);
            await dropBackupRole(client, "short_lived");
        });
    });
});
