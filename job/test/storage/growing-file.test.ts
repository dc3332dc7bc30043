import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrowingFileHasher } from "../../src/storage/growing-file.js";

let dir: string;
beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "growing-file-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A separate process appends `script`'s writes to `file` (node -e), as zstd does; resolves when it exits. */
function writer(file: string, script: string): Promise<number | null> {
    const child = spawn(process.execPath, ["-e", `const fs = require("fs"); const fd = fs.openSync(${JSON.stringify(file)}, "a"); ${script}`], {
        stdio: "ignore",
    });
    return new Promise((resolve) => child.once("exit", resolve));
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("GrowingFileHasher", () => {
    it("hashes every byte a writer appends in bursts and pauses, to the end it reached when it exited", async () => {
        const file = join(dir, "bursts");
        writeFileSync(file, "");
        // 40 bursts of 100,003 random bytes, 15 ms apart: the reader catches up and waits many times.
        const exited = writer(
            file,
            `let n = 0; const t = setInterval(() => { fs.writeSync(fd, require("crypto").randomBytes(100003)); if (++n === 40) { clearInterval(t); } }, 15);`,
        );
        const hasher = new GrowingFileHasher(file, exited, new AbortController().signal);
        const digest = await hasher.digest();
        const written = readFileSync(file);
        expect(written.length).toBe(40 * 100003);
        expect(digest).toEqual({ bytes: written.length, sha256: sha256(written) });
    });

    it("reads what was written before the writer exited even when it all came at once at the end", async () => {
        const file = join(dir, "late");
        writeFileSync(file, "");
        const exited = writer(file, `setTimeout(() => fs.writeSync(fd, Buffer.alloc(3 * 1024 * 1024 + 7, 9)), 60);`);
        const digest = await new GrowingFileHasher(file, exited, new AbortController().signal).digest();
        expect(digest).toEqual({ bytes: 3 * 1024 * 1024 + 7, sha256: sha256(Buffer.alloc(3 * 1024 * 1024 + 7, 9)) });
    });

    it("fails when the file is cut under the reader instead of returning a digest of something else", async () => {
        const file = join(dir, "cut");
        writeFileSync(file, "");
        const exited = writer(file, `fs.writeSync(fd, Buffer.alloc(2 * 1024 * 1024, 1)); setTimeout(() => fs.ftruncateSync(fd, 10), 100);`);
        await expect(new GrowingFileHasher(file, exited, new AbortController().signal).digest()).rejects.toThrow(
            /is 10 bytes after 2097152 were read: it changed under the reader$/,
        );
    });

    it("ends with the stop's reason when stopped while waiting for the writer", async () => {
        const file = join(dir, "stopped");
        writeFileSync(file, "x");
        const stop = new AbortController();
        const never = new Promise<void>(() => undefined);
        const digesting = new GrowingFileHasher(file, never, stop.signal).digest();
        setTimeout(() => stop.abort(new Error("SIGTERM")), 50);
        await expect(digesting).rejects.toThrow("SIGTERM");
    });
});
