// The staging refresh against two local stand-ins for Neon's API (prod's project and the clone's,
// each with its own key) whose connection URLs name real PostgreSQL databases, copied by the real
// pg_dump and pg_restore. The anonymization CLI is another helper's (npm run anonymize); here a
// real UPDATE on the private branch's database stands in for it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startPostgres, type PgCluster } from "../job/tools/servers/postgres.js";
import { type FakeNeonApi, startFakeNeonApi } from "../stacks/neon/fakeNeonApi.js";
import { anonymizationCommand, type NeonSide, passwordApart, pgCopy, refreshFromSource } from "./neonRefresh.js";

const SOURCE_KEY = "napi_prod_side_not_a_real_key_00";
const TARGET_KEY = "napi_clone_side_not_a_real_key_0";

let cluster: PgCluster;
let prodApi: FakeNeonApi;
let cloneApi: FakeNeonApi;
let source: NeonSide;
let target: NeonSide;
let prodProject: ReturnType<FakeNeonApi["seedProject"]>;

const rows = async (database: string) =>
    (await cluster.query(database, "SELECT id, email FROM guests ORDER BY id")).map((row) => `${row["id"]}:${row["email"]}`);

beforeAll(async () => {
    cluster = await startPostgres();
});

afterAll(async () => {
    await cluster?.stop();
});

beforeEach(async () => {
    for (const database of ["branch", "staging"]) {
        await cluster.dropDatabase(database).catch(() => undefined);
        await cluster.createDatabase(database);
    }
    await cluster.query(
        "branch",
        "CREATE TABLE guests (id int PRIMARY KEY, email text); INSERT INTO guests VALUES (1, 'ada@guest.example'), (2, 'bob@guest.example')",
    );
    await cluster.query("staging", "CREATE TABLE guests (id int PRIMARY KEY, email text); INSERT INTO guests VALUES (9, 'old@staging.example')");
    // Each fake answers connection_uri with the real database that stands for its side.
    prodApi = await startFakeNeonApi({ apiKey: SOURCE_KEY, connectionUri: () => cluster.url("branch") });
    cloneApi = await startFakeNeonApi({ apiKey: TARGET_KEY, connectionUri: () => cluster.url("staging") });
    prodProject = prodApi.seedProject({ name: "hotelgenius", region_id: "aws-eu-central-1", pg_version: 17, history_retention_seconds: 604_800 });
    const cloneProject = cloneApi.seedProject({
        name: "hotelgenius-staging",
        region_id: "aws-eu-central-1",
        pg_version: 17,
        history_retention_seconds: 86_400,
    });
    source = { connection: { baseUrl: prodApi.baseUrl, apiKey: SOURCE_KEY }, projectId: prodProject.projectId, database: "neondb", ownerRole: "neondb_owner" };
    target = {
        connection: { baseUrl: cloneApi.baseUrl, apiKey: TARGET_KEY },
        projectId: cloneProject.projectId,
        database: "neondb",
        ownerRole: "neondb_owner",
    };
});

afterEach(async () => {
    await prodApi.stop();
    await cloneApi.stop();
});

const anonymizeByUpdate = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("UPDATE guests SET email = 'guest' || id || '@anonymized.invalid'");
    await client.end();
};

describe("refreshFromSource", () => {
    it("anonymizes on a private branch of prod's production branch, loads the clone from it and deletes the branch", async () => {
        const seen: string[] = [];
        const name = await refreshFromSource(
            source,
            target,
            {
                anonymize: async (url) => {
                    seen.push(`anonymize ${url}`);
                    await anonymizeByUpdate(url);
                },
                copy: pgCopy(cluster.binDir),
            },
            () => undefined,
        );
        expect(await rows("staging")).toEqual(["1:guest1@anonymized.invalid", "2:guest2@anonymized.invalid"]);
        const create = prodApi.requests.find((request) => request.method === "POST")!;
        expect(create.body.branch).toEqual({ name, parent_id: prodProject.branchId });
        expect(create.body.endpoints).toEqual([{ type: "read_write", autoscaling_limit_min_cu: 0.25, autoscaling_limit_max_cu: 2 }]);
        // The branch is gone, and the only branch left in prod's project is production.
        expect([...prodApi.branches.values()].map((branch) => branch.id)).toEqual([prodProject.branchId]);
        expect(seen).toEqual([`anonymize ${cluster.url("branch")}`]);
        // Each side's API was called with its own key only.
        expect(new Set(prodApi.requests.map((request) => request.authorization))).toEqual(new Set([`Bearer ${SOURCE_KEY}`]));
        expect(new Set(cloneApi.requests.map((request) => request.authorization))).toEqual(new Set([`Bearer ${TARGET_KEY}`]));
        expect(cloneApi.requests.filter((request) => request.method !== "GET")).toEqual([]);
    });

    it("copies nothing when the anonymization fails, and still deletes the private branch", async () => {
        const copied: string[] = [];
        await expect(
            refreshFromSource(
                source,
                target,
                {
                    anonymize: async () => {
                        throw new Error("column guests.email has no rule");
                    },
                    copy: async (from) => {
                        copied.push(from);
                    },
                },
                () => undefined,
            ),
        ).rejects.toThrow("column guests.email has no rule");
        expect(copied).toEqual([]);
        expect(await rows("staging")).toEqual(["9:old@staging.example"]);
        expect([...prodApi.branches.keys()]).toEqual([prodProject.branchId]);
    });

    it("refuses to load the source project into itself, before creating anything", async () => {
        await expect(
            refreshFromSource(
                source,
                { ...target, projectId: source.projectId },
                { anonymize: anonymizeByUpdate, copy: pgCopy(cluster.binDir) },
                () => undefined,
            ),
        ).rejects.toThrow("is the source project itself");
        expect(prodApi.requests).toEqual([]);
    });
});

describe("the refresh's helpers", () => {
    it("keep passwords off command lines", () => {
        expect(passwordApart("postgresql://owner:p%40ss@ep-x.neon.tech/neondb?sslmode=require")).toEqual({
            url: "postgresql://owner@ep-x.neon.tech/neondb?sslmode=require",
            env: { PGPASSWORD: "p@ss" },
        });
    });

    it("refuse to run without the anonymization CLI (npm run anonymize) in the checkout, and run it with the URL last", () => {
        const root = mkdtempSync(path.join(tmpdir(), "neon-refresh-"));
        try {
            writeFileSync(path.join(root, "package.json"), JSON.stringify({ scripts: { test: "vitest" } }));
            expect(() => anonymizationCommand(root)).toThrow("this checkout has no anonymization CLI (`npm run anonymize`)");
            writeFileSync(path.join(root, "package.json"), JSON.stringify({ scripts: { anonymize: "tsx scripts/staging/anonymizeCli.ts" } }));
            expect(anonymizationCommand(root)).toEqual(["npm", "run", "--silent", "anonymize", "--", "run", "--database-url"]);
        } finally {
            rmSync(root, { recursive: true, force: true });
        }
    });
});
