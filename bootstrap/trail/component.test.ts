// The trail component's own argument check, before it registers anything.
import { beforeAll, describe, expect, it } from "vitest";
import { type OfflineRun, runOffline } from "../../scripts/offlinePlan/mockRuntime.js";
import { AccountTrail } from "./component.js";

let run: OfflineRun;
let refused: unknown;

beforeAll(async () => {
    run = await runOffline({
        stack: "test",
        config: { "aws:region": "eu-west-3" },
        load: async () => {
            try {
                new AccountTrail("short", {
                    account: "000000000000",
                    region: "eu-west-3",
                    bucketName: "hotelgenius-test-trail-logs",
                    breakGlassRoleArn: "arn:aws:iam::000000000000:role/security/hotelgenius-break-glass",
                    objectLockDays: 365,
                    expirationDays: 30,
                    protect: false,
                });
            } catch (error) {
                refused = error;
            }
            return {};
        },
    });
});

describe("AccountTrail", () => {
    it("refuses log files that would expire while still locked, naming both, and registers nothing", () => {
        expect(String(refused)).toContain("AccountTrail short: expirationDays 30 is shorter than objectLockDays 365; allowed: at least the lock");
        expect(run.resources.filter((resource) => resource.type !== "pulumi:pulumi:Stack").map((resource) => resource.name)).toEqual([]);
    });
});
