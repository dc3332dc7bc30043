import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireRestoreTools } from "../../src/postgres/tools.js";
import { findPostgresBinDir } from "../../tools/servers/postgres.js";

// The three checks run at once; whichever finishes first, the error reported is the first missing of zstd, pg_restore, psql.
describe("requireRestoreTools", () => {
    let empty: string;
    let onlyPgRestore: string;
    const path = process.env["PATH"];

    beforeAll(() => {
        empty = mkdtempSync(join(tmpdir(), "pg-bin-empty-"));
        onlyPgRestore = mkdtempSync(join(tmpdir(), "pg-bin-restore-only-"));
        symlinkSync(join(findPostgresBinDir(), "pg_restore"), join(onlyPgRestore, "pg_restore"));
    });

    afterAll(() => {
        process.env["PATH"] = path;
        rmSync(empty, { recursive: true, force: true });
        rmSync(onlyPgRestore, { recursive: true, force: true });
    });

    it("returns pg_restore's version when all three run", async () => {
        const version = await requireRestoreTools(findPostgresBinDir());
        expect(version.major).toBeGreaterThanOrEqual(15);
    });

    it("names zstd when zstd, pg_restore and psql are all missing", async () => {
        process.env["PATH"] = empty;
        try {
            await expect(requireRestoreTools(empty)).rejects.toThrow(/^zstd is not installed or not runnable/);
        } finally {
            process.env["PATH"] = path;
        }
    });

    it("names pg_restore, not psql, when both are missing", async () => {
        await expect(requireRestoreTools(empty)).rejects.toThrow(new RegExp(`^cannot run ${empty}/pg_restore \\(--pg-bin\\)`));
    });

    it("names psql when only psql is missing", async () => {
        await expect(requireRestoreTools(onlyPgRestore)).rejects.toThrow(new RegExp(`^cannot run psql \\(${onlyPgRestore}/psql, from --pg-bin\\)`));
    });
});
