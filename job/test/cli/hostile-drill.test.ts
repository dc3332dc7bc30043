// Hostile review: a superuser session (a monitoring agent, an operator's psql) connected to the drill's
// scratch database when the drill drops it. The drill's role may not end a superuser's session, so the
// drop fails. The drill's own outcome must stand: exit 0 with no error line when it verified (alarms
// match error lines), and the next verify drops the leftover once nobody is connected.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pgDriver from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnCli } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";

let pg: PgCluster;
let work: string;
let to: string;
let drillUrl: string;

beforeAll(async () => {
    pg = await startPostgres();
    work = mkdtempSync(join(tmpdir(), "job-hostile-drill-"));
    to = `file://${join(work, "target")}`;
    const url = await pg.createDatabase("hotel");
    await pg.query("hotel", "CREATE TABLE guests (id int); INSERT INTO guests SELECT generate_series(1, 100000)");
    const backup = await runCli(["backup", "--database-url", url, "--to", to, "--pg-bin", pg.binDir]);
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
    await pg.query("postgres", "CREATE ROLE drill LOGIN CREATEDB PASSWORD 'drill-password-for-tests'");
    drillUrl = pg.url("postgres", { user: "drill", password: "drill-password-for-tests" });
});

afterAll(async () => {
    await pg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

const scratchDatabases = async () =>
    (await pg.query<{ datname: string }>("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'hotelgenius_verify_%'")).map((r) => r.datname);

describe("a superuser connected to the scratch database when the drill drops it", () => {
    it("the drill passes (exit 0, no error line, a warning naming the scratch database); the next verify drops the leftover", async () => {
        const run = spawnCli(["verify", "--from", to, "--scratch-database-url", drillUrl, "--pg-bin", pg.binDir]);
        const scratch = String((await run.waitForLog((l) => l.message === "scratch database created")).context!["scratch"]);
        const agent = new pgDriver.Client({ connectionString: pg.url(scratch) });
        await agent.connect();
        let result: Awaited<typeof run.result>;
        try {
            result = await run.result;
        } finally {
            await agent.end();
        }
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.logs.filter((l) => l.level === "error")).toEqual([]);
        const warning = result.logs.find((l) => l.message.startsWith("could not drop the scratch database"))!;
        expect(warning).toMatchObject({ level: "warn", context: { scratch } });
        expect(await scratchDatabases()).toEqual([scratch]);

        const next = await runCli(["verify", "--from", to, "--scratch-database-url", drillUrl, "--pg-bin", pg.binDir]);
        expect(next.code, next.stdout + next.stderr).toBe(0);
        expect(next.logs.find((l) => l.message === "leftover scratch database dropped")!.context).toEqual({ scratch });
        expect(await scratchDatabases()).toEqual([]);
    });
});
