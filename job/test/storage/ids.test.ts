import { describe, expect, it } from "vitest";
import { formatBackupId, formatCompactUtc, isBackupId, parseBackupId, parseCompactUtc } from "../../src/storage/ids.js";

describe("ids", () => {
    it("formats and parses backup ids in UTC", () => {
        const at = new Date("2026-11-24T09:57:43.123Z");
        expect(formatCompactUtc(at)).toBe("20261124T095743Z");
        expect(formatBackupId("hotel_prod", at)).toBe("hotel_prod_20261124T095743Z");
        expect(parseBackupId("hotel_prod_20261124T095743Z")).toEqual({ name: "hotel_prod", startedAt: new Date("2026-11-24T09:57:43Z") });
        expect(parseBackupId("hotel_prod")).toBeUndefined();
    });
    it("reads only a whole id: a name cannot start with a separator, nothing may follow the time", () => {
        // Name and time come from the key: a partial match would file a backup under another name or time.
        for (const id of ["-hotel_20261124T095743Z", "_hotel_20261124T095743Z", "hotel_20261124T095743Z.json", "hotel_20261124T095743Zx", "notes"]) {
            expect([id, parseBackupId(id)]).toEqual([id, undefined]);
            expect(isBackupId(id)).toBe(false);
        }
        expect(isBackupId("hotel_20261124T095743Z")).toBe(true);
        // The name may itself hold "_" and a time-like part: the last one is the id's time.
        expect(parseBackupId("a_20250101T000000Z_20261124T095743Z")).toEqual({ name: "a_20250101T000000Z", startedAt: new Date("2026-11-24T09:57:43Z") });
    });
    it("parses a compact UTC time only when it is all there is", () => {
        expect(parseCompactUtc("20261124T095743Z")).toEqual(new Date("2026-11-24T09:57:43Z"));
        for (const bad of ["x20261124T095743Z", "20261124T095743Zx", "2026-11-24T09:57:43Z"]) {
            expect(() => parseCompactUtc(bad)).toThrow(`not a compact UTC timestamp: ${bad}`);
        }
        expect(formatCompactUtc(new Date("2026-01-02T03:04:05.000Z"))).toBe("20260102T030405Z");
    });
});
