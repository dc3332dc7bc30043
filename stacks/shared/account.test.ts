import { describe, expect, it } from "vitest";
import { DEPLOY_ROLE_NAME, deployRoleArn, roleName } from "./account.js";

describe("deployRoleArn", () => {
    it("names the deploy role at the root path of the account, as CloudTrail's session issuer shows it", () => {
        expect(deployRoleArn("123456789012")).toBe(`arn:aws:iam::123456789012:role/${DEPLOY_ROLE_NAME}`);
    });

    it("refuses what is not an account id", () => {
        expect(() => deployRoleArn("12345")).toThrow(/account "12345" is not a 12-digit AWS account id/);
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
