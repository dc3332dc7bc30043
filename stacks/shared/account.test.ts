import { describe, expect, it } from "vitest";
import { deployEnvironmentOf, deployRoleArn, deployRoleName, roleName } from "./account.js";

describe("deployRoleArn", () => {
    it("names each environment's deploy role at the root path of the account, as CloudTrail's session issuer shows it", () => {
        expect(deployRoleArn("123456789012", "prod")).toBe("arn:aws:iam::123456789012:role/hotelgenius-account-ci-deploy-prod");
        expect(deployRoleArn("123456789012", "staging")).toBe(`arn:aws:iam::123456789012:role/${deployRoleName("staging")}`);
    });

    it("prod is deployed by prod's role; staging and every clone by staging's", () => {
        expect(["prod", "staging", "staging-2", "production"].map(deployEnvironmentOf)).toEqual(["prod", "staging", "staging", "staging"]);
    });

    it("refuses what is not an account id", () => {
        expect(() => deployRoleArn("12345", "prod")).toThrow(/account "12345" is not a 12-digit AWS account id/);
    });
});

describe("roleName", () => {
    it("drops the path: IAM's CloudTrail events name the role alone", () => {
        expect(roleName("arn:aws:iam::123456789012:role/security/break-glass")).toBe("break-glass");
        expect(roleName("arn:aws:iam::123456789012:role/backup-break-glass")).toBe("backup-break-glass");
    });

    it("refuses a wildcard or another kind of ARN", () => {
        expect(() => roleName("arn:aws:iam::123456789012:role/*")).toThrow(/is not an IAM role ARN/);
        expect(() => roleName("arn:aws:iam::123456789012:user/alice")).toThrow(/is not an IAM role ARN/);
    });
});
