import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, progressFigures, renderProgressBar } from "../../src/observability/progress.js";

describe("progress", () => {
    it("computes rate and ETA and renders a bar", () => {
        expect(progressFigures({ bytes: 50, total: 200, elapsedSeconds: 5 })).toEqual({
            bytes: 50,
            total: 200,
            percent: 25,
            bytesPerSecond: 10,
            etaSeconds: 15,
        });
        expect(renderProgressBar("restore", { bytes: 512 * 1024, total: 1024 * 1024, elapsedSeconds: 1 }, 10)).toBe(
            "restore [#####-----]  50.0%  512.0 KiB / 1.0 MiB  512.0 KiB/s  00:01 elapsed  ETA 00:01",
        );
        expect(renderProgressBar("backup", { bytes: 2048, total: undefined, elapsedSeconds: 2 })).toBe("backup 2.0 KiB  1.0 KiB/s  00:02 elapsed");
        expect(formatBytes(10)).toBe("10 B");
        expect(formatDuration(3725)).toBe("1:02:05");
    });
});
