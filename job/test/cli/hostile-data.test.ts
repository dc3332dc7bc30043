// Hostile review: databases and targets at the edges. A target on a full disk, a file where the
// directory should be, a symlinked target; an empty database, one holding only large objects, a
// LATIN1 database restored into a UTF8 one, database names with quotes, spaces, capitals and accents.
// Real CLI, PostgreSQL 15, pg_dump/pg_restore/psql, zstd; a real tmpfs for the full disk (root only).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { errorOf, runCli } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";

let pg: PgCluster;
let work: string;

beforeAll(async () => {
    pg = await startPostgres();
    work = mkdtempSync(join(tmpdir(), "job-hostile-data-"));
});

afterAll(async () => {
    await pg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

async function backup(url: string, to: string, extra: string[] = []) {
    return runCli(["backup", "--database-url", url, "--to", to, "--pg-bin", pg.binDir, ...extra]);
}

async function backupId(url: string, to: string, extra: string[] = []): Promise<string> {
    const result = await backup(url, to, extra);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    return String(result.logs.find((l) => l.message === "backup complete")!.context!["id"]);
}

async function restoreAndVerify(to: string, id: string, intoUrl: string): Promise<void> {
    const restored = await runCli(["restore", "--from", to, "--backup", id, "--database-url", intoUrl, "--pg-bin", pg.binDir]);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    const verified = await runCli(["verify", "--from", to, "--backup", id, "--scratch-database-url", pg.url("postgres"), "--pg-bin", pg.binDir]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
}

describe("odd databases", () => {
    it("an empty database backs up, restores and drills", async () => {
        const to = `file://${join(work, "empty")}`;
        const id = await backupId(await pg.createDatabase("empty_db"), to);
        await restoreAndVerify(to, id, await pg.createDatabase("empty_restored"));
    });

    it("a database holding only large objects restores them byte for byte", async () => {
        const url = await pg.createDatabase("blobs");
        await pg.query("blobs", "SELECT lo_from_bytea(0, decode(repeat('00ff', 50000) || 'c3a9', 'hex')) FROM generate_series(1, 3)");
        const to = `file://${join(work, "blobs")}`;
        const id = await backupId(url, to);
        await restoreAndVerify(to, id, await pg.createDatabase("blobs_restored"));
        const digest = "SELECT string_agg(md5(lo_get(oid)), ',' ORDER BY oid) AS d, count(*)::int AS n FROM pg_largeobject_metadata";
        expect(await pg.query("blobs_restored", digest)).toEqual(await pg.query("blobs", digest));
        expect((await pg.query<{ n: number }>("blobs", digest))[0]!.n).toBe(3);
    });

    it("a LATIN1 database restores into a UTF8 one with its accents intact", async () => {
        await pg.query("postgres", "CREATE DATABASE latin TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'");
        await pg.query("latin", "CREATE TABLE names (n text); INSERT INTO names VALUES ('Hôtel Éléonore'), ('Müller-Straße ½')");
        const to = `file://${join(work, "latin")}`;
        const id = await backupId(pg.url("latin"), to);
        await restoreAndVerify(to, id, await pg.createDatabase("latin_in_utf8"));
        expect(
            await pg.query(
                "latin_in_utf8",
                "SELECT n, pg_encoding_to_char(encoding) AS enc FROM names, pg_database WHERE datname = current_database() ORDER BY n",
            ),
        ).toEqual([
            { n: "Hôtel Éléonore", enc: "UTF8" },
            { n: "Müller-Straße ½", enc: "UTF8" },
        ]);
    });

    it("database names with quotes, spaces, capitals and accents, and a setting to bring back", async () => {
        const source = `Hôtel "Prod" 'eu'`;
        const target = `Spa Ünï "copy"`;
        await pg.query("postgres", `CREATE DATABASE "${source.replace(/"/g, '""')}"`);
        await pg.query("postgres", `ALTER DATABASE "${source.replace(/"/g, '""')}" SET timezone = 'Europe/Paris'`);
        await pg.query(source, "CREATE TABLE guests (id int); INSERT INTO guests SELECT generate_series(1, 4)");
        await pg.query("postgres", `CREATE DATABASE "${target.replace(/"/g, '""')}"`);
        const to = `file://${join(work, "names")}`;
        // The database's name is no backup name: --name is required, and said so.
        const refused = await backup(pg.url(source), to);
        expect(refused.code).toBe(ExitCode.Usage);
        expect(errorOf(refused).message).toContain("cannot be used as a backup name");
        const id = await backupId(pg.url(source), to, ["--name", "hotel"]);
        await restoreAndVerify(to, id, pg.url(target));
        expect(await pg.query(target, "SELECT count(*)::int AS n, current_setting('timezone') AS tz FROM guests")).toEqual([{ n: 4, tz: "Europe/Paris" }]);
    });
});

describe("awkward targets", () => {
    it("a file where the target directory should be: exit 6 naming it, before pg_dump runs", async () => {
        const file = join(work, "not-a-dir");
        writeFileSync(file, "x");
        const result = await backup(await pg.createDatabase("to_file"), `file://${file}`);
        expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Storage);
        expect(errorOf(result).message).toContain(`backup directory ${file} is not writable`);
    });

    it("a symlinked target directory is written through and lists", async () => {
        const real = join(work, "real-target");
        mkdirSync(real);
        const link = join(work, "link-target");
        symlinkSync(real, link);
        const id = await backupId(await pg.createDatabase("via_link"), `file://${link}`);
        expect(readdirSync(join(real, "manifests"))).toEqual([`${id}.json`]);
        const listed = await runCli(["list", "--from", `file://${link}`, "--json"]);
        expect(JSON.parse(listed.stdout).map((e: { id: string }) => e.id)).toEqual([id]);
    });

    const root = process.getuid?.() === 0;
    it.runIf(root)("a full disk (a 5 MiB tmpfs, a 20 MiB incompressible database): exit 6 saying so, nothing half-written", async () => {
        const url = await pg.createDatabase("too_big");
        await pg.query(
            "too_big",
            "CREATE TABLE bulk (b bytea); INSERT INTO bulk SELECT decode(string_agg(md5(random()::text), ''), 'hex') FROM generate_series(1, 1300000) g GROUP BY g % 20",
        );
        const mount = join(work, "full");
        mkdirSync(mount);
        const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=5m", "tmpfs", mount], { encoding: "utf8" });
        expect(mounted.status, mounted.stderr).toBe(0);
        try {
            const result = await backup(url, `file://${mount}`);
            expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Storage);
            expect(errorOf(result).message).toMatch(/ENOSPC/);
            expect(readdirSync(join(mount, "dumps"))).toEqual([]);
            expect(readdirSync(join(mount, "manifests"))).toEqual([]);
            expect(existsSync(join(mount, "dumps"))).toBe(true);
        } finally {
            spawnSync("umount", [mount]);
        }
    });
});
