import { describe, expect, it } from "vitest";
import { matchesPattern } from "./eventPattern.js";

// The examples of EventBridge's user guide ("Event patterns", "Comparison operators"), on its sample EC2 event.
const event = {
    source: "aws.ec2",
    "detail-type": "EC2 Instance State-change Notification",
    region: "us-west-1",
    resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    detail: { "instance-id": "i-1234567890abcdef0", state: "terminated", count: 5, tags: [{ key: "team", value: "ops" }] },
};

describe("matchesPattern", () => {
    it("matches exact values, any of several, and nested fields", () => {
        expect(matchesPattern({ source: ["aws.ec2"], detail: { state: ["running", "terminated"] } }, event)).toBe(true);
        expect(matchesPattern({ source: ["aws.ec2"], detail: { state: ["running"] } }, event)).toBe(false);
        expect(matchesPattern({ detail: { count: [5] } }, event)).toBe(true);
        expect(matchesPattern({ detail: { count: ["5"] } }, event)).toBe(false);
    });

    it("matches an event array when any element matches, objects in arrays element by element", () => {
        expect(matchesPattern({ resources: [{ prefix: "arn:aws:ec2:us-west-1:" }] }, event)).toBe(true);
        expect(matchesPattern({ detail: { tags: { key: ["team"] } } }, event)).toBe(true);
        expect(matchesPattern({ detail: { tags: { key: ["owner"] } } }, event)).toBe(false);
    });

    it("does prefix, suffix and equals-ignore-case on strings only", () => {
        expect(matchesPattern({ region: [{ prefix: "us-" }] }, event)).toBe(true);
        expect(matchesPattern({ region: [{ prefix: "eu-" }] }, event)).toBe(false);
        expect(matchesPattern({ detail: { state: [{ suffix: "nated" }] } }, event)).toBe(true);
        expect(matchesPattern({ detail: { state: [{ "equals-ignore-case": "TERMINATED" }] } }, event)).toBe(true);
        expect(matchesPattern({ detail: { count: [{ prefix: "5" }] } }, event)).toBe(false);
    });

    it("does anything-but on values, lists and prefixes, and never on a missing field", () => {
        expect(matchesPattern({ detail: { state: [{ "anything-but": "initializing" }] } }, event)).toBe(true);
        expect(matchesPattern({ detail: { state: [{ "anything-but": ["stopped", "terminated"] }] } }, event)).toBe(false);
        expect(matchesPattern({ region: [{ "anything-but": { prefix: "us-" } }] }, event)).toBe(false);
        expect(matchesPattern({ detail: { missing: [{ "anything-but": "x" }] } }, event)).toBe(false);
    });

    it("does exists on leaves, including fields under parents the event does not have", () => {
        expect(matchesPattern({ detail: { state: [{ exists: true }] } }, event)).toBe(true);
        expect(matchesPattern({ detail: { state: [{ exists: false }] } }, event)).toBe(false);
        expect(matchesPattern({ detail: { a: { b: [{ exists: false }] } } }, event)).toBe(true);
        expect(matchesPattern({ detail: { a: { b: [{ exists: true }] } } }, event)).toBe(false);
    });

    it("requires every field of a level, and one alternative of $or", () => {
        expect(matchesPattern({ source: ["aws.ec2"], region: ["eu-west-3"] }, event)).toBe(false);
        expect(matchesPattern({ $or: [{ region: ["eu-west-3"] }, { detail: { state: ["terminated"] } }] }, event)).toBe(true);
        expect(matchesPattern({ $or: [{ region: ["eu-west-3"] }, { detail: { state: ["running"] } }] }, event)).toBe(false);
    });

    it("refuses patterns EventBridge would refuse or operators it does not implement", () => {
        expect(() => matchesPattern({ source: "aws.ec2" }, event)).toThrow(/must be an array of values or an object/);
        expect(() => matchesPattern({ source: [] }, event)).toThrow(/empty array/);
        expect(() => matchesPattern({ source: [{ wildcard: "aws.*" }] }, event)).toThrow(/uses "wildcard"/);
        expect(() => matchesPattern({ $or: [{ source: ["aws.ec2"] }] }, event)).toThrow(/at least two patterns/);
    });
});
