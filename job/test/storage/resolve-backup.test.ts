import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { formatListTable, listEntries } from "../../src/commands/list.js";
import { type Manifest, parseManifest, serializeManifest } from "../../src/storage/manifest.js";
import { createLogger } from "../../src/observability/log.js";
import { readEnvironment } from "../../src/environment.js";
import type { Runtime } from "../../src/runtime.js";
import { backupNames, chooseLatest, couldBeNewer, couldBeOfName } from "../../src/storage/resolve-backup.js";
import { failure } from "../support/errors.js";
import { sampleManifest } from "../support/manifests.js";

function manifest(id: string, startedAt: string): Manifest {
    const tables = [{ schema: "public", name: "guests", rows: 3 }];
    return sampleManifest({
        id,
        name: id.split("_")[0]!,
        serverVersion: "15.18",
        bytes: 2048,
        sha256: "b".repeat(64),
        startedAt,
        finishedAt: startedAt,
        durationSeconds: 1,
        tables,
    });
}

describe("backup references", () => {
    it("refuses a manifest whose own id names another backup (exit 7, both ids)", () => {
        const m = manifest("hotel_20261124T030000Z", "2026-11-24T03:00:00.000Z");
        const error = failure(() => parseManifest(serializeManifest(m), "manifests/hotel_20261125T030000Z.json", "hotel_20261125T030000Z"));
        expect(error.exitCode).toBe(ExitCode.Verification);
        expect(error.message).toMatch(/stored as backup "hotel_20261125T030000Z" but its own id is "hotel_20261124T030000Z"/);
    });

    it("counts a damaged manifest as possibly newer from its key's timestamp, or when that cannot be read", () => {
        const newest = manifest("hotel_20261124T030000Z", "2026-11-24T03:00:00.700Z");
        const damaged = (id: string) => ({ id, key: `manifests/${id}.json`, reason: "not JSON" });
        expect(couldBeNewer(damaged("hotel_20261123T030000Z"), newest)).toBe(false);
        expect(couldBeNewer(damaged("hotel_20261124T030000Z"), newest)).toBe(true);
        expect(couldBeNewer(damaged("hotel_20261125T030000Z"), newest)).toBe(true);
        expect(couldBeNewer(damaged("notes"), newest)).toBe(true);
        // Month 13 would otherwise read as January of the next year, or an earlier time past 23:59:59.
        expect(couldBeNewer(damaged("hotel_20261300T250000Z"), newest)).toBe(true);
        expect(couldBeNewer(damaged("hotel_20200132T000000Z"), newest)).toBe(true);
        expect(couldBeNewer(damaged("hotel_20261123T030000Z"), undefined)).toBe(true);
    });

    it("lists damaged manifests where their start time puts them, as DAMAGED rows and --json entries", () => {
        const older = manifest("hotel_20261123T030000Z", "2026-11-23T03:00:00.000Z");
        const newer = manifest("hotel_20261125T030000Z", "2026-11-25T03:00:00.000Z");
        const entries = listEntries(
            [older, newer],
            [
                { id: "hotel_20261124T030000Z", key: "manifests/hotel_20261124T030000Z.json", reason: "manifest is not valid JSON" },
                { id: "notes", key: "manifests/notes.json", reason: "manifest is not a JSON object" },
            ],
        );
        expect(entries.map((e) => e.id)).toEqual(["notes", "hotel_20261125T030000Z", "hotel_20261124T030000Z", "hotel_20261123T030000Z"]);
        expect(entries[2]).toEqual({ id: "hotel_20261124T030000Z", key: "manifests/hotel_20261124T030000Z.json", damaged: "manifest is not valid JSON" });
        expect(formatListTable(entries).split("\n")).toEqual([
            "ID                      STARTED (UTC)         SIZE     TABLES  ROWS  DURATION  PG_DUMP",
            "notes                   ?                     DAMAGED  manifest is not a JSON object",
            "hotel_20261125T030000Z  2026-11-25T03:00:00Z  2.0 KiB  1       3     1.0s      15",
            "hotel_20261124T030000Z  2026-11-24T03:00:00Z  DAMAGED  manifest is not valid JSON",
            "hotel_20261123T030000Z  2026-11-23T03:00:00Z  2.0 KiB  1       3     1.0s      15",
            "",
        ]);
    });
});

