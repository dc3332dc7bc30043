import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "../job/test/support/cli.js";
import { createVariedDatabase } from "../job/test/support/fixtures.js";
import { startPostgres, type PgCluster } from "../job/tools/servers/postgres.js";
import { startS3, type S3Server } from "../job/tools/servers/s3.js";
import { backupCommand, drillCommand } from "../stacks/backupJob/component.js";
import { backupTaskPermissions, drillTaskPermissions, type BackupObjects } from "../stacks/backupJob/policies.js";
import type { PolicyDocument } from "../stacks/shared/iam.js";

const BUCKET = "permission-backups";
const ROOT = "postgres";
const TARGET = `s3://${BUCKET}/${ROOT}`;
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
// A syntactically valid ARN in the placeholder account; s3rver does not check keys.
const KEY_ARN = "arn:aws:kms:eu-west-3:000000000000:key/00000000-0000-4000-8000-000000000000";
const OBJECTS: BackupObjects = {
    bucketArn: BUCKET_ARN,
    keyArn: KEY_ARN,
    region: "eu-west-3",
    layout: { root: ROOT, dumpPrefix: `${ROOT}/dumps/`, manifestPrefix: `${ROOT}/manifests/` },
};

/** One call as IAM sees it: the action, the resource, and the request's s3:prefix when it has one. */
interface IamCall {
    action: string;
    resource: string;
    prefix?: string;
}

/**
 * The IAM calls one path-style S3 request makes: the S3 action that authorizes it and, for an SSE-KMS
 * bucket, the KMS actions S3 performs with the caller's permissions (GenerateDataKey for new objects,
 * Decrypt for reads and for assembling a multipart upload). An unknown request fails the test, so a
 * new S3 call in the job cannot go unchecked.
 */
