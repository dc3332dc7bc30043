// A database that exercises what pg_dump/pg_restore must carry (types, partitions, code, sequences,
// large objects), and an exact fingerprint to compare a restored copy with its source.
import type { PgCluster } from "../../tools/servers/postgres.js";

export interface VariedDatabaseOptions {
    /** Rows in the main table; the other tables scale with it. */
    guests?: number;
    /**
     * Adds a table of incompressible bytes (random, 1 MiB per row) so the compressed dump is
     * larger than one multipart part (5 MiB): part-upload faults need a multipart upload.
     */
    bulkMiB?: number;
}

export interface TableFingerprint {
    rowCount: number;
    /** md5 over the table's rows rendered as text, in sorted order. */
    checksum: string;
}

export interface DatabaseFingerprint {
    /** Keyed by schema-qualified, quoted name, e.g. `public.guests` or `ops."Room Types"`. */
    tables: Record<string, TableFingerprint>;
    /** last_value of each sequence (null when never used). */
    sequences: Record<string, string | null>;
    /** md5 of each large object's content, keyed by its OID. */
    largeObjects: Record<string, string>;
    /** Views, functions, triggers, enums and domains with their definitions, sorted. */
    objects: string[];
}

/** The statements that build the varied database; random data is seeded so every build is identical. */
export function variedDatabaseSql(options: VariedDatabaseOptions = {}): string[] {
    const guests = options.guests ?? 3000;
    const bookings = guests * 2;
    const statements = [
        "SELECT setseed(0.42)",
        "CREATE SCHEMA ops",
        "CREATE TYPE mood AS ENUM ('angry', 'neutral', 'delighted')",
        "CREATE DOMAIN email_address AS text CHECK (VALUE ~ '^[^@\\s]+@[^@\\s]+$')",
        `CREATE TABLE guests (
            id bigserial PRIMARY KEY,
            email email_address NOT NULL UNIQUE,
            full_name text NOT NULL,
            mood mood NOT NULL,
            tags text[] NOT NULL DEFAULT '{}',
            preferences jsonb NOT NULL,
            avatar bytea,
            loyalty_points numeric(12, 2) NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz
        )`,
        `CREATE TABLE bookings (
            id bigserial,
            guest_id bigint NOT NULL REFERENCES guests (id),
            check_in date NOT NULL,
            nights int NOT NULL CHECK (nights > 0),
            room_rate numeric(10, 2) NOT NULL,
            notes text,
            PRIMARY KEY (id, check_in)
        ) PARTITION BY RANGE (check_in)`,
        "CREATE TABLE bookings_2025 PARTITION OF bookings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        "CREATE TABLE bookings_2026 PARTITION OF bookings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
        "CREATE TABLE bookings_other PARTITION OF bookings DEFAULT",
        `CREATE TABLE ops."Room Types" (
            code text PRIMARY KEY,
            label text NOT NULL,
            amenities text[] NOT NULL,
            base_rate numeric(10, 2) NOT NULL
        )`,
        `CREATE TABLE audit_log (
            id bigserial PRIMARY KEY,
            table_name text NOT NULL,
            operation text NOT NULL,
            row_id bigint NOT NULL,
            logged_at timestamptz NOT NULL DEFAULT '2026-01-01T00:00:00Z'
        )`,
        "CREATE SEQUENCE invoice_number_seq START 1000",
        "SELECT setval('invoice_number_seq', 48213)",
        `CREATE FUNCTION stay_total(rate numeric, nights int) RETURNS numeric LANGUAGE plpgsql IMMUTABLE AS $$
        BEGIN
            IF nights >= 7 THEN
                RETURN round(rate * nights * 0.9, 2);
            END IF;
            RETURN rate * nights;
        END
        $$`,
        `CREATE FUNCTION audit_guest_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO audit_log (table_name, operation, row_id) VALUES (TG_TABLE_NAME, TG_OP, NEW.id);
            NEW.updated_at := '2026-01-01T00:00:00Z';
            RETURN NEW;
        END
        $$`,
        "CREATE TRIGGER guests_audit BEFORE INSERT OR UPDATE ON guests FOR EACH ROW EXECUTE FUNCTION audit_guest_change()",
        `CREATE VIEW guest_revenue AS
            SELECT g.id, g.email, count(b.id) AS stays, coalesce(sum(stay_total(b.room_rate, b.nights)), 0) AS revenue
            FROM guests g LEFT JOIN bookings b ON b.guest_id = g.id
            GROUP BY g.id, g.email`,
        `INSERT INTO ops."Room Types" VALUES
            ('STD', 'Standard', '{wifi,tv}', 89.00),
            ('DLX', 'Deluxe "sea view"', '{wifi,tv,minibar}', 149.50),
            ('STE', E'Suite\\twith tab', '{wifi,tv,minibar,"butler service"}', 320.00),
            ('ACC', 'Accessible, ground floor', '{wifi,"step-free access"}', 95.00)`,
        `INSERT INTO guests (email, full_name, mood, tags, preferences, avatar, loyalty_points, created_at)
            SELECT
                'guest' || i || '@example.test',
                initcap(md5(random()::text)) || E' O\\'' || substr(md5(random()::text), 1, 6),
                (ARRAY['angry', 'neutral', 'delighted'])[1 + (i % 3)]::mood,
                ARRAY[substr(md5(random()::text), 1, 5), CASE WHEN i % 4 = 0 THEN 'vip' ELSE 'regular' END],
                jsonb_build_object(
                    'pillow', (ARRAY['soft', 'firm', 'none'])[1 + (i % 3)],
                    'floor', (random() * 20)::int,
                    'allergies', to_jsonb(ARRAY[md5(random()::text)]),
                    'note', E'line one\\nline "two" \\\\ done'
                ),
                CASE WHEN i % 5 = 0 THEN NULL ELSE decode(md5(random()::text) || md5(i::text), 'hex') END,
                round((random() * 10000)::numeric, 2),
                '2024-01-01T00:00:00Z'::timestamptz + (i || ' hours')::interval
            FROM generate_series(1, ${guests}) AS i`,
        `INSERT INTO bookings (guest_id, check_in, nights, room_rate, notes)
            SELECT
                1 + (i % ${guests}),
                '2024-06-01'::date + (i % 1000),
                1 + (i % 14),
                round((60 + random() * 300)::numeric, 2),
                CASE WHEN i % 3 = 0 THEN NULL ELSE repeat(md5(random()::text), 1 + i % 4) END
            FROM generate_series(1, ${bookings}) AS i`,
        "UPDATE guests SET loyalty_points = loyalty_points + 1 WHERE id % 10 = 0",
        `SELECT lo_from_bytea(424242, decode(string_agg(md5(random()::text || g::text), ''), 'hex')) FROM generate_series(1, 4096) AS g`,
    ];
    if (options.bulkMiB) {
        statements.push(
            "CREATE TABLE bulk_payload (id int PRIMARY KEY, payload bytea NOT NULL)",
            // Random bytes do not compress, so the dump grows by about this many MiB even after zstd.
            "ALTER TABLE bulk_payload ALTER COLUMN payload SET STORAGE EXTERNAL",
            `INSERT INTO bulk_payload
                SELECT i, (SELECT decode(string_agg(md5(random()::text || i::text || j::text), ''), 'hex') FROM generate_series(1, 65536) AS j)
                FROM generate_series(1, ${options.bulkMiB}) AS i`,
        );
    }
    statements.push("ANALYZE");
    return statements;
}