describe("latest: the newest backup of one backup name", () => {
    const lines: string[] = [];
    const rt: Runtime = {
        logger: createLogger((line) => lines.push(line)),
        signal: new AbortController().signal,
        out: () => undefined,
        status: undefined,
        ask: undefined,
        environment: readEnvironment({}),
    };
    const hotelOld = manifest("hotel_20261120T030000Z", "2026-11-20T03:00:00.000Z");
    const spaOld = manifest("spa_20261121T030000Z", "2026-11-21T03:00:00.000Z");
    const hotelNew = manifest("hotel_20261122T030000Z", "2026-11-22T03:00:00.000Z");
    const spaNew = manifest("spa_20261123T030000Z", "2026-11-23T03:00:00.000Z");
    const interleaved = { manifests: [spaNew, hotelOld, spaOld, hotelNew], damaged: [] };
    const damaged = (id: string) => ({ id, key: `manifests/${id}.json`, reason: "manifest is not valid JSON" });
    const choose = (listing: Parameters<typeof chooseLatest>[0], name: string | undefined) => chooseLatest(listing, name, "file:///backups", rt);

    it("takes the newest of the named backup name, whatever the newest of the target is", () => {
        expect(choose(interleaved, "hotel").id).toBe(hotelNew.id);
        expect(choose(interleaved, "spa").id).toBe(spaNew.id);
    });

    it("takes the only name without --name, and refuses (exit 2) a target with several, listing them sorted", () => {
        expect(choose({ manifests: [hotelOld, hotelNew], damaged: [] }, undefined).id).toBe(hotelNew.id);
        const refused = failure(() => choose(interleaved, undefined));
        expect(refused.exitCode).toBe(ExitCode.Usage);
        expect(refused.context).toEqual({ target: "file:///backups", names: ["hotel", "spa"] });
        expect(refused.message).toBe(
            '"latest" is ambiguous in file:///backups: it holds backups of 2 names (hotel, spa); pass --name NAME to restore the newest backup of one ' +
                'of them, or --backup ID (see "list")',
        );
        // A damaged manifest's key names a backup name too: it cannot be ruled out as the one meant.
        expect(failure(() => choose({ manifests: [hotelNew], damaged: [damaged("spa_20261101T030000Z")] }, undefined)).exitCode).toBe(ExitCode.Usage);
    });

    it("fails (exit 6) when the name has no backups, listing the names found", () => {
        const missing = failure(() => choose(interleaved, "bar"));
        expect(missing.exitCode).toBe(ExitCode.Storage);
        expect(missing.message).toBe('no backups (manifests) named "bar" found in file:///backups; names found: hotel, spa');
        expect(missing.context).toEqual({ target: "file:///backups", name: "bar", names: ["hotel", "spa"] });
        expect(failure(() => choose({ manifests: [], damaged: [] }, undefined)).message).toBe("no backups (manifests) found in file:///backups");
    });

    it("is blocked only by damaged manifests that could be of its name and newer", () => {
        const otherName = { ...interleaved, damaged: [damaged("spa_20261130T030000Z")] };
        expect(choose(otherName, "hotel").id).toBe(hotelNew.id);
        expect(failure(() => choose(otherName, "spa")).exitCode).toBe(ExitCode.Verification);
        expect(failure(() => choose({ ...interleaved, damaged: [damaged("notes")] }, "hotel")).message).toMatch(
            /manifest manifests\/notes.json is damaged and it may be newer than the newest valid backup "hotel_20261122T030000Z"/,
        );
        expect(failure(() => choose(otherName, "spa")).context).toEqual({
            target: "file:///backups",
            damaged: [damaged("spa_20261130T030000Z")],
            newestValid: spaNew.id,
        });
        const onlyDamaged = failure(() => choose({ manifests: [], damaged: [damaged("notes")] }, undefined));
        expect(onlyDamaged.exitCode).toBe(ExitCode.Verification);
        expect(onlyDamaged.message).toBe(
            '"latest" is not decidable in file:///backups: manifest manifests/notes.json is damaged and there is no valid backup to fall back to ' +
                '(manifest is not valid JSON). Repair or remove it, or pass --backup ID to choose an older backup on purpose (see "list")',
        );
        lines.length = 0;
        expect(choose({ ...interleaved, damaged: [damaged("hotel_20261101T030000Z")] }, "hotel").id).toBe(hotelNew.id);
        expect(lines.map((l) => JSON.parse(l))).toEqual([
            expect.objectContaining({
                level: "warn",
                message: "ignoring a damaged manifest older than the latest backup",
                context: { target: "file:///backups", ...damaged("hotel_20261101T030000Z") },
            }),
        ]);
    });

    it("reads backup names from manifests and from damaged manifests' keys", () => {
        expect(backupNames([spaNew, hotelOld], [damaged("notes"), damaged("pool_20261101T030000Z")])).toEqual(["hotel", "pool", "spa"]);
        expect(couldBeOfName(damaged("hotel_20261101T030000Z"), "hotel")).toBe(true);
        expect(couldBeOfName(damaged("hotel_20261101T030000Z"), "spa")).toBe(false);
        expect(couldBeOfName(damaged("notes"), "spa")).toBe(true);
    });
});