function iamCallsOf(method: string, rawUrl: string): IamCall[] {
    const url = new URL(rawUrl, "http://proxy.invalid");
    const [bucket = "", ...rest] = url.pathname.replace(/^\//, "").split("/");
    const key = rest.map(decodeURIComponent).join("/");
    const q = url.searchParams;
    const bucketArn = `arn:aws:s3:::${decodeURIComponent(bucket)}`;
    const object = `${bucketArn}/${key}`;
    const kms = (...actions: string[]) => actions.map((action) => ({ action, resource: KEY_ARN }));
    if (key === "") {
        // HeadBucket and ListObjects; other bucket-level calls (uploads, versions, policy...) are not expected.
        if (
            method === "HEAD" ||
            (method === "GET" && ![...q.keys()].some((name) => !["prefix", "marker", "delimiter", "max-keys", "encoding-type"].includes(name)))
        ) {
            const prefix = q.get("prefix");
            return [{ action: "s3:ListBucket", resource: bucketArn, ...(prefix === null ? {} : { prefix }) }];
        }
        throw new Error(`unexpected bucket request ${method} ${rawUrl}`);
    }
    const s3 = (action: string): IamCall => ({ action, resource: object });
    switch (method) {
        case "PUT":
            // UploadPart is authorized as s3:PutObject; the data key came with CreateMultipartUpload.
            return q.has("uploadId") ? [s3("s3:PutObject")] : [s3("s3:PutObject"), ...kms("kms:GenerateDataKey")];
        case "POST":
            if (q.has("uploads")) return [s3("s3:PutObject"), ...kms("kms:GenerateDataKey", "kms:Decrypt")];
            if (q.has("uploadId")) return [s3("s3:PutObject")];
            break;
        case "DELETE":
            return [s3(q.has("uploadId") ? "s3:AbortMultipartUpload" : "s3:DeleteObject")];
        case "GET":
            // A read of one version (versionId) is authorized as s3:GetObjectVersion, without s3:GetObject (GetObject API reference).
            return q.has("uploadId")
                ? [s3("s3:ListMultipartUploadParts")]
                : [s3(q.has("versionId") ? "s3:GetObjectVersion" : "s3:GetObject"), ...kms("kms:Decrypt")];
        case "HEAD":
            // HeadObject is authorized as GetObject (GetObjectVersion for one version) and returns metadata only: no decryption.
            return [s3(q.has("versionId") ? "s3:GetObjectVersion" : "s3:GetObject")];
    }
    throw new Error(`unexpected object request ${method} ${rawUrl}`);
}

function glob(pattern: string, value: string): boolean {
    const source = pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
    return new RegExp(`^${source}$`).test(value);
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * Whether an Allow statement covers a call. Of the conditions, only s3:prefix depends on the request
 * and is evaluated; the kms:ViaService and encryption-context conditions hold for the calls S3 makes
 * on the caller's behalf, which is the only way these roles reach the key.
 */
function statementAllows(statement: PolicyDocument["Statement"][number], call: IamCall): boolean {
    if (statement.Effect !== "Allow") return false;
    if (!list(statement.Action).some((action) => glob(action, call.action))) return false;
    if (!list(statement.Resource).some((resource) => glob(resource, call.resource))) return false;
    for (const [operator, conditions] of Object.entries(statement.Condition ?? {})) {
        for (const [conditionKey, values] of Object.entries(conditions)) {
            if (conditionKey !== "s3:prefix") continue;
            if (operator !== "StringLikeIfExists") throw new Error(`the test cannot evaluate ${operator} on s3:prefix`);
            if (call.prefix !== undefined && !list(values).some((value) => glob(value, call.prefix!))) return false;
        }
    }
    return true;
}

function allows(policy: PolicyDocument, call: IamCall): boolean {
    return policy.Statement.some((statement) => statementAllows(statement, call));
}

const actionsOf = (calls: readonly IamCall[]) => [...new Set(calls.map((call) => call.action))].sort();
const policyActions = (policy: PolicyDocument) => [...new Set(policy.Statement.flatMap((statement) => list(statement.Action)))].sort();

/** Every statement's every action and resource is used by at least one call: no grant nobody needs. */
function unusedGrants(policy: PolicyDocument, calls: readonly IamCall[]): string[] {
    const unused: string[] = [];
    for (const statement of policy.Statement) {
        for (const action of list(statement.Action)) {
            for (const resource of list(statement.Resource)) {
                const narrowed = { ...statement, Action: action, Resource: resource };
                if (!calls.some((call) => statementAllows(narrowed, call))) unused.push(`${statement.Sid}: ${action} on ${resource}`);
            }
        }
    }
    return unused;
}

let pg: PgCluster;
let s3: S3Server;
let recorder: Server;
let env: Record<string, string>;
const recorded: { method: string; url: string }[] = [];
/** When set, the recorder answers every manifest upload with a 500, as S3 does when it fails: the run then fails after its dump is stored. */
let failManifestWrites = false;

beforeAll(async () => {
    [pg, s3] = await Promise.all([startPostgres(), startS3()]);
    await s3.createBucket(BUCKET);
    const upstream = new URL(s3.endpoint);
    recorder = createServer((req, res) => {
        recorded.push({ method: req.method ?? "", url: req.url ?? "/" });
        if (failManifestWrites && req.method === "PUT" && req.url?.includes("/manifests/")) {
            req.resume().once("end", () => res.writeHead(500, { "content-type": "application/xml" }).end("<Error><Code>InternalError</Code></Error>"));
            return;
        }
        const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
        });
        forward.once("error", () => res.destroy());
        req.pipe(forward);
    });
    await new Promise<void>((resolve) => recorder.listen(0, "127.0.0.1", resolve));
    // The container's environment: every write names the bucket's KMS key.
    env = { ...s3.env, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`, BACKUP_KMS_KEY_ARN: KEY_ARN };
    await createVariedDatabase(pg, "hotel", { guests: 300 });
    // Incompressible rows: the dump spans several 5 MiB parts, so the multipart path runs.
    await createVariedDatabase(pg, "bulk", { guests: 100, bulkMiB: 12 });
});

afterAll(async () => {
    await new Promise<void>((resolve) => (recorder ? recorder.close(() => resolve()) : resolve()));
    await Promise.all([pg?.stop(), s3?.stop()]);
});

/** Runs the CLI and returns the IAM calls of the S3 requests it made. */
async function callsOf(args: string[], expectedCode = 0): Promise<{ result: CliResult; calls: IamCall[] }> {
    recorded.length = 0;
    const result = await runCli(args, { env });
    expect(result.code, result.stdout + result.stderr).toBe(expectedCode);
    return { result, calls: recorded.flatMap((entry) => iamCallsOf(entry.method, entry.url)) };
}

describe("the task roles allow exactly what the job's commands call", () => {
    const backupCalls: IamCall[] = [];
    const drillCalls: IamCall[] = [];
    const restoreCalls: IamCall[] = [];

    beforeAll(async () => {
        // backup: a dump in one PutObject, a multipart dump, a multipart upload that fails and is
        // aborted, a run whose manifest cannot be written after its dump was stored, and (last) a
        // backup to a versioned bucket, whose manifest pins its dump's version.
        const unversioned = await callsOf(["backup", "--database-url", pg.url("hotel"), "--to", TARGET]);
        backupCalls.push(...unversioned.calls);
        const unversionedId = String(unversioned.result.logs.find((l) => l.message === "backup complete")!.context!["id"]);
        backupCalls.push(...(await callsOf(["backup", "--database-url", pg.url("bulk"), "--to", TARGET, "--part-size-mib", "5"])).calls);
        s3.failUploadPartsAfter(1);
        try {
            backupCalls.push(
                ...(await callsOf(["backup", "--database-url", pg.url("bulk"), "--to", TARGET, "--part-size-mib", "5", "--name", "failing"], 6)).calls,
            );
        } finally {
            s3.clearFaults();
        }
        failManifestWrites = true;
        try {
            backupCalls.push(...(await callsOf(["backup", "--database-url", pg.url("hotel"), "--to", TARGET, "--name", "no-manifest"], 6)).calls);
        } finally {
            failManifestWrites = false;
        }
        s3.setVersioning(true);
        try {
            backupCalls.push(...(await callsOf(["backup", "--database-url", pg.url("hotel"), "--to", TARGET])).calls);
        } finally {
            s3.setVersioning(false);
        }
        drillCalls.push(...(await callsOf(["list", "--from", TARGET, "--json"])).calls);
        // The newest backup of hotel pins its dump's version; the first one, like every backup written before versions were recorded, does not.
        drillCalls.push(...(await callsOf(["verify", "--from", TARGET, "--name", "hotel", "--scratch-database-url", pg.url("postgres")])).calls);
        drillCalls.push(...(await callsOf(["verify", "--from", TARGET, "--backup", unversionedId, "--scratch-database-url", pg.url("postgres")])).calls);
        const target = await pg.createDatabase("restored");
        restoreCalls.push(...(await callsOf(["restore", "--from", TARGET, "--name", "hotel", "--backup", "latest", "--database-url", target])).calls);
    });

    it("backup: ListBucket, GetObject (HeadObject on its manifest), PutObject, AbortMultipartUpload, KMS GenerateDataKey and Decrypt", () => {
        // A run that fails after storing its dump (the "no-manifest" run above) leaves the dump to expire:
        // the job sends no DeleteObject, and the role does not allow one.
        const policy = backupTaskPermissions(OBJECTS);
        expect(actionsOf(backupCalls)).toEqual([
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "s3:AbortMultipartUpload",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:PutObject",
        ]);
        expect(policyActions(policy)).toEqual(actionsOf(backupCalls));
        expect(backupCalls.filter((call) => !allows(policy, call))).toEqual([]);
        expect(unusedGrants(policy, backupCalls)).toEqual([]);
        expect(allows(policy, { action: "s3:DeleteObject", resource: `${BUCKET_ARN}/${ROOT}/dumps/x.pgdump.zst` })).toBe(false);
    });

    it("restore drill (list + verify): ListBucket on the root, GetObject on dumps and manifests, GetObjectVersion on dumps, KMS Decrypt; nothing else", () => {
        const policy = drillTaskPermissions(OBJECTS);
        expect(actionsOf(drillCalls)).toEqual(["kms:Decrypt", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]);
        expect(drillCalls.filter((call) => call.action === "s3:GetObjectVersion").map((call) => call.resource)).toEqual([
            expect.stringMatching(new RegExp(`^${BUCKET_ARN}/${ROOT}/dumps/hotel_\\w+\\.[0-9a-f]{8}\\.pgdump\\.zst$`)),
        ]);
        expect(policyActions(policy)).toEqual(actionsOf(drillCalls));
        expect(drillCalls.filter((call) => !allows(policy, call))).toEqual([]);
        expect(unusedGrants(policy, drillCalls)).toEqual([]);
    });

    it("a restore by hand on the drill task definition needs nothing the drill role lacks", () => {
        expect(restoreCalls.length).toBeGreaterThan(0);
        expect(restoreCalls.filter((call) => !allows(drillTaskPermissions(OBJECTS), call))).toEqual([]);
    });

    it("neither role can delete, and neither reaches outside the backup root", () => {
        for (const policy of [backupTaskPermissions(OBJECTS), drillTaskPermissions(OBJECTS)]) {
            expect(policyActions(policy).filter((action) => /^s3:Delete|^s3:\*|^\*/.test(action))).toEqual([]);
            expect(allows(policy, { action: "s3:GetObject", resource: `${BUCKET_ARN}/elsewhere/secret.json` })).toBe(false);
            expect(allows(policy, { action: "s3:ListBucket", resource: BUCKET_ARN, prefix: "elsewhere/" })).toBe(false);
        }
    });
});

describe("iamCallsOf", () => {
    it.each([
        ["PUT", "/b/postgres/dumps/x?partNumber=2&uploadId=abc", ["s3:PutObject"]],
        ["POST", "/b/postgres/dumps/x?uploads", ["s3:PutObject", "kms:GenerateDataKey", "kms:Decrypt"]],
        ["POST", "/b/postgres/dumps/x?uploadId=abc", ["s3:PutObject"]],
        ["DELETE", "/b/postgres/dumps/x?uploadId=abc", ["s3:AbortMultipartUpload"]],
        ["DELETE", "/b/postgres/dumps/x", ["s3:DeleteObject"]],
        ["GET", "/b?prefix=postgres%2Fmanifests%2F", ["s3:ListBucket"]],
        ["HEAD", "/b", ["s3:ListBucket"]],
        ["GET", "/b/postgres/manifests/x.json", ["s3:GetObject", "kms:Decrypt"]],
        ["HEAD", "/b/postgres/manifests/x.json", ["s3:GetObject"]],
        ["GET", "/b/postgres/dumps/x?uploadId=abc", ["s3:ListMultipartUploadParts"]],
        ["GET", "/b/postgres/dumps/x?versionId=v1&x-id=GetObject", ["s3:GetObjectVersion", "kms:Decrypt"]],
        ["HEAD", "/b/postgres/dumps/x?versionId=v1", ["s3:GetObjectVersion"]],
    ])("%s %s is %j", (method, url, actions) => {
        expect(iamCallsOf(method, url).map((call) => call.action)).toEqual(actions);
    });

    it("reads the list prefix and refuses requests it does not know", () => {
        expect(iamCallsOf("GET", "/b?prefix=postgres%2Fdumps%2F&marker=k")).toEqual([
            { action: "s3:ListBucket", resource: "arn:aws:s3:::b", prefix: "postgres/dumps/" },
        ]);
        expect(() => iamCallsOf("GET", "/b?uploads")).toThrow(/unexpected bucket request/);
        expect(() => iamCallsOf("DELETE", "/b")).toThrow(/unexpected bucket request/);
    });
});

describe("the task definitions' commands and environment run the real job", () => {
    // What stacks/backupJob/component.ts gives the containers (its mock test pins the same names), with the
    // test servers in place of AWS.
    const container = () => ({ ...env, AWS_REGION: "us-east-1", BACKUP_TARGET: TARGET, BACKUP_MAX_RUNTIME_SECONDS: "7200" });

    it("backup: the stack's command, the database URL from the DATABASE_URL secret, everything else from the environment", async () => {
        const result = await runCli(backupCommand("hotel"), {
            env: { ...container(), DATABASE_URL: pg.url("hotel"), BACKUP_SCHEDULE: "0 2 * * *", BACKUP_SCHEDULE_TIMEZONE: "UTC" },
        });
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.logs.some((line) => line.message === "backup complete")).toBe(true);
    });

    it("drill: the stack's command verifies the backup's latest into the scratch server named by the SCRATCH_DATABASE_URL secret", async () => {
        // The bucket also holds the backups of "bulk": without --name the drill would be refused.
        const result = await runCli(drillCommand("hotel"), { env: { ...container(), SCRATCH_DATABASE_URL: pg.url("postgres") } });
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.logs.some((line) => line.message === "verify passed")).toBe(true);
    });
});
