// A prod-like stack with Replication Time Control asked for, in its own file because the Pulumi
// runtime is process-global: the setting reaches both replication rules.
import { beforeAll, describe, expect, it } from "vitest";
import { backupStorageProgram, prodSettings } from "../../test/fixtures.js";
import { onlyResourceNamed, runOffline, type OfflineRun } from "../../scripts/offlinePlan/mockRuntime.js";

const settings = prodSettings({ storage: { replicationTimeControl: true } });
let run: OfflineRun;

beforeAll(async () => {
    run = await runOffline({ stack: "prod", config: { "aws:region": settings.region }, load: backupStorageProgram(settings) });
});

describe("BackupStorage with replicationTimeControl", () => {
    it("turns on Replication Time Control with its 15-minute metrics threshold on both rules", () => {
        const rules = onlyResourceNamed(run, "backups-replication").inputs["rules"] as { id: string; destination: Record<string, unknown> }[];
        expect(rules.map((rule) => [rule.id, rule.destination["metrics"], rule.destination["replicationTime"]])).toEqual(
            ["dumps-off-site", "manifests-off-site"].map((id) => [
                id,
                { status: "Enabled", eventThreshold: { minutes: 15 } },
                { status: "Enabled", time: { minutes: 15 } },
            ]),
        );
    });
});
