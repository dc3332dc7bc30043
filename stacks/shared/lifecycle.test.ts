import { describe, expect, it } from "vitest";
import { lifecycleOrderProblems } from "./lifecycle.js";

describe("lifecycleOrderProblems", () => {
    const nameOf = (setting: string) => `<${setting}>`;

    it("compares expiration with Standard-IA when the archive day was refused already, and names settings the caller's way", () => {
        expect(lifecycleOrderProblems({ transitionToIaDays: 30, transitionToArchiveDays: undefined, expirationDays: 30, objectLockDays: 31 }, nameOf)).toEqual([
            {
                setting: "expirationDays",
                value: 30,
                allowed: "must be greater than the last transition (30 days): S3 rejects an expiration at or before a transition",
            },
            {
                setting: "objectLockDays",
                value: 31,
                allowed:
                    "must be at most <expirationDays> (30): a retention longer than the backups' lifetime keeps expired dumps, and their cost, until the " +
                    "lock ends",
            },
        ]);
    });

    it("reports nothing about settings that are missing", () => {
        expect(
            lifecycleOrderProblems({ transitionToIaDays: undefined, transitionToArchiveDays: 10, expirationDays: undefined, objectLockDays: 400 }, nameOf),
        ).toEqual([]);
    });
});
