// The dynamic providers against a local stand-in for Neon's documented HTTP API (no real Neon), and
// the backup role's provider against a real PostgreSQL server that the fake's connection_uri names.
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startPostgres, type PgCluster } from "../../job/tools/servers/postgres.js";
import { type FakeNeonApi, startFakeNeonApi } from "./fakeNeonApi.js";
import { API_KEY_CONFIG, ApiRoleProvider, BackupRoleProvider, BranchProvider, type ProjectInputs, ProjectProvider } from "./provider.js";

const API_KEY = "napi_test_not_a_real_key_0000";
const PROJECT: ProjectInputs = { name: "hotelgenius", regionId: "aws-eu-central-1", pgVersion: 17, historyRetentionSeconds: 604_800 };

let api: FakeNeonApi;
let cluster: PgCluster;

function configured<P extends { configure(request: { config: { get(key: string): string | undefined; require(key: string): string } }): Promise<void> }>(
    provider: P,
    key: string | null = API_KEY,
): Promise<P> {
    const values: Record<string, string> = key === null ? {} : { [API_KEY_CONFIG]: key };
    const config = {
        get: (name: string) => values[name],
        require: (name: string) => values[name] ?? "",
    };
    return provider.configure({ config }).then(() => provider);
}

beforeAll(async () => {
    cluster = await startPostgres();
});

afterAll(async () => {
    await cluster?.stop();
});

beforeEach(async () => {
    api = await startFakeNeonApi({ apiKey: API_KEY, connectionUri: (query) => `${cluster.url("postgres")}#${query.get("role_name")}` });
});

afterEach(async () => {
    await api.stop();
});

