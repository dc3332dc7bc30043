import { describe, expect, it } from "vitest";
import { serviceTrustPolicy } from "./trustPolicy.js";

describe("serviceTrustPolicy", () => {
    it("always limits the service to this account, and to the source resources when given", () => {
        expect(serviceTrustPolicy({ sid: "S3Replicates", service: "s3.amazonaws.com", account: "123456789012", sourceArn: "arn:aws:s3:::backups" })).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "S3Replicates",
                    Effect: "Allow",
                    Principal: { Service: "s3.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "aws:SourceAccount": "123456789012" }, ArnLike: { "aws:SourceArn": "arn:aws:s3:::backups" } },
                },
            ],
        });
        expect(serviceTrustPolicy({ sid: "Scheduler", service: "scheduler.amazonaws.com", account: "123456789012" }).Statement[0]!.Condition).toEqual({
            StringEquals: { "aws:SourceAccount": "123456789012" },
        });
    });

    it("refuses what is not an account id or a service principal, naming it", () => {
        expect(() => serviceTrustPolicy({ sid: "X", service: "s3.amazonaws.com", account: "*" })).toThrow(
            'trust X: account "*" is not a 12-digit AWS account id',
        );
        expect(() => serviceTrustPolicy({ sid: "X", service: "arn:aws:iam::123456789012:root", account: "123456789012" })).toThrow(
            'trust X: "arn:aws:iam::123456789012:root" is not a service principal; allowed: <service>.amazonaws.com',
        );
    });
});
