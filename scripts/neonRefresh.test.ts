// The staging refresh against a local stand-in for Neon's API holding prod's project and staging's
// (each side with its own project-scoped key), whose branches are real PostgreSQL databases: creating a
// branch copies prod's database (as copy-on-write would give its data), deleting it drops the copy.
// Copied by the real pg_dump and pg_restore. Part of it runs scripts/neon-refresh.sh end to end with
// the real anonymization CLI (npm run anonymize) and a stand-in `pulumi`, and stops it at every stage.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type PgCluster, startPostgres } from "../job/tools/servers/postgres.js";
import { type FakeFault, type FakeNeonApi, startFakeNeonApi } from "../stacks/neon/fakeNeonApi.js";
import {
    anonymizationCommand,
    isPrivateBranchFor,
    type NeonSide,
    neonApiUrl,
    passwordApart,
    pgCopy,
    privateBranchName,
    refreshFromSource,
    statisticsArgs,
} from "./neonRefresh.js";

const ROOT = path.resolve(__dirname, "..");
const SOURCE_KEY = "napi_prod_side_not_a_real_key_00";
const TARGET_KEY = "napi_clone_side_not_a_real_key_0";
const RAW = ["1:ada@guest.example", "2:bob@guest.example"];
const OLD_STAGING = ["9:old@staging.example"];

const scratch = mkdtempSync(path.join(tmpdir(), "neon-refresh-"));
let cluster: PgCluster;
let api: FakeNeonApi;
let source: NeonSide;
let target: NeonSide;
let prod: ReturnType<FakeNeonApi["seedProject"]>;
let staging: ReturnType<FakeNeonApi["seedProject"]>;
let faults: ((method: string, path: string) => FakeFault | undefined)[];
/** Sessions a test holds open (locks); ended after each test. */
let held: pg.Client[];

const branchDatabase = (branchId: string) => branchId.replace(/-/g, "_");
const rows = async (database: string) =>
    (await cluster.query(database, "SELECT id, email FROM guests ORDER BY id")).map((row) => `${row["id"]}:${row["email"]}`);
const databases = async () =>
    (await cluster.query("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'br_%' ORDER BY 1")).map((row) => row["datname"]);
/** Staging's rows and its table's constraints: a restore stopped half-way would have dropped one or the other. */
const stagingState = async () => ({
    rows: await rows("staging"),
    constraints: (await cluster.query("staging", "SELECT conname FROM pg_constraint WHERE conrelid = 'guests'::regclass")).map((row) => row["conname"]),
});
const UNTOUCHED = { rows: ["9:old@staging.example"], constraints: ["guests_pkey"] };
const branchNames = () => [...api.branches.values()].filter((branch) => branch.project_id === prod.projectId).map((branch) => branch.name);

beforeAll(async () => {
    cluster = await startPostgres();
    await cluster.createDatabase("prod");
    await cluster.query(
        "prod",
        "CREATE TABLE guests (id int PRIMARY KEY, email text); INSERT INTO guests VALUES (1, 'ada@guest.example'), (2, 'bob@guest.example')",
    );
    writeFileSync(path.join(scratch, "rules.yaml"), "version: 1\nschemas:\n  public:\n    guests:\n      email: email\n");
}, 60_000);

afterAll(async () => {
    await cluster?.stop();
    rmSync(scratch, { recursive: true, force: true });
});

