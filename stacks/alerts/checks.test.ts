import { describe, expect, it } from "vitest";
import { checkCheckerRegions, checkPagerIndependent, pagerProtocol } from "./checks.js";

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

describe("pagerProtocol", () => {
    it.each([
        ["https://events.pagerduty.com/integration/abc123/enqueue", "https"],
        ["+33612345678", "sms"],
        ["oncall@hotelgenius-pager.eu", "email"],
        ["http://oncall.hotelgenius.eu/sns", undefined],
        ["+33 6 12 34 56 78", undefined],
        ["https://user:pw@oncall.hotelgenius.eu/sns", undefined],
    ])("reads %s as %s", (endpoint, protocol) => {
        expect(pagerProtocol(endpoint)).toBe(protocol);
    });
});

describe("checkPagerIndependent", () => {
    it("refuses an email second channel on a domain of alertEmails, whatever its case", () => {
        expect(checkPagerIndependent("pager@HotelGenius.eu", ["ops@hotelgenius.eu"])).toMatch(/must not be on hotelgenius\.eu/);
        expect(checkPagerIndependent("pager@other-provider.eu", ["ops@hotelgenius.eu"])).toBeUndefined();
        expect(checkPagerIndependent("+33612345678", ["ops@hotelgenius.eu"])).toBeUndefined();
    });
});
