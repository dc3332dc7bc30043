import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { formatListTable, listEntries } from "../../src/commands/list.js";
import { type Manifest, parseManifest, serializeManifest } from "../../src/storage/manifest.js";
import { couldBeNewer } from "../../src/storage/resolve-backup.js";
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
