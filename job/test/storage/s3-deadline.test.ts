import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { createLogger } from "../../src/observability/log.js";
import { guardBody } from "../../src/storage/s3.js";
import { RequestTimeoutError, sdkLogger, withDeadline } from "../../src/storage/s3-deadline.js";

describe("S3 request deadlines", () => {
    it("aborts a request that outlives its deadline with an error naming it", async () => {
        const never = (signal: AbortSignal) =>
            new Promise<never>((_resolve, reject) =>
                signal.addEventListener("abort", () => reject(Object.assign(new Error("Request aborted"), { name: "AbortError" }))),
            );
        await expect(withDeadline("S3 HeadBucket of b", 50, never)).rejects.toEqual(new RequestTimeoutError("S3 HeadBucket of b", 50));
        await expect(withDeadline("S3 HeadBucket of b", 50, never)).rejects.toThrow("S3 HeadBucket of b got no answer within 0.05 s (--request-timeout)");
        await expect(withDeadline("x", 1000, async () => "answer")).resolves.toBe("answer");
    });
    it("turns the SDK's plain-text warnings into JSON warn lines and drops its per-command records", () => {
        const lines: string[] = [];
        const sdk = sdkLogger(
            createLogger(
                (l) => lines.push(l),
                () => new Date(0),
            ),
        );
        sdk.warn("@smithy/node-http-handler - [WARN] a request has exceeded the configured 1000 ms requestTimeout.");
        sdk.error({ clientName: "S3Client", commandName: "UploadPartCommand", input: { Body: Buffer.from("secret bytes") } });
        sdk.info({ clientName: "S3Client", input: {} });
        expect(lines.map((l) => JSON.parse(l))).toEqual([
            {
                level: "warn",
                message: "@smithy/node-http-handler - [WARN] a request has exceeded the configured 1000 ms requestTimeout.",
                timestamp: "1970-01-01T00:00:00.000Z",
                context: { source: "aws-sdk" },
            },
        ]);
    });
    it("a download body: fails when the server sends nothing while the reader waits, not while the reader is slow", async () => {
        const source = new PassThrough();
        const guarded = guardBody(source, "s3://b/k", 6, 100, {});
        source.write("abc");
        const chunks: Buffer[] = [];
        const reading = (async () => {
            for await (const chunk of guarded) {
                chunks.push(chunk as Buffer);
                // A reader slower than the stall deadline: backpressure is not a stall.
                await new Promise((resolve) => setTimeout(resolve, 250));
            }
        })();
        await new Promise((resolve) => setTimeout(resolve, 50));
        source.end("def");
        await reading;
        expect(Buffer.concat(chunks).toString()).toBe("abcdef");
        const stalled = new PassThrough();
        stalled.write("abc");
        await expect(Readable.from(guardBody(stalled, "s3://b/k", 6, 100, { backup: "x" })).toArray()).rejects.toMatchObject({
            exitCode: ExitCode.Storage,
            message: "reading s3://b/k stalled: no bytes for 0.1 s after 3 bytes (--request-timeout)",
        });
    });
    it("a download cut short is a storage error (exit 6)", async () => {
        await expect(Readable.from(guardBody(Readable.from([Buffer.from("abc")]), "s3://b/k", 6, 1000, {})).toArray()).rejects.toMatchObject({
            exitCode: ExitCode.Storage,
            message: "reading s3://b/k failed: the download ended after 3 of 6 bytes",
        });
        const reset = new PassThrough();
        setTimeout(() => reset.destroy(Object.assign(new Error("aborted"), { code: "ECONNRESET" })), 20);
        await expect(Readable.from(guardBody(reset, "s3://b/k", 6, 1000, {})).toArray()).rejects.toMatchObject({
            exitCode: ExitCode.Storage,
            message: "reading s3://b/k failed after 0 bytes: aborted",
        });
    });
});
