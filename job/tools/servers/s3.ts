/// <reference path="./s3rver.d.ts" />
// A real S3-protocol server on loopback for tests and the benchmark: s3rver behind a small
// recording proxy.
//
// Why a proxy: s3rver answers AbortMultipartUpload with 405 MethodNotAllowed and never lists
// unfinished uploads, so a test could not tell an aborted upload from an abandoned one. The
// proxy implements AbortMultipartUpload itself (it deletes s3rver's upload directory),
// records every request (operation, key, status), and injects faults on demand:
//   - failUploadPartsAfter(n): the first n UploadPart requests pass, every later one is answered
//     500 InternalError after its body was read (the SDK's retries fail too);
//   - setFaults({ uploadPartDelayMs }): holds each UploadPart before forwarding it, so a test can
//     act (SIGTERM, kill pg_dump, terminate the backend) while an upload is provably in flight;
//   - setFaults({ stall }): a frozen server. Requests of one operation (after the first `after`)
//     are accepted and never answered, with their body read ("no-answer") or left unread
//     ("no-read"), or (GetObject) answered with headers and the first `afterBytes` of the body,
//     then nothing more ("mid-body");
//   - setFaults({ failAbort: true }): AbortMultipartUpload answers 500 and the upload stays;
//   - setFaults({ fail: { operation, after, status } }): requests of one operation (after the first `after`)
//     are answered 500 InternalError (or 412 PreconditionFailed) once their body was read.
// setVersioning(true) makes it answer like a versioned bucket, which s3rver is not: every PutObject
// and CompleteMultipartUpload gets a new x-amz-version-id, and a GetObject or HeadObject that names a
// versionId (recorded as `versionId`) is served only when it is the key's newest version: s3rver keeps
// one copy per key, so an older version is answered 404 NoSuchVersion, never with newer bytes. The
// parameter is forwarded as signed: s3rver ignores it.
// `endpoint` is the proxy; `directEndpoint` is s3rver itself (no abort support), for the benchmark.
// pendingMultipartUploads(bucket) lists uploads neither completed nor aborted.
//
// s3rver facts that matter to callers: its multipart ETag has no "-N" suffix, it ignores checksum
// headers, and multipart only happens when a body exceeds the uploader's part size (5 MiB minimum):
// smaller bodies go up as one PutObject, which part faults do not touch.
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client, type ListObjectsV2CommandOutput } from "@aws-sdk/client-s3";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Upload } from "@aws-sdk/lib-storage";
import { randomBytes } from "node:crypto";
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import { freePort } from "./postgres.js";

export type S3Operation =
    | "CreateMultipartUpload"
    | "UploadPart"
    | "CompleteMultipartUpload"
    | "AbortMultipartUpload"
    | "PutObject"
    | "GetObject"
    | "HeadObject"
    | "DeleteObject"
    | "ListObjects"
    | "Other";

export interface RecordedRequest {
    method: string;
    operation: S3Operation;
    bucket: string;
    key: string;
    uploadId?: string;
    partNumber?: number;
    /** HTTP status the client received; 0 when the connection failed before an answer. */
    status: number;
    injected: boolean;
    /** Request headers that say what the body is and how it is protected. */
    contentLength?: number;
    contentSha256?: string;
    checksumCrc32?: string;
    /** The If-None-Match header (conditional write): s3rver ignores it, so only the record shows what was asked. */
    ifNoneMatch?: string;
    /** The versionId query parameter (a read of one object version). */
    versionId?: string;
}

export interface S3Faults {
    /** Let this many UploadPart requests through, answer every later one with 500 InternalError. */
    failUploadPartsAfter?: number;
    /** Hold every UploadPart this long before forwarding it. */
    uploadPartDelayMs?: number;
    /** Freeze requests of `operation` after the first `after` (default 0) of them went through. */
    stall?: { operation: S3Operation; after?: number; mode: "no-answer" | "no-read" | "mid-body"; afterBytes?: number };
    /** Answer AbortMultipartUpload with 500 InternalError (the upload is left in place). */
    failAbort?: boolean;
    /**
     * Answer requests of `operation` with 500 InternalError after the first `after` (default 0) of them went through;
     * with `status: 412`, with PreconditionFailed instead, as S3 answers a conditional write whose condition fails.
     */
    fail?: { operation: S3Operation; after?: number; status?: 500 | 412 };
}

