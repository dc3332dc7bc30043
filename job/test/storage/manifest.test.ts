import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { formatListTable } from "../../src/commands/list.js";
import { JobError } from "../../src/errors.js";
import {
    MANIFEST_VERSION,
    isDamaged,
    manifestProblems,
    parseManifest,
    serializeManifest,
    sortNewestFirst,
    unreadableVersion,
} from "../../src/storage/manifest.js";
import { exitOf, failure } from "../support/errors.js";
import { sampleManifest } from "../support/manifests.js";

describe("manifest", () => {
    it("accepts a complete manifest and round-trips it", () => {
        const m = sampleManifest();
        expect(manifestProblems(m)).toEqual([]);
        expect(parseManifest(serializeManifest(m), "x", m.id)).toEqual(m);
    });
    it("lists every problem of a damaged manifest with exit 7", () => {
        const bad = { ...sampleManifest(), sha256: "xyz", tables: [{ schema: "public", name: "t", rows: -1 }] };
        expect(manifestProblems(bad)).toEqual([expect.stringMatching(/^sha256 must be/), expect.stringMatching(/^tables must be/)]);
        expect(exitOf(() => parseManifest(JSON.stringify(bad), "m.json", bad.id))).toBe(ExitCode.Verification);
        expect(exitOf(() => parseManifest("{", "m.json", "m"))).toBe(ExitCode.Verification);
        expect(manifestProblems({ ...sampleManifest(), dump: "dumps/other_20260101T000000Z.pgdump.zst" })).toEqual([
            expect.stringMatching(/does not match id/),
        ]);
    });
    it("accepts a dump key with a run token (and old manifests without one), never another backup's dump", () => {
        const m = sampleManifest();
        expect(manifestProblems({ ...m, dump: `dumps/${m.id}.0badf00d.pgdump.zst` })).toEqual([]);
        expect(manifestProblems({ ...m, dump: `dumps/${m.id}.pgdump.zst` })).toEqual([]);
        expect(manifestProblems({ ...m, dump: "dumps/other_20260101T000000Z.0badf00d.pgdump.zst" })).toEqual([expect.stringMatching(/does not match id/)]);
        expect(manifestProblems({ ...m, dump: `dumps/${m.id}.NOTHEX00.pgdump.zst` })).toEqual([expect.stringMatching(/does not match id/)]);
    });
    it("database settings and grants are optional, and checked when present", () => {
        const m = sampleManifest({
            databaseSettings: ["TimeZone=UTC"],
            databaseGrants: [{ grantee: "PUBLIC", privilege: "CONNECT", grantable: false }],
        });
        expect(manifestProblems(m)).toEqual([]);
        expect(
            manifestProblems({ ...m, databaseSettings: ["no equals sign"], databaseGrants: [{ grantee: "app", privilege: "SELECT", grantable: false }] }),
        ).toEqual([
            expect.stringMatching(/^databaseSettings must be an array of "name=value"/),
            expect.stringMatching(/^databaseGrants must be an array of \{ grantee, privilege: CREATE\|CONNECT\|TEMPORARY, grantable \}/),
        ]);
    });
    it("dumpVersionId is optional, and a non-empty string when present (anything else is a damaged manifest, exit 7)", () => {
        const m = sampleManifest({ dumpVersionId: "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" });
        expect(manifestProblems(m)).toEqual([]);
        expect(parseManifest(serializeManifest(m), "x", m.id)).toEqual(m);
        for (const bad of [42, "", null, ["v1"], { id: "v1" }]) {
            const damaged = { ...m, dumpVersionId: bad };
            expect(manifestProblems(damaged)).toEqual([`dumpVersionId must be a non-empty string (the dump's S3 version id) (got ${JSON.stringify(bad)})`]);
            expect(exitOf(() => parseManifest(JSON.stringify(damaged), "m.json", m.id))).toBe(ExitCode.Verification);
        }
    });
    it("refuses a format version it does not read (exit 7), naming it, the versions it reads and who wrote it", () => {
        expect(MANIFEST_VERSION).toBe(1);
        const future = { ...sampleManifest(), manifestVersion: 2, tool: { name: "@hotelgenius/backup-job", version: "9.0.0" }, dump: "elsewhere" };
        const error = failure(() => parseManifest(JSON.stringify(future), "manifests/hotel_20261124T030000Z.json", future.id));
        expect(error.exitCode).toBe(ExitCode.Verification);
        expect(error.message).toBe(
            "manifest manifests/hotel_20261124T030000Z.json cannot be read: manifestVersion 2 (written by @hotelgenius/backup-job 9.0.0) is a manifest " +
                "format this job does not read: it reads 1. Use a backup job at least as new as the one that wrote it",
        );
        expect(error.context).toMatchObject({ manifestVersion: 2, readable: [1] });
        // Its other fields are not judged: a newer format may define them otherwise.
        expect(manifestProblems(future)).toHaveLength(1);
        // Without a readable writer, the message says nothing of one; what is no object has no version to judge.
        expect(unreadableVersion({ manifestVersion: 3 })).toBe(
            "manifestVersion 3 is a manifest format this job does not read: it reads 1. Use a backup job at least as new as the one that wrote it",
        );
        expect(unreadableVersion({ manifestVersion: 3, tool: { name: "job" } })).toMatch(/^manifestVersion 3 is a/);
        for (const notObject of [null, [2], "2"]) expect(unreadableVersion(notObject)).toBeUndefined();
        expect(unreadableVersion({ manifestVersion: 1 })).toBeUndefined();
        for (const version of [undefined, "1", 1.5, 0]) {
            expect(manifestProblems({ ...sampleManifest(), manifestVersion: version })).toEqual([
                `manifestVersion must be one of 1 (got ${JSON.stringify(version)})`,
            ]);
        }
    });
    it("refuses each field's bad values with one problem naming the field, and accepts its edge values", () => {
        const bad: Record<string, unknown[]> = {
            id: [undefined, 7, "hotel", "hotel_20261324T030000Z"],
            name: [undefined, "", 3],
            database: [undefined, "", {}],
            serverVersion: [undefined, ""],
            serverMajor: [undefined, "", 15],
            pgDumpVersion: [undefined, ""],
            pgDumpMajor: [undefined, ""],
            format: [undefined, "plain", "Custom"],
            compression: [undefined, null, "zstd", { algorithm: "gzip", level: 3 }, { algorithm: "zstd" }, { algorithm: "zstd", level: -1 }],
            dump: [
                undefined,
                5,
                "hotel_20261124T030000Z.pgdump.zst",
                "x/dumps/hotel_20261124T030000Z.pgdump.zst",
                "dumps/a/b.pgdump.zst",
                "dumps/x.pgdump.zst.tmp",
            ],
            bytes: [undefined, -1, 1.5, "1234", Number.MAX_SAFE_INTEGER + 1],
            sha256: [undefined, "A".repeat(64), "a".repeat(63), `x${"a".repeat(64)}`, `${"a".repeat(64)}x`],
            startedAt: [undefined, "yesterday", "2026-13-45T00:00:00Z", 1_700_000_000_000, "x2026-11-24T03:00:00.000Z"],
            finishedAt: [undefined, "", "2026-11-24"],
            durationSeconds: [undefined, -0.5, Number.POSITIVE_INFINITY, "5"],
            largeObjects: [undefined, -1, 0.5],
            tables: [undefined, {}, [null], [{ schema: "public", name: "t" }], [{ schema: "", name: "t", rows: 1 }], [{ schema: "public", name: "", rows: 1 }]],
            tool: [undefined, null, { name: "job" }, { version: "1" }, { name: "", version: "1" }],
        };
        for (const [field, values] of Object.entries(bad)) {
            for (const value of values) {
                const problems = manifestProblems({ ...sampleManifest(), [field]: value });
                expect([field, value, problems]).toEqual([field, value, [expect.stringMatching(new RegExp(`^${field} must be .* \\(got `))]]);
            }
        }
        const edges = sampleManifest({ bytes: 0, durationSeconds: 0, largeObjects: 0, tables: [], compression: { algorithm: "zstd", level: 0 } });
        expect(manifestProblems(edges)).toEqual([]);
        expect(manifestProblems({ ...sampleManifest(), tables: [{ schema: "public", name: "t", rows: 0 }] })).toEqual([]);
        for (const notObject of [null, [], "manifest", 3]) expect(manifestProblems(notObject)).toEqual(["manifest is not a JSON object"]);
        expect(exitOf(() => parseManifest("[]", "m.json", "m"))).toBe(ExitCode.Verification);
    });
    it("refuses a name or start time that contradicts the id (latest selects by name and orders by start), within the id's second", () => {
        expect(manifestProblems(sampleManifest({ name: "spa" }))).toEqual(['name "spa" does not match id "hotel_20261124T030000Z" (its name is "hotel")']);
        expect(manifestProblems(sampleManifest({ startedAt: "2099-01-01T00:00:00.000Z" }))).toEqual([
            'startedAt 2099-01-01T00:00:00.000Z does not match id "hotel_20261124T030000Z" (started 2026-11-24T03:00:00.000Z, to the second)',
        ]);
        expect(manifestProblems(sampleManifest({ startedAt: "2026-11-24T02:59:59.999Z" }))).toHaveLength(1);
        expect(manifestProblems(sampleManifest({ startedAt: "2026-11-24T03:00:01.000Z" }))).toHaveLength(1);
        expect(manifestProblems(sampleManifest({ startedAt: "2026-11-24T03:00:00.999Z" }))).toEqual([]);
    });

    it("tells a damaged manifest (exit 7) from a storage failure", () => {
        expect(isDamaged(failure(() => parseManifest("{", "m.json", "m")))).toBe(true);
        expect(isDamaged(new JobError(ExitCode.Storage, "unreachable"))).toBe(false);
        expect(isDamaged(Object.assign(new Error("x"), { exitCode: ExitCode.Verification }))).toBe(false);
    });
    it("sorts newest first by start time, not by key", () => {
        const a = sampleManifest({ id: "zeta_20260101T000000Z", startedAt: "2026-01-01T00:00:00.000Z" });
        const b = sampleManifest({ id: "alpha_20260102T000000Z", startedAt: "2026-01-02T00:00:00.000Z" });
        expect(sortNewestFirst([a, b]).map((m) => m.id)).toEqual([b.id, a.id]);
    });
    it("renders the list table", () => {
        const table = formatListTable([sampleManifest()]);
        expect(table.split("\n")[0]).toMatch(/^ID\s+STARTED \(UTC\)\s+SIZE/);
        expect(table).toContain("hotel_20261124T030000Z  2026-11-24T03:00:00Z  1.2 KiB");
    });
});
