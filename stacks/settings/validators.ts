// What no schema library knows, each as a small named validator: EventBridge Scheduler expressions,
// their crontab equivalent and daylight-saving clock changes, IANA zones, lifecycle order, Neon
// pooler hosts, data residency, Fargate task sizes, log retention, image references, Sentry DSNs.
import { Region } from "@pulumi/aws/types/enums/index.js";
import { suggestion } from "./spec.js";

export const AWS_REGIONS: readonly string[] = Object.values(Region);

/** S3 refuses Standard-IA transitions earlier than this, and archive tiers sooner than this after Standard-IA. */
export const MIN_DAYS_IN_STANDARD = 30;
export const MIN_DAYS_IN_IA = 30;
/** Longest retention or lifetime accepted, in days (100 years). */
export const MAX_DAYS = 36_500;

/** Why a database URL cannot be used for backups, or undefined when it can. Never includes the URL. */
export function checkDatabaseUrl(value: string): string | undefined {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return "must be a URL like postgresql://user:password@host/dbname";
    }
    if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") return "must use the postgres:// or postgresql:// scheme";
    if (url.hostname === "") return "must name the database host (postgresql://user:password@host/dbname)";
    if (url.pathname.length <= 1) return "must name the database (postgresql://user:password@host/dbname)";
    if (url.hostname.split(".")[0]!.endsWith("-pooler")) {
        return "must use Neon's direct endpoint, not the pooled `-pooler` host: pg_dump's session settings break a transaction-mode PgBouncer (drop `-pooler` from the host name)";
    }
    return undefined;
}

/** Why a backup root prefix is unusable, or undefined. */
export function checkPrefixRoot(value: string): string | undefined {
    const segment = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
    const segments = value.split("/");
    if (value.length > 200 || !segments.every((part) => segment.test(part))) {
        return "must be a key prefix such as postgres or hotelgenius/postgres: segments of letters, digits, . _ - separated by single /, no leading or trailing /, at most 200 characters";
    }
    return undefined;
}

/** Whether an address is usable as an SNS email endpoint (a pragmatic subset of RFC 5321). */
export function isEmail(value: string): boolean {
    const match = /^([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64})@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$/.exec(value);
    if (match === null) return false;
    const local = match[1]!;
    return !local.startsWith(".") && !local.endsWith(".") && !local.includes("..");
}

/** Why a time zone is not an IANA name EventBridge Scheduler accepts, or undefined. */
export function checkTimeZone(value: string): string | undefined {
    let resolved: string;
    try {
        resolved = new Intl.DateTimeFormat("en-US", { timeZone: value }).resolvedOptions().timeZone;
    } catch {
        return "must be an IANA time zone name such as UTC, Europe/Paris or America/New_York";
    }
    if (resolved !== value && resolved.toLowerCase() === value.toLowerCase()) {
        return `must be spelled exactly as in the IANA database (did you mean ${resolved}?)`;
    }
    if (/^[+-]/.test(value)) return "must be an IANA time zone name such as UTC, Europe/Paris or America/New_York, not an offset";
    return undefined;
}

interface CronField {
    name: string;
    min: number;
    max: number;
    names?: readonly string[];
}

