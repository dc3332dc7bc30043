import { describe, expect, it } from "vitest";
import { formatBackupId, formatCompactUtc, parseBackupId } from "../../src/storage/ids.js";

describe("ids", () => {
    it("formats and parses backup ids in UTC", () => {
        const at = new Date("2026-11-24T09:57:43.123Z");
        expect(formatCompactUtc(at)).toBe("20261124T095743Z");
        expect(formatBackupId("hotel_prod", at)).toBe("hotel_prod_20261124T095743Z");
        expect(parseBackupId("hotel_prod_20261124T095743Z")).toEqual({ name: "hotel_prod", startedAt: new Date("2026-11-24T09:57:43Z") });
        expect(parseBackupId("hotel_prod")).toBeUndefined();
    });
});
