// The whole program under the mock runtime with a prod-like stack that manages its Neon project:
// the project's region, version, retention and protection, the branches and roles, where the backup
// job's secrets come from, and what the dynamic providers' serialized code (kept in the state) holds.
import { beforeAll, describe, expect, it } from "vitest";
import { onlyResourceNamed, type OfflineRun, outputValue, runOffline } from "../../scripts/offlinePlan/mockRuntime.js";
import { REQUIRED_RAW_SETTINGS } from "../../test/fixtures.js";
import { DRILL_COMPUTE } from "./component.js";

const KEY = (name: string) => `hotelgenius-ops:${name}`;
const API_KEY = "napi_component_test_not_a_real_key_0000";
const { [KEY("databaseUrl")]: _url, [KEY("scratchDatabaseUrl")]: _scratch, ...REQUIRED_WITHOUT_URLS } = REQUIRED_RAW_SETTINGS;

let run: OfflineRun;
let program: Record<string, unknown>;

beforeAll(async () => {
    run = await runOffline({
        stack: "prod",
        config: {
            ...REQUIRED_WITHOUT_URLS,
            [KEY("backupDatabaseName")]: "neondb",
            [KEY("neonProjectName")]: "hotelgenius",
            [KEY("neonProjectId")]: "autumn-sun-12345678",
            [KEY("neonApiKey")]: API_KEY,
        },
        secretKeys: [KEY("neonApiKey")],
        load: async () => {
            program = await import("../../index.js");
            return program;
        },
    });
}, 120_000);

const named = (name: string) => onlyResourceNamed(run, name);
const withoutCode = (name: string) => {
    const { __provider, ...inputs } = named(name).inputs;
    return inputs;
};

describe("NeonDatabase (prod)", () => {
    it("adopts the existing project in the EU with PostgreSQL 17 and a week of history, protected", () => {
        expect(withoutCode("neon-project")).toEqual({
            name: "hotelgenius",
            regionId: "aws-eu-central-1",
            pgVersion: 17,
            historyRetentionSeconds: 604_800,
            adoptProjectId: "autumn-sun-12345678",
        });
        expect(named("neon-project").protect).toBe(true);
    });

    it("takes over the production branch without creating a compute for it, protected", () => {
        expect(withoutCode("neon-production")).toEqual({ projectId: "autumn-sun-12345678", name: "production", adoptDefault: true });
        expect(named("neon-production").protect).toBe(true);
    });

    it("creates the backup role with SQL on the production branch's direct host, connecting as the database's owner", () => {
        expect(withoutCode("neon-backup-role")).toEqual({
            projectId: "autumn-sun-12345678",
            branchId: "br-mock-default-autumn-sun-12345678",
            name: "hotelgenius_backup",
            ownerRole: "neondb_owner",
            host: "ep-mock-neon-production-autumn-sun-12345678.eu-central-1.aws.neon.tech",
            database: "neondb",
        });
    });

    it("gives the restore drill its own schema-only branch and small suspending compute, and a role there only", () => {
        expect(withoutCode("neon-drill")).toEqual({
            projectId: "autumn-sun-12345678",
            name: "restore-drill",
            parentId: "br-mock-default-autumn-sun-12345678",
            schemaOnly: true,
            compute: { ...DRILL_COMPUTE },
        });
        expect(withoutCode("neon-drill-role")).toEqual({
            projectId: "autumn-sun-12345678",
            branchId: "br-mock-neon-drill-autumn-sun-12345678",
            name: "restore_drill",
            host: "ep-mock-neon-drill-autumn-sun-12345678.eu-central-1.aws.neon.tech",
            database: "neondb",
        });
        expect(DRILL_COMPUTE.suspendTimeoutSeconds).toBeGreaterThan(0);
    });

    it("writes the job's secrets from the Neon roles: the backup role's URL and the drill role's, never a setting", () => {
        const urn = (name: string) => named(name).urn;
        expect(named("backup-job-database-url-value").dependsOn).toContain(urn("neon-backup-role"));
        expect(named("backup-job-scratch-database-url-value").dependsOn).toContain(urn("neon-drill-role"));
        expect(named("backup-job-database-url-value").inputs["secretString"]).toBe("[secret]");
        expect(named("backup-job-scratch-database-url-value").inputs["secretString"]).toBe("[secret]");
    });

    it("exports the project's id, production branch and retention, and whom the job's secrets connect as, never a password", async () => {
        expect(await outputValue(program["neonProjectId"] as never)).toBe("autumn-sun-12345678");
        expect(await outputValue(program["neonHistoryRetentionSeconds"] as never)).toBe(604_800);
        expect(run.outputs["neonJobConnections"]).toEqual({
            databaseUrl: "hotelgenius_backup@ep-mock-neon-production-autumn-sun-12345678.eu-central-1.aws.neon.tech/neondb",
            scratchDatabaseUrl: "restore_drill@ep-mock-neon-drill-autumn-sun-12345678.eu-central-1.aws.neon.tech/neondb",
        });
        expect(JSON.stringify(run.outputs)).not.toContain("mock-password");
    });

    it("stores provider code that holds no API key, captures no secret, and reads the key from the stack's config", () => {
        const neon = run.resources.filter((resource) => resource.type.startsWith("pulumi-nodejs:dynamic/neon:"));
        expect(neon.map((resource) => resource.name).sort()).toEqual(["neon-backup-role", "neon-drill", "neon-drill-role", "neon-production", "neon-project"]);
        for (const resource of neon) {
            const code = resource.inputs["__provider"];
            // A captured secret would make the whole input a secret ("[secret]").
            expect(typeof code === "string" && code.startsWith("exports.handler")).toBe(true);
            expect(code).not.toContain(API_KEY);
            expect(code).toContain('API_KEY_CONFIG: "hotelgenius-ops:neonApiKey"');
            expect(code).toContain("apiKey = undefined");
            expect(JSON.stringify(resource.inputs)).not.toContain(API_KEY);
        }
    });
});
