import { describe, expect, it } from "vitest";
import { checkLogRetentionDays } from "./logRetention.js";

describe("log drain checks", () => {
    it("log retention: exactly the periods CloudWatch Logs accepts, with the nearest one suggested", () => {
        for (const days of [1, 7, 30, 90, 365, 400, 3653]) expect(checkLogRetentionDays(days)).toBeUndefined();
        expect(checkLogRetentionDays(45)).toMatch(/^must be one of the periods CloudWatch Logs accepts: 1, 3, 5, 7, .*3653 \(nearest: 30\)$/);
        expect(checkLogRetentionDays(366)).toMatch(/nearest: 365/);
        expect(checkLogRetentionDays(0)).toMatch(/nearest: 1\)/);
    });
});

describe("checkLogRetentionDays", () => {
    it("accepts CloudWatch's periods only", () => {
        expect(checkLogRetentionDays(90)).toBeUndefined();
        expect(checkLogRetentionDays(3653)).toBeUndefined();
        expect(checkLogRetentionDays(100)).toMatch(/CloudWatch Logs accepts: 1, 3, 5/);
    });
});