/** Creates `name` on the cluster and fills it with the varied schema and data; returns its URL. */
export async function createVariedDatabase(cluster: PgCluster, name: string, options: VariedDatabaseOptions = {}): Promise<string> {
    const url = await cluster.createDatabase(name);
    // One session, because setseed() only holds within it.
    await cluster.query(name, variedDatabaseSql(options).join(";\n"));
    return url;
}

/** Everything a faithful restore must reproduce, read with plain SQL. */
export async function fingerprint(cluster: PgCluster, database: string): Promise<DatabaseFingerprint> {
    const tables = await cluster.query<{ name: string }>(
        database,
        `SELECT format('%I.%I', n.nspname, c.relname) AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
         ORDER BY 1`,
    );
    const result: DatabaseFingerprint = { tables: {}, sequences: {}, largeObjects: {}, objects: [] };
    for (const { name } of tables) {
        // `name` comes from format('%I.%I'), so it is already a safely quoted identifier.
        const [row] = await cluster.query<{ count: string; checksum: string }>(
            database,
            `SELECT count(*) AS count, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE "C"), '')) AS checksum FROM ${name} AS t`,
        );
        result.tables[name] = { rowCount: Number(row?.count), checksum: row?.checksum ?? "" };
    }
    for (const seq of await cluster.query<{ name: string; last_value: string | null }>(
        database,
        "SELECT format('%I.%I', schemaname, sequencename) AS name, last_value::text FROM pg_sequences ORDER BY 1",
    )) {
        result.sequences[seq.name] = seq.last_value;
    }
    for (const lo of await cluster.query<{ oid: string; checksum: string }>(
        database,
        "SELECT oid::text AS oid, md5(lo_get(oid)) AS checksum FROM pg_largeobject_metadata ORDER BY oid",
    )) {
        result.largeObjects[lo.oid] = lo.checksum;
    }
    const objects = await cluster.query<{ line: string }>(
        database,
        `SELECT line FROM (
            SELECT format('view %I.%I: %s', schemaname, viewname, definition) AS line FROM pg_views
                WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
            UNION ALL
            -- Aggregates (an extension's min/max) have no function definition to print.
            SELECT format('function %s: %s', p.oid::regprocedure, md5(pg_get_functiondef(p.oid))) FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                    AND p.prokind <> 'a'
            UNION ALL
            SELECT format('trigger %s on %s: %s', t.tgname, t.tgrelid::regclass, pg_get_triggerdef(t.oid)) FROM pg_trigger t
                WHERE NOT t.tgisinternal
            UNION ALL
            SELECT format('enum %s: %s', t.oid::regtype, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)) FROM pg_type t
                JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.oid
            UNION ALL
            SELECT format('domain %s: %s %s', t.oid::regtype, format_type(t.typbasetype, t.typtypmod),
                    coalesce((SELECT string_agg(pg_get_constraintdef(c.oid), ' ' ORDER BY c.conname) FROM pg_constraint c WHERE c.contypid = t.oid), ''))
                FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE t.typtype = 'd' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            UNION ALL
            SELECT format('partition %s of %s: %s', c.oid::regclass, i.inhparent::regclass, pg_get_expr(c.relpartbound, c.oid)) FROM pg_class c
                JOIN pg_inherits i ON i.inhrelid = c.oid WHERE c.relispartition
        ) AS o ORDER BY line COLLATE "C"`,
    );
    result.objects = objects.map((row) => row.line);
    return result;
}
