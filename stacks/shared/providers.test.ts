import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT, runOffline, type OfflineRun } from "../../scripts/offlinePlan/mockRuntime.js";
import { prodSettings } from "../../test/fixtures.js";
import { createProviders } from "./providers.js";

describe("createProviders", () => {
    let run: OfflineRun;

    beforeAll(async () => {
        run = await runOffline({
            stack: "prod",
            config: { "aws:region": "eu-west-1" },
            load: async () => {
                createProviders(prodSettings());
                return {};
            },
        });
    });

    it("creates exactly the primary, replica and us-east-1 providers, in the stack's, the replica's and us-east-1", () => {
        const providers = run.resources.filter((resource) => resource.type === "pulumi:providers:aws");
        expect(providers.map((provider) => [provider.name, provider.inputs["region"]])).toEqual([
            ["aws-primary", "eu-west-1"],
            ["aws-replica", "eu-central-1"],
            ["aws-us-east-1", "us-east-1"],
        ]);
        expect(run.resources.filter((resource) => resource.custom && resource.type !== "pulumi:providers:aws")).toEqual([]);
    });

    it("puts the project, stack, tool and owner tags on every provider's defaultTags", () => {
        const expected = { tags: { project: PROJECT, stack: "prod", "managed-by": "pulumi", owner: "platform-team" } };
        for (const provider of run.resources.filter((resource) => resource.type === "pulumi:providers:aws")) {
            // Providers receive object inputs JSON-encoded on the wire.
            expect(JSON.parse(provider.inputs["defaultTags"] as string)).toEqual(expected);
        }
    });

    it("refuses a replica in the primary region before creating anything", () => {
        expect(() => createProviders(prodSettings({ region: "eu-central-1" }))).toThrow(
            'storage.replicaRegion is "eu-central-1", the primary region; allowed: any other region, or the copy is not off-site',
        );
    });
});
