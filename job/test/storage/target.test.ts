import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { callerDirectory, dumpPath, idFromDumpName, idFromManifestName, manifestPath, parseTarget, s3Key } from "../../src/storage/target.js";
import { runToken } from "../../src/storage/s3.js";
import { exitOf, failure, messageOf } from "../support/errors.js";

describe("targets", () => {
    it("parses file and s3 targets", () => {
        expect(parseTarget("file://./backups", "--to", "/srv")).toMatchObject({ kind: "file", dir: "/srv/backups" });
        expect(parseTarget("file:///var/b", "--to", "/srv")).toMatchObject({ kind: "file", dir: "/var/b" });
        expect(parseTarget("s3://my-bucket/prod/db/", "--to", "/")).toMatchObject({ kind: "s3", bucket: "my-bucket", prefix: "prod/db" });
        expect(parseTarget("s3://my-bucket", "--to", "/")).toMatchObject({ kind: "s3", bucket: "my-bucket", prefix: "" });
    });
    it("rejects bad targets with exit 2 and names the option", () => {
        expect(exitOf(() => parseTarget("ftp://x", "--to", "/"))).toBe(ExitCode.Usage);
        expect(messageOf(() => parseTarget("s3://My_Bucket/x", "--from", "/"))).toMatch(/--from .*invalid bucket name "My_Bucket"/);
        expect(messageOf(() => parseTarget("file://", "BACKUP_TARGET", "/"))).toMatch(/BACKUP_TARGET "file:\/\/" has no directory/);
        expect(exitOf(() => parseTarget("s3://bucket/../x", "--to", "/"))).toBe(ExitCode.Usage);
    });
    it("lays out keys under the prefix", () => {
        expect(s3Key({ prefix: "prod" }, dumpPath("a_20260101T000000Z"))).toBe("prod/dumps/a_20260101T000000Z.pgdump.zst");
        expect(s3Key({ prefix: "" }, manifestPath("a_20260101T000000Z"))).toBe("manifests/a_20260101T000000Z.json");
        expect(idFromManifestName("a_20260101T000000Z.json")).toBe("a_20260101T000000Z");
        expect(idFromManifestName("a_20260101T000000Z.json.partial")).toBeUndefined();
        expect(idFromDumpName("a_20260101T000000Z.pgdump.zst.partial")).toBeUndefined();
    });
    it("gives each S3 run its own dump key (a run token), and still reads the id from it", () => {
        expect(dumpPath("a.b_20260101T000000Z", "0badf00d")).toBe("dumps/a.b_20260101T000000Z.0badf00d.pgdump.zst");
        expect(idFromDumpName("a.b_20260101T000000Z.0badf00d.pgdump.zst")).toBe("a.b_20260101T000000Z");
        expect(idFromDumpName("a.b_20260101T000000Z.pgdump.zst")).toBe("a.b_20260101T000000Z");
        expect(runToken()).toMatch(/^[0-9a-f]{8}$/);
        expect(runToken()).not.toBe(runToken());
    });
});

describe("file:// targets", () => {
    it("resolve relative directories against INIT_CWD when npm set it, else the process's own", () => {
        expect(callerDirectory({ INIT_CWD: "/home/ops" }, "/repo")).toBe("/home/ops");
        expect(callerDirectory({}, "/repo")).toBe("/repo");
        expect(callerDirectory({ INIT_CWD: "relative" }, "/repo")).toBe("/repo");
        expect(parseTarget("file://./backups", "--to", callerDirectory({ INIT_CWD: "/home/ops" }, "/repo"))).toMatchObject({ dir: "/home/ops/backups" });
    });

    it("refuse a bad percent escape with exit 2 naming the option, not an internal error", () => {
        expect(parseTarget("file://50%25off", "--to", "/srv")).toMatchObject({ dir: "/srv/50%off" });
        const error = failure(() => parseTarget("file://50%off", "BACKUP_TARGET", "/srv"));
        expect(error.exitCode).toBe(ExitCode.Usage);
        expect(error.message).toMatch(/^BACKUP_TARGET "file:\/\/50%off" has a "%" that is not a valid percent escape: write % itself as %25/);
    });
});
