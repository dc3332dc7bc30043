import { describe, expect, it } from "vitest";
import { checkHttpsUrl, isEmail } from "./checks.js";

describe("small checks", () => {
    it("email addresses", () => {
        for (const good of ["ops@hotelgenius.example", "first.last+alerts@mail.hotelgenius.example"]) expect(isEmail(good)).toBe(true);
        for (const bad of ["ops", "ops@localhost", "ops@@x.example", ".ops@x.example", "o..ps@x.example", "ops @x.example", "ops@-x.example"])
            expect(isEmail(bad)).toBe(false);
    });
});

describe("checkHttpsUrl", () => {
    it("accepts an https URL with a path and query", () => {
        expect(checkHttpsUrl("https://app.hotelgenius.eu/health?deep=1")).toBeUndefined();
    });

    it.each([
        ["http://app.hotelgenius.eu/health", /must use https:\/\/, not http:\/\//],
        ["app.hotelgenius.eu/health", /must be an https:\/\/ URL/],
        ["https://user:secret@app.hotelgenius.eu/health", /must not carry a user name or password/],
    ])("refuses %s", (value, reason) => {
        expect(checkHttpsUrl(value)).toMatch(reason);
    });
});