describe("the project provider", () => {
    it("creates the project with its region, PostgreSQL version and history retention, and reads them back", async () => {
        const provider = await configured(new ProjectProvider(api.baseUrl));
        const created = await provider.create(PROJECT);
        expect(api.requests.map((request) => [request.method, request.path])).toEqual([["POST", "/api/v2/projects"]]);
        expect(api.requests[0]!.body).toEqual({
            project: { name: "hotelgenius", region_id: "aws-eu-central-1", pg_version: 17, history_retention_seconds: 604_800 },
        });
        expect(api.requests[0]!.authorization).toBe(`Bearer ${API_KEY}`);
        const read = await provider.read(created.id, created.outs!);
        expect(read).toEqual({ id: created.id, props: { ...PROJECT, projectId: created.id, defaultBranchId: created.outs!.defaultBranchId } });
    });

    it("adopts an existing project (dynamic resources cannot be `pulumi import`ed): sets its retention and creates nothing", async () => {
        const seeded = api.seedProject({ name: "hotelgenius", region_id: "aws-eu-central-1", pg_version: 17, history_retention_seconds: 86_400 });
        const provider = await configured(new ProjectProvider(api.baseUrl));
        const adopted = await provider.create({ ...PROJECT, adoptProjectId: seeded.projectId });
        expect(adopted.id).toBe(seeded.projectId);
        expect(adopted.outs!.defaultBranchId).toBe(seeded.branchId);
        expect(api.requests.filter((request) => request.method === "POST")).toEqual([]);
        expect(api.projects.get(seeded.projectId)!.history_retention_seconds).toBe(604_800);
        expect(api.projects.size).toBe(1);
    });

    it("refuses to adopt a project whose region or PostgreSQL version differs from the stack's, changing nothing", async () => {
        const seeded = api.seedProject({ name: "hotelgenius", region_id: "aws-us-east-2", pg_version: 16, history_retention_seconds: 86_400 });
        const provider = await configured(new ProjectProvider(api.baseUrl));
        await expect(provider.create({ ...PROJECT, adoptProjectId: seeded.projectId })).rejects.toThrow(
            `Neon project ${seeded.projectId} runs PostgreSQL 16 in aws-us-east-2; the stack declares 17 in aws-eu-central-1`,
        );
        expect(api.projects.get(seeded.projectId)!.history_retention_seconds).toBe(86_400);
    });

    it("names neonProjectId when the project to adopt is not found with the key, and changes nothing", async () => {
        const provider = await configured(new ProjectProvider(api.baseUrl));
        const error = await provider.create({ ...PROJECT, adoptProjectId: "replace-me-00000000" }).catch((caught: Error) => caught);
        expect(String(error)).toBe(
            "Error: Neon project replace-me-00000000 (neonProjectId) was not found with this stack's neonApiKey: check the id in the console " +
                "(Settings > General) and that the key belongs to the project's organization",
        );
        expect(api.requests.map((request) => request.method)).toEqual(["GET"]);
        expect(String(error)).not.toContain(API_KEY);
    });

    it("never adopts a project as a refresh target (a refresh replaces its whole database), asking Neon nothing", async () => {
        const seeded = api.seedProject({ name: "hotelgenius", region_id: "aws-eu-central-1", pg_version: 17, history_retention_seconds: 86_400 });
        const provider = await configured(new ProjectProvider(api.baseUrl));
        await expect(provider.create({ ...PROJECT, adoptProjectId: seeded.projectId, refreshFrom: "prod" })).rejects.toThrow(
            `Neon project ${seeded.projectId} cannot be adopted as the target of prod's refresh`,
        );
        expect(api.requests).toEqual([]);
    });

    it("reports the retention changed in the console on refresh, updates it in place and replaces only for a new region or version", async () => {
        const provider = await configured(new ProjectProvider(api.baseUrl));
        const created = await provider.create(PROJECT);
        api.projects.get(created.id)!.history_retention_seconds = 86_400;
        const read = await provider.read(created.id, created.outs!);
        expect(read.props!.historyRetentionSeconds).toBe(86_400);
        expect(await provider.diff(created.id, read.props!, PROJECT)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
        await provider.update(created.id, read.props!, PROJECT);
        expect(api.projects.get(created.id)!.history_retention_seconds).toBe(604_800);
        expect((await provider.diff(created.id, created.outs!, { ...PROJECT, regionId: "azure-gwc" })).replaces).toEqual(["regionId"]);
        expect((await provider.diff(created.id, created.outs!, { ...PROJECT, pgVersion: 18 })).replaces).toEqual(["pgVersion"]);
        expect((await provider.diff(created.id, created.outs!, PROJECT)).changes).toBe(false);
    });

    it("reads a deleted project as gone (an empty id), so a refresh drops it from the state", async () => {
        const provider = await configured(new ProjectProvider(api.baseUrl));
        const created = await provider.create(PROJECT);
        await provider.delete(created.id);
        expect(await provider.read(created.id, created.outs!)).toEqual({});
    });

    it("needs the API key from the stack's configuration, and never puts it in an error", async () => {
        await expect((await configured(new ProjectProvider(api.baseUrl), null)).create(PROJECT)).rejects.toThrow(`${API_KEY_CONFIG} is not set`);
        const wrong = await configured(new ProjectProvider(api.baseUrl), "napi_wrong_key");
        const error = await wrong.create(PROJECT).catch((caught: Error) => caught);
        expect(String(error)).toBe("NeonApiError: Neon API POST /projects answered 401: authentication required");
    });
});

describe("the branch provider", () => {
    it("creates a schema-only branch with its own suspending compute and returns its direct host", async () => {
        const seeded = api.seedProject({ name: "p", region_id: "aws-eu-central-1", pg_version: 17, history_retention_seconds: 604_800 });
        const provider = await configured(new BranchProvider(api.baseUrl));
        const inputs = { projectId: seeded.projectId, name: "restore-drill", schemaOnly: true, compute: { minCu: 0.25, maxCu: 1, suspendTimeoutSeconds: 300 } };
        const created = await provider.create(inputs);
        expect(api.requests.at(-1)!.body).toEqual({
            branch: { name: "restore-drill", init_source: "schema-only" },
            endpoints: [{ type: "read_write", autoscaling_limit_min_cu: 0.25, autoscaling_limit_max_cu: 1, suspend_timeout_seconds: 300 }],
        });
        expect(created.outs!.endpointId).not.toBe(seeded.endpointId);
        expect(created.outs!.host).toBe(`${created.outs!.endpointId}.eu-central-1.aws.neon.tech`);
        await provider.update(created.id, created.outs!, { ...inputs, compute: { minCu: 0.25, maxCu: 2, suspendTimeoutSeconds: 300 } });
        expect(api.endpoints.get(created.outs!.endpointId)!.autoscaling_limit_max_cu).toBe(2);
        await provider.delete(created.id, created.outs!);
        expect(api.branches.has(created.id)).toBe(false);
    });

    it("adopts the project's default branch and its compute without creating, renaming or deleting anything", async () => {
        const seeded = api.seedProject({ name: "p", region_id: "aws-eu-central-1", pg_version: 17, history_retention_seconds: 604_800 });
        const provider = await configured(new BranchProvider(api.baseUrl));
        const adopted = await provider.create({ projectId: seeded.projectId, name: "production", adoptDefault: true });
        expect(adopted.id).toBe(seeded.branchId);
        expect(adopted.outs).toMatchObject({ name: "main", endpointId: seeded.endpointId });
        expect((await provider.diff(adopted.id, adopted.outs!, { projectId: seeded.projectId, name: "production", adoptDefault: true })).changes).toBe(false);
        await provider.delete(adopted.id, adopted.outs!);
        expect(api.branches.has(seeded.branchId)).toBe(true);
        expect(api.requests.filter((request) => request.method !== "GET")).toEqual([]);
    });
});

describe("the API role provider", () => {
    it("creates a role on a branch and returns its password and direct connection URL; reads the password back", async () => {
        const seeded = api.seedProject({ name: "p", region_id: "aws-eu-central-1", pg_version: 17, history_retention_seconds: 604_800 });
        const provider = await configured(new ApiRoleProvider(api.baseUrl));
        const inputs = { projectId: seeded.projectId, branchId: seeded.branchId, name: "drill", host: "ep-x.eu-central-1.aws.neon.tech", database: "neondb" };
        const created = await provider.create(inputs);
        const password = api.roles.get(`${seeded.branchId}/drill`)!.password;
        expect(created.outs).toEqual({
            ...inputs,
            password,
            connectionUrl: `postgresql://drill:${password}@ep-x.eu-central-1.aws.neon.tech/neondb?sslmode=require`,
        });
        expect(await provider.read(created.id, created.outs!)).toEqual({ id: created.id, props: created.outs });
        await provider.delete(created.id, created.outs!);
        expect(await provider.read(created.id, created.outs!)).toEqual({});
    });
});

describe("the backup role provider", () => {
    it("connects with the owner's URL that Neon gives at call time and creates the read-only role with a generated password", async () => {
        const seeded = api.seedProject({ name: "p", region_id: "aws-eu-central-1", pg_version: 17, history_retention_seconds: 604_800 });
        const provider = await configured(new BackupRoleProvider(api.baseUrl));
        const inputs = {
            projectId: seeded.projectId,
            branchId: seeded.branchId,
            name: "hotelgenius_backup",
            ownerRole: "neondb_owner",
            host: "ep-x.eu-central-1.aws.neon.tech",
            database: "postgres",
        };
        const created = await provider.create(inputs);
        const uriRequest = api.requests.find((request) => request.path.includes("/connection_uri"))!;
        expect(new URL(uriRequest.path, "http://x").searchParams.toString()).toBe(
            `branch_id=${seeded.branchId}&database_name=postgres&role_name=neondb_owner&pooled=false`,
        );
        const password = created.outs!.password;
        expect(password).toMatch(/^[0-9a-f]{64}$/);
        expect(created.outs!.connectionUrl).toBe(`postgresql://hotelgenius_backup:${password}@ep-x.eu-central-1.aws.neon.tech/postgres?sslmode=require`);
        // The role works with that password and is the read-only one.
        const client = new pg.Client({ connectionString: cluster.url("postgres", { user: "hotelgenius_backup", password }) });
        await client.connect();
        const { rows } = await client.query("SHOW default_transaction_read_only");
        await client.end();
        expect(rows).toEqual([{ default_transaction_read_only: "on" }]);
        // The owner's URL is not kept: nothing of it is in the outputs.
        expect(JSON.stringify(created.outs)).not.toContain(cluster.password);

        expect(await provider.read(created.id, created.outs!)).toEqual({ id: created.id, props: created.outs });
        await provider.delete(created.id, created.outs!);
        expect(await provider.read(created.id, created.outs!)).toEqual({});
    });
});
