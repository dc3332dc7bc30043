// "latest" is the newest backup of ONE backup name: a target holding two databases' backups, taken
// at interleaved times, on file:// and s3://. Real CLI, PostgreSQL, pg_dump/pg_restore, zstd, S3 server.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { errorOf, runCli, type CliResult } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";
import { startS3, type S3Server } from "../../tools/servers/s3.js";

let pg: PgCluster;
let s3: S3Server;
let work: string;
const BUCKET = "by-name";

/** The ids of each name's backups, oldest first, per target. */
const ids: Record<string, { hotel: string[]; spa: string[] }> = {};
let targets: { label: string; to: string; env: Record<string, string> }[];

async function backup(database: "hotel" | "spa", to: string, env: Record<string, string>): Promise<string> {
    const result = await runCli(["backup", "--database-url", pg.url(database), "--to", to, "--pg-bin", pg.binDir], { env });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    return String(result.logs.find((l) => l.message === "backup complete")!.context!["id"]);
}

/** Backup ids have one-second resolution: the next backup of a name must start in a later second. */
async function nextSecond(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1010 - (Date.now() % 1000)));
}

let databases = 0;
async function restore(from: string, env: Record<string, string>, extra: string[]): Promise<{ result: CliResult; database: string }> {
    const database = `hotel_restore_${++databases}`;
    const url = await pg.createDatabase(database);
    const result = await runCli(["restore", "--from", from, "--database-url", url, "--pg-bin", pg.binDir, ...extra], { env });
    return { result, database };
}

const guestCount = async (database: string) => Number((await pg.query<{ n: string }>(database, "SELECT count(*) AS n FROM guests"))[0]!.n);

beforeAll(async () => {
    [pg, s3] = await Promise.all([startPostgres(), startS3()]);
    await s3.createBucket(BUCKET);
    work = mkdtempSync(join(tmpdir(), "job-by-name-"));
    targets = [
        { label: "file://", to: `file://${join(work, "shared")}`, env: {} },
        { label: "s3://", to: `s3://${BUCKET}/shared`, env: s3.env },
    ];
    await pg.createDatabase("hotel");
    await pg.createDatabase("spa");
    await pg.query("hotel", "CREATE TABLE guests (id int PRIMARY KEY); INSERT INTO guests SELECT generate_series(1, 3)");
    await pg.query("spa", "CREATE TABLE treatments (id int PRIMARY KEY); INSERT INTO treatments SELECT generate_series(1, 5)");
    for (const t of targets) ids[t.label] = { hotel: [], spa: [] };
    // hotel (3 guests), spa, then hotel again (7 guests), then spa again: the target's newest backup is spa's,
    // and hotel's oldest and newest differ in content.
    for (const t of targets) ids[t.label]!.hotel.push(await backup("hotel", t.to, t.env));
    for (const t of targets) ids[t.label]!.spa.push(await backup("spa", t.to, t.env));
    await nextSecond();
    await pg.query("hotel", "INSERT INTO guests SELECT generate_series(4, 7)");
    for (const t of targets) ids[t.label]!.hotel.push(await backup("hotel", t.to, t.env));
    await nextSecond();
    for (const t of targets) ids[t.label]!.spa.push(await backup("spa", t.to, t.env));
}, 180_000);

afterAll(async () => {
    await Promise.all([pg?.stop(), s3?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(["file://", "s3://"])("a target holding two backup names (%s)", (label) => {
    const target = () => targets.find((t) => t.label === label)!;

    it("restore --name hotel restores hotel's newest backup, though spa's is newer and hotel's oldest has other rows", async () => {
        const { to, env } = target();
        const { result, database } = await restore(to, env, ["--name", "hotel", "--backup", "latest"]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.logs.find((l) => l.message === "restore starting")!.context!["backup"]).toBe(ids[label]!.hotel[1]);
        expect(await guestCount(database)).toBe(7);
    });

    it("restore latest without --name is refused (exit 2) before touching the database, naming both backup names", async () => {
        const { to, env } = target();
        const { result, database } = await restore(to, env, ["--backup", "latest"]);
        expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Usage);
        expect(errorOf(result).message).toContain("holds backups of 2 names (hotel, spa); pass --name NAME");
        expect(errorOf(result).context).toMatchObject({ names: ["hotel", "spa"] });
        expect(await pg.query(database, "SELECT 1 FROM pg_class WHERE relname = 'guests' OR relname = 'treatments'")).toEqual([]);
    });

    it("verify --name hotel drills hotel's newest backup; without --name it is refused like restore", async () => {
        const { to, env } = target();
        const drill = await runCli(["verify", "--from", to, "--name", "hotel", "--scratch-database-url", pg.url("postgres"), "--pg-bin", pg.binDir], { env });
        expect(drill.code, drill.stdout + drill.stderr).toBe(0);
        expect(drill.logs.find((l) => l.message === "verify passed")!.context).toMatchObject({ backup: ids[label]!.hotel[1], rows: 7 });
        const ambiguous = await runCli(["verify", "--from", to, "--scratch-database-url", pg.url("postgres"), "--pg-bin", pg.binDir], { env });
        expect(ambiguous.code).toBe(ExitCode.Usage);
        expect(errorOf(ambiguous).message).toMatch(/"latest" is ambiguous .* \(hotel, spa\)/);
    });

    it("list --name filters to one backup name, newest first", async () => {
        const { to, env } = target();
        const listed = await runCli(["list", "--from", to, "--name", "spa", "--json"], { env });
        expect(listed.code, listed.stderr).toBe(0);
        expect(JSON.parse(listed.stdout).map((e: { id: string }) => e.id)).toEqual([...ids[label]!.spa].reverse());
        const all = await runCli(["list", "--from", to, "--json"], { env });
        expect(JSON.parse(all.stdout)).toHaveLength(4);
    });

    it("an explicit --backup of another database is restored, with a warning naming both databases", async () => {
        const { to, env } = target();
        const { result, database } = await restore(to, env, ["--backup", ids[label]!.spa[0]!]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.logs.find((l) => l.message.startsWith("restoring a backup of database"))).toMatchObject({
            level: "warn",
            message: `restoring a backup of database "spa" into database "${database}": check that this is the backup you mean`,
            context: { backup: ids[label]!.spa[0], backupDatabase: "spa", database },
        });
    });
});

describe("a target holding one backup name", () => {
    it("restores its latest without --name into a database of another name (a disaster restore), saying so", async () => {
        const to = `file://${join(work, "single")}`;
        const only = await backup("hotel", to, {});
        const { result, database } = await restore(to, {}, []);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.logs.find((l) => l.message === "restore starting")!.context!["backup"]).toBe(only);
        expect(result.logs.filter((l) => l.level === "warn" && !l.message.includes("NodeVersionSupportWarning")).map((l) => l.message)).toEqual([
            `restoring a backup of database "hotel" into database "${database}": check that this is the backup you mean`,
        ]);
        expect(await guestCount(database)).toBe(7);
    });

    it("--name that the target does not hold fails (exit 6), listing the names it does hold", async () => {
        const { result } = await restore(`file://${join(work, "single")}`, {}, ["--name", "spa"]);
        expect(result.code).toBe(ExitCode.Storage);
        expect(errorOf(result).message).toContain('no backups (manifests) named "spa" found in');
        expect(errorOf(result).message).toContain("names found: hotel");
    });
});
