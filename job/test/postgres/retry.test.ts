import { describe, expect, it } from "vitest";
import { backoffDelay, withRetry } from "../../src/postgres/retry.js";

describe("retry", () => {
    it("backs off exponentially with a cap and stops at the bound", async () => {
        expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, { baseMs: 500, maxMs: 3000 }))).toEqual([500, 1000, 2000, 3000, 3000]);
        const delays: number[] = [];
        let calls = 0;
        await expect(
            withRetry(
                async () => {
                    calls++;
                    throw new Error("refused");
                },
                { attempts: 3, baseMs: 10, maxMs: 100 },
                { isRetryable: () => true, sleep: async (ms) => void delays.push(ms) },
            ),
        ).rejects.toThrow("refused");
        expect(calls).toBe(3);
        expect(delays).toEqual([10, 20]);
    });
    it("does not retry non-retryable errors", async () => {
        let calls = 0;
        await expect(
            withRetry(
                async () => {
                    calls++;
                    throw new Error("auth");
                },
                { attempts: 5, baseMs: 1, maxMs: 1 },
                { isRetryable: () => false },
            ),
        ).rejects.toThrow("auth");
        expect(calls).toBe(1);
    });
});
