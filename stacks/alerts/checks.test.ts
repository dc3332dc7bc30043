import { describe, expect, it } from "vitest";
import { checkCheckerRegions } from "./checks.js";

describe("checkCheckerRegions", () => {
    it("accepts three distinct Route 53 checker regions", () => {
        expect(checkCheckerRegions(["eu-west-1", "us-east-1", "us-west-2"])).toBeUndefined();
    });

    it.each([
        [["eu-west-1", "us-east-1"], /at least 3 regions .*got 2/],
        [["eu-west-1", "eu-west-1", "us-east-1"], /must not repeat/],
        [["eu-west-1", "eu-west-3", "us-east-1"], /checker regions only .*not: eu-west-3/],
    ])("refuses %j", (regions, reason) => {
        expect(checkCheckerRegions(regions)).toMatch(reason);
    });
});
