// What no schema library knows, each as a small named validator: EventBridge Scheduler expressions,
// their crontab equivalent and daylight-saving clock changes, IANA zones, lifecycle order, Neon pooler
// hosts, data residency, IAM role ARNs, log drain endpoints, CloudWatch Logs retention periods and log
// group names, https URLs, Route 53 checker regions, Sentry slugs, environments and DSNs, schedule
// gaps, Fargate task sizes, image references, VPC and subnet ids.
import { Region } from "@pulumi/aws/types/enums/index.js";
import { parseDatabaseUrl, refusePoolerHost } from "../../job/src/postgres/dburl.js";
import { suggestion } from "./spec.js";

export const AWS_REGIONS: readonly string[] = Object.values(Region);

/** S3 refuses Standard-IA transitions earlier than this, and archive tiers sooner than this after Standard-IA. */
export const MIN_DAYS_IN_STANDARD = 30;
export const MIN_DAYS_IN_IA = 30;
/** Longest retention or lifetime accepted, in days (100 years). */
export const MAX_DAYS = 36_500;

/**
 * Why the backup job would refuse a database URL, or undefined: the job's own parser decides, so a
 * URL the stack accepts is one the nightly run can use (raw "@", "#", "/", "%" in a password, a
 * `-pooler` host, ...). Its messages never quote the URL.
 */
export function checkDatabaseUrl(value: string): string | undefined {
    try {
        refusePoolerHost(parseDatabaseUrl(value, "the URL"), "the URL");
        return undefined;
    } catch (error) {
        return `must be a postgres:// URL of the database's direct endpoint that the backup job accepts: ${(error as Error).message}`;
    }
}

/** Why a backup root prefix is unusable, or undefined. */
export function checkPrefixRoot(value: string): string | undefined {
    const segment = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
    const segments = value.split("/");
    if (value.length > 200 || !segments.every((part) => segment.test(part))) {
        return (
            "must be a key prefix such as postgres or hotelgenius/postgres: segments of letters, digits, . _ - separated by single /, no leading or " +
            "trailing /, at most 200 characters"
        );
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
            allowed:
                `must be at least ${ia + MIN_DAYS_IN_IA}: S3 keeps objects ${MIN_DAYS_IN_IA} days in Standard-IA before a later tier, and ` +
                `${nameOf("transitionToIaDays")} is ${ia}`,
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
            allowed:
                `must be at most ${nameOf("expirationDays")} (${expiration}): a retention longer than the backups' lifetime keeps expired dumps, and ` +
                `their cost, until the lock ends`,
        });
    }
    return problems;
}

/**
 * A stack whose data is protected is a production stack: it must keep its off-site copy, so turning
 * the replica off is refused there. `nameOf` spells a setting the caller's way, as for the lifecycle order.
 */
export function replicaProtectionProblem(
    settings: { offSiteReplica?: boolean | undefined; protectData?: boolean | undefined },
    nameOf: (setting: "offSiteReplica" | "protectData") => string,
): { setting: "offSiteReplica"; value: false; allowed: string } | undefined {
    if (settings.offSiteReplica !== false || settings.protectData !== true) return undefined;
    return {
        setting: "offSiteReplica",
        value: false,
        allowed:
            `must be true while ${nameOf("protectData")} is true: a stack whose data is protected is a production stack and keeps its off-site copy; ` +
            `set ${nameOf("protectData")} to false too for a non-production clone`,
    };
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
        return (
            `must be an EU region (${EU_REGIONS.join(", ")}): it holds guests' personal data and dataResidency is "eu"; set dataResidency to ` +
            `"unrestricted" only with the data protection officer's approval`
        );
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

/** Why a log service URL cannot be a Firehose HTTP endpoint destination, or undefined. Never echoes credentials. */
export function checkLogServiceEndpoint(value: string): string | undefined {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return "must be an https:// URL such as https://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input";
    }
    if (url.protocol !== "https:") return `must use https:// (Firehose delivers only over TLS); got ${url.protocol.replace(/:$/, "")}://`;
    if (url.username !== "" || url.password !== "") return "must not carry credentials: put the key in logServiceAccessKey, which goes to Secrets Manager";
    if (value.length > 1000) return `must be at most 1000 characters (the Firehose limit); got ${value.length}`;
    return undefined;
}

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export function checkLogRetentionDays(value: number): string | undefined {
    if (LOG_RETENTION_DAYS.includes(value)) return undefined;
    const nearest = LOG_RETENTION_DAYS.reduce((best, days) => (Math.abs(days - value) < Math.abs(best - value) ? days : best));
    return `must be one of the periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(", ")} (nearest: ${nearest})`;
}

