import { describe, expect, it } from "vitest";
import { ciUpdateRefusal } from "./administratorOnly.js";

describe("ciUpdateRefusal", () => {
    it("refuses an update inside GitHub Actions, saying what CI may do instead", () => {
        expect(ciUpdateRefusal({ GITHUB_ACTIONS: "true" }, false)).toMatch(/never from GitHub Actions .*allowed in CI: pulumi preview, the offline plan/);
    });

    it("lets CI preview, and an administrator's shell update", () => {
        expect(ciUpdateRefusal({ GITHUB_ACTIONS: "true" }, true)).toBeUndefined();
        expect(ciUpdateRefusal({}, false)).toBeUndefined();
    });
});

describe("the account program in GitHub Actions", () => {
    it("refuses an update: the program throws before it reads its settings", async () => {
        const { runOffline } = await import("../scripts/offlinePlan/mockRuntime.js");
        const { readStackFile } = await import("../scripts/offlinePlan/stackFile.js");
        const file = readStackFile(`${__dirname}/Pulumi.account.yaml`, "hotelgenius-account");
        const previous = process.env["GITHUB_ACTIONS"];
        process.env["GITHUB_ACTIONS"] = "true";
        try {
            await expect(
                runOffline({ stack: "account", project: "hotelgenius-account", config: file.values, preview: false, load: () => import("./index.js") }),
            ).rejects.toThrow(/never from GitHub Actions/);
        } finally {
            if (previous === undefined) delete process.env["GITHUB_ACTIONS"];
            else process.env["GITHUB_ACTIONS"] = previous;
        }
    });
});
