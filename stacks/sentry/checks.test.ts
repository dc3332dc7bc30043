import { describe, expect, it } from "vitest";
import { checkSentryDsn } from "../settings/checks.js";
import { checkSentryEnvironment, checkSentrySlug } from "./checks.js";

describe("checkSentrySlug and checkSentryEnvironment", () => {
    it("accept what Sentry accepts", () => {
        expect(checkSentrySlug("hotelgenius")).toBeUndefined();
        expect(checkSentryEnvironment("production")).toBeUndefined();
        expect(checkSentryEnvironment("staging.eu-1")).toBeUndefined();
    });

    it("refuse uppercase slugs, spaces, slashes and None", () => {
        expect(checkSentrySlug("HotelGenius")).toMatch(/Sentry slug/);
        expect(checkSentryEnvironment("pre prod")).toMatch(/letters, digits/);
        expect(checkSentryEnvironment("prod/eu")).toMatch(/letters, digits/);
        expect(checkSentryEnvironment("None")).toMatch(/letters, digits/);
        expect(checkSentryEnvironment("x".repeat(33))).toMatch(/must be 1-32/);
    });
});

describe("checkSentryDsn", () => {
    it("accepts a DSN and refuses other URLs without echoing them", () => {
        expect(checkSentryDsn("https://0123abcd@o0.ingest.de.sentry.io/42")).toBeUndefined();
        for (const bad of [
            "http://0123abcd@o0.ingest.de.sentry.io/42",
            "https://o0.ingest.de.sentry.io/42",
            "https://0123abcd@o0.ingest.de.sentry.io/project",
            "0123abcd",
        ]) {
            const reason = checkSentryDsn(bad);
            expect(reason).toMatch(/must be a Sentry DSN/);
            expect(reason).not.toContain(bad);
        }
    });
});
