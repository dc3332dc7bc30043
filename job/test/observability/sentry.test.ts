// Real @sentry/node inside the real CLI; only the ingestion endpoint is a loopback stand-in that
// records the envelopes it receives.
import { createServer, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { errorOf, runCli, spawnCli, type CliResult } from "../support/cli.js";
import { createVariedDatabase } from "../support/fixtures.js";
import { freePort, startPostgres, type PgCluster } from "../../tools/servers/postgres.js";
import { ExitCode } from "../../src/errors.js";
import { monitorSettingsFromEnv, validateCrontab } from "../../src/observability/sentry.js";
import { exitOf, messageOf } from "../support/errors.js";

interface CheckIn {
    check_in_id: string;
    monitor_slug: string;
    status: string;
    duration?: number;
    monitor_config?: Record<string, unknown>;
}

let pg: PgCluster;
let sentry: Server;
let dsn: string;
let work: string;
let sourceUrl: string;
const received: { path: string; checkIns: CheckIn[] }[] = [];

function checkIns(): CheckIn[] {
    return received.flatMap((r) => r.checkIns);
}

beforeAll(async () => {
    sentry = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            let body = Buffer.concat(chunks);
            if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
            const lines = body
                .toString("utf8")
                .split("\n")
                .filter((l) => l.trim() !== "");
            const items: CheckIn[] = [];
            // Envelope: a header line, then (item header, payload) pairs.
            for (let i = 1; i + 1 < lines.length; i += 2) {
                if (JSON.parse(lines[i]!).type === "check_in") items.push(JSON.parse(lines[i + 1]!));
            }
            received.push({ path: req.url ?? "", checkIns: items });
            res.writeHead(200, { "content-type": "application/json" });
            res.end("{}");
        });
    });
    await new Promise<void>((resolve) => sentry.listen(0, "127.0.0.1", resolve));
    dsn = `http://publickey@127.0.0.1:${(sentry.address() as AddressInfo).port}/42`;
    pg = await startPostgres();
    sourceUrl = await createVariedDatabase(pg, "hotel", { guests: 200 });
    work = mkdtempSync(join(tmpdir(), "job-sentry-"));
});

beforeEach(() => {
    received.length = 0;
});

afterAll(async () => {
    await pg?.stop();
    await new Promise<void>((resolve) => (sentry ? sentry.close(() => resolve()) : resolve()));
    if (work) rmSync(work, { recursive: true, force: true });
});

const monitorEnv = () => ({
    SENTRY_DSN: dsn,
    SENTRY_MONITOR_SLUG: "nightly-db-backup",
    BACKUP_SCHEDULE: "0 3 * * *",
    BACKUP_SCHEDULE_TIMEZONE: "Europe/Berlin",
    SENTRY_CHECKIN_MARGIN_MINUTES: "15",
    SENTRY_MAX_RUNTIME_MINUTES: "120",
});

const expectedConfig = { schedule: { type: "crontab", value: "0 3 * * *" }, timezone: "Europe/Berlin", checkin_margin: 15, max_runtime: 120 };