beforeEach(async () => {
    faults = [];
    held = [];
    await cluster.dropDatabase("staging").catch(() => undefined);
    await cluster.createDatabase("staging");
    await cluster.query("staging", "CREATE TABLE guests (id int PRIMARY KEY, email text); INSERT INTO guests VALUES (9, 'old@staging.example')");
    api = await startFakeNeonApi({
        apiKey: "napi_organization_key_unused_here",
        projectKeys: { [SOURCE_KEY]: "quiet-prod-11111111", [TARGET_KEY]: "misty-staging-22222222" },
        connectionUri: (query, projectId) => {
            if (projectId !== prod.projectId) return cluster.url("staging");
            const branch = query.get("branch_id")!;
            return cluster.url(branch === prod.branchId ? "prod" : branchDatabase(branch));
        },
        onBranchCreated: async (branch) => {
            await cluster.query("postgres", `CREATE DATABASE ${branchDatabase(branch.id)} TEMPLATE prod`);
        },
        onBranchDeleted: async (branch) => {
            await cluster.query("postgres", `DROP DATABASE IF EXISTS ${branchDatabase(branch.id)} WITH (FORCE)`);
        },
        // Two branches a page, as Neon's cursor pagination would give a project with many branches.
        branchPageSize: 2,
        fault: (method, requestPath) => faults.map((fault) => fault(method, requestPath)).find((answer) => answer !== undefined),
    });
    prod = api.seedProject({
        id: "quiet-prod-11111111",
        name: "hotelgenius",
        region_id: "aws-eu-central-1",
        pg_version: 17,
        history_retention_seconds: 604_800,
    });
    staging = api.seedProject({
        id: "misty-staging-22222222",
        name: "hotelgenius-staging",
        region_id: "aws-eu-central-1",
        pg_version: 17,
        history_retention_seconds: 86_400,
    });
    const side = (apiKey: string, projectId: string, label: string): NeonSide => ({
        connection: { baseUrl: api.baseUrl, apiKey },
        projectId,
        database: "neondb",
        ownerRole: "neondb_owner",
        label,
    });
    source = side(SOURCE_KEY, prod.projectId, "source");
    target = side(TARGET_KEY, staging.projectId, "target");
});

afterEach(async () => {
    for (const client of held) await client.end().catch(() => undefined);
    await api.stop();
    for (const name of await databases()) await cluster.query("postgres", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    // Prod's own data is never touched by a refresh.
    expect(await rows("prod")).toEqual(RAW);
});

const anonymizeByUpdate = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("UPDATE guests SET email = 'guest' || id || '@anonymized.invalid'");
    await client.end();
};
const ANONYMIZED = ["1:guest1@anonymized.invalid", "2:guest2@anonymized.invalid"];
const quiet = () => undefined;

/** Fails every matching request `times` times with `answer`, then lets it through. */
function failing(method: string, pathPattern: RegExp, answer: FakeFault, times = 1): void {
    let left = times;
    faults.push((requestMethod, requestPath) => {
        if (requestMethod !== method || !pathPattern.test(requestPath) || left === 0) return undefined;
        left--;
        return answer;
    });
}

