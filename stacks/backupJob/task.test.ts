import { describe, expect, it } from "vitest";
import { checkFargateSize, checkImageUri } from "./task.js";

describe("checkFargateSize", () => {
    it.each([
        [256, 512],
        [256, 2048],
        [512, 4096],
        [1024, 2048],
        [2048, 16_384],
        [4096, 30_720],
        [8192, 61_440],
        [16_384, 122_880],
    ])("accepts cpu %i with %i MiB", (cpu, memory) => {
        expect(checkFargateSize(cpu, memory)).toBeUndefined();
    });

    it.each([
        [256, 4096, /cpu 256; allowed: 512, 1024, 2048 MiB/],
        [1024, 1024, /cpu 1024; allowed: 2048-8192 in steps of 1024 MiB/],
        [4096, 32_768, /cpu 4096; allowed: 8192-30720 in steps of 1024 MiB/],
        [8192, 17_408, /cpu 8192; allowed: 16384-61440 in steps of 4096 MiB/],
        [3000, 4096, /Fargate cpu size/],
    ])("refuses cpu %i with %i MiB", (cpu, memory, reason) => {
        expect(checkFargateSize(cpu, memory)).toMatch(reason);
    });
});

describe("checkImageUri", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    it.each([
        `000000000000.dkr.ecr.eu-west-3.amazonaws.com/backup-job@${digest}`,
        `ghcr.io/hotelgenius/backup-job:1.2.3@${digest}`,
        `registry.example:5000/job@${digest}`,
    ])("accepts %s", (uri) => {
        expect(checkImageUri(uri)).toBeUndefined();
    });

    it.each(["ghcr.io/hotelgenius/backup-job:latest", "backup-job", `ghcr.io/job@sha256:${"a".repeat(63)}`, `ghcr.io/Job@${digest}`])("refuses %s", (uri) => {
        expect(checkImageUri(uri)).toMatch(/pinned by digest/);
    });
});
