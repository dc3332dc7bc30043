import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OFFLINE_SECRET } from "../../stacks/settings/spec.js";
import { parseStackFile, readStackFile, StackFileError } from "./stackFile.js";

const PROJECT = "hotelgenius-ops";
const DB_KEY = `${PROJECT}:databaseUrl`;
const directory = mkdtempSync(path.join(tmpdir(), "stack-file-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function write(name: string, text: string): string {
    const file = path.join(directory, name);
    writeFileSync(file, text);
    return file;
}

const parse = (text: string) => parseStackFile(text, "Pulumi.test.yaml", PROJECT);

describe("readStackFile", () => {
    it("flattens config into full keys and raw strings as the Pulumi runtime receives them", () => {
        const file = write(
            "Pulumi.flat.yaml",
            [
                "config:",
                "  aws:region: us-east-1",
                "  hotelgenius-ops:objectLockDays: 35",
                "  hotelgenius-ops:protectData: false",
                "  backupRoot: postgres",
                "  hotelgenius-ops:alertEmails:",
                "    - ops@hotelgenius.example",
                "    - oncall@hotelgenius.example",
                "  pulumi:tags:",
                "    team: platform",
                "",
            ].join("\n"),
        );
        const stack = readStackFile(file, PROJECT);
        expect(stack.values).toEqual({
            "aws:region": "us-east-1",
            "hotelgenius-ops:objectLockDays": "35",
            "hotelgenius-ops:protectData": "false",
            "hotelgenius-ops:backupRoot": "postgres",
            "hotelgenius-ops:alertEmails": '["ops@hotelgenius.example","oncall@hotelgenius.example"]',
            "pulumi:tags": '{"team":"platform"}',
        });
        expect([...stack.secretKeys]).toEqual([]);
        expect(stack.environments).toEqual([]);
    });

    it("turns secure: values into the offline placeholder and marks them secret", () => {
        const stack = parse(["config:", "  hotelgenius-ops:databaseUrl:", "    secure: v1:ZmFrZS1ub25jZQ==:ZmFrZS1jaXBoZXJ0ZXh0", ""].join("\n"));
        expect(stack.values[DB_KEY]).toBe(OFFLINE_SECRET);
        expect([...stack.secretKeys]).toEqual([DB_KEY]);
    });

    it("keeps an empty secure: value empty, so validation reports it", () => {
        const stack = parse(["config:", "  hotelgenius-ops:databaseUrl:", '    secure: ""', ""].join("\n"));
        expect(stack.values[DB_KEY]).toBe("");
        expect(stack.secretKeys.has(DB_KEY)).toBe(true);
    });

    it("marks a structured value holding a secure: leaf secret and hides the leaf", () => {
        const stack = parse(["config:", "  sentry:settings:", "    token:", "      secure: ZmFrZQ==", "    org: hotelgenius", ""].join("\n"));
        expect(stack.values["sentry:settings"]).toBe(`{"token":"${OFFLINE_SECRET}","org":"hotelgenius"}`);
        expect(stack.secretKeys.has("sentry:settings")).toBe(true);
    });

    it("takes a declared secret missing from the file from the imported ESC environment", () => {
        const stack = parse(["environment:", "  - hotelgenius/prod", "config:", "  aws:region: us-east-1", ""].join("\n"));
        expect(stack.environments).toEqual(["hotelgenius/prod"]);
        expect(stack.values[DB_KEY]).toBe(OFFLINE_SECRET);
        expect(stack.secretKeys.has(DB_KEY)).toBe(true);
    });

    it("leaves a missing secret missing when nothing could provide it", () => {
        const stack = parse(["config:", "  aws:region: us-east-1", ""].join("\n"));
        expect(DB_KEY in stack.values).toBe(false);
    });

    it("does not let ESC hide a secret the file sets empty", () => {
        const stack = parse(["environment: [hotelgenius/prod]", "config:", "  hotelgenius-ops:databaseUrl:", '    secure: ""', ""].join("\n"));
        expect(stack.values[DB_KEY]).toBe("");
    });

    it("reads an empty file as no settings", () => {
        expect(parse("")).toEqual({ values: {}, secretKeys: new Set(), environments: [] });
    });

    it("names the file when it cannot be read", () => {
        const missing = path.join(directory, "Pulumi.missing.yaml");
        expect(() => readStackFile(missing, PROJECT)).toThrow(StackFileError);
        expect(() => readStackFile(missing, PROJECT)).toThrow(`${missing}: cannot read the stack settings file`);
    });

    it("names the file when the YAML is invalid", () => {
        const file = write("Pulumi.broken.yaml", "config:\n  aws:region: [us-east-1\n");
        expect(() => readStackFile(file, PROJECT)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: invalid YAML`));
    });

    it("rejects a key set twice", () => {
        expect(() => parse("config:\n  aws:region: us-east-1\n  aws:region: us-west-2\n")).toThrow(/Pulumi.test.yaml: invalid YAML/);
        expect(() => parse("config:\n  owner: a\n  hotelgenius-ops:owner: b\n")).toThrow(/hotelgenius-ops:owner is set twice/);
    });

    it("rejects files that are not stack settings", () => {
        expect(() => parse("- a\n- b\n")).toThrow(/Pulumi.test.yaml: must be a YAML mapping/);
        expect(() => parse("config: [a]\n")).toThrow(/`config:` must be a mapping/);
        expect(() => parse("environment: hotelgenius/prod\n")).toThrow(/`environment:` must be a list/);
        expect(() => parse("environment:\n  imports: [hotelgenius/prod]\n")).toThrow(/`environment:` must be a list of Pulumi ESC environment names/);
    });
});
