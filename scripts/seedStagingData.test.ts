// scripts/seed-staging-data.sh and `npm run anonymize`: a real backup of a hotel database full of
// personal data and credentials goes through the seed into a "staging" database. Half the schema is
// generated at random (names and types) so that no rule can be fitted to names known in advance.
import { spawn, spawnSync } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { baseEnv, REPO_ROOT, runCli } from "../job/test/support/cli.js";
import { fingerprint } from "../job/test/support/fixtures.js";
import { startPostgres, type PgCluster } from "../job/tools/servers/postgres.js";
import { findSurvivors, hmacPads, sampleOriginals } from "./staging/anonymize.js";
import { checkClassification, connectTo } from "./staging/refresh.js";
import { loadRules } from "./staging/rules.js";

const SCRIPT = join(REPO_ROOT, "scripts", "seed-staging-data.sh");
const ANONYMIZE_CLI = join(REPO_ROOT, "scripts", "staging", "anonymizeCli.ts");
// A test key, not a credential: it only makes the fakes reproducible here.
const KEY = `test-anonymization-key-${randomBytes(8).toString("hex")}`;
const GUESTS = 120;

const marker = (prefix: string) => `${prefix}${randomBytes(6).toString("hex")}`;

/** The realistic part: what a hotel's database holds, with every personal value planted for the final grep. */
const HOTEL_SQL = `
    CREATE EXTENSION citext;
    CREATE SCHEMA crm;
    CREATE TYPE gender AS ENUM ('female', 'male', 'diverse');
    CREATE DOMAIN email_address AS citext CHECK (VALUE ~ '^[^@\\s]+@[^@\\s]+$');
    CREATE TABLE guests (
        id bigserial PRIMARY KEY,
        email email_address NOT NULL UNIQUE,
        first_name text NOT NULL,
        last_name text NOT NULL,
        phone varchar(32),
        date_of_birth date,
        nationality char(2),
        passport_number text,
        gender gender,
        address text,
        tags text[] NOT NULL DEFAULT '{}',
        loyalty_points int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT '2026-01-01T00:00:00Z'
    );
    CREATE TABLE reservations (
        id bigserial,
        guest_id bigint NOT NULL REFERENCES guests (id),
        contact_email email_address NOT NULL,
        check_in date NOT NULL,
        nights int NOT NULL,
        notes text,
        special_requests text,
        details jsonb NOT NULL,
        client_ip inet,
        payment_reference varchar(64),
        PRIMARY KEY (id, check_in)
    ) PARTITION BY RANGE (check_in);
    CREATE TABLE reservations_2026 PARTITION OF reservations FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    CREATE TABLE reservations_other PARTITION OF reservations DEFAULT;
    CREATE TABLE identity_scans (id serial PRIMARY KEY, guest_id bigint NOT NULL REFERENCES guests (id), scan bytea NOT NULL);
    CREATE TABLE staff (id serial PRIMARY KEY, login text NOT NULL UNIQUE, full_name text NOT NULL, password_hash text NOT NULL, notification_email text);
    CREATE TABLE api_tokens (id serial PRIMARY KEY, staff_id int NOT NULL REFERENCES staff (id), token text NOT NULL UNIQUE, label text NOT NULL);
    CREATE TABLE crm.sessions (id uuid PRIMARY KEY, staff_id int NOT NULL, data jsonb NOT NULL, expires_at timestamptz NOT NULL);
    CREATE TABLE webhooks (id serial PRIMARY KEY, url text NOT NULL, signing_secret text NOT NULL, sms_number text);
    CREATE TABLE audit_log (id bigserial PRIMARY KEY, table_name text NOT NULL, row_data jsonb NOT NULL, changed_at timestamptz NOT NULL DEFAULT '2026-01-01');
    CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO audit_log (table_name, row_data) VALUES (TG_TABLE_NAME, to_jsonb(NEW));
        RETURN NEW;
    END
    $$;
    CREATE TRIGGER guests_audit AFTER INSERT OR UPDATE ON guests FOR EACH ROW EXECUTE FUNCTION audit_row();
`;

const VIEW_SQL = `
    CREATE MATERIALIZED VIEW guest_directory AS
        SELECT g.id, g.first_name || ' ' || g.last_name AS name, g.email::text AS email, r.notes
        FROM guests g LEFT JOIN reservations r ON r.guest_id = g.id;
`;