export interface S3Server {
    /** The recording, fault-injecting proxy: what tests give the job. */
    readonly endpoint: string;
    /** s3rver itself, without the proxy. */
    readonly directEndpoint: string;
    /** s3rver's storage directory. */
    readonly directory: string;
    /** The AWS SDK environment a job process needs to reach `endpoint` (dummy credentials s3rver accepts). */
    readonly env: Record<string, string>;
    envFor(endpoint: string): Record<string, string>;
    /** Every request the proxy has seen, in arrival order. */
    readonly requests: readonly RecordedRequest[];
    setFaults(faults: S3Faults): void;
    /** Answer as a versioned bucket does (see the top of this file); off by default, as s3rver is. */
    setVersioning(on: boolean): void;
    /** The newest version the proxy gave the key while versioning was on; undefined when none. */
    versionOf(bucket: string, key: string): string | undefined;
    failUploadPartsAfter(parts: number): void;
    clearFaults(): void;
    /** Resolves once `count` requests matching `predicate` have been recorded (counting earlier ones). */
    waitForRequests(predicate: (request: RecordedRequest) => boolean, count?: number, timeoutMs?: number): Promise<void>;
    createBucket(name: string): Promise<void>;
    listKeys(bucket: string, prefix?: string): Promise<string[]>;
    getObject(bucket: string, key: string): Promise<Buffer>;
    pendingMultipartUploads(bucket: string): string[];
    /** Multipart-uploads a local file as peer tools do with `aws s3 cp` (its default 8 MiB parts; 4 in flight). */
    uploadFile(bucket: string, key: string, path: string, endpoint?: string): Promise<void>;
    /** Deletes every stored object under `prefix/` straight from s3rver's directory (fast cleanup between benchmark runs). */
    removeStored(bucket: string, prefix: string): Promise<void>;
    /** An SDK client set up only from what `env` carries (endpoint, region, static credentials). */
    client(endpoint?: string): S3Client;
    stop(): Promise<void>;
}

export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;
const REGION = "us-east-1";

/** Names the S3 operation of a path-style request. */
export function classifyRequest(
    method: string,
    rawUrl: string,
): Pick<RecordedRequest, "operation" | "bucket" | "key" | "uploadId" | "partNumber" | "versionId"> {
    const url = new URL(rawUrl, "http://proxy.invalid");
    const [bucket = "", ...rest] = url.pathname.replace(/^\//, "").split("/");
    const key = rest.map(decodeURIComponent).join("/");
    const q = url.searchParams;
    const uploadId = q.get("uploadId") ?? undefined;
    const partNumber = q.has("partNumber") ? Number(q.get("partNumber")) : undefined;
    const versionId = q.get("versionId") ?? undefined;
    const base = { bucket: decodeURIComponent(bucket), key, uploadId, partNumber, ...(versionId === undefined ? {} : { versionId }) };
    const op = (operation: S3Operation) => ({ ...base, operation });
    switch (method) {
        case "PUT":
            if (key === "") return op("Other");
            return op(uploadId !== undefined && partNumber !== undefined ? "UploadPart" : "PutObject");
        case "POST":
            if (q.has("uploads")) return op("CreateMultipartUpload");
            if (uploadId !== undefined) return op("CompleteMultipartUpload");
            return op("Other");
        case "DELETE":
            if (uploadId !== undefined) return op("AbortMultipartUpload");
            return op(key === "" ? "Other" : "DeleteObject");
        case "GET":
            if (key === "") return op("ListObjects");
            return op("GetObject");
        case "HEAD":
            return op(key === "" ? "Other" : "HeadObject");
        default:
            return op("Other");
    }
}

function xmlError(code: string, message: string): string {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

/** An http://127.0.0.1:PORT endpoint where nothing listens: "S3 unreachable". */
export async function unreachableEndpoint(): Promise<string> {
    return `http://127.0.0.1:${await freePort()}`;
}

function listen(server: Server): Promise<number> {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
    });
}

function bodyHeaders(req: IncomingMessage): Pick<RecordedRequest, "contentLength" | "contentSha256" | "checksumCrc32" | "ifNoneMatch"> {
    const header = (name: string) => {
        const value = req.headers[name];
        return typeof value === "string" ? value : undefined;
    };
    const length = header("content-length");
    return {
        contentLength: length === undefined ? undefined : Number(length),
        contentSha256: header("x-amz-content-sha256"),
        checksumCrc32: header("x-amz-checksum-crc32"),
        ifNoneMatch: header("if-none-match"),
    };
}

const liveDirectories = new Set<string>();
let exitHookInstalled = false;

/** A crashed test worker or benchmark must not leave stored objects behind. */
function removeOnExit(directory: string): void {
    liveDirectories.add(directory);
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    process.once("exit", () => {
        for (const dir of liveDirectories) rmSync(dir, { recursive: true, force: true });
    });
}

