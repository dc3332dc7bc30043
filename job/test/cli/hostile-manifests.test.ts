// Hostile review: manifests that are valid JSON with every field well-formed, yet contradict their own
// id (another backup name, another start time), and garbage in manifests/ (a directory named like a
// manifest). "latest" selects by name and orders by start time, so a manifest must not be able to
// move itself into another name's history or ahead of newer backups; garbage must not hide a target.
// Real CLI over copies of the committed manifest-v1 backup; PostgreSQL for the restore's dry run.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import type { Manifest } from "../../src/storage/manifest.js";
import { errorOf, runCli } from "../support/cli.js";
import { startPostgres, type PgCluster } from "../../tools/servers/postgres.js";

const FIXTURE = join(__dirname, "..", "fixtures", "manifest-v1");
const ID = "legacy_hotel_20261206T210926Z";
/** An older backup of the same name that claims to have started in 2099. */
const BACKDATED = "legacy_hotel_20261101T000000Z";
/** Another name's backup whose manifest says it is legacy_hotel's. */
const OTHER_NAME = "spa_20261207T000000Z";

let pg: PgCluster;
let work: string;

beforeAll(async () => {
    pg = await startPostgres();
    work = mkdtempSync(join(tmpdir(), "job-hostile-manifests-"));
});

afterAll(async () => {
    await pg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
});

/** A copy of the fixture target with forged backups beside the real one: same dump bytes, manifests that contradict their ids. */
function forgedTarget(name: string): string {
    const dir = join(work, name);
    cpSync(FIXTURE, dir, { recursive: true });
    const real = JSON.parse(readFileSync(join(dir, "manifests", `${ID}.json`), "utf8")) as Manifest;
    const forge = (id: string, fields: Partial<Manifest>) => {
        const dump = `dumps/${id}.pgdump.zst`;
        copyFileSync(join(dir, real.dump), join(dir, dump));
        writeFileSync(join(dir, "manifests", `${id}.json`), JSON.stringify({ ...real, id, dump, ...fields }));
    };
    forge(BACKDATED, { startedAt: "2099-01-01T00:00:00.000Z", finishedAt: "2099-01-01T00:00:01.000Z" });
    forge(OTHER_NAME, { startedAt: "2026-12-07T00:00:00.000Z", finishedAt: "2026-12-07T00:00:01.000Z" });
    return dir;
}

describe("manifests that contradict their own id", () => {
    it("list shows them DAMAGED with the contradiction, not as backups of the name or time they claim", async () => {
        const result = await runCli(["list", "--from", `file://${forgedTarget("list")}`, "--json"]);
        expect(result.code, result.stderr).toBe(0);
        const entries = JSON.parse(result.stdout) as { id: string; damaged?: string }[];
        expect(entries.map((e) => [e.id, e.damaged !== undefined])).toEqual([
            [OTHER_NAME, true],
            [ID, false],
            [BACKDATED, true],
        ]);
        expect(entries[0]!.damaged).toContain(`name "legacy_hotel" does not match id "${OTHER_NAME}" (its name is "spa")`);
        expect(entries[2]!.damaged).toContain(
            `startedAt 2099-01-01T00:00:00.000Z does not match id "${BACKDATED}" (started 2026-11-01T00:00:00.000Z, to the second)`,
        );
    });

    it("restore latest --name legacy_hotel chooses the really newest backup, not the one claiming a later start", async () => {
        const url = await pg.createDatabase("forged_latest");
        const from = `file://${forgedTarget("latest")}`;
        const result = await runCli(["restore", "--from", from, "--name", "legacy_hotel", "--database-url", url, "--pg-bin", pg.binDir, "--dry-run"]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.logs.find((l) => l.message === "dry run starting")!.context!["backup"]).toBe(ID);
    });

    it("restore latest --name spa does not take legacy_hotel's word for it: the only spa manifest is damaged (exit 7)", async () => {
        const url = await pg.createDatabase("forged_spa");
        const result = await runCli(["restore", "--from", `file://${forgedTarget("spa")}`, "--name", "spa", "--database-url", url, "--pg-bin", pg.binDir]);
        expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Verification);
        expect(errorOf(result).message).toContain(`manifest manifests/${OTHER_NAME}.json is damaged and there is no valid backup to fall back to`);
    });
});

describe("garbage in manifests/", () => {
    it("a directory named like a manifest is one DAMAGED entry; the target's backups still list", async () => {
        const dir = join(work, "garbage");
        cpSync(FIXTURE, dir, { recursive: true });
        mkdirSync(join(dir, "manifests", "notes.json"));
        const result = await runCli(["list", "--from", `file://${dir}`, "--json"]);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(JSON.parse(result.stdout)).toEqual([
            { id: "notes", key: "manifests/notes.json", damaged: `${join(dir, "manifests", "notes.json")} is a directory, not a file` },
            expect.objectContaining({ id: ID, manifestVersion: 1 }),
        ]);
    });
});
