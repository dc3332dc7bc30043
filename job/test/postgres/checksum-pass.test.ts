// The checksum pass (verifyChecksum) over a real file:// target: the dump's size and sha256 against
// its manifest, and a stop request that ends the pass with its own cause, not as a mismatch.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readEnvironment } from "../../src/environment.js";
import { ExitCode, JobError } from "../../src/errors.js";
import { createLogger } from "../../src/observability/log.js";
import { verifyChecksum } from "../../src/postgres/restore-stream.js";
import type { Runtime } from "../../src/runtime.js";
import { FileStorage } from "../../src/storage/file.js";
import { sampleManifest } from "../support/manifests.js";

const dir = mkdtempSync(join(tmpdir(), "job-checksum-pass-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const dump = Buffer.alloc(3 * 1024 * 1024 + 17, "dump bytes ");
const manifest = sampleManifest({ bytes: dump.length, sha256: createHash("sha256").update(dump).digest("hex") });
mkdirSync(join(dir, "dumps"));
writeFileSync(join(dir, manifest.dump), dump);
const storage = new FileStorage(dir);

function runtime(signal: AbortSignal): { rt: Runtime; messages: string[] } {
    const messages: string[] = [];
    const rt: Runtime = {
        logger: createLogger((line) => messages.push((JSON.parse(line) as { message: string }).message)),
        signal,
        out: () => undefined,
        status: undefined,
        ask: undefined,
        environment: readEnvironment({}),
    };
    return { rt, messages };
}

describe("the checksum pass", () => {
    it("a dump that matches its manifest: verified", async () => {
        const { rt, messages } = runtime(new AbortController().signal);
        await verifyChecksum(storage, manifest, rt);
        expect(messages).toContain("dump checksum verified");
    });

    it("one byte more in the manifest: exit 7, checksum mismatch", async () => {
        const { rt } = runtime(new AbortController().signal);
        await expect(verifyChecksum(storage, { ...manifest, bytes: dump.length + 1 }, rt)).rejects.toSatisfy(
            (error) =>
                error instanceof JobError &&
                error.exitCode === ExitCode.Verification &&
                error.message.startsWith(`checksum mismatch for backup "${manifest.id}"`),
        );
    });

    it("a stop request: the pass ends with the stop's own cause, not as a mismatch", async () => {
        const controller = new AbortController();
        const interrupted = new JobError(ExitCode.Terminated, "interrupted by SIGTERM");
        controller.abort(interrupted);
        const { rt, messages } = runtime(controller.signal);
        await expect(verifyChecksum(storage, manifest, rt)).rejects.toBe(interrupted);
        expect(messages).not.toContain("dump checksum verified");
    });
});