interface Planted {
    /** Every value that must not reach staging, as text that a plain pg_dump would show. */
    values: string[];
    emails: string[];
    dobs: Map<number, string>;
}

/** Types for the generated columns, each with a rule and a planted value (`m` is a unique marker). */
const GENERATED_TYPES: { type: string; rule: unknown; value: (m: string, i: number) => string; dumped: (m: string, i: number) => string }[] = [
    { type: "text", rule: "text", value: (m) => `'note about ${m}'`, dumped: (m) => m },
    { type: "varchar(80)", rule: "email", value: (m) => `'${m}@mail.test'`, dumped: (m) => m },
    { type: "char(20)", rule: "identity-document", value: (m) => `'${m}'`, dumped: (m) => m },
    { type: "citext", rule: "name", value: (m) => `'${m}'`, dumped: (m) => m },
    { type: "name", rule: "text", value: (m) => `'${m}'`, dumped: (m) => m },
    { type: "jsonb", rule: "json-strings", value: (m) => `'{"a": {"b": ["${m}"]}, "n": 1}'`, dumped: (m) => m },
    { type: "json", rule: "json-strings", value: (m) => `'{"deep": {"x": "${m}"}}'`, dumped: (m) => m },
    { type: "text[]", rule: "phone", value: (m) => `ARRAY['${m}', 'other ${m}']`, dumped: (m) => m },
    { type: "inet", rule: "ip", value: (_m, i) => `'81.17.${i % 250}.${(i * 7) % 250}'`, dumped: (_m, i) => `81.17.${i % 250}.${(i * 7) % 250}` },
    { type: "bytea", rule: "set-null", value: (m) => `convert_to('${m}', 'UTF8')`, dumped: (m) => Buffer.from(m).toString("hex") },
    {
        type: "macaddr",
        rule: "set-null",
        value: (_m, i) => `'0a:1b:2c:3d:${(i % 200).toString(16).padStart(2, "0")}:ee'`,
        dumped: (_m, i) => `0a:1b:2c:3d:${(i % 200).toString(16).padStart(2, "0")}:ee`,
    },
    {
        type: "uuid",
        rule: "token",
        value: (m) =>
            `'${m
                .slice(-12)
                .padStart(32, "a")
                .replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-")}'`,
        dumped: (m) => m.slice(-12),
    },
    { type: "xml", rule: { rule: "constant", value: "<gone/>" }, value: (m) => `'<p>${m}</p>'`, dumped: (m) => m },
    { type: "tsvector", rule: "set-null", value: (m) => `to_tsvector('simple', '${m}')`, dumped: (m) => m },
    { type: "url_text", rule: "url", value: (m) => `'https://${m}.example.org/hook'`, dumped: (m) => m },
];

interface Generated {
    schema: string;
    table: string;
    columns: { name: string; type: string; rule: unknown }[];
}

/** A table with a random name in a random schema, random column names (spaces, capitals, quotes) and random types. */
function generatedTable(planted: Planted): { sql: string; table: Generated } {
    const id = () => randomBytes(3).toString("hex");
    const schema = `S ${id()}`;
    const table = `T"${id()} Ü`;
    const picked = [...GENERATED_TYPES].sort(() => Math.random() - 0.5);
    const columns = picked.map((spec) => ({ spec, name: `${["Col", "x", "Daten", "f"][Math.floor(Math.random() * 4)]} ${id()}` }));
    const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
    const sql = [
        `CREATE SCHEMA ${q(schema)}`,
        `CREATE DOMAIN ${q(schema)}.url_text AS text CHECK (VALUE ~ '^https://')`,
        `CREATE TABLE ${q(schema)}.${q(table)} (id serial PRIMARY KEY, ${columns
            .map(({ spec, name }) => `${q(name)} ${spec.type === "url_text" ? `${q(schema)}.url_text` : spec.type}`)
            .join(", ")})`,
    ];
    for (let i = 1; i <= 20; i++) {
        const values = columns.map(({ spec }) => {
            const m = marker("gen");
            planted.values.push(spec.dumped(m, i));
            return spec.value(m, i);
        });
        sql.push(`INSERT INTO ${q(schema)}.${q(table)} (${columns.map(({ name }) => q(name)).join(", ")}) VALUES (${values.join(", ")})`);
    }
    return { sql: sql.join(";\n"), table: { schema, table, columns: columns.map(({ spec, name }) => ({ name, type: spec.type, rule: spec.rule })) } };
}

