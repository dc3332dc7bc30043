import { describe, expect, it } from "vitest";
import { accountOf, serviceTrustPolicy } from "./iam.js";

const ACCOUNT = "000000000000";
const BUCKET_ARN = "arn:aws:s3:::hotelgenius-ops-prod-logs";
const KEY_ARN = `arn:aws:kms:eu-west-3:${ACCOUNT}:key/logs-key`;

describe("accountOf", () => {
    it("read the account from an ARN, and refuse an ARN without one", () => {
        expect(accountOf("arn:aws:kms:eu-west-3:123456789012:key/abc")).toBe("123456789012");
        expect(() => accountOf("arn:aws:s3:::bucket")).toThrow(/is not an ARN with an account id/);
    });

    it("reads the account id from an ARN, and refuses an ARN without one", () => {
        expect(accountOf(KEY_ARN)).toBe(ACCOUNT);
        expect(() => accountOf(BUCKET_ARN)).toThrow(/cannot read an account id from ARN "arn:aws:s3:::hotelgenius-ops-prod-logs"/);
    });
});

describe("serviceTrustPolicy", () => {
    it("lets one service assume the role, with the condition when one is given and without a Condition key otherwise", () => {
        const condition = { StringEquals: { "aws:SourceAccount": ACCOUNT } };
        expect(serviceTrustPolicy("S", "firehose.amazonaws.com", condition)).toEqual({
            Version: "2012-10-17",
            Statement: [{ Sid: "S", Effect: "Allow", Principal: { Service: "firehose.amazonaws.com" }, Action: "sts:AssumeRole", Condition: condition }],
        });
        expect(serviceTrustPolicy("S", "s3.amazonaws.com").Statement[0]).not.toHaveProperty("Condition");
    });
});