describe("refreshFromSource", () => {
    it("anonymizes on a private branch of prod's production branch, loads staging's project from it and deletes the branch", async () => {
        const seen: string[] = [];
        const name = await refreshFromSource(
            source,
            target,
            {
                anonymize: async (url) => {
                    seen.push(await rows(new URL(url).pathname.slice(1)).then((before) => before.join(",")));
                    await anonymizeByUpdate(url);
                },
                copy: pgCopy(cluster.binDir),
            },
            quiet,
        );
        expect(isPrivateBranchFor(name, staging.projectId)).toBe(true);
        expect(await rows("staging")).toEqual(ANONYMIZED);
        // The branch held prod's rows (a copy of the production branch) until the anonymization ran there.
        expect(seen).toEqual([RAW.join(",")]);
        const create = api.requests.find((request) => request.method === "POST")!;
        expect(create.path).toBe(`/api/v2/projects/${prod.projectId}/branches`);
        expect(create.body.branch).toEqual({ name, parent_id: prod.branchId });
        expect(create.body.endpoints).toEqual([{ type: "read_write", autoscaling_limit_min_cu: 0.25, autoscaling_limit_max_cu: 2 }]);
        expect(branchNames()).toEqual(["main"]);
        expect(await databases()).toEqual([]);
        // Each side's project was called with its own key only, and staging's only read.
        const byKey = (key: string) => api.requests.filter((request) => request.authorization === `Bearer ${key}`);
        expect(byKey(SOURCE_KEY).every((request) => request.path.startsWith(`/api/v2/projects/${prod.projectId}/`))).toBe(true);
        expect(byKey(TARGET_KEY).every((request) => request.path.startsWith(`/api/v2/projects/${staging.projectId}/`))).toBe(true);
        expect(byKey(TARGET_KEY).filter((request) => request.method !== "GET")).toEqual([]);
        expect(byKey(SOURCE_KEY).length + byKey(TARGET_KEY).length).toBe(api.requests.length);
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
                quiet,
            ),
        ).rejects.toThrow(/^anonymizing anonymize-to-misty-staging-22222222-\d{8}T\d{6}Z: column guests.email has no rule$/);
        expect(copied).toEqual([]);
        expect(await rows("staging")).toEqual(OLD_STAGING);
        expect(branchNames()).toEqual(["main"]);
        expect(await databases()).toEqual([]);
    });

    it("deletes private branches interrupted refreshes of the same clone left, on every page of the list, and no other branch", async () => {
        const left = ["2026-01-02T03:04:05Z", "2026-01-03T03:04:05Z", "2026-01-04T03:04:05Z"].map((time) =>
            privateBranchName(staging.projectId, new Date(time)),
        );
        const others = ["restore-drill", privateBranchName("other-clone-33333333", new Date("2026-01-02T03:04:05Z")), `${left[0]}-kept`, "anonymize-to-x"];
        for (const name of [...left, ...others]) {
            await fetch(`${api.baseUrl}/projects/${prod.projectId}/branches`, {
                method: "POST",
                headers: { authorization: `Bearer ${SOURCE_KEY}`, "content-type": "application/json" },
                body: JSON.stringify({ branch: { name, parent_id: prod.branchId } }),
            });
        }
        const log: string[] = [];
        await refreshFromSource(source, target, { anonymize: anonymizeByUpdate, copy: pgCopy(cluster.binDir) }, (line) => log.push(line));
        expect(branchNames().sort()).toEqual(["main", ...others].sort());
        expect(log.slice(0, 3).map((line) => line.replace(/ \(br-[0-9a-f]+\)/, ""))).toEqual(
            left.map((name) => `deleted private branch ${name}, left in source project ${prod.projectId} by an interrupted refresh`),
        );
        expect(await rows("staging")).toEqual(ANONYMIZED);
    });

    it("leaves staging as it was when pg_restore fails half-way (one transaction), and deletes the branch", async () => {
        // A view of staging's own on guests: pg_restore --clean drops guests' constraint, then fails to drop the table.
        await cluster.query("staging", "CREATE VIEW guest_emails AS SELECT email FROM guests");
        await expect(refreshFromSource(source, target, { anonymize: anonymizeByUpdate, copy: pgCopy(cluster.binDir) }, quiet)).rejects.toThrow(
            /^loading target project misty-staging-22222222's main from anonymize-to-.*: pg_dump exited 0, pg_restore exited 1: [\s\S]*cannot drop table public.guests because other objects depend on it/,
        );
        expect(await stagingState()).toEqual(UNTOUCHED);
        expect(branchNames()).toEqual(["main"]);
    });

    it("stops between steps when aborted, deleting the branch and loading nothing", async () => {
        const controller = new AbortController();
        const copied: string[] = [];
        await expect(
            refreshFromSource(
                source,
                target,
                {
                    anonymize: async (url) => {
                        await anonymizeByUpdate(url);
                        controller.abort(new Error("stopped by SIGTERM"));
                    },
                    copy: async (from) => {
                        copied.push(from);
                    },
                },
                quiet,
                controller.signal,
            ),
        ).rejects.toThrow("stopped by SIGTERM");
        expect(copied).toEqual([]);
        expect(branchNames()).toEqual(["main"]);
    });

    it("refuses to load the source project into itself, before creating anything", async () => {
        await expect(
            refreshFromSource(source, { ...target, projectId: source.projectId }, { anonymize: anonymizeByUpdate, copy: pgCopy(cluster.binDir) }, quiet),
        ).rejects.toThrow("is the source project itself");
        expect(api.requests).toEqual([]);
    });
});