/** Why a CloudWatch Logs log group name is invalid, or undefined. */
export function checkLogGroupName(value: string): string | undefined {
    return /^[.\-_/#A-Za-z0-9]{1,512}$/.test(value) ? undefined : "is not a CloudWatch Logs log group name: 1-512 characters of letters, digits and . - _ / #";
}

/** Why a list of log groups to drain is unusable: each group takes one subscription filter of the two CloudWatch Logs allows. */
export function checkLogGroupList(names: string[]): string | undefined {
    const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
    return duplicates.length > 0 ? `must not repeat a log group (${duplicates.join(", ")}): each group gets exactly one subscription filter` : undefined;
}

/**
 * Why a value is not the ARN of one IAM role, or undefined. Wildcards are refused: a key policy
 * condition compares ARNs with wildcard matching, so `*` or `?` would exempt more than one role.
 */
export function checkRoleArn(value: string): string | undefined {
    const pathCharacters = "[\\x21-\\x29\\x2B-\\x3E\\x40-\\x7E]";
    const role = new RegExp(`^arn:aws:iam::\\d{12}:role/(${pathCharacters}{0,510}/)?[\\w+=,.@-]{1,64}$`);
    return role.test(value) ? undefined : "must be the ARN of one IAM role, arn:aws:iam::<12-digit account>:role/[<path>/]<name>, without wildcards (* or ?)";
}

export function checkHttpsUrl(value: string): string | undefined {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return "must be an https:// URL such as https://app.hotelgenius.eu/health";
    }
    if (url.protocol !== "https:") return `must use https://, not ${url.protocol}//: the check must prove the certificate and TLS work too`;
    if (url.username !== "" || url.password !== "") return "must not carry a user name or password";
    return undefined;
}

export const ROUTE53_CHECKER_REGIONS: readonly string[] = [
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
];

export function checkCheckerRegions(regions: string[]): string | undefined {
    const unknown = regions.filter((region) => !ROUTE53_CHECKER_REGIONS.includes(region));
    if (unknown.length > 0) return `must name Route 53 checker regions only (${ROUTE53_CHECKER_REGIONS.join(", ")}); not: ${unknown.join(", ")}`;
    if (new Set(regions).size !== regions.length) return "must not repeat a region";
    if (regions.length < 3) return `must list at least 3 regions (Route 53's minimum), got ${regions.length}`;
    return undefined;
}

export function checkSentrySlug(value: string): string | undefined {
    return /^[a-z0-9][a-z0-9_-]{0,49}$/.test(value)
        ? undefined
        : "must be a Sentry slug: 1-50 lowercase letters, digits, - and _, starting with a letter or digit";
}

export function checkSentryEnvironment(value: string): string | undefined {
    // Sentry allows 64 characters; 32 keeps the rule names, which carry it and a runbook link, under Sentry's 256.
    return /^[A-Za-z0-9_.-]{1,32}$/.test(value) && value !== "None"
        ? undefined
        : "must be 1-32 letters, digits, _ . - (within Sentry's environment rules), the app's NODE_ENV / Vite mode, e.g. production";
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

export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
    256: [512, 1024, 2048],
    512: [1024, 2048, 3072, 4096],
    1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
    2048: Array.from({ length: 13 }, (_, index) => 4096 + index * 1024),
    4096: Array.from({ length: 23 }, (_, index) => 8192 + index * 1024),
    8192: Array.from({ length: 12 }, (_, index) => 16_384 + index * 4096),
    16384: Array.from({ length: 12 }, (_, index) => 32_768 + index * 8192),
};

export function checkFargateSize(cpu: number, memory: number): string | undefined {
    const allowed = FARGATE_SIZES[cpu];
    if (allowed === undefined) return checkFargateCpu(cpu);
    if (allowed.includes(memory)) return undefined;
    const low = allowed[0]!;
    const sizes = cpu === 256 ? allowed.join(", ") : `${low}-${allowed[allowed.length - 1]} in steps of ${allowed[1]! - low}`;
    return `is not a memory size Fargate accepts with cpu ${cpu}; allowed: ${sizes} MiB`;
}

export function checkImageUri(value: string): string | undefined {
    if (!/^[a-z0-9][a-z0-9.-]*(:\d+)?\/[a-z0-9._/-]+(:[\w][\w.-]{0,127})?@sha256:[0-9a-f]{64}$/.test(value)) {
        return "must be REGISTRY/REPOSITORY[:TAG]@sha256:<64 hex digits>, pinned by digest so that the task runs exactly the image reviewed";
    }
    return undefined;
}

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

function serverOf(value: string): string | undefined {
    try {
        const url = new URL(value);
        return `${url.hostname.toLowerCase()}:${url.port || "5432"}`;
    } catch {
        return undefined;
    }
}

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
