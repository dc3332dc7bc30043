import { format } from "node:util";
import type * as SentryModule from "@sentry/node";
import { errorMessage, usageError } from "../errors.js";
import { JOB_ENV, SENTRY_MONITOR_SLUG } from "../contract.js";
import type { Logger } from "./log.js";
import type { Variables } from "../environment.js";

type MonitorConfig = NonNullable<Parameters<typeof SentryModule.captureCheckIn>[1]>;

export interface MonitorSettings {
    dsn: string;
    slug: string;
    environment: string | undefined;
    /** Undefined without BACKUP_SCHEDULE: check-ins then go to an existing monitor only. */
    config: MonitorConfig | undefined;
}

const CRON_FIELD = /^[0-9A-Za-z*?,/\-#LW]+$/;

export function validateCrontab(value: string, variable: string): string {
    const fields = value.trim().split(/\s+/);
    if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) {
        throw usageError(`${variable} "${value}" is not a 5-field crontab expression (minute hour day-of-month month day-of-week), e.g. "0 3 * * *"`);
    }
    return fields.join(" ");
}

export function validateTimezone(value: string, variable: string): string {
    try {
        new Intl.DateTimeFormat("en-US", { timeZone: value });
        return value;
    } catch {
        throw usageError(`${variable} "${value}" is not an IANA time zone, e.g. UTC or Europe/Berlin`);
    }
}

function positiveMinutes(env: Variables, variable: string): number | undefined {
    const raw = env[variable];
    if (raw === undefined || raw === "") return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw usageError(`${variable} "${raw}" must be a whole number of minutes >= 1`);
    return Number(raw);
}

/**
 * The shape @sentry/core accepts (its dsnFromString and validateDsn): http(s)://PUBLIC_KEY@HOST[:PORT]/[PATH/]PROJECT_ID.
 * The SDK itself takes a malformed DSN with a plain-text console line and then sends nothing at all.
 */
const DSN = /^https?:\/\/\w+(?::\w*)?@(?:\[[:.%\w]+\]|[\w.-]+)(?::\d+)?\/(?:[^?#]*\/)?\d+$/;

export function validateDsn(value: string, variable: string): string {
    if (!DSN.test(value)) {
        throw usageError(
            `${variable} is not a Sentry DSN: use the project's DSN as Sentry shows it, https://PUBLIC_KEY@HOST/PROJECT_ID (project settings, Client Keys); ` +
                "unset it to run without check-ins (the value is not shown)",
        );
    }
    return value;
}

/** Sentry cron settings from the environment; undefined when SENTRY_DSN is unset (no check-ins). */
export function monitorSettingsFromEnv(env: Variables): MonitorSettings | undefined {
    const dsn = env[JOB_ENV.sentryDsn];
    if (dsn === undefined || dsn.trim() === "") return undefined;
    const schedule = env[JOB_ENV.schedule];
    let config: MonitorConfig | undefined;
    if (schedule !== undefined && schedule.trim() !== "") {
        config = {
            schedule: { type: "crontab", value: validateCrontab(schedule, JOB_ENV.schedule) },
            timezone: validateTimezone(env[JOB_ENV.scheduleTimezone] || "UTC", JOB_ENV.scheduleTimezone),
        };
        const margin = positiveMinutes(env, JOB_ENV.sentryCheckinMarginMinutes);
        const maxRuntime = positiveMinutes(env, JOB_ENV.sentryMaxRuntimeMinutes);
        if (margin !== undefined) config.checkinMargin = margin;
        if (maxRuntime !== undefined) config.maxRuntime = maxRuntime;
    }
    return {
        dsn: validateDsn(dsn.trim(), JOB_ENV.sentryDsn),
        slug: env[JOB_ENV.sentryMonitorSlug] || SENTRY_MONITOR_SLUG,
        environment: env[JOB_ENV.sentryEnvironment] || undefined,
        config,
    };
}

export interface CronMonitor {
    finish(ok: boolean, durationSeconds: number): Promise<void>;
}

/**
 * The SDK writes its diagnostics with console.warn/console.error as plain text (the job itself never
 * writes to the console): while it is loaded they become JSON warn lines, so every line of a run
 * parses and a failed run still ends with exactly one error line.
 */
function routeConsole(logger: Logger): void {
    const warn = (...args: unknown[]) => logger.warn(format(...args), { source: "sentry" });
    for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) console[method] = warn;
}

/**
 * Sends the in_progress check-in; finish() sends ok/error, flushes before the process exits and
 * logs a warning when a check-in was not delivered (the SDK drops them silently). @sentry/node is
 * loaded here, only when a DSN is set: loading it costs about 0.3 s of CPU, which every run without
 * Sentry (and every restore, verify and list) would otherwise pay.
 */
export async function startCronMonitor(settings: MonitorSettings, release: string, logger: Logger): Promise<CronMonitor> {
    routeConsole(logger);
    const Sentry = await import("@sentry/node");
    const undelivered: string[] = [];
    Sentry.init({
        dsn: settings.dsn,
        release,
        environment: settings.environment,
        // A short-lived CLI needs the transport only: no tracing, no instrumentation of pg or http.
        defaultIntegrations: false,
        enableRuntimeChannelInjection: false,
        tracesSampleRate: 0,
        transport: (options) => {
            const transport = Sentry.makeNodeTransport(options);
            return {
                ...transport,
                async send(envelope) {
                    try {
                        const response = await transport.send(envelope);
                        const status = response.statusCode;
                        if (status !== undefined && (status < 200 || status >= 300)) undelivered.push(`Sentry answered HTTP ${status}`);
                        return response;
                    } catch (error) {
                        undelivered.push(errorMessage(error));
                        throw error;
                    }
                },
            };
        },
    });
    const checkInId = Sentry.captureCheckIn({ monitorSlug: settings.slug, status: "in_progress" }, settings.config);
    return {
        async finish(ok, durationSeconds) {
            Sentry.captureCheckIn({ monitorSlug: settings.slug, status: ok ? "ok" : "error", checkInId, duration: durationSeconds }, settings.config);
            const flushed = await Sentry.flush(FLUSH_TIMEOUT_MS);
            if (!flushed) undelivered.push(`not all sent within ${FLUSH_TIMEOUT_MS / 1000} s`);
            if (undelivered.length > 0) {
                logger.warn("Sentry check-ins could not be delivered: the cron monitor may show this run as missed", {
                    monitorSlug: settings.slug,
                    reasons: undelivered,
                });
            }
        },
    };
}

const FLUSH_TIMEOUT_MS = 5_000;
