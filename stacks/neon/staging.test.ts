// Staging's committed settings (Pulumi.staging.yaml, prod cloned by scripts/cloneStack.ts) under the
// mock runtime: staging is its own Neon project, never a branch of prod's (docs/neon.md, Staging). No
// resource of staging's may name prod's project or one of its branches, the project says it is the
// target of prod's anonymized refresh, and the job's secrets come from staging's own roles.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { onlyResourceNamed, type OfflineRun, PROJECT, runOffline } from "../../scripts/offlinePlan/mockRuntime.js";
import { readCommittedPlan } from "../../scripts/offlinePlan/planFormat.js";
import { readStackFile } from "../../scripts/offlinePlan/stackFile.js";

const ROOT = path.resolve(__dirname, "..", "..");
const PROD_PROJECT_ID = (parse(readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")).config as Record<string, string>)[`${PROJECT}:neonProjectId`]!;
const STAGING_PROJECT_ID = "mock-project-hotelgenius-staging";

let run: OfflineRun;

beforeAll(async () => {
    const file = readStackFile(path.join(ROOT, "Pulumi.staging.yaml"), PROJECT);
    run = await runOffline({
        stack: "staging",
        config: file.values,
        secretKeys: [...file.secretKeys],
        load: () => import("../../index.js"),
    });
}, 120_000);

const neonResources = () => run.resources.filter((resource) => resource.type.startsWith("pulumi-nodejs:dynamic/neon:"));

describe("staging's Neon resources (Pulumi.staging.yaml)", () => {
    it("create a project of staging's own, the target of prod's anonymized refresh, never adopting prod's", () => {
        const { __provider, ...inputs } = onlyResourceNamed(run, "neon-project").inputs;
        expect(inputs).toEqual({
            name: "hotelgenius-staging",
            regionId: "aws-eu-central-1",
            pgVersion: 17,
            historyRetentionSeconds: 86_400,
            refreshFrom: "prod",
        });
        expect(onlyResourceNamed(run, "neon-project").protect).toBe(false);
    });

    it("hold no branch, role or other resource in prod's project, nor any branch of prod's", () => {
        expect(PROD_PROJECT_ID).toMatch(/^[a-z0-9-]+$/);
        const prodIds = new Set(
            readCommittedPlan("prod")
                .resources.filter((resource) => resource.type.startsWith("pulumi-nodejs:dynamic/neon:"))
                .flatMap((resource) => [
                    resource.inputs["projectId"],
                    resource.inputs["branchId"],
                    resource.inputs["parentId"],
                    resource.inputs["adoptProjectId"],
                ])
                .filter((value): value is string => typeof value === "string"),
        );
        expect(prodIds).toContain(PROD_PROJECT_ID);
        const inside = neonResources().filter((resource) => resource.name !== "neon-project");
        expect(inside.map((resource) => resource.name).sort()).toEqual(["neon-backup-role", "neon-drill", "neon-drill-role", "neon-production"]);
        for (const resource of inside) expect([resource.name, resource.inputs["projectId"]]).toEqual([resource.name, STAGING_PROJECT_ID]);
        // Nothing staging plans names prod's project or a branch of it, anywhere in its inputs or outputs.
        const everything = JSON.stringify({ resources: run.resources.map((resource) => resource.inputs), outputs: run.outputs });
        expect([...prodIds].filter((id) => everything.includes(id))).toEqual([]);
        expect(neonResources().filter((resource) => "adoptProjectId" in resource.inputs)).toEqual([]);
    });

    it("write the job's secrets from staging's own roles: the backup role on staging's production branch, the drill's on its own branch", () => {
        const urn = (name: string) => onlyResourceNamed(run, name).urn;
        expect(onlyResourceNamed(run, "backup-job-database-url-value").dependsOn).toContain(urn("neon-backup-role"));
        expect(onlyResourceNamed(run, "backup-job-scratch-database-url-value").dependsOn).toContain(urn("neon-drill-role"));
        expect(onlyResourceNamed(run, "neon-backup-role").inputs["branchId"]).toBe(`br-mock-default-${STAGING_PROJECT_ID}`);
        expect(run.outputs["neonJobConnections"]).toEqual({
            databaseUrl: `hotelgenius_backup@ep-mock-neon-production-${STAGING_PROJECT_ID}.eu-central-1.aws.neon.tech/neondb`,
            scratchDatabaseUrl: `restore_drill@ep-mock-neon-drill-${STAGING_PROJECT_ID}.eu-central-1.aws.neon.tech/neondb`,
        });
        expect(run.outputs["neonProjectId"]).toBe(STAGING_PROJECT_ID);
    });
});
