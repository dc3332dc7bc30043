import { describe, expect, it } from "vitest";
import { DATABASE_TIMEOUT_SIGNATURES } from "../shared/databaseTimeouts.js";
import { TIMEOUT_CONDITIONS, timeoutFilters } from "./timeoutAlert.js";

describe("the database timeout issue alert", () => {
    it("filters on every driver's timeout text, in a thrown error's value and in a captured message, as string-valued objects", () => {
        const filters = timeoutFilters();
        expect(filters).toHaveLength(DATABASE_TIMEOUT_SIGNATURES.length * 2);
        expect(filters).toContainEqual({
            id: "sentry.rules.filters.event_attribute.EventAttributeFilter",
            attribute: "exception.value",
            match: "co",
            value: "P2024",
        });
        expect(filters).toContainEqual({
            id: "sentry.rules.filters.event_attribute.EventAttributeFilter",
            attribute: "message",
            match: "co",
            value: "ECONNREFUSED",
        });
        for (const filter of [...filters, ...TIMEOUT_CONDITIONS]) for (const value of Object.values(filter)) expect(typeof value).toBe("string");
    });

    it("fires on a new timeout issue, a regression, or more than two events in five minutes", () => {
        expect(TIMEOUT_CONDITIONS.map((condition) => condition["id"]!.split(".").pop())).toEqual([
            "FirstSeenEventCondition",
            "RegressionEventCondition",
            "EventFrequencyCondition",
        ]);
        expect(TIMEOUT_CONDITIONS[2]).toMatchObject({ value: "2", interval: "5m", comparisonType: "count" });
    });
});