describe("refreshFromSource against a failing Neon API", () => {
    const steps = () => ({ anonymize: anonymizeByUpdate, copy: pgCopy(cluster.binDir) });
    const errorOf = (promise: Promise<unknown>) =>
        promise.then(
            () => new Error("it succeeded"),
            (error: Error) => error,
        );
    const keysIn = (text: string) => [SOURCE_KEY, TARGET_KEY].filter((key) => text.includes(key));

    it("waits as long as a 429's Retry-After says, then goes on", async () => {
        failing("POST", /\/branches$/, { status: 429, headers: { "retry-after": "1" }, message: "rate limited" });
        const started = Date.now();
        await refreshFromSource(source, target, steps(), quiet);
        expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
        expect(api.requests.filter((request) => request.method === "POST")).toHaveLength(2);
        expect(await rows("staging")).toEqual(ANONYMIZED);
        expect(branchNames()).toEqual(["main"]);
    });

    it("retries a read that met a 5xx, but never a branch creation, whose error names the project and creates nothing", async () => {
        failing("GET", /\/branches$/, { status: 503, message: "service unavailable" }, 2);
        failing("POST", /\/branches$/, { status: 502, message: "bad gateway" });
        const error = await errorOf(refreshFromSource(source, target, steps(), quiet));
        expect(error.message).toMatch(
            new RegExp(
                `^creating private branch anonymize-to-${staging.projectId}-\\d{8}T\\d{6}Z in source project ${prod.projectId}: ` +
                    `Neon API POST /projects/${prod.projectId}/branches answered 502: bad gateway$`,
            ),
        );
        expect(api.requests.filter((request) => request.method === "POST")).toHaveLength(1);
        expect(branchNames()).toEqual(["main"]);
        expect(await rows("staging")).toEqual(OLD_STAGING);
        expect(keysIn(`${error.message} ${error.stack}`)).toEqual([]);
    });

    it("names the project a wrong id or another project's key cannot find", async () => {
        const wrongId = await errorOf(refreshFromSource({ ...source, projectId: "wrong-project-00000000" }, target, steps(), quiet));
        expect(wrongId.message).toBe(
            "reading the default branch of source project wrong-project-00000000: Neon API GET /projects/wrong-project-00000000/branches answered 404: " +
                "project not found",
        );
        // Staging's key is scoped to staging's project: it cannot even see prod's.
        const stagingKeyOnProd = await errorOf(refreshFromSource({ ...source, connection: target.connection }, target, steps(), quiet));
        expect(stagingKeyOnProd.message).toBe(
            `reading the default branch of source project ${prod.projectId}: Neon API GET /projects/${prod.projectId}/branches answered 404: project not found`,
        );
        expect(api.requests.filter((request) => request.method !== "GET")).toEqual([]);
        expect(keysIn(wrongId.message + stagingKeyOnProd.message)).toEqual([]);
    });

    it("never repeats the API key, even when Neon's answer quotes it", async () => {
        failing("GET", /\/branches$/, { status: 401, message: `key ${SOURCE_KEY} is revoked` });
        const error = await errorOf(refreshFromSource(source, target, steps(), quiet));
        expect(error.message).toBe(
            `reading the default branch of source project ${prod.projectId}: Neon API GET /projects/${prod.projectId}/branches answered 401: ` +
                "key [neonApiKey] is revoked",
        );
    });

    it("gives up on a call Neon does not answer in time, naming it, instead of hanging", async () => {
        faults.push((method, requestPath) => (method === "GET" && requestPath.endsWith("/branches") ? { delayMs: 1500 } : undefined));
        const slow = { ...source, connection: { ...source.connection, timeoutMs: 300 } };
        const error = await errorOf(refreshFromSource(slow, target, steps(), quiet));
        expect(error.message).toBe(
            `reading the default branch of source project ${prod.projectId}: Neon API GET /projects/${prod.projectId}/branches: no answer within 0.3 s; ` +
                "not retried, and the call may still take effect at Neon",
        );
        expect(api.requests.filter((request) => request.method === "POST")).toEqual([]);
    });

    it("says so when the private branch cannot be deleted, and fails the run; the next run deletes it", async () => {
        failing("DELETE", /\/branches\/br-/, { status: 422, message: "branch is busy" });
        const error = await errorOf(refreshFromSource(source, target, steps(), quiet));
        expect(error.message).toMatch(
            new RegExp(
                `^could not delete private branch anonymize-to-${staging.projectId}-\\d{8}T\\d{6}Z \\(br-[0-9a-f]+\\) of source project ${prod.projectId}, ` +
                    "which holds prod's data: Neon API DELETE .* answered 422: branch is busy. The next refresh deletes it first",
            ),
        );
        expect(branchNames()).toHaveLength(2);
        await refreshFromSource(source, target, steps(), quiet);
        expect(branchNames()).toEqual(["main"]);
        expect(await databases()).toEqual([]);
    });
});

