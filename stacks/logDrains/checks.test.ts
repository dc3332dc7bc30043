import { describe, expect, it } from "vitest";
import { checkLogGroupList, checkLogGroupName, checkLogServiceEndpoint } from "./checks.js";

describe("log drain checks", () => {
    it("log service endpoints: https only, without credentials, within Firehose's length", () => {
        expect(checkLogServiceEndpoint("https://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input")).toBeUndefined();
        expect(checkLogServiceEndpoint("https://in.logs.betterstack.example/aws-firehose")).toBeUndefined();
        expect(checkLogServiceEndpoint("http://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input")).toMatch(/must use https:\/\/ .*got http:\/\//);
        expect(checkLogServiceEndpoint("intake.example/v1")).toMatch(/must be an https:\/\/ URL/);
        const withKey = checkLogServiceEndpoint("https://user:not-a-key@intake.example/v1");
        expect(withKey).toMatch(/must not carry credentials/);
        expect(withKey).not.toContain("not-a-key");
        expect(checkLogServiceEndpoint(`https://intake.example/${"a".repeat(1000)}`)).toMatch(/at most 1000 characters/);
    });

    it("log group names and lists", () => {
        expect(checkLogGroupName("/hotelgenius/prod/app")).toBeUndefined();
        expect(checkLogGroupName("/aws/ecs/backup-job#1")).toBeUndefined();
        expect(checkLogGroupName("")).toMatch(/not a CloudWatch Logs log group name/);
        expect(checkLogGroupName("/app logs")).toMatch(/not a CloudWatch Logs log group name/);
        expect(checkLogGroupList(["/a", "/b"])).toBeUndefined();
        expect(checkLogGroupList(["/a", "/b", "/a"])).toMatch(/must not repeat a log group \(\/a\)/);
    });
});
