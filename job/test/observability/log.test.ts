import { describe, expect, it } from "vitest";
import { emfRecord, stageMetrics } from "../../src/observability/emf.js";
import { ExitCode, toJobError } from "../../src/errors.js";
import { EventEmitter } from "node:events";
import { createLogger, formatLogLine, logProcessWarnings } from "../../src/observability/log.js";
import { redact, registerSecret } from "../../src/observability/redact.js";

describe("redaction and logs", () => {
    it("masks URL passwords and registered secrets", () => {
        expect(redact("connect postgresql://app:pa55word@h:5432/db failed")).toBe("connect postgresql://app:***@h:5432/db failed");
        expect(redact("host=h password=pa55word user=x")).toBe("host=h password=*** user=x");
        registerSecret("Zq9-registered-secret");
        expect(redact('FATAL: role "x" pw Zq9-registered-secret')).toBe('FATAL: role "x" pw ***');
    });
    it("writes the log-line contract and never a password", () => {
        const line = JSON.parse(formatLogLine("error", "failed", { url: "postgres://u:topsecret@h/db" }, new Date("2026-01-01T00:00:00Z")));
        expect(line).toEqual({ level: "error", message: "failed", timestamp: "2026-01-01T00:00:00.000Z", context: { url: "postgres://u:***@h/db" } });
        const lines: string[] = [];
        createLogger((l) => lines.push(l)).info("plain");
        expect(JSON.parse(lines[0]!)).not.toHaveProperty("context");
    });
    it("turns process warnings into JSON warn lines instead of Node's plain-text printer", () => {
        const emitter = new EventEmitter();
        const printed: unknown[] = [];
        emitter.on("warning", (warning) => printed.push(warning));
        const lines: string[] = [];
        logProcessWarnings(
            emitter,
            createLogger(
                (l) => lines.push(l),
                () => new Date("2026-01-01T00:00:00Z"),
            ),
        );
        emitter.emit(
            "warning",
            Object.assign(new Error("The AWS SDK for JavaScript (v3)\nwill require node >=22."), { name: "NodeVersionSupportWarning", code: "X1" }),
        );
        expect(printed).toEqual([]);
        expect(lines.map((l) => JSON.parse(l))).toEqual([
            {
                level: "warn",
                message: "The AWS SDK for JavaScript (v3)\nwill require node >=22.",
                timestamp: "2026-01-01T00:00:00.000Z",
                context: { warning: "NodeVersionSupportWarning", code: "X1" },
            },
        ]);
    });
    it("builds EMF records with the contract's namespace, dimension and units", () => {
        const r = emfRecord("hotel", [{ name: "BackupSuccess", unit: "Count", value: 1 }, ...stageMetrics({ Dump: 1.23456 })], new Date(1000));
        expect(r).toEqual({
            _aws: {
                Timestamp: 1000,
                CloudWatchMetrics: [
                    {
                        Namespace: "HotelGenius/Backup",
                        Dimensions: [["Database"]],
                        Metrics: [
                            { Name: "BackupSuccess", Unit: "Count" },
                            { Name: "DumpDuration", Unit: "Seconds" },
                        ],
                    },
                ],
            },
            Database: "hotel",
            BackupSuccess: 1,
            DumpDuration: 1.235,
        });
    });
    it("maps unknown errors to exit 1", () => {
        expect(toJobError(new Error("boom")).exitCode).toBe(ExitCode.Internal);
    });
});