const CRON_FIELDS: readonly CronField[] = [
    { name: "minutes", min: 0, max: 59 },
    { name: "hours", min: 0, max: 23 },
    { name: "day-of-month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
    { name: "day-of-week", min: 1, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
    { name: "year", min: 1970, max: 2199 },
];

const SCHEDULE_FORMS = "cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 3 * * ? *), or rate(N minute|minutes|hour|hours|day|days)";

/**
 * Why an EventBridge Scheduler expression is invalid, or undefined. Follows the Scheduler's
 * rules: six cron fields, exactly one of day-of-month and day-of-week is `?`, and rate units
 * singular for 1 and plural otherwise. One-time `at()` schedules are refused: backups repeat.
 */
export function checkScheduleExpression(value: string): string | undefined {
    if (/^at\(/.test(value)) return `must repeat: at() runs once; use ${SCHEDULE_FORMS}`;
    const rate = /^rate\((\d+) ([a-z]+)\)$/.exec(value);
    if (rate) {
        const amount = Number(rate[1]);
        const unit = rate[2]!;
        const singular = unit.replace(/s$/, "");
        if (!["minute", "hour", "day"].includes(singular)) return `rate unit must be minute(s), hour(s) or day(s); got ${unit}`;
        if (amount < 1) return "rate must be at least 1";
        if (amount === 1 && unit !== singular) return `rate(1 ${singular}) takes the singular unit`;
        if (amount > 1 && unit === singular) return `rate(${amount} ${singular}s) takes the plural unit`;
        return undefined;
    }
    const cron = /^cron\((.*)\)$/.exec(value);
    if (!cron) return `must be ${SCHEDULE_FORMS}`;
    const fields = cron[1]!.trim().split(/\s+/);
    if (fields.length !== 6) return `cron needs 6 fields (minutes hours day-of-month month day-of-week year); got ${fields.length}`;
    for (const [index, field] of fields.entries()) {
        const reason = checkCronField(field, CRON_FIELDS[index]!);
        if (reason !== undefined) return reason;
    }
    const dayOfMonth = fields[2]!;
    const dayOfWeek = fields[4]!;
    if ((dayOfMonth === "?") === (dayOfWeek === "?")) {
        return "exactly one of day-of-month and day-of-week must be ?: e.g. cron(0 3 * * ? *) daily or cron(0 3 ? * MON *) on Mondays";
    }
    return undefined;
}

function checkCronField(field: string, spec: CronField): string | undefined {
    const invalid = `${spec.name} field ${JSON.stringify(field)} is invalid`;
    const dayField = spec.name === "day-of-month" || spec.name === "day-of-week";
    if (field === "?") return dayField ? undefined : `${invalid}: ? is allowed only in day-of-month or day-of-week`;
    // EventBridge reads a day-of-week list containing # as several expressions and refuses it.
    if (spec.name === "day-of-week" && field.includes("#") && field.includes(",")) {
        return `${invalid}: with # the day-of-week field takes one expression (e.g. 2#1), not a list`;
    }
    for (const item of field.split(",")) {
        if (spec.name === "day-of-month" && /^(L|LW|\d{1,2}W)$/.test(item)) {
            if (/^\d/.test(item) && !inRange(Number.parseInt(item, 10), spec)) return `${invalid}: ${item} is outside ${spec.min}-${spec.max}`;
            continue;
        }
        if (spec.name === "day-of-week") {
            const special = /^(\w+)(L|#([1-5]))$/.exec(item);
            if (item === "L") continue;
            if (special) {
                if (cronValue(special[1]!, spec) === undefined) return `${invalid}: ${special[1]} is not a day of the week (1-7 or SUN-SAT)`;
                continue;
            }
        }
        const parts = /^([^/]+)(?:\/(\d+))?$/.exec(item);
        if (!parts) return `${invalid}: use numbers, names, *, ranges a-b, lists a,b and steps a/n`;
        const [, base, step] = parts;
        if (step !== undefined && (Number(step) < 1 || Number(step) > spec.max)) return `${invalid}: step ${step} must be from 1 to ${spec.max}`;
        if (base === "*") continue;
        const range = base!.split("-");
        if (range.length > 2) return `${invalid}: ${base} is not a value or a range a-b`;
        for (const end of range) {
            if (cronValue(end, spec) === undefined) {
                const names = spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : "";
                return `${invalid}: ${end} is not a ${spec.name} value (${spec.min}-${spec.max}${names})`;
            }
        }
    }
    return undefined;
}

function cronValue(text: string, spec: CronField): number | undefined {
    const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
    if (named >= 0) return named + 1;
    if (!/^\d+$/.test(text)) return undefined;
    const value = Number(text);
    return inRange(value, spec) ? value : undefined;
}

function inRange(value: number, spec: CronField): boolean {
    return value >= spec.min && value <= spec.max;
}

/** The day settings whose order S3 lifecycle rules and Object Lock constrain. */
export interface LifecycleDays {
    transitionToIaDays?: number | undefined;
    transitionToArchiveDays?: number | undefined;
    expirationDays?: number | undefined;
    objectLockDays?: number | undefined;
}

export interface LifecycleOrderProblem {
    setting: keyof LifecycleDays;
    value: number;
    allowed: string;
}

/**
 * The order between the day settings, in one place for the stack's config check and the
 * BackupStorage component's own argument check. `nameOf` spells a setting as the caller's user
 * knows it (a config key or a component argument); a setting left undefined (already refused as
 * malformed) is skipped rather than reported twice.
 */
export function lifecycleOrderProblems(days: LifecycleDays, nameOf: (setting: keyof LifecycleDays) => string): LifecycleOrderProblem[] {
    const { transitionToIaDays: ia, transitionToArchiveDays: archive, expirationDays: expiration, objectLockDays: lock } = days;
    const problems: LifecycleOrderProblem[] = [];
    if (ia !== undefined && archive !== undefined && archive < ia + MIN_DAYS_IN_IA) {
        problems.push({
            setting: "transitionToArchiveDays",
            value: archive,
            allowed: `must be at least ${ia + MIN_DAYS_IN_IA}: S3 keeps objects ${MIN_DAYS_IN_IA} days in Standard-IA before a later tier, and ${nameOf("transitionToIaDays")} is ${ia}`,
        });
    }
    const lastTransition = archive ?? ia;
    if (expiration !== undefined && lastTransition !== undefined && expiration <= lastTransition) {
        problems.push({
            setting: "expirationDays",
            value: expiration,
            allowed: `must be greater than the last transition (${lastTransition} days): S3 rejects an expiration at or before a transition`,
        });
    }
    if (lock !== undefined && expiration !== undefined && lock > expiration) {
        problems.push({
            setting: "objectLockDays",
            value: lock,
            allowed: `must be at most ${nameOf("expirationDays")} (${expiration}): a retention longer than the backups' lifetime keeps expired dumps, and their cost, until the lock ends`,
        });
    }
    return problems;
}


/**
 * Where guests' personal data may be stored. HotelGenius serves European hotels: backups, replicas
 * and log archives stay in AWS regions inside the EU unless `dataResidency` says otherwise.
 */
export const EU_REGIONS: readonly string[] = ["eu-west-3", "eu-west-1", "eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2"];
export const DATA_RESIDENCIES = ["eu", "unrestricted"] as const;
export type DataResidency = (typeof DATA_RESIDENCIES)[number];

/** Why a region is not an AWS region, or may not hold data under `residency`; undefined when it may. */
export function checkDataRegion(region: string, residency: DataResidency | undefined): string | undefined {
    if (!AWS_REGIONS.includes(region)) return `must be an AWS region code${suggestion(region, AWS_REGIONS)}`;
    if (residency === "eu" && !EU_REGIONS.includes(region)) {
        return `must be an EU region (${EU_REGIONS.join(", ")}): it holds guests' personal data and dataResidency is "eu"; set dataResidency to "unrestricted" only with the data protection officer's approval`;
    }
    return undefined;
}

/** Why a list of alert recipients is unusable (duplicates would make SNS send each alert twice). */
export function checkEmailList(emails: string[]): string | undefined {
    if (emails.length === 0) return "must list at least one email address: alerts that reach nobody are not alerts";
    const duplicates = emails.filter((email, index) => emails.findIndex((other) => other.toLowerCase() === email.toLowerCase()) !== index);
    if (duplicates.length > 0) return `must not repeat an address (${duplicates.join(", ")}): SNS would send each alert twice`;
    return undefined;
}

export function checkEmail(value: string): string | undefined {
    return isEmail(value) ? undefined : "is not an email address; each item must look like name@example.com";
}

/**
 * The 5-field crontab (minute hour day-of-month month day-of-week) that fires when an EventBridge
 * Scheduler cron expression does, for the Sentry monitor of the same schedule; `reason` when none
 * exists. Day-of-week numbers shift by one (EventBridge 1-7 = SUN-SAT, crontab 0-6); names become
 * numbers so no crontab dialect can misread them. Refused: rate() (no fixed time of day), a year
 * other than `*` (crontab has no year field), and L, W and # (not in standard crontab).
 */
export function crontabOf(expression: string): { crontab: string } | { reason: string } {
    const cron = /^cron\((.*)\)$/.exec(expression.trim());
    if (!cron) return { reason: "has no 5-field crontab equivalent for the Sentry monitor: use cron(...), not rate() or at()" };
    const fields = cron[1]!.trim().split(/\s+/);
    if (fields.length !== 6) return { reason: "must be a 6-field cron(...) expression" };
    const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [string, string, string, string, string, string];
    if (year !== "*") return { reason: `has year field ${JSON.stringify(year)}: a crontab has no year, so the Sentry monitor could not follow it; use *` };
    const special = fields.find((field) => /[LW#]/.test(field.replace(/\b(JUL|WED)\b/gi, "")));
    if (special !== undefined) return { reason: `uses ${JSON.stringify(special)}: L, W and # have no standard crontab equivalent for the Sentry monitor` };
    const monthNumbers = mapCronValues(month, (value) => cronValue(value, CRON_FIELDS[3]!));
    const weekdayNumbers = mapCronValues(dayOfWeek, (value) => {
        const number = cronValue(value, CRON_FIELDS[4]!);
        return number === undefined ? undefined : number - 1;
    });
    if (monthNumbers === undefined || weekdayNumbers === undefined) return { reason: "is not a valid cron expression" };
    const crontab = [minutes, hours, dayOfMonth, monthNumbers, weekdayNumbers].map((field) => (field === "?" ? "*" : field)).join(" ");
    return { crontab };
}

/** Why an EventBridge cron expression has no crontab equivalent, or undefined. */
export function checkCrontabEquivalent(expression: string): string | undefined {
    const converted = crontabOf(expression);
    return "reason" in converted ? converted.reason : undefined;
}

/** Rewrites every value of a cron field (list items, range ends, step bases) through `map`; undefined when one is invalid. */
function mapCronValues(field: string, map: (value: string) => number | undefined): string | undefined {
    if (field === "*" || field === "?") return field;
    const items: string[] = [];
    for (const item of field.split(",")) {
        const [base, step] = item.split("/") as [string, string | undefined];
        let mapped: string;
        if (base === "*") mapped = base;
        else {
            const ends = base.split("-").map(map);
            if (ends.some((end) => end === undefined)) return undefined;
            mapped = ends.join("-");
        }
        items.push(step === undefined ? mapped : `${mapped}/${step}`);
    }
    return items.join(",");
}

interface WallClock {
    year: number;
    month: number;
    day: number;
    hour: number;
    minute: number;
    /** 1 = Sunday ... 7 = Saturday, as EventBridge numbers days of the week. */
    weekday: number;
}

/** Minutes the zone is ahead of UTC at `instant`. */
function zoneOffsetMinutes(format: Intl.DateTimeFormat, instant: number): number {
    const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
    const local = Date.UTC(Number(parts["year"]), Number(parts["month"]) - 1, Number(parts["day"]), Number(parts["hour"]), Number(parts["minute"]));
    return Math.round((local - Math.floor(instant / 60_000) * 60_000) / 60_000);
}

function wallClock(localAsUtc: number): WallClock {
    const date = new Date(localAsUtc);
    return {
        year: date.getUTCFullYear(),
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
        hour: date.getUTCHours(),
        minute: date.getUTCMinutes(),
        weekday: date.getUTCDay() + 1,
    };
}

/** The values a cron field allows; undefined for L, W and # forms, treated as "any" (the check then errs on the safe side). */
function cronFieldValues(field: string, spec: CronField): Set<number> | undefined {
    if (field === "?" || /[LW#]/.test(field.replace(/\b(JUL|WED)\b/gi, ""))) return undefined;
    const values = new Set<number>();
    for (const item of field.split(",")) {
        const [base, step] = item.split("/") as [string, string | undefined];
        const [from, to] = base === "*" ? [spec.min, spec.max] : (base.split("-").map((end) => cronValue(end, spec)) as [number | undefined, number | undefined]);
        if (from === undefined) return undefined;
        const last = step === undefined && to === undefined ? from : (to ?? spec.max);
        for (let value = from; value <= last; value += step === undefined ? 1 : Number(step)) values.add(value);
    }
    return values;
}

function cronMatches(fields: string[], clock: WallClock): boolean {
    const keys: (keyof WallClock)[] = ["minute", "hour", "day", "month", "weekday", "year"];
    return keys.every((key, index) => {
        const allowed = cronFieldValues(fields[index]!, CRON_FIELDS[index]!);
        return allowed === undefined || allowed.has(clock[key]);
    });
}

/** How many years ahead the daylight-saving check looks at the zone's clock changes. */
const DST_CHECK_YEARS = 10;

/**
 * Why a cron schedule in a zone with daylight saving may fall in the hour the clocks skip or repeat
 * (EventBridge Scheduler then skips the run, or runs it only once at an ambiguous instant), or
 * undefined. Looks at every clock change of the zone in the next ten years; day fields with L, W
 * or # count as "any day". rate() schedules run on elapsed time and are not affected.
 */
export function checkScheduleDaylightSaving(expression: string, timeZone: string, from: Date = new Date()): string | undefined {
    const cron = /^cron\((.*)\)$/.exec(expression.trim());
    if (!cron) return undefined;
    const fields = cron[1]!.trim().split(/\s+/);
    const format = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric" });
    const day = 86_400_000;
    const start = Math.floor(from.getTime() / day) * day;
    const end = Date.UTC(from.getUTCFullYear() + DST_CHECK_YEARS, from.getUTCMonth(), from.getUTCDate());
    let previous = zoneOffsetMinutes(format, start);
    for (let instant = start + day; instant <= end; instant += day) {
        const offset = zoneOffsetMinutes(format, instant);
        if (offset === previous) continue;
        // Narrow the change down to the minute.
        let low = instant - day;
        let high = instant;
        while (high - low > 60_000) {
            const middle = low + Math.floor((high - low) / 120_000) * 60_000;
            if (zoneOffsetMinutes(format, middle) === previous) low = middle;
            else high = middle;
        }
        const skipped = offset > previous;
        const windowStart = high + Math.min(previous, offset) * 60_000;
        const windowEnd = high + Math.max(previous, offset) * 60_000;
        for (let local = windowStart; local < windowEnd; local += 60_000) {
            const clock = wallClock(local);
            if (!cronMatches(fields, clock)) continue;
            const date = `${clock.year}-${String(clock.month).padStart(2, "0")}-${String(clock.day).padStart(2, "0")}`;
            const time = `${String(clock.hour).padStart(2, "0")}:${String(clock.minute).padStart(2, "0")}`;
            const what = skipped
                ? `does not exist on ${date} (clocks skip ${wallTime(windowStart)}-${wallTime(windowEnd)}), so EventBridge Scheduler would skip that run`
                : `happens twice on ${date} (clocks repeat ${wallTime(windowStart)}-${wallTime(windowEnd)}), so EventBridge Scheduler would run it once at an ambiguous instant`;
            return `fires at ${time} ${timeZone}, which ${what}; move it outside the clock change or read it in UTC`;
        }
        previous = offset;
    }
    return undefined;
}

function wallTime(localAsUtc: number): string {
    const clock = wallClock(localAsUtc);
    return `${String(clock.hour).padStart(2, "0")}:${String(clock.minute).padStart(2, "0")}`;
}

/** Fargate's task sizes: memory (MiB) allowed for each cpu (units of 1/1024 vCPU), from its fixed table. */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
    256: [512, 1024, 2048],
    512: [1024, 2048, 3072, 4096],
    1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
    2048: Array.from({ length: 13 }, (_, index) => 4096 + index * 1024),
    4096: Array.from({ length: 23 }, (_, index) => 8192 + index * 1024),
    8192: Array.from({ length: 12 }, (_, index) => 16_384 + index * 4096),
    16384: Array.from({ length: 12 }, (_, index) => 32_768 + index * 8192),
};

/** Why Fargate refuses this cpu/memory pair, or undefined. */
export function checkFargateSize(cpu: number, memory: number): string | undefined {
    const allowed = FARGATE_SIZES[cpu];
    if (allowed === undefined) return checkFargateCpu(cpu);
    if (allowed.includes(memory)) return undefined;
    const low = allowed[0]!;
    const sizes = cpu === 256 ? allowed.join(", ") : `${low}-${allowed[allowed.length - 1]} in steps of ${allowed[1]! - low}`;
    return `is not a memory size Fargate accepts with cpu ${cpu}; allowed: ${sizes} MiB`;
}

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export function checkLogRetentionDays(days: number): string | undefined {
    return LOG_RETENTION_DAYS.includes(days) ? undefined : `must be a retention CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(", ")}`;
}

/**
 * Why an image reference cannot run the backup job, or undefined. It must be pinned by digest
 * (`@sha256:`): a tag can be moved to other code without the task definition changing.
 */
export function checkImageUri(value: string): string | undefined {
    if (!/^[a-z0-9][a-z0-9.-]*(:\d+)?\/[a-z0-9._\/-]+(:[\w][\w.-]{0,127})?@sha256:[0-9a-f]{64}$/.test(value)) {
        return "must be REGISTRY/REPOSITORY[:TAG]@sha256:<64 hex digits>, pinned by digest so that the task runs exactly the image reviewed";
    }
    return undefined;
}

/** Why a value is not a Sentry DSN (https://PUBLIC_KEY@HOST/PROJECT_ID), or undefined. Never includes the value. */
export function checkSentryDsn(value: string): string | undefined {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return "must be a Sentry DSN like https://PUBLIC_KEY@o0.ingest.de.sentry.io/PROJECT_ID";
    }
    if (url.protocol !== "https:" || url.username === "" || !/^\/\d+$/.test(url.pathname)) {
        return "must be a Sentry DSN like https://PUBLIC_KEY@o0.ingest.de.sentry.io/PROJECT_ID (https, a public key, a numeric project id)";
    }
    return undefined;
}

export function checkSubnetId(value: string): string | undefined {
    return /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(value) ? undefined : "is not a subnet id (subnet- followed by 8 or 17 hex digits)";
}

export function checkVpcId(value: string): string | undefined {
    return /^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(value) ? undefined : "must be a VPC id (vpc- followed by 8 or 17 hex digits)";
}

/** Host and port a database URL points at, for comparing servers; undefined when it is not a URL. */
function serverOf(value: string): string | undefined {
    try {
        const url = new URL(value);
        return `${url.hostname.toLowerCase()}:${url.port || "5432"}`;
    } catch {
        return undefined;
    }
}

/**
 * Why the restore drill's scratch database URL is unsafe next to the backed-up database's URL, or
 * undefined. The drill creates and fills a whole database next to the scratch one: on the
 * production server it would copy guests' data there every week and load that server.
 */
export function checkScratchServer(scratchUrl: string, databaseUrl: string): string | undefined {
    const scratch = serverOf(scratchUrl);
    if (scratch === undefined || scratch !== serverOf(databaseUrl)) return undefined;
    return (
        "must point at another server than databaseUrl: the drill creates and fills a database next to it, " +
        "which on the production server copies guests' data there and loads it"
    );
}

export function checkFargateCpu(cpu: number): string | undefined {
    return FARGATE_SIZES[cpu] === undefined ? `must be a Fargate cpu size: ${Object.keys(FARGATE_SIZES).join(", ")}` : undefined;
}