/** Guests, reservations, staff, tokens, sessions, webhooks, scans and a large object, every value recorded. */
function hotelData(planted: Planted): string {
    const sql: string[] = [];
    const lit = (value: string) => `'${value.replaceAll("'", "''")}'`;
    const keep = (value: string) => {
        planted.values.push(value);
        return value;
    };
    for (let i = 1; i <= GUESTS; i++) {
        const first = keep(marker("Firstname"));
        const last = keep(marker("Surname"));
        const email = keep(`${first}.${last}@gmail-${i}.test`.toLowerCase());
        planted.emails.push(email);
        const phone = keep(`+33 6 ${String(10000000 + i * 7919).slice(0, 8)}`);
        const dob = `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`;
        planted.dobs.set(i, dob);
        const passport = keep(`P${String(40000000 + i * 131)}`);
        const address = keep(`${i} rue ${marker("Lepic")}, 75018 Paris`);
        sql.push(
            `INSERT INTO guests (email, first_name, last_name, phone, date_of_birth, nationality, passport_number, gender, address, tags) VALUES (` +
                `${lit(email)}, ${lit(first)}, ${lit(last)}, ${lit(phone)}, '${dob}', 'FR', ${lit(passport)}, 'female', ${lit(address)}, ARRAY[${lit(keep(marker("tag")))}, 'vip'])`,
        );
        const note = keep(`Mr ${last} called from ${phone}: arrives late, call back`);
        const request = keep(`Allergic to nuts, ${last}'s wife asks for a cot`);
        const ip = keep(`81.20.${i % 250}.${(i * 3) % 250}`);
        const paymentReference = keep(`pi_3Nq${marker("")}`);
        const nestedEmail = keep(`${marker("assistant")}@company.test`);
        const details = { source: "booking-engine", contact: { email: nestedEmail, phone }, guests: [{ name: `${first} ${last}`, age: 40 }] };
        sql.push(
            `INSERT INTO reservations (guest_id, contact_email, check_in, nights, notes, special_requests, details, client_ip, payment_reference) VALUES (` +
                `${i}, ${lit(email)}, '2026-0${1 + (i % 9)}-15', ${1 + (i % 5)}, ${lit(note)}, ${lit(request)}, ${lit(JSON.stringify(details))}, '${ip}', ${lit(paymentReference)})`,
        );
        if (i % 4 === 0) sql.push(`INSERT INTO identity_scans (guest_id, scan) VALUES (${i}, convert_to(${lit(keep(marker("SCAN-")))}, 'UTF8'))`);
    }
    for (let s = 1; s <= 5; s++) {
        sql.push(
            `INSERT INTO staff (login, full_name, password_hash, notification_email) VALUES (` +
                `${lit(keep(marker("login")))}, ${lit(keep(marker("Staffname")))}, ${lit(keep(`$2b$12$${randomBytes(26).toString("hex").slice(0, 53)}`))}, ${lit(keep(`${marker("ops")}@hotel.test`))})`,
            `INSERT INTO api_tokens (staff_id, token, label) VALUES (${s}, ${lit(keep(`hg_live_${randomBytes(20).toString("hex")}`))}, 'pms')`,
            `INSERT INTO crm.sessions (id, staff_id, data, expires_at) VALUES (${lit(keep(randomUUID()))}, ${s}, ${lit(JSON.stringify({ csrf: keep(marker("csrf")) }))}, '2026-12-31')`,
            `INSERT INTO webhooks (url, signing_secret, sms_number) VALUES (${lit(keep(`https://${marker("partner")}.example.org/hook`))}, ${lit(keep(marker("whsec_")))}, ${lit(keep(`+44 7700 9${String(s).padStart(5, "0")}`))})`,
        );
    }
    const scan = keep(marker("LARGE-OBJECT-PASSPORT-"));
    planted.values.push(Buffer.from(scan).toString("hex"));
    sql.push(`SELECT lo_from_bytea(0, convert_to(${lit(scan)}, 'UTF8'))`);
    return sql.join(";\n");
}

