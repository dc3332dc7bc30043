import type * as SentryModule from "@sentry/node";
import { usageError } from "../errors.js";
import { JOB_ENV, SENTRY_MONITOR_SLUG } from "../contract.js";

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

function positiveMinutes(env: NodeJS.ProcessEnv, variable: string): number | undefined {
    const raw = env[variable];
    if (raw === undefined || raw === "") return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw usageError(`${variable} "${raw}" must be a whole number of minutes >= 1`);
    return Number(raw);
}

/** Sentry cron settings from the environment; undefined when SENTRY_DSN is unset (no check-ins). */
export function monitorSettingsFromEnv(env: NodeJS.ProcessEnv): MonitorSettings | undefined {
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
    return { dsn: dsn.trim(), slug: env[JOB_ENV.sentryMonitorSlug] || SENTRY_MONITOR_SLUG, environment: env[JOB_ENV.sentryEnvironment] || undefined, config };
}

export interface CronMonitor {
    finish(ok: boolean, durationSeconds: number): Promise<void>;
}

/**
 * Sends the in_progress check-in; finish() sends ok/error and flushes before the process exits.
 * @sentry/node is loaded here, only when a DSN is set: loading it costs about 0.3 s of CPU, which
 * every run without Sentry (and every restore, verify and list) would otherwise pay.
 */
export async function startCronMonitor(settings: MonitorSettings, release: string): Promise<CronMonitor> {
    const Sentry = await import("@sentry/node");
    Sentry.init({
        dsn: settings.dsn,
        release,
        environment: settings.environment,
        // A short-lived CLI needs the transport only: no tracing, no instrumentation of pg or http.
        defaultIntegrations: false,
        enableRuntimeChannelInjection: false,
        tracesSampleRate: 0,
    });
    const checkInId = Sentry.captureCheckIn({ monitorSlug: settings.slug, status: "in_progress" }, settings.config);
    return {
        async finish(ok, durationSeconds) {
            Sentry.captureCheckIn({ monitorSlug: settings.slug, status: ok ? "ok" : "error", checkInId, duration: durationSeconds }, settings.config);
            await Sentry.flush(5_000);
        },
    };
}
