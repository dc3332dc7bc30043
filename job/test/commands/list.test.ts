// `list` over a real file:// target (no servers): --name filters, JSON and table output, warnings on stderr's logger.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runList } from "../../src/commands/list.js";
import { createLogger } from "../../src/observability/log.js";
import { readEnvironment } from "../../src/environment.js";
import type { Runtime } from "../../src/runtime.js";
import { serializeManifest } from "../../src/storage/manifest.js";
import { parseTarget } from "../../src/storage/target.js";
import { sampleManifest } from "../support/manifests.js";

let dir: string;
const hotel = sampleManifest({ id: "hotel_20261122T030000Z", name: "hotel", startedAt: "2026-11-22T03:00:00.000Z" });
const spa = sampleManifest({ id: "spa_20261123T030000Z", name: "spa", database: "spa", startedAt: "2026-11-23T03:00:00.000Z" });
const olderHotel = sampleManifest({ id: "hotel_20261120T030000Z", name: "hotel", startedAt: "2026-11-20T03:00:00.000Z" });

beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "job-list-"));
    mkdirSync(join(dir, "manifests"));
    mkdirSync(join(dir, "dumps"));
    for (const m of [hotel, spa, olderHotel]) {
        writeFileSync(join(dir, "manifests", `${m.id}.json`), serializeManifest({ ...m, dump: `dumps/${m.id}.pgdump.zst` }));
        writeFileSync(join(dir, "dumps", `${m.id}.pgdump.zst`), "");
    }
    writeFileSync(join(dir, "manifests", "spa_20261201T030000Z.json"), "{ damaged");
    writeFileSync(join(dir, "dumps", "hotel_20261202T030000Z.pgdump.zst"), "");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function list(name: string | undefined, json: boolean) {
    const out: string[] = [];
    const logs: string[] = [];
    const rt: Runtime = {
        logger: createLogger((line) => logs.push(line)),
        signal: new AbortController().signal,
        out: (t) => out.push(t),
        status: undefined,
        ask: undefined,
        environment: readEnvironment({}),
    };
    const entries = await runList({ command: "list", from: parseTarget(`file://${dir}`, "--from", "/"), name, json, requestTimeoutSeconds: 5 }, rt);
    return { entries, out: out.join(""), logs: logs.map((l) => JSON.parse(l) as { level: string; message: string; context: Record<string, unknown> }) };
}

describe("list", () => {
    it("lists every backup name without --name, newest first, damaged ones where their time puts them", async () => {
        const { entries, out } = await list(undefined, true);
        expect(entries.map((e) => e.id)).toEqual(["spa_20261201T030000Z", spa.id, hotel.id, olderHotel.id]);
        expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(entries)));
    });

    it("--name keeps one backup name's backups and damaged manifests, and warns of dumps without a manifest", async () => {
        const hotels = await list("hotel", true);
        expect(hotels.entries.map((e) => e.id)).toEqual([hotel.id, olderHotel.id]);
        expect(hotels.logs.filter((l) => l.level === "warn").map((l) => [l.message, l.context])).toEqual([
            ["ignoring dump without manifest (incomplete or failed backup)", { target: `file://${dir}`, dump: "dumps/hotel_20261202T030000Z.pgdump.zst" }],
        ]);
        const spas = await list("spa", false);
        expect(spas.entries.map((e) => e.id)).toEqual(["spa_20261201T030000Z", spa.id]);
        expect(spas.out.split("\n")[0]).toMatch(/^ID\s+STARTED \(UTC\)/);
        expect(spas.logs.filter((l) => l.message === "damaged manifest").map((l) => l.context["id"])).toEqual(["spa_20261201T030000Z"]);
    });

    it("says so when a name has no backups, naming it", async () => {
        expect((await list("pool", false)).out).toBe(`no backups named "pool" in file://${dir}\n`);
        expect((await list("pool", true)).out).toBe("[]\n");
    });
});
