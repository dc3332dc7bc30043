import { describe, expect, it } from "vitest";
import { emfRecord, stageMetrics } from "../../src/observability/emf.js";
import { ExitCode, toJobError } from "../../src/errors.js";
import { EventEmitter } from "node:events";
import {
    colourWanted,
    createCliLogger,
    createLogger,
    createStatusLine,
    formatLogLine,
    formatTextLine,
    logProcessWarnings,
} from "../../src/observability/log.js";
import { emfMetricsEnabled } from "../../src/observability/emf.js";
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

describe("the logger a person and CloudWatch read", () => {
    const at = new Date("2026-01-01T03:04:05Z");
    const clock = () => at;

    it("text lines: time, level, message, the scalar context; multi-line text below; nested context left out; never a password", () => {
        expect(formatTextLine("info", "backup complete", { id: "hotel_x", bytes: 12, ok: true, tables: [{ t: 1 }] }, at, false)).toBe(
            "03:04:05 info  backup complete  id=hotel_x bytes=12 ok=true",
        );
        expect(formatTextLine("error", "pg_dump failed", { exitCode: 5, pgDumpStderr: "line one\nline two\n" }, at, false)).toBe(
            "03:04:05 error pg_dump failed  exitCode=5\n  pgDumpStderr:\n    line one\n    line two",
        );
        expect(formatTextLine("warn", "at postgresql://u:s3cret@h/db", { url: "postgresql://u:s3cret@h/db has spaces" }, at, false)).toBe(
            '03:04:05 warn  at postgresql://u:***@h/db  url="postgresql://u:***@h/db has spaces"',
        );
    });

    it("colours the level only when asked, and NO_COLOR or a dumb terminal turns colour off", () => {
        expect(formatTextLine("error", "x", undefined, at, true)).toBe("\x1b[2m03:04:05\x1b[0m \x1b[31merror\x1b[0m x");
        expect(colourWanted(true, {})).toBe(true);
        expect(colourWanted(false, {})).toBe(false);
        expect(colourWanted(true, { NO_COLOR: "1" })).toBe(false);
        expect(colourWanted(true, { NO_COLOR: "" })).toBe(true);
        expect(colourWanted(true, { TERM: "dumb" })).toBe(false);
    });

    it("error lines go to the error sink, the rest to the output sink; EMF records only when switched on", () => {
        const out: string[] = [];
        const err: string[] = [];
        for (const emf of [false, true]) {
            const logger = createCliLogger(
                (t) => out.push(t),
                (t) => err.push(t),
                { format: "json", colour: false, emf, clock },
            );
            logger.info("starting");
            logger.error("failed");
            logger.record({ _aws: {}, BackupSuccess: 0 });
        }
        expect(out.map((l) => JSON.parse(l))).toEqual([
            { level: "info", message: "starting", timestamp: at.toISOString() },
            { level: "info", message: "starting", timestamp: at.toISOString() },
            { _aws: {}, BackupSuccess: 0 },
        ]);
        expect(err.map((l) => JSON.parse(l).message)).toEqual(["failed", "failed"]);
    });

    it("the EMF switch is BACKUP_EMF_METRICS=1 and nothing else", () => {
        expect(emfMetricsEnabled({ BACKUP_EMF_METRICS: "1" })).toBe(true);
        expect(emfMetricsEnabled({})).toBe(false);
        expect(emfMetricsEnabled({ BACKUP_EMF_METRICS: "0" })).toBe(false);
        expect(emfMetricsEnabled({ AWS_EXECUTION_ENV: "AWS_ECS_FARGATE", ECS_CONTAINER_METADATA_URI_V4: "http://169.254.170.2/v4/x" })).toBe(false);
    });

    it("a log line is printed above the progress line: cleared first, redrawn after, never run into it", () => {
        const screen: string[] = [];
        const status = createStatusLine((t) => screen.push(t));
        const logger = createCliLogger(
            (t) => screen.push(t),
            (t) => screen.push(t),
            { format: "text", colour: false, emf: false, status, clock },
        );
        logger.info("before");
        status.show("backup 1.0 MiB");
        logger.warn("slow");
        status.done("backup 2.0 MiB");
        logger.info("after");
        expect(screen).toEqual([
            "03:04:05 info  before\n",
            "\rbackup 1.0 MiB\x1b[K",
            "\r\x1b[K",
            "03:04:05 warn  slow\n",
            "\rbackup 1.0 MiB\x1b[K",
            "\rbackup 2.0 MiB\x1b[K\n",
            "03:04:05 info  after\n",
        ]);
    });
});
