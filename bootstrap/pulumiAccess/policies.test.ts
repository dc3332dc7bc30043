// The issuer's policies refuse what would widen them: a wildcard sub claim, or none at all.
import { describe, expect, it } from "vitest";
import { pulumiTokenPolicies } from "./policies.js";

describe("pulumiTokenPolicies", () => {
    it("refuses a wildcard claim and an empty list, naming the claim", () => {
        expect(() => pulumiTokenPolicies("acme", { member: ["repo:acme/ops:pull_request"], admin: ["repo:acme/ops:*"] })).toThrow(
            'pulumiTokenPolicies: sub claim "repo:acme/ops:*" has a wildcard; allowed: exact claims only',
        );
        expect(() => pulumiTokenPolicies("acme", { member: [], admin: [] })).toThrow("at least one sub claim is needed");
    });
});
