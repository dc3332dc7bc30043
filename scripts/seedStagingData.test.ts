// scripts/seed-staging-data.sh and scripts/staging/anonymize.sql: a real backup of a database holding
// guests' personal data goes through the script into an empty "staging" database; nothing personal
// may arrive there. Tested here, beside the harness that starts the real server it needs.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseEnv, REPO_ROOT, runCli } from "../job/test/support/cli.js";
import { createVariedDatabase, fingerprint } from "../job/test/support/fixtures.js";
import { startPostgres, type PgCluster } from "../job/tools/servers/postgres.js";

const SCRIPT = join(REPO_ROOT, "scripts", "seed-staging-data.sh");
// A test key, not a credential: it only makes the fakes reproducible here.
const KEY = "test-anonymization-key-0123456789";

/** Personal data the app schema has beyond the shared fixture: phones, payment references, an email copied into another table. */
const PERSONAL_COLUMNS_SQL = `
    ALTER TABLE guests ADD COLUMN phone text;
    UPDATE guests SET phone = '+33 6 ' || lpad((id * 7919)::text, 8, '0');
    CREATE TABLE payments (
        id serial PRIMARY KEY,
        guest_id bigint NOT NULL REFERENCES guests (id),
        guest_email text NOT NULL,
        payment_reference varchar(64) NOT NULL UNIQUE,
        amount numeric(10, 2) NOT NULL
    );
    INSERT INTO payments (guest_id, guest_email, payment_reference, amount)
        SELECT id, email, 'pi_3Nq' || md5(id::text || 'pay'), loyalty_points FROM guests WHERE id % 2 = 0;
`;

interface Originals {
    emails: string[];
    names: string[];
    phones: string[];
    paymentReferences: string[];
}

describe("scripts/seed-staging-data.sh", () => {
    let cluster: PgCluster;
    let work: string;
    let originals: Originals;
    let seed: ReturnType<typeof spawnSync>;

    const script = (args: string[], env: Record<string, string> = {}) =>
        spawnSync(SCRIPT, args, {
            env: { ...baseEnv(), PATH: `${cluster.binDir}:${process.env["PATH"]}`, ANONYMIZATION_KEY: KEY, ...env },
            encoding: "utf8",
            timeout: 180_000,
        });

    beforeAll(async () => {
        cluster = await startPostgres();
        work = mkdtempSync(join(tmpdir(), "seed-staging-"));
        const prodUrl = await createVariedDatabase(cluster, "prod", { guests: 300 });
        await cluster.query("prod", PERSONAL_COLUMNS_SQL);
        const guests = await cluster.query<{ email: string; full_name: string; phone: string }>("prod", "SELECT email, full_name, phone FROM guests");
        const payments = await cluster.query<{ payment_reference: string }>("prod", "SELECT payment_reference FROM payments");
        originals = {
            emails: guests.map((guest) => guest.email),
            names: guests.map((guest) => guest.full_name),
            phones: guests.map((guest) => guest.phone),
            paymentReferences: payments.map((payment) => payment.payment_reference),
        };
        const backup = await runCli(["backup", "--database-url", prodUrl, "--to", `file://${join(work, "prod-backups")}`, "--name", "prod"], {
            env: { PATH: `${cluster.binDir}:${process.env["PATH"]}` },
        });
        expect(backup.code, backup.stderr).toBe(0);
        await cluster.createDatabase("staging");
        seed = script([
            "--from",
            `file://${join(work, "prod-backups")}`,
            "--name",
            "prod",
            "--database-url",
            cluster.url("staging"),
            "--scratch-url",
            cluster.url("postgres"),
        ]);
    }, 300_000);
    afterAll(async () => {
        rmSync(work, { recursive: true, force: true });
        await cluster?.stop();
    });

    it("seeds staging and leaves no scratch database behind", async () => {
        expect(seed.stderr).not.toContain(cluster.password);
        expect(seed.status, String(seed.stderr)).toBe(0);
        expect(seed.stdout).toContain("seeded the target with an anonymized copy");
        const scratch = await cluster.query<{ datname: string }>("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'seed_anonymize_%'");
        expect(scratch).toEqual([]);
    });

    it("no original email, name, phone number or payment reference is left anywhere in staging", () => {
        // The whole database as text, schema and data: nothing personal may hide in any table or object.
        const dump = spawnSync(join(cluster.binDir, "pg_dump"), ["--dbname", cluster.url("staging")], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
        expect(dump.status, dump.stderr).toBe(0);
        expect(dump.stdout).toContain("guest-");
        const all = [...originals.emails, ...originals.names, ...originals.phones, ...originals.paymentReferences];
        expect(all.length).toBe(300 * 3 + 150);
        expect(all.filter((value) => dump.stdout.includes(value))).toEqual([]);
    });

    it("fakes are stable: the key and the original decide them, so an email copied to another table still matches", async () => {
        const [first] = await cluster.query<{ email: string; full_name: string; phone: string }>(
            "staging",
            "SELECT email, full_name, phone FROM guests WHERE id = 1",
        );
        const digest = (kind: string, value: string) => createHash("md5").update(`${KEY}:${kind}:${value}`).digest("hex");
        expect(first!.email).toBe(`guest-${digest("email", originals.emails[0]!.toLowerCase()).slice(0, 16)}@example.invalid`);
        expect(first!.full_name).toMatch(/^Guest [0-9A-F]{8}$/);
        expect(first!.phone).toMatch(/^\+999\d{9}$/);
        const mismatched = await cluster.query("staging", "SELECT p.id FROM payments p JOIN guests g ON g.id = p.guest_id WHERE p.guest_email <> g.email");
        expect(mismatched).toEqual([]);
        const references = await cluster.query<{ payment_reference: string }>("staging", "SELECT payment_reference FROM payments");
        expect(references.every((row) => /^PAYREF-[0-9A-F]{16}$/.test(row.payment_reference))).toBe(true);
    });

    it("keeps everything else: same tables and row counts, bookings and room types untouched, triggers did not fire", async () => {
        const [source, seeded] = await Promise.all([fingerprint(cluster, "prod"), fingerprint(cluster, "staging")]);
        expect(Object.keys(seeded.tables)).toEqual(Object.keys(source.tables));
        for (const [table, { rowCount }] of Object.entries(source.tables)) expect(seeded.tables[table]!.rowCount, table).toBe(rowCount);
        for (const table of ["public.bookings", "public.audit_log", 'ops."Room Types"']) expect(seeded.tables[table], table).toEqual(source.tables[table]);
        expect(seeded.objects).toEqual(source.objects);
    });

    it("refuses a target that already holds data unless --clean is given (the job's exit 9)", () => {
        const args = ["--from", `file://${join(work, "prod-backups")}`, "--database-url", cluster.url("staging"), "--scratch-url", cluster.url("postgres")];
        expect(script(args).status).toBe(9);
        const again = script([...args, "--clean"]);
        expect(again.status, String(again.stderr)).toBe(0);
    });

    it("names what is missing", () => {
        const result = script(["--from", "file:///nowhere"]);
        expect(result.status).toBe(2);
        expect(result.stderr).toContain("missing --database-url --scratch-url");
    });
});
