// Hostile review: a stop request while the restore drill restores into its scratch database, or just after. The
// drill must end 143 with its one error line and leave no scratch database behind (it is the drill's
// own, dropped in every case). Real CLI, PostgreSQL 15, pg_restore/psql, zstd.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, spawnCli } from "../support/cli.js";
import { createVariedDatabase } from "../support/fixtures.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";

let pg: PgCluster;
let work: string;
let to: string;

beforeAll(async () => {
    pg = await startPostgres();
    work = mkdtempSync(join(tmpdir(), "job-hostile-signals-"));
    to = `file://${join(work, "target")}`;
    const url = await createVariedDatabase(pg, "hotel", { guests: 2000, bulkMiB: 24 });
    const backup = await runCli(["backup", "--database-url", url, "--to", to, "--pg-bin", pg.binDir]);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
    await pg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

const scratchDatabases = async () =>
    (await pg.query<{ datname: string }>("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'hotelgenius_verify_%'")).map((r) => r.datname);

describe.each([
    ["SIGTERM", 143, "scratch database created"],
    ["SIGINT", 130, "scratch database created"],
    // The restore's COMMIT was sent, so the restore was not interrupted: the drill must still stop, not count and pass.
    ["SIGTERM", 143, "restore complete"],
] as const)("%s while verify runs, sent at its %j line", (signal, code, message) => {
    it(`exit ${code}, one error line saying nothing was verified, and no scratch database left`, async () => {
        const run = spawnCli(["verify", "--from", to, "--scratch-database-url", pg.url("postgres"), "--pg-bin", pg.binDir]);
        await run.waitForLog((l) => l.message === message);
        run.child.kill(signal);
        const result = await run.result;
        expect(result.code, result.stdout + result.stderr).toBe(code);
        expect(errorOf(result).message).toContain("the drill did not finish, nothing was verified");
        expect(result.logs.some((l) => l.message === "verify passed")).toBe(false);
        expect(await scratchDatabases()).toEqual([]);
    });
});

describe.each(["restore starting", "dump checksum verified"])("SIGTERM to restore at its %j line (before the restore's stream starts)", (message) => {
    it("exit 143, one error line saying nothing was committed, and the target left empty", async () => {
        const database = `restore_${message.replace(/ /g, "_")}`;
        const url = await pg.createDatabase(database);
        // always: under auto, the private folder of this test would have no checksum pass.
        const run = spawnCli(["restore", "--from", to, "--database-url", url, "--pg-bin", pg.binDir, "--checksum-pass", "always"]);
        await run.waitForLog((l) => l.message === message);
        run.child.kill("SIGTERM");
        const result = await run.result;
        expect(result.code, result.stdout + result.stderr).toBe(143);
        expect(errorOf(result).message).toContain("nothing was committed, the target database is as it was");
        expect(result.logs.some((l) => l.message === "restore complete")).toBe(false);
        expect(await pg.query(database, "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace")).toEqual([{ n: 0 }]);
    });
});
