import { describe, expect, it } from "vitest";
import { compareCounts, countKey, describeMismatch, isScratchDatabaseName, scratchDatabaseName } from "../../src/commands/verify.js";

describe("verify helpers", () => {
    it("compares counts and reports missing tables", () => {
        const results = compareCounts(
            [
                { schema: "public", name: "a", rows: 2 },
                { schema: "public", name: "b", rows: 3 },
                { schema: "ops", name: "c", rows: 0 },
            ],
            new Map([
                [countKey({ schema: "public", name: "a" }), 2],
                [countKey({ schema: "public", name: "b" }), 4],
            ]),
        );
        expect(results.map((r) => r.ok)).toEqual([true, false, false]);
        expect(results[2]).toMatchObject({ actual: undefined, error: "not counted" });
        expect(results.slice(1).map(describeMismatch)).toEqual(["public.b expected 3 rows, got 4", "ops.c expected 0 rows, not counted"]);
    });
    it("reports a count's error as that error, never as a count", () => {
        const [result] = compareCounts(
            [{ schema: "public", name: "a", rows: 0 }],
            new Map([[countKey({ schema: "public", name: "a" }), { error: "the count failed: boom" }]]),
        );
        expect(result).toEqual({ schema: "public", name: "a", expected: 0, actual: undefined, error: "the count failed: boom", ok: false });
        expect(describeMismatch(result!)).toBe("public.a expected 0 rows, the count failed: boom");
    });
    it('keeps schema "a.b" table "c" apart from schema "a" table "b.c"', () => {
        const tables = [
            { schema: "a", name: "b.c", rows: 2 },
            { schema: "a.b", name: "c", rows: 1 },
        ];
        const results = compareCounts(tables, new Map([[countKey(tables[1]!), 1]]));
        expect(results.map((r) => [r.ok, r.actual])).toEqual([
            [false, undefined],
            [true, 1],
        ]);
    });
    it("makes valid scratch database names", () => {
        const name = scratchDatabaseName("A-Very.Long_database_name_that_goes_on_and_on_20261124T030000Z", "deadbeef");
        expect(name.length).toBeLessThanOrEqual(63);
        expect(name).toMatch(/^hotelgenius_verify_deadbeef_a_very_long_database_name_that_go/);
        expect(isScratchDatabaseName(name)).toBe(true);
        expect(isScratchDatabaseName("verify_hotel_20261124t030000z_deadbeef")).toBe(false);
    });
});
