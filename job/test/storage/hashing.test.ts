import { PassThrough, Readable } from "node:stream";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ExitCode, JobError } from "../../src/errors.js";
import { HashingGate } from "../../src/storage/hashing.js";

describe("hashing gate", () => {
    it("hashes what passes through and ends only when the gate resolves", async () => {
        const data = Buffer.from("some dump bytes");
        const gate = new HashingGate(async () => undefined);
        const out: Buffer[] = [];
        gate.on("data", (c: Buffer) => out.push(c));
        await new Promise((resolve, reject) => {
            gate.on("end", resolve).on("error", reject);
            Readable.from([data]).pipe(gate);
        });
        expect(Buffer.concat(out)).toEqual(data);
        expect(gate.digest).toBe(createHash("sha256").update(data).digest("hex"));
        expect(gate.bytes).toBe(data.length);
    });
    it("ends only once the gate has passed", async () => {
        let release!: () => void;
        const gate = new HashingGate(() => new Promise<void>((resolve) => (release = resolve)));
        const out: string[] = [];
        gate.on("data", (c: Buffer) => out.push(c.toString()));
        let ended = false;
        const end = new Promise((resolve) => gate.on("end", resolve)).then(() => (ended = true));
        gate.write("a");
        gate.end("b");
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(out).toEqual(["a", "b"]);
        expect(ended).toBe(false);
        release();
        await end;
        expect(ended).toBe(true);
    });
    it("turns a failed producer into a stream error instead of a clean end", async () => {
        const gate = new HashingGate(async () => {
            throw new JobError(ExitCode.Dump, "pg_dump died");
        });
        const source = new PassThrough();
        source.pipe(gate);
        gate.resume();
        const outcome = new Promise((resolve) => {
            gate.on("end", () => resolve("end")).on("error", (e) => resolve(e.message));
        });
        source.end("partial");
        expect(await outcome).toBe("pg_dump died");
    });
    it("fails as soon as more than the limit arrives, without passing the excess on", async () => {
        const gate = new HashingGate(async () => undefined, { maxBytes: 5, error: () => new JobError(ExitCode.Storage, "too large") });
        const out: string[] = [];
        gate.on("data", (c: Buffer) => out.push(c.toString()));
        const outcome = new Promise((resolve) => {
            gate.on("end", () => resolve("end")).on("error", (e) => resolve(e.message));
        });
        gate.write("abc");
        gate.write("de");
        gate.write("f");
        expect(await outcome).toBe("too large");
        expect(out.join("")).toBe("abcde");
    });
    it("lets exactly the limit through", async () => {
        const gate = new HashingGate(async () => undefined, { maxBytes: 5, error: () => new Error("too large") });
        gate.resume();
        const outcome = new Promise((resolve) => {
            gate.on("end", () => resolve("end")).on("error", (e) => resolve(e.message));
        });
        gate.end("abcde");
        expect(await outcome).toBe("end");
    });
});
