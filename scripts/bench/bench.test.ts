import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BENCH_TABLES, copyEscape, generateRows, prng, textSource } from "./datagen.js";
import {
    BENCH_USAGE,
    cpuBudget,
    formatBytes,
    formatSpread,
    median,
    mibPerSecond,
    pairRatios,
    parseBenchArgs,
    parseRusage,
    RUSAGE_FORMAT,
    spread,
} from "./stats.js";

async function sample(tableName: string, bytes: number, seed = 7): Promise<string> {
    const table = BENCH_TABLES.find((t) => t.name === tableName);
    if (!table) throw new Error(`no table ${tableName}`);
    let out = "";
    await generateRows(table, bytes, seed, 1, async (chunk) => {
        out += chunk;
    });
    return out;
}

describe("benchmark statistics", () => {
    it("takes medians of odd and even counts", () => {
        expect(median([3, 1, 2])).toBe(2);
        expect(median([4, 1, 3, 2])).toBe(2.5);
        expect(() => median([])).toThrow(/no values/);
    });
    it("bounds (c) by its CPU over the cores", () => {
        const budget = cpuBudget({ cores: 2, limitSeconds: 10, targetRatio: 1.15, limitCpuSeconds: 18, oursCpuSeconds: 25, s3ServerCpuSeconds: 5 });
        expect(budget).toEqual({ capacityAtTarget: 23, limitPlusS3Server: 23, shortestSeconds: 12.5, shortestRatio: 1.25 });
    });
    it("takes ratios within each pair, then their median and range", () => {
        const ratios = pairRatios([11, 30, 9], [10, 20, 10]);
        expect(ratios).toEqual([1.1, 1.5, 0.9]);
        expect(spread(ratios)).toEqual({ median: 1.1, min: 0.9, max: 1.5 });
        expect(formatSpread(spread(ratios))).toBe("1.100 (0.900-1.500)");
        expect(() => pairRatios([1, 2], [1])).toThrow("pair ratios need as many runs on each side (got 2 and 1)");
        expect(() => pairRatios([], [])).toThrow(/as many runs/);
    });
    it("documents every option it accepts in its help, and prints it for --help without starting anything", () => {
        for (const option of ["--size-gb", "--runs", "--keep-db", "--skip-s3", "--backup-arg", "--help"]) expect(BENCH_USAGE).toContain(option);
        const help = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "..", "bench-backup.ts"), "--help"], { encoding: "utf8" });
        expect({ status: help.status, stdout: help.stdout, stderr: help.stderr }).toEqual({ status: 0, stdout: `${BENCH_USAGE}\n`, stderr: "" });
    });
    it("formats bytes and throughput", () => {
        expect(formatBytes(512)).toBe("512 B");
        expect(formatBytes(200 * 1024 * 1024)).toBe("200.0 MiB");
        expect(mibPerSecond(10 * 1024 * 1024, 2)).toBe(5);
    });
    it("parses options and names bad values", () => {
        expect(parseBenchArgs([])).toEqual({ sizeGb: 1, runs: 3, keepDb: false, skipS3: false, backupArgs: [], help: false });
        expect(
            parseBenchArgs([
                "--size-gb",
                "0.1",
                "--runs=5",
                "--keep-db",
                "--skip-s3",
                "--backup-arg=--part-size-mib=8",
                "--backup-arg",
                "--upload-queue-size=2",
            ]),
        ).toEqual({
            sizeGb: 0.1,
            runs: 5,
            keepDb: true,
            skipS3: true,
            backupArgs: ["--part-size-mib=8", "--upload-queue-size=2"],
            help: false,
        });
        expect(parseBenchArgs(["--help"]).help).toBe(true);
        expect(parseBenchArgs(["-h"]).help).toBe(true);
        expect(() => parseBenchArgs(["--skip-s3=yes"])).toThrow("--skip-s3 takes no value (got yes)");
        expect(() => parseBenchArgs(["--backup-arg", "8"])).toThrow(/--backup-arg 8: expected an option of the backup command/);
        expect(() => parseBenchArgs(["--size-gb", "lots"])).toThrow("--size-gb lots: expected a number from 0.01 to 50");
        expect(() => parseBenchArgs(["--runs", "0"])).toThrow("--runs 0: expected a whole number from 1 to 20");
        expect(() => parseBenchArgs(["--fast"])).toThrow(/unknown argument --fast/);
    });

    it("a bad option exits 2 with the usage and no stack trace", () => {
        const bad = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "..", "bench-backup.ts"), "--fast"], { encoding: "utf8", timeout: 30_000 });
        expect(bad.status).toBe(2);
        expect(bad.stderr).toContain("bench:backup: unknown argument --fast: allowed are");
        expect(bad.stderr).not.toMatch(/\n\s+at /);
    });
});

