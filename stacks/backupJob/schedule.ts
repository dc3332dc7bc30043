// The backup schedule's checks, beside it: EventBridge Scheduler expressions, IANA zones, the crontab
// equivalent the Sentry monitor follows, daylight-saving clock changes, the longest gap between runs.

/**
 * The backup schedule, one object from its declaration (backupSchedule, backupScheduleTimezone) to the
 * job: the scheduler reads the expression in the zone, the job's Sentry monitor follows the crontab.
 */
export interface BackupSchedule {
    /** EventBridge Scheduler expression: cron(m h dom mon dow *), with a crontab equivalent. */
    expression: string;
    /** IANA time zone the expression (and the restore drill's) is read in. */
    timezone: string;
    /** The same schedule as a 5-field crontab, for the Sentry monitor. */
    crontab: string;
}

/** The schedule of a checked expression (checkScheduleExpression, checkCrontabEquivalent) in a zone. */
export function backupSchedule(expression: string, timezone: string): BackupSchedule {
    const converted = crontabOf(expression);
    if ("reason" in converted) throw new Error(`backupSchedule ${expression} ${converted.reason}`);
    return { expression, timezone, crontab: converted.crontab };
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

export function longestScheduleGapMinutes(expression: string): number | undefined {
    const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
    if (rate) return Number(rate[1]) * { minute: 1, hour: 60, day: 1440 }[rate[2] as "minute" | "hour" | "day"];
    const cron = /^cron\((.*)\)$/.exec(expression);
    if (!cron || /[LW#]/.test(cron[1]!)) return undefined;
    const fields = cron[1]!.trim().split(/\s+/);
    if (fields.length !== 6 || fields[3] !== "*" || fields[5] !== "*") return undefined;
    const sets = [0, 1, 2, 4].map((index) => (fields[index] === "?" ? undefined : cronSet(fields[index]!, CRON_FIELDS[index]!)));
    if (sets.some((set) => set === null)) return undefined;
    const [minutes, hours, daysOfMonth, daysOfWeek] = sets as (Set<number> | undefined)[];
    const runs: number[] = [];
    // A non-leap year from a Monday, plus a day so the gap across New Year counts.
    const start = Date.UTC(2029, 0, 1);
    for (let minute = 0; minute < 366 * 1440; minute++) {
        const at = new Date(start + minute * 60_000);
        if (!minutes!.has(at.getUTCMinutes()) || !hours!.has(at.getUTCHours())) continue;
        if (daysOfMonth && !daysOfMonth.has(at.getUTCDate())) continue;
        if (daysOfWeek && !daysOfWeek.has(at.getUTCDay() + 1)) continue;
        runs.push(minute);
    }
    if (runs.length < 2) return undefined;
    return Math.max(...runs.slice(1).map((run, index) => run - runs[index]!));
}

/** The values a valid cron field matches, or null when it cannot be expanded. */
function cronSet(field: string, spec: CronField): Set<number> | null {
    const values = new Set<number>();
    for (const item of field.split(",")) {
        const [base, step] = item.split("/") as [string, string | undefined];
        const [from, to] = base === "*" ? [spec.min, spec.max] : base.split("-").map((end) => cronValue(end, spec));
        if (from === undefined) return null;
        const last = to ?? (step === undefined ? from : spec.max);
        for (let value = from; value <= last; value += Number(step ?? 1)) values.add(value);
    }
    return values;
}

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

export function checkCrontabEquivalent(expression: string): string | undefined {
    const converted = crontabOf(expression);
    return "reason" in converted ? converted.reason : undefined;
}

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

function cronFieldValues(field: string, spec: CronField): Set<number> | undefined {
    if (field === "?" || /[LW#]/.test(field.replace(/\b(JUL|WED)\b/gi, ""))) return undefined;
    const values = new Set<number>();
    for (const item of field.split(",")) {
        const [base, step] = item.split("/") as [string, string | undefined];
        const [from, to] =
            base === "*" ? [spec.min, spec.max] : (base.split("-").map((end) => cronValue(end, spec)) as [number | undefined, number | undefined]);
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

const DST_CHECK_YEARS = 10;

export function checkScheduleDaylightSaving(expression: string, timeZone: string, from: Date = new Date()): string | undefined {
    const cron = /^cron\((.*)\)$/.exec(expression.trim());
    if (!cron) return undefined;
    const fields = cron[1]!.trim().split(/\s+/);
    const format = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
    });
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
                : `happens twice on ${date} (clocks repeat ${wallTime(windowStart)}-${wallTime(windowEnd)}), so EventBridge Scheduler would run it once at ` +
                  `an ambiguous instant`;
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
