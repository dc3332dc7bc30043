// FileStorage.openDump, which the restore reads a file:// dump with: an exit-6 error naming the file for
// a dump that cannot be read, and reads into the caller's buffer.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExitCode, JobError } from "../../src/errors.js";
import { FileStorage } from "../../src/storage/file.js";
import { sampleManifest } from "../support/manifests.js";

const dir = mkdtempSync(join(tmpdir(), "job-file-storage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("FileStorage.openDump", () => {
    it("a missing dump: exit 6 naming the file and the backup", async () => {
        const storage = new FileStorage(dir);
        const manifest = sampleManifest();
        const expected = `dump ${join(dir, manifest.dump)} of backup "${manifest.id}" cannot be read: ENOENT`;
        await expect(storage.openDump(manifest)).rejects.toSatisfy(
            (error) => error instanceof JobError && error.exitCode === ExitCode.Storage && error.message.startsWith(expected),
        );
    });

    it("reads the dump into the buffer it is given, then 0 at its end", async () => {
        const manifest = sampleManifest({ id: "hotel_20261124T040000Z" });
        mkdirSync(join(dir, "dumps"), { recursive: true });
        writeFileSync(join(dir, manifest.dump), "0123456789");
        const source = await new FileStorage(dir).openDump(manifest);
        if (!("reader" in source)) throw new Error("a file:// dump is read into buffers");
        const { reader } = source;
        const buffer = Buffer.alloc(4);
        const reads: string[] = [];
        for (let n = await reader.read(buffer); n > 0; n = await reader.read(buffer)) reads.push(buffer.toString("utf8", 0, n));
        await reader.close();
        expect(reads).toEqual(["0123", "4567", "89"]);
    });
});