export async function startS3(): Promise<S3Server> {
    const directory = mkdtempSync(join(tmpdir(), "s3rver-harness-"));
    removeOnExit(directory);
    const s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory });
    let s3Port: number;
    try {
        s3Port = (await s3rver.run()).port;
    } catch (error) {
        rmSync(directory, { recursive: true, force: true });
        throw error;
    }
    const directEndpoint = `http://127.0.0.1:${s3Port}`;
    const requests: RecordedRequest[] = [];
    const waiters = new Set<() => void>();
    let faults: S3Faults = {};
    let partsSinceFaults = 0;
    let stallCandidates = 0;
    let failCandidates = 0;
    let versioning = false;
    /** The newest version id given to each "bucket/key" while versioning was on. */
    const versions = new Map<string, string>();

    const uploadDir = (bucket: string, uploadId: string) => join(directory, bucket, "._S3rver_uploads", uploadId);

    const record = (entry: RecordedRequest) => {
        requests.push(entry);
        for (const wake of waiters) wake();
    };

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
        const info = { ...classifyRequest(req.method ?? "GET", req.url ?? "/"), ...bodyHeaders(req) };
        /** The body of a part held back by uploadPartDelayMs, already read. */
        let held: Buffer | undefined;
        const finish = (status: number, body: string, injected: boolean) => {
            record({ method: req.method ?? "", ...info, status, injected });
            res.writeHead(status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
            res.end(body);
        };
        const stall = faults.stall;
        if (stall !== undefined && stall.operation === info.operation && ++stallCandidates > (stall.after ?? 0) && stall.mode !== "mid-body") {
            // Frozen: the connection stays open and unanswered until the client gives up.
            if (stall.mode === "no-answer") req.resume();
            else req.pause();
            res.once("close", () => record({ method: req.method ?? "", ...info, status: 0, injected: true }));
            return;
        }
        const stallBody = stall?.mode === "mid-body" && stall.operation === info.operation && stallCandidates > (stall.after ?? 0);
        if (faults.fail !== undefined && faults.fail.operation === info.operation && ++failCandidates > (faults.fail.after ?? 0)) {
            const answer =
                faults.fail.status === 412
                    ? ([412, xmlError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold")] as const)
                    : ([500, xmlError("InternalError", "failure injected by the test proxy")] as const);
            req.resume().once("end", () => finish(answer[0], answer[1], true));
            return;
        }
        const versionKey = `${info.bucket}/${info.key}`;
        if (info.versionId !== undefined && versions.get(versionKey) !== info.versionId) {
            req.resume();
            finish(404, xmlError("NoSuchVersion", "The specified version does not exist (the test proxy keeps only each key's newest version)."), false);
            return;
        }
        if (info.operation === "AbortMultipartUpload" && faults.failAbort) {
            req.resume();
            finish(500, xmlError("InternalError", "abort failure injected by the test proxy"), true);
            return;
        }
        if (info.operation === "AbortMultipartUpload" && info.uploadId !== undefined) {
            req.resume();
            const dir = uploadDir(info.bucket, info.uploadId);
            if (/^[0-9a-f]+$/.test(info.uploadId) && existsSync(dir)) {
                await rm(dir, { recursive: true, force: true });
                finish(204, "", false);
            } else {
                finish(404, xmlError("NoSuchUpload", "The specified upload does not exist."), false);
            }
            return;
        }
        if (info.operation === "UploadPart") {
            partsSinceFaults += 1;
            if (faults.uploadPartDelayMs) {
                // The body is read while the part is held, so a client that gives up meanwhile is
                // seen (a paused socket would not notice), and its part is then never forwarded:
                // s3rver would recreate an upload that was aborted since; real S3 never gets it.
                const chunks: Buffer[] = [];
                let clientGone = false;
                res.once("close", () => (clientGone = !res.writableEnded));
                req.on("data", (chunk: Buffer) => chunks.push(chunk));
                const received = new Promise<boolean>((resolve) => {
                    req.once("end", () => resolve(true));
                    req.once("error", () => resolve(false));
                    req.once("close", () => resolve(req.complete));
                });
                await new Promise((resolve) => setTimeout(resolve, faults.uploadPartDelayMs));
                if (!(await received) || clientGone) {
                    record({ method: req.method ?? "", ...info, status: 0, injected: true });
                    return;
                }
                held = Buffer.concat(chunks);
            }
            if (faults.failUploadPartsAfter !== undefined && partsSinceFaults > faults.failUploadPartsAfter) {
                const fail = () => finish(500, xmlError("InternalError", "part upload failure injected by the test proxy"), true);
                // Read the body first: answering early makes the client see a reset instead of the 500.
                if (held !== undefined) fail();
                else req.resume().once("end", fail);
                return;
            }
        }
        const upstream = request({ host: "127.0.0.1", port: s3Port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
            record({ method: req.method ?? "", ...info, status: answer.statusCode ?? 0, injected: stallBody });
            const headers = { ...answer.headers };
            if (versioning && answer.statusCode === 200 && (info.operation === "PutObject" || info.operation === "CompleteMultipartUpload")) {
                const version = randomBytes(16).toString("base64url");
                versions.set(versionKey, version);
                headers["x-amz-version-id"] = version;
            }
            res.writeHead(answer.statusCode ?? 502, headers);
            if (!stallBody) {
                answer.pipe(res);
                return;
            }
            let sent = 0;
            const limit = stall?.afterBytes ?? 0;
            answer.on("data", (chunk: Buffer) => {
                if (sent < limit) res.write(chunk.subarray(0, limit - sent));
                sent += chunk.length;
            });
        });
        upstream.once("error", () => {
            record({ method: req.method ?? "", ...info, status: 0, injected: false });
            res.destroy();
        });
        if (held) upstream.end(held);
        else req.pipe(upstream);
    };

    const proxy = createServer((req, res) => {
        handle(req, res).catch(() => res.destroy());
    });
    let proxyPort: number;
    try {
        proxyPort = await listen(proxy);
    } catch (error) {
        await s3rver.close();
        rmSync(directory, { recursive: true, force: true });
        throw error;
    }
    const endpoint = `http://127.0.0.1:${proxyPort}`;
    const envFor = (target: string) => ({
        AWS_ENDPOINT_URL_S3: target,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    });
    const clients: S3Client[] = [];
    const client = (target = endpoint) => {
        const made = new S3Client({ endpoint: target, region: REGION, credentials: { ...S3RVER_CREDENTIALS } });
        clients.push(made);
        return made;
    };
    const admin = client();
    let stopped: Promise<void> | undefined;

    return {
        endpoint,
        directEndpoint,
        directory,
        env: envFor(endpoint),
        envFor,
        requests,
        setFaults(next) {
            faults = { ...next };
            partsSinceFaults = 0;
            stallCandidates = 0;
            failCandidates = 0;
        },
        failUploadPartsAfter(parts) {
            faults = { ...faults, failUploadPartsAfter: parts };
            partsSinceFaults = 0;
        },
        setVersioning(on) {
            versioning = on;
        },
        versionOf(bucket, key) {
            return versions.get(`${bucket}/${key}`);
        },
        clearFaults() {
            faults = {};
            partsSinceFaults = 0;
            stallCandidates = 0;
            failCandidates = 0;
        },
        waitForRequests(predicate, count = 1, timeoutMs = 30_000) {
            return new Promise<void>((resolve, reject) => {
                const check = () => {
                    if (requests.filter(predicate).length < count) return false;
                    waiters.delete(check);
                    clearTimeout(timer);
                    resolve();
                    return true;
                };
                const timer = setTimeout(() => {
                    waiters.delete(check);
                    reject(new Error(`waitForRequests: fewer than ${count} matching requests after ${timeoutMs} ms`));
                }, timeoutMs);
                waiters.add(check);
                check();
            });
        },
        async createBucket(name) {
            await admin.send(new CreateBucketCommand({ Bucket: name }));
        },
        async listKeys(bucket, prefix = "") {
            const keys: string[] = [];
            let token: string | undefined;
            do {
                const page: ListObjectsV2CommandOutput = await admin.send(
                    new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
                );
                for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
                token = page.IsTruncated ? page.NextContinuationToken : undefined;
            } while (token);
            return keys.sort();
        },
        async getObject(bucket, key) {
            const answer = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
            if (!answer.Body) throw new Error(`GetObject s3://${bucket}/${key} returned no body`);
            return Buffer.from(await answer.Body.transformToByteArray());
        },
        pendingMultipartUploads(bucket) {
            const dir = join(directory, bucket, "._S3rver_uploads");
            return existsSync(dir) ? readdirSync(dir).sort() : [];
        },
        async uploadFile(bucket, key, path, target = endpoint) {
            const upload = new Upload({
                client: client(target),
                params: { Bucket: bucket, Key: key, Body: createReadStream(path) },
                partSize: 8 * 1024 * 1024,
                queueSize: 4,
            });
            await upload.done();
        },
        async removeStored(bucket, prefix) {
            if (!/^[\w.-]+$/.test(prefix)) throw new Error(`removeStored: prefix ${JSON.stringify(prefix)} must be one path segment`);
            await rm(join(directory, bucket, prefix), { recursive: true, force: true });
        },
        client,
        stop() {
            stopped ??= (async () => {
                for (const made of clients) made.destroy();
                proxy.closeAllConnections();
                await new Promise<void>((resolve) => proxy.close(() => resolve()));
                s3rver.httpServer?.closeAllConnections();
                await s3rver.close();
                rmSync(directory, { recursive: true, force: true });
                liveDirectories.delete(directory);
            })();
            return stopped;
        },
    };
}