/** A rule for every column of the hotel schema, as a reviewer would write them. */
const HOTEL_RULES = {
    public: {
        guests: {
            email: "email",
            first_name: "name",
            last_name: "name",
            phone: "phone",
            date_of_birth: "shift-date",
            nationality: { rule: "choice", values: ["FR", "DE", "IT"] },
            passport_number: "identity-document",
            gender: "safe",
            address: "address",
            tags: "text",
            created_at: "safe",
        },
        reservations: {
            contact_email: "email",
            check_in: "safe",
            notes: "text",
            special_requests: "text",
            details: { rule: "json-strings", paths: ["contact", "guests"] },
            client_ip: "ip",
            payment_reference: "payment-reference",
        },
        identity_scans: { scan: { rule: "constant", value: "\\x" } },
        staff: { login: "name", full_name: "name", password_hash: "password-hash", notification_email: "email" },
        api_tokens: { token: "token", label: "safe" },
        webhooks: { url: "url", signing_secret: "token", sms_number: "phone" },
        audit_log: { table_name: "safe", row_data: "json-strings", changed_at: "safe" },
    },
    crm: { sessions: "truncate" },
};

describe("scripts/seed-staging-data.sh and npm run anonymize", () => {
    let cluster: PgCluster;
    let work: string;
    let rulesPath: string;
    let generated: Generated;
    const planted: Planted = { values: [], emails: [], dobs: new Map() };
    let seed: { status: number | null; stdout: string; stderr: string; cmdlines: string[]; jobEnvironments: string[] };

    const env = (extra: Record<string, string> = {}) => ({ ...baseEnv(), PATH: `${cluster.binDir}:${process.env["PATH"]}`, ANONYMIZATION_KEY: KEY, ...extra });
    const backupsUrl = () => `file://${join(work, "prod-backups")}`;
    const seedArgs = (extra: string[] = []) => [
        "--from",
        backupsUrl(),
        "--name",
        "prod",
        "--database-url",
        cluster.url("staging"),
        "--scratch-url",
        cluster.url("postgres"),
        "--rules",
        rulesPath,
        ...extra,
    ];
    const script = (args: string[], extra: Record<string, string> = {}) => spawnSync(SCRIPT, args, { env: env(extra), encoding: "utf8", timeout: 180_000 });
    const backupProd = async () => {
        const backup = await runCli(["backup", "--database-url", cluster.url("prod"), "--to", backupsUrl(), "--name", "prod"], { env: { PATH: env().PATH } });
        expect(backup.code, backup.stderr).toBe(0);
    };
    const scratchDatabases = () => cluster.query<{ datname: string }>("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'seed_anonymize_%'");
    const dumpStaging = () => {
        const dump = spawnSync(join(cluster.binDir, "pg_dump"), ["--dbname", cluster.url("staging")], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
        expect(dump.status, dump.stderr).toBe(0);
        return dump.stdout;
    };

    /** Runs the seed while recording every process's command line, and the environment of the backup job and its tools. */
    const seedWatchingProcesses = (args: string[]) =>
        new Promise<typeof seed>((resolve) => {
            const child = spawn(SCRIPT, args, { env: env() });
            let stdout = "";
            let stderr = "";
            const cmdlines = new Set<string>();
            const jobEnvironments = new Set<string>();
            child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
            child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
            const watch = setInterval(() => {
                for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
                    try {
                        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
                        cmdlines.add(cmdline);
                        if (/job\/src\/cli\.ts|backup-job|pg_dump|pg_restore|psql/.test(cmdline)) {
                            jobEnvironments.add(readFileSync(`/proc/${pid}/environ`, "utf8").replaceAll("\0", "\n"));
                        }
                    } catch {
                        // The process ended between the listing and the read.
                    }
                }
            }, 25);
            child.once("close", (status) => {
                clearInterval(watch);
                resolve({ status, stdout, stderr, cmdlines: [...cmdlines], jobEnvironments: [...jobEnvironments] });
            });
        });

    beforeAll(async () => {
        cluster = await startPostgres({ settings: { log_statement: "all" } });
        work = mkdtempSync(join(tmpdir(), "seed-staging-"));
        await cluster.createDatabase("prod");
        await cluster.query("prod", HOTEL_SQL);
        await cluster.query("prod", hotelData(planted));
        const random = generatedTable(planted);
        generated = random.table;
        await cluster.query("prod", random.sql);
        await cluster.query("prod", VIEW_SQL);
        const generatedRules = Object.fromEntries(generated.columns.map((column) => [column.name, column.rule]));
        rulesPath = join(work, "rules.yaml");
        writeFileSync(
            rulesPath,
            stringify({ version: 1, largeObjects: "drop", schemas: { ...HOTEL_RULES, [generated.schema]: { [generated.table]: generatedRules } } }),
        );
        await backupProd();
        await cluster.createDatabase("staging");
        seed = await seedWatchingProcesses(seedArgs());
    }, 300_000);
    afterAll(async () => {
        rmSync(work, { recursive: true, force: true });
        await cluster?.stop();
    });

    it("with a rule for every column, seeds staging, says what it checked and leaves no scratch database", async () => {
        expect(seed.status, seed.stderr).toBe(0);
        expect(seed.stdout).toContain("seeded the target with an anonymized copy");
        expect(seed.stderr).toMatch(
            /classification: all \d+ columns that can hold personal data have a rule: \d+ rewritten, 3 in 1 emptied tables, 6 declared safe/,
        );
        expect(seed.stderr).toMatch(
            /self-check: [1-9]\d* original values from the first 200 rows of \d+ anonymized columns, looked for in the result \(none found\)/,
        );
        expect(seed.stderr).toContain("public.reservations.notes (text): ");
        expect(seed.stderr).toContain("public.guests.date_of_birth (shift-date): not compared");
        expect(seed.stderr).toContain("emptied crm.sessions");
        expect(seed.stderr).toContain("refreshed materialized view public.guest_directory");
        expect(await scratchDatabases()).toEqual([]);
    });

    it("no planted personal value or credential is left anywhere in staging's full dump", async () => {
        const dump = dumpStaging();
        expect(dump).toContain("@example.invalid");
        expect(planted.values.length).toBeGreaterThan(GUESTS * 12);
        expect(planted.values.filter((value) => dump.includes(value))).toEqual([]);
        expect(await cluster.query("staging", "SELECT oid FROM pg_largeobject_metadata")).toEqual([]);
    });

    it("the key reaches no output, no process's command line, no environment of the backup job or its tools, and no server log", () => {
        expect(seed.stdout + seed.stderr).not.toContain(KEY);
        expect(seed.cmdlines.length).toBeGreaterThan(10);
        expect(seed.cmdlines.some((line) => line.includes("pg_restore") || line.includes("psql") || line.includes("pg_dump"))).toBe(true);
        expect(seed.cmdlines.filter((line) => line.includes(KEY))).toEqual([]);
        expect(seed.jobEnvironments.length).toBeGreaterThan(0);
        expect(seed.jobEnvironments.filter((environment) => environment.includes("ANONYMIZATION_KEY") || environment.includes(KEY))).toEqual([]);
        // The server logs every statement (log_statement=all): the anonymization's session turns that off before sending HMAC's pads.
        const serverLog = readFileSync(cluster.logFile, "utf8");
        expect(serverLog).toMatch(/statement: \s*CREATE EXTENSION citext;\s*CREATE SCHEMA crm/);
        const { inner, outer } = hmacPads(KEY);
        for (const secret of [KEY, inner.toString("hex"), outer.toString("hex")]) expect(serverLog).not.toContain(secret);
    });

    it("fakes are keyed HMACs: stable, so an email copied into reservations still matches its guest", async () => {
        const [first] = await cluster.query<{ email: string }>("staging", "SELECT email FROM guests WHERE id = 1");
        const hmac = createHmac("sha256", KEY).update(`email:${planted.emails[0]}`).digest("hex");
        expect(first!.email).toBe(`guest-${hmac.slice(0, 16)}@example.invalid`);
        const mismatched = await cluster.query(
            "staging",
            "SELECT r.id FROM reservations r JOIN guests g ON g.id = r.guest_id WHERE r.contact_email <> g.email",
        );
        expect(mismatched).toEqual([]);
        const phones = await cluster.query<{ phone: string }>("staging", "SELECT phone FROM guests");
        expect(phones.every((row) => /^\+999\d{9}$/.test(row.phone))).toBe(true);
    });

    it("dates of birth move by 1 to 182 days; credentials cannot log in; sessions are gone; documents kept whole where not named", async () => {
        const dobs = await cluster.query<{ id: string; dob: string }>("staging", "SELECT id::text, to_char(date_of_birth, 'YYYY-MM-DD') AS dob FROM guests");
        for (const { id, dob } of dobs) {
            const days = Math.abs(Date.parse(dob) - Date.parse(planted.dobs.get(Number(id))!)) / 86_400_000;
            expect(days, `guest ${id}`).toBeGreaterThanOrEqual(1);
            expect(days, `guest ${id}`).toBeLessThanOrEqual(182);
        }
        expect(await cluster.query("staging", "SELECT DISTINCT password_hash FROM staff")).toEqual([{ password_hash: "!staging-login-disabled" }]);
        const tokens = await cluster.query<{ token: string }>("staging", "SELECT token FROM api_tokens");
        expect(new Set(tokens.map((row) => row.token)).size).toBe(5);
        expect(await cluster.query("staging", "SELECT id FROM crm.sessions")).toEqual([]);
        const [details] = await cluster.query<{ details: { source: string; contact: { email: string } } }>(
            "staging",
            "SELECT details FROM reservations LIMIT 1",
        );
        expect(details!.details.source).toBe("booking-engine");
        expect(details!.details.contact.email).toMatch(/^redacted-[0-9a-f]{12}$/);
        const [source, seeded] = await Promise.all([fingerprint(cluster, "prod"), fingerprint(cluster, "staging")]);
        for (const [table, { rowCount }] of Object.entries(source.tables))
            expect(seeded.tables[table]?.rowCount, table).toBe(table === "crm.sessions" ? 0 : rowCount);
        // The anonymization's UPDATE must not have fired the audit trigger.
        expect(seeded.tables["public.audit_log"]!.rowCount).toBe(GUESTS);
    });

    it("the draft lists every column that can hold personal data, with a suggestion, and is refused until reviewed", async () => {
        const draft = await runCli(["draft", "--database-url", cluster.url("prod"), "--rules", "none"], { entry: ANONYMIZE_CLI, env: { PATH: env().PATH } });
        expect(draft.code, draft.stderr).toBe(0);
        expect(draft.stdout).toContain("SUGGESTED");
        const drafted = parse(draft.stdout) as { draft: boolean; largeObjects: string; schemas: Record<string, Record<string, Record<string, unknown>>> };
        expect(drafted.draft).toBe(true);
        expect(drafted.largeObjects).toBe("drop");
        const listed = Object.entries(drafted.schemas).flatMap(([schema, tables]) =>
            Object.entries(tables).flatMap(([table, columns]) => Object.keys(columns).map((column) => `${schema}.${table}.${column}`)),
        );
        // Independently of the tool: every column of every table except numbers and booleans.
        const expected = await cluster.query<{ name: string }>(
            "prod",
            `SELECT n.nspname || '.' || c.relname || '.' || a.attname AS name
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
               AND a.atttypid NOT IN ('int4'::regtype, 'int8'::regtype, 'bool'::regtype)`,
        );
        expect(listed.sort()).toEqual(expected.map((row) => row.name).sort());
        for (const column of generated.columns) expect(listed).toContain(`${generated.schema}.${generated.table}.${column.name}`);
        const draftPath = join(work, "draft.yaml");
        writeFileSync(draftPath, draft.stdout);
        const refused = script(seedArgs(["--rules", draftPath]));
        expect(refused.status).toBe(2);
        expect(refused.stderr).toContain("is a draft (draft: true)");
    });

    it("a column added after the rules were written stops the refresh by name, and the target is untouched", async () => {
        const before = await fingerprint(cluster, "staging");
        const generatedTable = `"${generated.schema.replaceAll('"', '""')}"."${generated.table.replaceAll('"', '""')}"`;
        const added = `Später ${randomBytes(2).toString("hex")}`;
        await cluster.query("prod", "ALTER TABLE guests ADD COLUMN emergency_contact text; UPDATE guests SET emergency_contact = 'Mum, +33 6 99 99 99 99'");
        await cluster.query("prod", `ALTER TABLE ${generatedTable} ADD COLUMN "${added}" jsonb`);
        await backupProd();
        const result = script(seedArgs(["--clean"]));
        expect(result.status, result.stderr).toBe(11);
        expect(result.stderr).toContain("public.guests.emergency_contact (text)");
        expect(result.stderr).toContain(`${generated.schema}.${generated.table}.${added} (jsonb)`);
        expect(result.stderr).toContain("2 column(s) that can hold personal data have no rule");
        expect(result.stdout).toBe("");
        expect(await fingerprint(cluster, "staging")).toEqual(before);
        expect(await scratchDatabases()).toEqual([]);
        const check = await runCli(["check", "--database-url", cluster.url("prod"), "--rules", rulesPath], { entry: ANONYMIZE_CLI, env: { PATH: env().PATH } });
        expect(check.code).toBe(11);
        expect(check.stderr).toContain("public.guests.emergency_contact (text)");
        await cluster.query("prod", `ALTER TABLE guests DROP COLUMN emergency_contact; ALTER TABLE ${generatedTable} DROP COLUMN "${added}"`);
        await backupProd();
    });

    it("anonymize run: in place on any database (a Neon branch), with the materialized view rebuilt and the self-check on the same database", async () => {
        await cluster.query("postgres", "CREATE DATABASE in_place TEMPLATE prod");
        const run = await runCli(["run", "--database-url", cluster.url("in_place"), "--rules", rulesPath, "--check-rows", "50"], {
            entry: ANONYMIZE_CLI,
            env: { PATH: env().PATH, ANONYMIZATION_KEY: KEY },
        });
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout + run.stderr).not.toContain(KEY);
        expect(run.stderr).toMatch(
            /self-check: [1-9]\d* original values from the first 50 rows of \d+ anonymized columns, looked for in the result \(none found\)/,
        );
        const directory = await cluster.query<{ name: string; email: string; notes: string | null }>(
            "in_place",
            "SELECT name, email, notes FROM guest_directory",
        );
        expect(directory.length).toBeGreaterThanOrEqual(GUESTS);
        const leaked = directory.filter((row) => planted.values.some((value) => `${row.name} ${row.email} ${row.notes}`.includes(value)));
        expect(leaked).toEqual([]);
        const tooShort = await runCli(["run", "--database-url", cluster.url("in_place"), "--rules", rulesPath], {
            entry: ANONYMIZE_CLI,
            env: { PATH: env().PATH, ANONYMIZATION_KEY: "short-key" },
        });
        expect(tooShort.code).toBe(2);
        expect(tooShort.stderr).toContain("ANONYMIZATION_KEY is 9 characters long (not shown); allowed: at least 16");
        expect(tooShort.stderr).not.toContain("short-key");
    });

    it("the self-check finds the originals where they survive: every compared column of the raw source, with counts and no value", async () => {
        const source = await connectTo(cluster.url("prod"));
        try {
            const { classification } = await checkClassification(source, loadRules(rulesPath), rulesPath, () => undefined);
            const samples = await sampleOriginals(source, classification.plan, 20);
            expect(samples.columns.length).toBeGreaterThan(20);
            const check = await findSurvivors(source, samples, 60);
            expect(check.survivors.length).toBe(samples.columns.length);
            expect(check.survivors).toContain("public.reservations.notes: 20 of 20 sampled original values are still there");
            expect(check.report[0]).toContain("(FOUND SOME)");
            expect(planted.values.filter((value) => check.report.join("\n").includes(value))).toEqual([]);
        } finally {
            await source.end();
        }
    });

    it("SIGTERM during the raw restore stops the job and still drops the scratch database", async () => {
        const child = spawn(SCRIPT, seedArgs(["--clean"]), { env: env() });
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
            stderr += chunk;
            if (stderr.includes("created; the backup job restores into it") && child.signalCode === null && !child.killed) child.kill("SIGTERM");
        });
        const status = await new Promise<number | null>((resolve) => child.once("close", resolve));
        expect(status, stderr).toBe(143);
        expect(stderr).not.toContain("2/5");
        expect(await scratchDatabases()).toEqual([]);
    });

    it("refuses a non-empty target without --clean (the job's exit 9), a rules file naming an unknown rule, and missing options", async () => {
        expect(script(seedArgs()).status).toBe(9);
        const badRules = join(work, "bad.yaml");
        writeFileSync(badRules, stringify({ version: 1, schemas: { public: { guests: { email: "scramble" } } } }));
        const bad = script(seedArgs(["--rules", badRules]));
        expect(bad.status).toBe(2);
        expect(bad.stderr).toContain('schemas.public.guests.email: rule "scramble" is unknown; allowed: safe, set-null, constant');
        const missing = script(["--from", "file:///nowhere"]);
        expect(missing.status).toBe(2);
        expect(missing.stderr).toContain("missing --database-url --scratch-url");
        expect(await scratchDatabases()).toEqual([]);
    });
});