describe("GNU time output", () => {
    it("reads CPU seconds and peak RSS from the last rusage line", () => {
        expect(parseRusage("noise\nBENCH_RUSAGE 9.99 0.10 0.10 1\nmore\nBENCH_RUSAGE 4.20 3.50 0.75 153600\n")).toEqual({
            cpuSeconds: 4.25,
            maxRssBytes: 150 * 1024 * 1024,
        });
        expect(parseRusage("no rusage here")).toBeUndefined();
    });
    // GNU time is optional: without it the benchmark reports sampled figures only.
    it.skipIf(!existsSync("/usr/bin/time"))("matches what GNU time prints for the format", () => {
        const timed = spawnSync("/usr/bin/time", ["-f", RUSAGE_FORMAT, "true"], { encoding: "utf8" });
        expect(parseRusage(timed.stderr)?.maxRssBytes).toBeGreaterThan(0);
    });
});

describe("benchmark data", () => {
    it("escapes COPY text specials", () => {
        expect(copyEscape("a\\b\tc\nd\re")).toBe("a\\\\b\\tc\\nd\\re");
    });
    it("is deterministic for a seed and different across seeds", async () => {
        const a = prng(1);
        const b = prng(1);
        expect([a(), a(), a()]).toEqual([b(), b(), b()]);
        expect(await sample("reservations", 20_000)).toBe(await sample("reservations", 20_000));
        expect(await sample("reservations", 20_000, 8)).not.toBe(await sample("reservations", 20_000));
    });
    it("produces one field per column, valid JSON and hex bytea", async () => {
        for (const table of BENCH_TABLES) {
            const columns = table.ddl.slice(table.ddl.indexOf("(") + 1).split(/,\s*(?=[a-z_]+ )/).length;
            const lines = (await sample(table.name, 50_000)).trimEnd().split("\n");
            for (const line of lines) expect(line.split("\t")).toHaveLength(columns);
        }
        const guest = (await sample("guests", 1_000)).split("\n")[0]?.split("\t") ?? [];
        expect(() => JSON.parse(guest[5] as string)).not.toThrow();
        const doc = (await sample("invoice_documents", 1_000)).split("\n")[0]?.split("\t") ?? [];
        expect(doc[4]).toMatch(/^\\\\x[0-9a-f]+$/);
    });
    it("writes Zipf-distributed text: frequent words dominate, the tail is long", () => {
        const text = textSource(3);
        const counts = new Map<string, number>();
        for (let i = 0; i < 50_000; i++) {
            const word = text.word();
            counts.set(word, (counts.get(word) ?? 0) + 1);
        }
        const sorted = [...counts.values()].sort((x, y) => y - x);
        expect(sorted[0]).toBeGreaterThan(2_000);
        expect(counts.size).toBeGreaterThan(3_000);
    });
    it("compresses like real data, neither trivially nor not at all", async () => {
        const all = (await Promise.all(BENCH_TABLES.map((t) => sample(t.name, 4_000_000 * t.share)))).join("");
        const compressed = spawnSync("zstd", ["-3", "-c", "-q"], { input: all, maxBuffer: 64 * 1024 * 1024 }).stdout;
        const ratio = Buffer.byteLength(all) / compressed.length;
        expect(ratio).toBeGreaterThan(2);
        expect(ratio).toBeLessThan(5);
    });
});