describe("Sentry cron check-ins", () => {
    it("sends in_progress, then ok, with the monitor config, on a successful backup", async () => {
        const result = await runCli(["backup", "--database-url", sourceUrl, "--to", `file://${join(work, "ok")}`], { env: monitorEnv() });
        expect(result.code, result.stdout + result.stderr).toBe(0);
        const seen = checkIns();
        expect(seen.map((c) => c.status)).toEqual(["in_progress", "ok"]);
        expect(seen[0]).toMatchObject({ monitor_slug: "nightly-db-backup", monitor_config: expectedConfig });
        expect(seen[1]).toMatchObject({ check_in_id: seen[0]!.check_in_id, monitor_config: expectedConfig, duration: expect.any(Number) });
        expect([...new Set(received.map((r) => r.path.split("?")[0]))]).toEqual(["/api/42/envelope/"]);
    });

    it("sends error when the backup fails", async () => {
        const result = await runCli(["backup", "--database-url", pg.url("hotel", { password: "wrong-password-123" }), "--to", `file://${join(work, "fail")}`], {
            env: monitorEnv(),
        });
        expect(result.code).toBe(3);
        expect(checkIns().map((c) => c.status)).toEqual(["in_progress", "error"]);
        expect(JSON.stringify(received)).not.toContain("wrong-password-123");
    });

    it("sends error when the run is misconfigured", async () => {
        const result = await runCli(["backup", "--database-url", sourceUrl, "--to", "ftp://nowhere"], { env: monitorEnv() });
        expect(result.code).toBe(2);
        expect(checkIns().map((c) => c.status)).toEqual(["in_progress", "error"]);
    });

    it("sends error on SIGTERM and exits 143", async () => {
        // A server that is down keeps the job in its connection backoff long enough to be stopped there.
        const url = `postgresql://nobody:not-a-real-secret@127.0.0.1:${await freePort()}/hotel`;
        const run = spawnCli(["backup", "--database-url", url, "--to", `file://${join(work, "sigterm")}`, "--connect-attempts", "10"], { env: monitorEnv() });
        await run.waitForLog((l) => l.message.startsWith("database connection failed, retrying"));
        run.child.kill("SIGTERM");
        const result = await run.result;
        expect(result.code).toBe(143);
        expect(checkIns().map((c) => c.status)).toEqual(["in_progress", "error"]);
    });

    it("sends error when the maximum runtime is reached and exits 124", async () => {
        // A server that is down keeps the job in its connection backoff past a 2 s maximum runtime.
        const url = `postgresql://nobody:not-a-real-secret@127.0.0.1:${await freePort()}/hotel`;
        const result = await runCli(
            ["backup", "--database-url", url, "--to", `file://${join(work, "max-runtime")}`, "--connect-attempts", "10", "--max-runtime", "2"],
            {
                env: monitorEnv(),
            },
        );
        expect(result.code, result.stdout).toBe(124);
        expect(result.logs.filter((l) => l.level === "error").map((l) => l.message)).toEqual([
            "stopped after the maximum runtime of 2 s (--max-runtime); nothing was recorded or committed",
        ]);
        expect(checkIns().map((c) => c.status)).toEqual(["in_progress", "error"]);
    });

    it("sends nothing without SENTRY_DSN", async () => {
        const { SENTRY_DSN: _unused, ...withoutDsn } = monitorEnv();
        const result = await runCli(["backup", "--database-url", sourceUrl, "--to", `file://${join(work, "no-dsn")}`], { env: withoutDsn });
        expect(result.code).toBe(0);
        expect(received).toEqual([]);
    });
});

