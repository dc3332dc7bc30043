// The log drains' settings through the real parser: what a stack file may say, and the message for
// each mistake (key, value, what is allowed).
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { outputValue } from "../../scripts/offlinePlan/mockRuntime.js";
import { REQUIRED_RAW_SETTINGS, REQUIRED_SECRET_KEYS } from "../../test/fixtures.js";
import { parseSettings, SettingsError, type SettingsProblem } from "../settings/registry.js";

const PROJECT = "hotelgenius-ops";
const key = (name: string) => `${PROJECT}:${name}`;
const ENDPOINT = "https://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input";
// Not real credentials: obviously fake placeholders.
const API_KEY = "not-a-real-api-key";
const SECRET_KEYS = [...REQUIRED_SECRET_KEYS, key("logServiceAccessKey")];

function parse(overrides: Record<string, string>, secretKeys: string[] = SECRET_KEYS) {
    return parseSettings({ project: PROJECT, stack: "prod", values: { ...REQUIRED_RAW_SETTINGS, ...overrides }, secretKeys: new Set(secretKeys) });
}

function problems(overrides: Record<string, string>, secretKeys?: string[]): readonly SettingsProblem[] {
    try {
        parse(overrides, secretKeys);
    } catch (error) {
        if (error instanceof SettingsError) return error.problems;
        throw error;
    }
    throw new Error("expected a SettingsError");
}

describe("log drain settings", () => {
    it("default to the archive only, draining no app log group, with prod's buffering, retention and lifecycle", () => {
        expect(parse({}).logDrains).toEqual({
            logBufferingSizeMb: 1,
            logBufferingIntervalSeconds: 60,
            logServiceRetrySeconds: 3600,
            logArchiveTransitionDays: 90,
            logArchiveStorageClass: "GLACIER",
            logArchiveExpirationDays: 400,
            logRetentionDays: 90,
            appLogGroups: [],
        });
    });

    it("take a log service endpoint with its key as a secret", async () => {
        const settings = parse({
            [key("logServiceEndpoint")]: ENDPOINT,
            [key("logServiceAccessKey")]: API_KEY,
            [key("appLogGroups")]: JSON.stringify(["/hotelgenius/prod/app"]),
        });
        expect(settings.logDrains.logService?.endpoint).toBe(ENDPOINT);
        expect(await pulumi.isSecret(settings.logDrains.logService!.accessKey)).toBe(true);
        expect(await outputValue(settings.logDrains.logService!.accessKey)).toBe(API_KEY);
        expect(settings.logDrains.appLogGroups).toEqual(["/hotelgenius/prod/app"]);
    });

    it("refuse an http:// endpoint", () => {
        expect(problems({ [key("logServiceEndpoint")]: "http://intake.example/v1", [key("logServiceAccessKey")]: API_KEY })).toEqual([
            { key: key("logServiceEndpoint"), value: "http://intake.example/v1", allowed: "must use https:// (Firehose delivers only over TLS); got http://" },
        ]);
    });

    it("refuse an endpoint without a key, and a key without an endpoint, never showing the key", () => {
        expect(problems({ [key("logServiceEndpoint")]: ENDPOINT })).toEqual([
            {
                key: key("logServiceAccessKey"),
                value: undefined,
                allowed:
                    `required when ${key("logServiceEndpoint")} is set: \`pulumi config set --secret logServiceAccessKey <key>\` (Firehose reads it ` +
                    `from Secrets Manager)`,
            },
        ]);
        expect(problems({ [key("logServiceAccessKey")]: API_KEY })).toEqual([
            {
                key: key("logServiceAccessKey"),
                value: "[secret]",
                allowed: `is set but ${key("logServiceEndpoint")} is not: set the endpoint too, or remove the key`,
            },
        ]);
    });

    it("refuse a key stored as plain text, once, without also calling it missing", () => {
        const found = problems({ [key("logServiceEndpoint")]: ENDPOINT, [key("logServiceAccessKey")]: API_KEY }, [...REQUIRED_SECRET_KEYS]);
        expect(found).toHaveLength(1);
        const [problem] = found;
        expect(problem!.key).toBe(key("logServiceAccessKey"));
        expect(problem!.value).toBe("[secret]");
        expect(problem!.allowed).toMatch(/must be a secret/);
    });

    it("refuse buffering and retries outside Firehose's limits, every problem at once", () => {
        expect(problems({ [key("logBufferingSizeMb")]: "65", [key("logBufferingIntervalSeconds")]: "901", [key("logServiceRetrySeconds")]: "7201" })).toEqual([
            { key: key("logBufferingSizeMb"), value: "65", allowed: "must be a whole number from 1 to 64 (Firehose's HTTP endpoint limit)" },
            { key: key("logBufferingIntervalSeconds"), value: "901", allowed: "must be a whole number from 0 to 900 (Firehose's limit)" },
            { key: key("logServiceRetrySeconds"), value: "7201", allowed: "must be a whole number from 0 to 7200 (Firehose's limit)" },
        ]);
        expect(problems({ [key("logBufferingSizeMb")]: "0" })[0]!.allowed).toMatch(/from 1 to 64/);
    });

    it("refuse a retention CloudWatch Logs does not accept", () => {
        const [problem] = problems({ [key("logRetentionDays")]: "45" });
        expect(problem).toMatchObject({ key: key("logRetentionDays"), value: "45" });
        expect(problem!.allowed).toMatch(/^must be one of the periods CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, .* \(nearest: 30\)$/);
        expect(problems({ [key("logRetentionDays")]: "5000" })[0]!.allowed).toBe("must be a whole number from 1 to 3653");
    });

    it("refuse an archive expiration at or before its transition", () => {
        expect(problems({ [key("logArchiveTransitionDays")]: "400" })).toEqual([
            {
                key: key("logArchiveExpirationDays"),
                value: "400",
                allowed: "must be greater than the last transition (400 days): S3 rejects an expiration at or before a transition",
            },
        ]);
    });

    it("refuse malformed and repeated app log groups", () => {
        expect(problems({ [key("appLogGroups")]: JSON.stringify(["/app", "my app"]) })[0]!.allowed).toBe(
            '"my app" is not a CloudWatch Logs log group name: 1-512 characters of letters, digits and . - _ / #',
        );
        expect(problems({ [key("appLogGroups")]: JSON.stringify(["/app", "/app"]) })[0]!.allowed).toBe(
            "must not repeat a log group (/app): each group gets exactly one subscription filter",
        );
    });
});