/** A `pulumi` stand-in for neon-refresh.sh: each stack's settings and outputs from FAKE_STACKS (JSON). */
const FAKE_PULUMI = `#!/usr/bin/env node
const [command, sub, , stack, key] = process.argv.slice(2);
const stacks = JSON.parse(process.env.FAKE_STACKS);
const table = command === "config" && sub === "get" ? stacks[stack]?.config : command === "stack" && sub === "output" ? stacks[stack]?.outputs : undefined;
if (table === undefined || !(key in table)) { process.stderr.write("error: " + key + " not found\\n"); process.exit(1); }
process.stdout.write(table[key] + "\\n");
`;

describe("scripts/neon-refresh.sh end to end (real anonymization CLI, stand-in pulumi)", () => {
    const fakeBin = path.join(scratch, "bin");
    const outputs: string[] = [];
    beforeAll(() => {
        mkdirSync(fakeBin, { recursive: true });
        writeFileSync(path.join(fakeBin, "pulumi"), FAKE_PULUMI);
        chmodSync(path.join(fakeBin, "pulumi"), 0o755);
    });
    afterAll(() => {
        // Nothing any run printed holds an API key or a database password.
        const all = outputs.join("\n");
        expect(all.length).toBeGreaterThan(0);
        expect([SOURCE_KEY, TARGET_KEY, cluster.password].filter((secret) => all.includes(secret))).toEqual([]);
    });

    const stacks = (stagingConfig: Record<string, string> = { "hotelgenius-ops:neonRefreshFrom": "prod" }) => ({
        prod: { config: { "hotelgenius-ops:neonApiKey": SOURCE_KEY }, outputs: { neonProjectId: prod.projectId } },
        staging: { config: { "hotelgenius-ops:neonApiKey": TARGET_KEY, ...stagingConfig }, outputs: { neonProjectId: staging.projectId } },
    });

    interface Run {
        child: ChildProcess;
        stderr: () => string;
        done: Promise<{ code: number | null; stderr: string; stdout: string }>;
    }

    const start = (args: string[], fakeStacks: object = stacks()): Run => {
        const child = spawn(path.join(ROOT, "scripts", "neon-refresh.sh"), args, {
            cwd: scratch,
            env: refreshEnv(fakeStacks),
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
        });
        child.stderr!.on("data", (chunk: Buffer) => {
            stderr += chunk.toString();
        });
        const done = new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) =>
            child.on("close", (code, signal) => {
                outputs.push(stdout, stderr);
                resolve({ code: code ?? (signal === "SIGKILL" ? 137 : null), stderr, stdout });
            }),
        );
        return { child, stderr: () => stderr, done };
    };
    const refresh = (args: string[], fakeStacks?: object) => start(args, fakeStacks).done;
    function refreshEnv(fakeStacks: object): NodeJS.ProcessEnv {
        return {
            PATH: `${fakeBin}:${process.env["PATH"]}`,
            HOME: process.env["HOME"] ?? scratch,
            FAKE_STACKS: JSON.stringify(fakeStacks),
            NEON_API_URL: api.baseUrl,
            PG_BIN_DIR: cluster.binDir,
            ANONYMIZATION_KEY: "a-test-key-not-a-real-one-0123456789",
        };
    }
    const RULES = ["--to", "staging", "--rules", path.join(scratch, "rules.yaml")];

    /** Holds `lock` on guests in `database` (a private branch's as soon as it is created) until the test ends. */
    const lockGuests = async (database: string, sql: string) => {
        const client = new pg.Client({ connectionString: cluster.url(database) });
        client.on("error", () => undefined); // deleting the branch ends this session: expected
        await client.connect();
        held.push(client);
        await client.query(`BEGIN; ${sql}`);
    };
    const lockEachNewBranch = (sql: string) => {
        faults.push((method, requestPath) => {
            if (method === "GET" && requestPath.includes("/connection_uri") && requestPath.includes("branch_id=br-")) {
                const branch = new URL(requestPath, "http://x").searchParams.get("branch_id")!;
                if (branch !== prod.branchId && api.branches.has(branch)) void lockGuests(branchDatabase(branch), sql);
            }
            return undefined;
        });
    };
    const waitFor = async (what: string, check: () => Promise<boolean> | boolean, ms = 60_000) => {
        const until = Date.now() + ms;
        while (!(await check())) {
            if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    };
    const waitingOnALock = async (database: string) =>
        (await cluster.query("postgres", "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [database]))[0]![
            "n"
        ] === 1;
    const privateDatabase = async () => (await databases())[0] as string | undefined;
    const releaseLocks = async () => {
        for (const client of held.splice(0)) await client.end().catch(() => undefined);
    };
    /** Waits until nobody but us is connected to staging, so what it holds is final. */
    const stagingSettled = () =>
        waitFor(
            "staging's last session to end",
            async () => (await cluster.query("postgres", "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'staging'"))[0]!["n"] === 0,
        );

    it("loads staging with prod's data anonymized by the real CLI and its self-check, and leaves no private branch", async () => {
        const result = await refresh(RULES);
        expect(result.stderr).toMatch(/self-check: .* \(none found\)/);
        expect(result.code).toBe(0);
        const loaded = await rows("staging");
        expect(loaded).toHaveLength(2);
        expect(loaded.filter((row) => RAW.includes(row))).toEqual([]);
        expect(branchNames()).toEqual(["main"]);
        expect(await databases()).toEqual([]);
    }, 120_000);

    it("is what `clone-stack.sh staging --refresh` runs, from the source Pulumi.staging.yaml names", async () => {
        const child = spawn(path.join(ROOT, "scripts", "clone-stack.sh"), ["staging", "--refresh", "--rules", path.join(scratch, "rules.yaml")], {
            cwd: scratch,
            env: { ...refreshEnv(stacks()) },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => {
            stderr += chunk.toString();
        });
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        outputs.push(stderr);
        expect(stderr).toContain(`created private branch anonymize-to-${staging.projectId}-`);
        expect(code).toBe(0);
        expect((await rows("staging")).filter((row) => RAW.includes(row))).toEqual([]);
        expect(await rows("staging")).toHaveLength(2);
        const notAClone = spawn(path.join(ROOT, "scripts", "clone-stack.sh"), ["prod", "--from", "staging", "--refresh"], {
            env: refreshEnv(stacks()),
            stdio: ["ignore", "pipe", "pipe"],
        });
        let refused = "";
        notAClone.stderr.on("data", (chunk: Buffer) => {
            refused += chunk.toString();
        });
        expect(await new Promise((resolve) => notAClone.on("close", resolve))).toBe(2);
        expect(refused).toContain("Pulumi.prod.yaml names no neonRefreshFrom; allowed: --refresh for a clone of a Neon-managed stack");
    }, 120_000);

    it("refuses a target whose settings do not name the source, before asking Neon anything (prod is never one)", async () => {
        const unset = await refresh(["--to", "staging"], stacks({}));
        expect(unset.code).toBe(2);
        expect(unset.stderr).toContain('stack staging\'s hotelgenius-ops:neonRefreshFrom is ""; allowed: "prod" for a refresh from prod.');
        const intoProd = await refresh(["--from", "staging", "--to", "prod"]);
        expect(intoProd.code).toBe(2);
        expect(intoProd.stderr).toContain('stack prod\'s hotelgenius-ops:neonRefreshFrom is ""; allowed: "staging" for a refresh from staging.');
        expect(api.requests).toEqual([]);
        expect(await rows("staging")).toEqual(OLD_STAGING);
    });

    it("loads nothing when the real anonymization refuses an unclassified column (the committed rules), and deletes the branch", async () => {
        const result = await refresh(["--to", "staging"]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("public.guests.email (text)");
        expect(result.stderr).toMatch(/deleted private branch anonymize-to-misty-staging-22222222-\d{8}T\d{6}Z\n/);
        expect(await rows("staging")).toEqual(OLD_STAGING);
        expect(branchNames()).toEqual(["main"]);
        expect(await databases()).toEqual([]);
    }, 120_000);

    it("killed (SIGKILL) after the branch is made: staging untouched; the next run deletes the branch and loads staging", async () => {
        lockEachNewBranch("LOCK TABLE guests IN ACCESS EXCLUSIVE MODE");
        const run = start(RULES);
        await waitFor("the anonymization to wait on the branch", async () => {
            const database = await privateDatabase();
            return database !== undefined && (await waitingOnALock(database));
        });
        run.child.kill("SIGKILL");
        expect(branchNames()).toHaveLength(2);
        // The killed refresh's anonymization goes on, on the branch only; its output ends when it does.
        await releaseLocks();
        expect((await run.done).code).toBe(137);
        faults = [];
        expect(await stagingState()).toEqual(UNTOUCHED);
        const next = await refresh(RULES);
        expect(next.code).toBe(0);
        expect(next.stderr).toMatch(/deleted private branch anonymize-to-misty-staging-22222222-\d{8}T\d{6}Z \(br-[0-9a-f]+\), left in source project/);
        expect(branchNames()).toEqual(["main"]);
        expect(await databases()).toEqual([]);
        expect((await rows("staging")).filter((row) => RAW.includes(row))).toEqual([]);
    }, 180_000);

    it("stopped (SIGTERM) during the anonymization: stops it, deletes the branch, exits 143, staging untouched", async () => {
        lockEachNewBranch("LOCK TABLE guests IN ACCESS EXCLUSIVE MODE");
        const run = start(RULES);
        let branchDatabaseName: string | undefined;
        await waitFor("the anonymization to wait on the branch", async () => {
            branchDatabaseName = await privateDatabase();
            return branchDatabaseName !== undefined && (await waitingOnALock(branchDatabaseName));
        });
        run.child.kill("SIGTERM");
        const result = await run.done;
        expect(result.code).toBe(143);
        expect(result.stderr).toContain("SIGTERM: stopping; the private branch is deleted before exit");
        expect(result.stderr).toMatch(/deleted private branch anonymize-to-/);
        expect(branchNames()).toEqual(["main"]);
        expect(await databases()).toEqual([]);
        expect(await rows("staging")).toEqual(OLD_STAGING);
    }, 180_000);

    it("stopped (SIGTERM) while pg_restore loads staging: staging keeps what it had, the branch is deleted", async () => {
        await lockGuests("staging", "SELECT * FROM guests");
        const run = start(RULES);
        await waitFor("pg_restore to wait on staging", () => waitingOnALock("staging"), 90_000);
        run.child.kill("SIGTERM");
        const result = await run.done;
        expect(result.code).toBe(143);
        expect(branchNames()).toEqual(["main"]);
        await releaseLocks();
        await stagingSettled();
        expect(await stagingState()).toEqual(UNTOUCHED);
    }, 180_000);
});

describe("the refresh's helpers", () => {
    it("keep passwords off command lines", () => {
        expect(passwordApart("postgresql://owner:p%40ss@ep-x.neon.tech/neondb?sslmode=require")).toEqual({
            url: "postgresql://owner@ep-x.neon.tech/neondb?sslmode=require",
            env: { PGPASSWORD: "p@ss" },
        });
    });

    it("refuse to run without the anonymization CLI (npm run anonymize) in the checkout, and pass it the URL and the rules", () => {
        const root = mkdtempSync(path.join(tmpdir(), "neon-refresh-"));
        try {
            writeFileSync(path.join(root, "package.json"), JSON.stringify({ scripts: { test: "vitest" } }));
            expect(() => anonymizationCommand(root, "postgresql://o@h/db", undefined)).toThrow("this checkout has no anonymization CLI (`npm run anonymize`)");
            writeFileSync(path.join(root, "package.json"), JSON.stringify({ scripts: { anonymize: "tsx scripts/staging/anonymizeCli.ts" } }));
            expect(anonymizationCommand(root, "postgresql://o@h/db", "/r.yaml")).toEqual([
                ...["npm", "run", "--silent", "anonymize", "--", "run"],
                ...["--database-url", "postgresql://o@h/db", "--rules", "/r.yaml"],
            ]);
        } finally {
            rmSync(root, { recursive: true, force: true });
        }
    });

    it("keep the planner's statistics (values sampled before the anonymization) out of the copy with the tools that can carry them", () => {
        expect(statisticsArgs("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)")).toEqual([]);
        expect(statisticsArgs("pg_dump (PostgreSQL) 17.6")).toEqual([]);
        expect(statisticsArgs("pg_restore (PostgreSQL) 18.1")).toEqual(["--no-statistics"]);
        expect(statisticsArgs("pg_dump (PostgreSQL) 19devel")).toEqual(["--no-statistics"]);
    });

    it("send the API keys to Neon or to a local fake only", () => {
        expect(neonApiUrl({})).toBe("https://console.neon.tech/api/v2");
        expect(neonApiUrl({ NEON_API_URL: "http://127.0.0.1:4567/api/v2" })).toBe("http://127.0.0.1:4567/api/v2");
        expect(() => neonApiUrl({ NEON_API_URL: "https://neon.example.com/api/v2" })).toThrow(
            'NEON_API_URL is "https://neon.example.com/api/v2"; allowed: unset (Neon\'s API, https://console.neon.tech/api/v2) or http://127.0.0.1:PORT/...',
        );
    });

    it("name private branches so that only this clone's are ever taken for leftovers", () => {
        const name = privateBranchName("misty-staging-22222222", new Date("2026-12-07T01:02:03.456Z"));
        expect(name).toBe("anonymize-to-misty-staging-22222222-20261207T010203Z");
        expect(isPrivateBranchFor(name, "misty-staging-22222222")).toBe(true);
        expect(isPrivateBranchFor(name, "staging-22222222")).toBe(false);
        expect(isPrivateBranchFor(`${name}x`, "misty-staging-22222222")).toBe(false);
        expect(isPrivateBranchFor("production", "misty-staging-22222222")).toBe(false);
    });
});