describe("Sentry that cannot be reached or is misconfigured", () => {
    /** Every stdout line is a JSON log line or metric record, and nothing is on stderr. */
    function expectOnlyJson(result: CliResult): void {
        expect(result.otherLines).toEqual([]);
        expect(result.stderr).toBe("");
    }

    it.each([
        ["no public key", "https://o1.ingest.sentry.io/42"],
        ["no project id", "https://publickey@o1.ingest.sentry.io/"],
        ["not a URL", "publickey at sentry"],
        ["another scheme", "ftp://publickey@o1.ingest.sentry.io/42"],
    ])("a malformed SENTRY_DSN (%s): exit 2 at start naming it, never its value, no plain-text line", async (_what, malformed) => {
        const result = await runCli(["backup", "--database-url", sourceUrl, "--to", `file://${join(work, "bad-dsn")}`], {
            env: { ...monitorEnv(), SENTRY_DSN: malformed },
        });
        expect(result.code, result.stdout + result.stderr).toBe(ExitCode.Usage);
        expect(errorOf(result).message).toMatch(/^SENTRY_DSN is not a Sentry DSN: use the project's DSN/);
        expect(result.stdout).not.toContain(malformed);
        expect(result.logs.some((l) => l.message === "backup starting")).toBe(false);
        expectOnlyJson(result);
    });

    it("nothing listening at the DSN: the backup succeeds, a warning says the check-ins were not delivered, JSON lines only", async () => {
        const unreachable = `http://publickey@127.0.0.1:${await freePort()}/42`;
        const result = await runCli(["backup", "--database-url", sourceUrl, "--to", `file://${join(work, "unreachable")}`], {
            env: { ...monitorEnv(), SENTRY_DSN: unreachable },
        });
        expect(result.code, result.stdout + result.stderr).toBe(0);
        const warning = result.logs.find((l) => l.message.startsWith("Sentry check-ins could not be delivered"));
        expect(warning?.context).toMatchObject({ monitorSlug: "nightly-db-backup", reasons: expect.arrayContaining([expect.stringMatching(/ECONNREFUSED/)]) });
        expectOnlyJson(result);
    });

    it("Sentry answering 503: the same warning, naming the status", async () => {
        const failing = createServer((req, res) => {
            req.resume();
            req.on("end", () => {
                res.writeHead(503);
                res.end();
            });
        });
        await new Promise<void>((resolve) => failing.listen(0, "127.0.0.1", resolve));
        try {
            const result = await runCli(["backup", "--database-url", sourceUrl, "--to", `file://${join(work, "503")}`], {
                env: { ...monitorEnv(), SENTRY_DSN: `http://publickey@127.0.0.1:${(failing.address() as AddressInfo).port}/42` },
            });
            expect(result.code, result.stdout + result.stderr).toBe(0);
            expect(result.logs.find((l) => l.message.startsWith("Sentry check-ins could not be delivered"))?.context?.["reasons"]).toContain(
                "Sentry answered HTTP 503",
            );
            expectOnlyJson(result);
        } finally {
            await new Promise<void>((resolve) => failing.close(() => resolve()));
        }
    });

    it("the SDK's own diagnostics (SENTRY_DEBUG=1 makes it talk) become JSON warn lines marked source sentry", async () => {
        const result = await runCli(["backup", "--database-url", sourceUrl, "--to", `file://${join(work, "sdk-debug")}`], {
            env: { ...monitorEnv(), SENTRY_DEBUG: "1" },
        });
        expect(result.code, result.stdout + result.stderr).toBe(0);
        const fromSdk = result.logs.filter((l) => l.context?.["source"] === "sentry");
        expect(fromSdk.length).toBeGreaterThan(0);
        expect(new Set(fromSdk.map((l) => l.level))).toEqual(new Set(["warn"]));
        expect(fromSdk.some((l) => l.message.startsWith("Sentry Logger"))).toBe(true);
        expectOnlyJson(result);
    });

    it("a delivered run logs no such warning", async () => {
        const result = await runCli(["backup", "--database-url", sourceUrl, "--to", `file://${join(work, "delivered")}`], { env: monitorEnv() });
        expect(result.code).toBe(0);
        expect(result.logs.filter((l) => l.level === "warn")).toEqual([]);
        expectOnlyJson(result);
    });
});

describe("sentry settings", () => {
    it("has no monitor without a DSN and builds the monitor config from env", () => {
        expect(monitorSettingsFromEnv({ BACKUP_SCHEDULE: "0 3 * * *" })).toBeUndefined();
        expect(
            monitorSettingsFromEnv({
                SENTRY_DSN: "http://k@127.0.0.1:1/1",
                BACKUP_SCHEDULE: "0 3 * * *",
                BACKUP_SCHEDULE_TIMEZONE: "Europe/Berlin",
                SENTRY_CHECKIN_MARGIN_MINUTES: "10",
                SENTRY_MAX_RUNTIME_MINUTES: "90",
            }),
        ).toEqual({
            dsn: "http://k@127.0.0.1:1/1",
            slug: "database-backup",
            environment: undefined,
            config: { schedule: { type: "crontab", value: "0 3 * * *" }, timezone: "Europe/Berlin", checkinMargin: 10, maxRuntime: 90 },
        });
    });
    it("rejects bad schedule settings with exit 2", () => {
        expect(exitOf(() => validateCrontab("0 3 * *", "BACKUP_SCHEDULE"))).toBe(ExitCode.Usage);
        expect(exitOf(() => monitorSettingsFromEnv({ SENTRY_DSN: "x", BACKUP_SCHEDULE: "0 3 * * *", BACKUP_SCHEDULE_TIMEZONE: "Mars/Olympus" }))).toBe(
            ExitCode.Usage,
        );
        expect(messageOf(() => monitorSettingsFromEnv({ SENTRY_DSN: "x", BACKUP_SCHEDULE: "0 3 * * *", SENTRY_MAX_RUNTIME_MINUTES: "0" }))).toMatch(
            /SENTRY_MAX_RUNTIME_MINUTES "0"/,
        );
    });
});
