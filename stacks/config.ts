import * as pulumi from "@pulumi/pulumi";
import { Region } from "@pulumi/aws/types/enums/index.js";

/** S3 storage classes a lifecycle rule may move dumps to after Standard-IA. */
export type ArchiveStorageClass = "GLACIER_IR" | "GLACIER" | "DEEP_ARCHIVE";
export type ObjectLockMode = "GOVERNANCE" | "COMPLIANCE";

/** Where the backup job writes inside the bucket; the lifecycle rules filter on these prefixes. */
export interface BackupLayout {
    /** Target the job is given: s3://<bucket>/<root>. */
    root: string;
    /** `${root}/dumps/` — one `<id>.pgdump.zst` per backup. */
    dumpPrefix: string;
    /** `${root}/manifests/` — one `<id>.json` per backup, written last. */
    manifestPrefix: string;
}

export interface BackupStorageSettings {
    layout: BackupLayout;
    objectLockMode: ObjectLockMode;
    objectLockDays: number;
    transitionToIaDays: number;
    transitionToArchiveDays: number;
    archiveStorageClass: ArchiveStorageClass;
    expirationDays: number;
    noncurrentExpirationDays: number;
    abortIncompleteUploadDays: number;
    replicaRegion: string;
    kmsDeletionWindowDays: number;
    /** protect + retainOnDelete on every resource that holds backup data. */
    protectData: boolean;
}

export interface BackupScheduleSettings {
    /** EventBridge Scheduler expression: cron(m h dom mon dow y) or rate(n unit). */
    expression: string;
    /** IANA time zone the cron expression is read in. */
    timezone: string;
}

export interface Settings {
    project: string;
    stack: string;
    /** Primary AWS region (the `aws:region` provider setting). */
    region: string;
    /** Team or person answerable for the resources; the `owner` tag. */
    owner: string;
    alertEmails: readonly string[];
    storage: BackupStorageSettings;
    schedule: BackupScheduleSettings;
    /** Connection string the backup job dumps from; always a secret. */
    databaseUrl: pulumi.Output<string>;
}

/** The project's own settings, without the `<project>:` namespace. */
export const SETTING_NAMES = [
    "owner",
    "alertEmails",
    "replicaRegion",
    "backupRoot",
    "objectLockMode",
    "objectLockDays",
    "transitionToIaDays",
    "transitionToArchiveDays",
    "archiveStorageClass",
    "expirationDays",
    "noncurrentExpirationDays",
    "abortIncompleteUploadDays",
    "kmsDeletionWindowDays",
    "protectData",
    "backupSchedule",
    "backupScheduleTimezone",
    "databaseUrl",
] as const;
export type SettingName = (typeof SETTING_NAMES)[number];

/** Value types as Pulumi.yaml declares them (`array` is always an array of strings here). */
export type SettingType = "string" | "integer" | "boolean" | "array";

export const SETTING_TYPES: Readonly<Record<SettingName, SettingType>> = {
    owner: "string",
    alertEmails: "array",
    replicaRegion: "string",
    backupRoot: "string",
    objectLockMode: "string",
    objectLockDays: "integer",
    transitionToIaDays: "integer",
    transitionToArchiveDays: "integer",
    archiveStorageClass: "string",
    expirationDays: "integer",
    noncurrentExpirationDays: "integer",
    abortIncompleteUploadDays: "integer",
    kmsDeletionWindowDays: "integer",
    protectData: "boolean",
    backupSchedule: "string",
    backupScheduleTimezone: "string",
    databaseUrl: "string",
};

/** Settings whose values must be encrypted (`pulumi config set --secret`) or come from a Pulumi ESC environment. */
export const SECRET_SETTINGS: ReadonlySet<SettingName> = new Set<SettingName>(["databaseUrl"]);

/**
 * The one source of defaults, each chosen for prod (docs/settings.md says why). Settings absent
 * here are required: there is no safe guess for where alerts go or which database to dump.
 */
export const DEFAULTS = Object.freeze({
    owner: "platform-team",
    replicaRegion: "us-west-2",
    backupRoot: "postgres",
    // COMPLIANCE: not even the account root can shorten it, so stolen admin credentials cannot
    // destroy the last month of backups; the bounded retention caps what a mistake can cost.
    objectLockMode: "COMPLIANCE",
    objectLockDays: 35,
    transitionToIaDays: 30,
    transitionToArchiveDays: 90,
    // Glacier Instant Retrieval keeps old dumps readable by a plain GetObject, so `restore`
    // works on any dump without a separate thaw step.
    archiveStorageClass: "GLACIER_IR",
    expirationDays: 365,
    noncurrentExpirationDays: 30,
    abortIncompleteUploadDays: 7,
    kmsDeletionWindowDays: 30,
    protectData: true,
    backupSchedule: "cron(0 3 * * ? *)",
    backupScheduleTimezone: "UTC",
} as const satisfies Partial<Record<SettingName, string | number | boolean>>);

export const REQUIRED_SETTINGS: readonly SettingName[] = SETTING_NAMES.filter((name) => !(name in DEFAULTS));

/** Provider namespaces whose keys this program leaves to the providers. */
export const PROVIDER_NAMESPACES: readonly string[] = ["aws", "sentry", "pulumi"];

/**
 * What the offline plan passes for a `secure:` value it cannot decrypt. Only presence is
 * checked for it; the real value is checked by `pulumi preview`/`up`, which can decrypt.
 */
export const OFFLINE_SECRET = "[secret]";

export const ARCHIVE_STORAGE_CLASSES: readonly ArchiveStorageClass[] = ["GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"];
export const OBJECT_LOCK_MODES: readonly ObjectLockMode[] = ["GOVERNANCE", "COMPLIANCE"];
export const AWS_REGIONS: readonly string[] = Object.values(Region);

/** S3 refuses Standard-IA transitions earlier than this, and archive tiers sooner than this after Standard-IA. */
export const MIN_DAYS_IN_STANDARD = 30;
export const MIN_DAYS_IN_IA = 30;
/** Longest retention or lifetime accepted, in days (100 years). */
const MAX_DAYS = 36_500;

export interface SettingsProblem {
    /** Full config key, e.g. `hotelgenius-ops:objectLockDays`. */
    key: string;
    /** The value as given, `[secret]` for secrets, undefined when the key is not set. */
    value: string | undefined;
    /** What would be accepted. */
    allowed: string;
}

/** Every problem found in a stack's settings; the message has one line per problem. */
/** The day settings whose order S3 lifecycle rules and Object Lock constrain. */
export interface LifecycleDays {
    transitionToIaDays: number | undefined;
    transitionToArchiveDays: number | undefined;
    expirationDays: number | undefined;
    objectLockDays: number | undefined;
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

export class SettingsError extends Error {
    readonly problems: readonly SettingsProblem[];

    constructor(problems: readonly SettingsProblem[]) {
        super(problems.map(formatProblem).join("\n"));
        this.name = "SettingsError";
        this.problems = problems;
    }
}

export function formatProblem(problem: SettingsProblem): string {
    const given = problem.value === undefined ? "not set" : problem.value === OFFLINE_SECRET ? OFFLINE_SECRET : JSON.stringify(problem.value);
    return `${problem.key}: ${given}; ${problem.allowed}`;
}

export interface ParseSettingsInput {
    project: string;
    stack: string;
    /** Full keys to raw strings as Pulumi stores them; arrays and objects as JSON text. */
    values: Readonly<Record<string, string>>;
    /** Keys whose values are secret (encrypted in the stack file or from ESC). */
    secretKeys: ReadonlySet<string>;
}

/** Validates a stack's raw settings; throws SettingsError listing every problem at once. */
export function parseSettings(input: ParseSettingsInput): Settings {
    const { project, stack, values, secretKeys } = input;
    const problems: SettingsProblem[] = [];
    const keyOf = (name: SettingName) => `${project}:${name}`;
    const shown = (key: string, value: string) => (secretKeys.has(key) || isSecretSetting(project, key) ? OFFLINE_SECRET : value);
    const problem = (key: string, value: string | undefined, allowed: string) =>
        problems.push({ key, value: value === undefined ? undefined : shown(key, value), allowed });

    checkKeys(project, values, problem);

    // A plain setting stored as a secret is reported once; its value is not checked, as the offline plan cannot read it.
    const storedAsSecret = new Set(SETTING_NAMES.filter((name) => !SECRET_SETTINGS.has(name) && secretKeys.has(keyOf(name))));
    for (const name of storedAsSecret) {
        problem(keyOf(name), values[keyOf(name)], "is not a secret: set it without --secret so reviewers and the offline plan can read and check it");
    }

    const raw = (name: SettingName): string | undefined => values[keyOf(name)];
    const text = (name: SettingName, check: (value: string) => string | undefined): string | undefined => {
        if (storedAsSecret.has(name)) return undefined;
        const value = raw(name) ?? defaultOf(name);
        if (value === undefined) {
            problem(keyOf(name), undefined, `required: ${requiredHint(name)}`);
            return undefined;
        }
        const reason = check(value);
        if (reason !== undefined) {
            problem(keyOf(name), value, reason);
            return undefined;
        }
        return value;
    };
    const integer = (name: SettingName, min: number, max: number, why = ""): number | undefined => {
        const value = text(name, (given) => (parseInteger(given, min, max) === undefined ? `must be a whole number from ${min} to ${max}${why}` : undefined));
        return value === undefined ? undefined : parseInteger(value, min, max);
    };
    const oneOf = <T extends string>(name: SettingName, options: readonly T[]): T | undefined =>
        text(name, (given) => (options.includes(given as T) ? undefined : `must be one of ${options.join(", ")}${suggestion(given, options)}`)) as T | undefined;

    const region = checkedRegion("aws:region", values["aws:region"], problem);
    const owner = text("owner", (given) => (/^[A-Za-z0-9][A-Za-z0-9 ._:/=+@-]{0,255}$/.test(given) ? undefined : "must be 1-256 characters of letters, digits, spaces and . _ : / = + - @ (AWS tag value rules), starting with a letter or digit"));
    const alertEmails = storedAsSecret.has("alertEmails") ? undefined : parseEmails(keyOf("alertEmails"), raw("alertEmails"), problem);
    const replicaRegion = text("replicaRegion", (given) => (AWS_REGIONS.includes(given) ? undefined : `must be an AWS region code${suggestion(given, AWS_REGIONS)}`));
    const backupRoot = text("backupRoot", checkPrefixRoot);
    const objectLockMode = oneOf("objectLockMode", OBJECT_LOCK_MODES);
    const objectLockDays = integer("objectLockDays", 1, MAX_DAYS);
    const transitionToIaDays = integer("transitionToIaDays", MIN_DAYS_IN_STANDARD, MAX_DAYS, ` (S3 refuses Standard-IA transitions before day ${MIN_DAYS_IN_STANDARD})`);
    const transitionToArchiveDays = integer("transitionToArchiveDays", 1, MAX_DAYS);
    const archiveStorageClass = oneOf("archiveStorageClass", ARCHIVE_STORAGE_CLASSES);
    const expirationDays = integer("expirationDays", 1, MAX_DAYS);
    const noncurrentExpirationDays = integer("noncurrentExpirationDays", 1, MAX_DAYS);
    const abortIncompleteUploadDays = integer("abortIncompleteUploadDays", 1, MAX_DAYS);
    const kmsDeletionWindowDays = integer("kmsDeletionWindowDays", 7, 30, " (the window AWS KMS allows)");
    const protectData = text("protectData", (given) => (given === "true" || given === "false" ? undefined : "must be true or false")) as "true" | "false" | undefined;
    const expression = text("backupSchedule", checkScheduleExpression);
    const timezone = text("backupScheduleTimezone", checkTimeZone);
    const databaseUrl = parseSecretUrl(keyOf("databaseUrl"), raw("databaseUrl"), secretKeys, problem);

    if (region !== undefined && replicaRegion !== undefined && region === replicaRegion) {
        problem(keyOf("replicaRegion"), replicaRegion, `must differ from the primary region aws:region (${region}): an off-site copy in the same region is not off-site`);
    }
    for (const order of lifecycleOrderProblems({ transitionToIaDays, transitionToArchiveDays, expirationDays, objectLockDays }, keyOf)) {
        problem(keyOf(order.setting), String(order.value), order.allowed);
    }

    if (problems.length > 0) throw new SettingsError(problems);
    return deepFreeze<Settings>({
        project,
        stack,
        region: region!,
        owner: owner!,
        alertEmails: alertEmails!,
        storage: {
            layout: { root: backupRoot!, dumpPrefix: `${backupRoot}/dumps/`, manifestPrefix: `${backupRoot}/manifests/` },
            objectLockMode: objectLockMode!,
            objectLockDays: objectLockDays!,
            transitionToIaDays: transitionToIaDays!,
            transitionToArchiveDays: transitionToArchiveDays!,
            archiveStorageClass: archiveStorageClass!,
            expirationDays: expirationDays!,
            noncurrentExpirationDays: noncurrentExpirationDays!,
            abortIncompleteUploadDays: abortIncompleteUploadDays!,
            replicaRegion: replicaRegion!,
            kmsDeletionWindowDays: kmsDeletionWindowDays!,
            protectData: protectData === "true",
        },
        schedule: { expression: expression!, timezone: timezone! },
        databaseUrl: pulumi.secret(databaseUrl!),
    });
}

/**
 * Reads the running program's settings (values and which of them are secret) and validates
 * them. Call it before registering any resource, so bad settings stop the update up front.
 */
export function loadSettings(): Settings {
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
    // @internal in the typings, but it is how the SDK itself learns which keys the CLI decrypted.
    const isConfigSecret = runtime.isConfigSecret;
    if (typeof isConfigSecret !== "function") {
        throw new Error("@pulumi/pulumi no longer exposes runtime.isConfigSecret; stacks/config.ts needs another way to read the secret config keys");
    }
    const values = pulumi.runtime.allConfig();
    const secretKeys = new Set(Object.keys(values).filter((key) => isConfigSecret(key)));
    return parseSettings({ project: pulumi.getProject(), stack: pulumi.getStack(), values, secretKeys });
}

/** Full keys of the project's secret settings, e.g. `hotelgenius-ops:databaseUrl`. */
export function secretSettingKeys(project: string): string[] {
    return [...SECRET_SETTINGS].map((name) => `${project}:${name}`);
}

function isSecretSetting(project: string, key: string): boolean {
    return key.startsWith(`${project}:`) && SECRET_SETTINGS.has(key.slice(project.length + 1) as SettingName);
}

function defaultOf(name: SettingName): string | undefined {
    const value = (DEFAULTS as Partial<Record<SettingName, string | number | boolean>>)[name];
    return value === undefined ? undefined : String(value);
}

function requiredHint(name: SettingName): string {
    if (SECRET_SETTINGS.has(name)) return `set it with \`pulumi config set --secret ${name} <value>\` or from the stack's Pulumi ESC environment`;
    if (SETTING_TYPES[name] === "array") return `set it with \`pulumi config set --path '${name}[0]' <value>\``;
    return `set it with \`pulumi config set ${name} <value>\``;
}

type AddProblem = (key: string, value: string | undefined, allowed: string) => void;

function checkKeys(project: string, values: Readonly<Record<string, string>>, problem: AddProblem): void {
    const known = SETTING_NAMES.map((name) => `${project}:${name}`);
    const namespaces = [project, ...PROVIDER_NAMESPACES];
    for (const key of Object.keys(values)) {
        const colon = key.indexOf(":");
        const namespace = colon > 0 ? key.slice(0, colon) : undefined;
        if (namespace === project) {
            if (!known.includes(key)) problem(key, values[key], `unknown setting${suggestion(key, known)}; settings are listed in docs/settings.md`);
        } else if (namespace === undefined || !PROVIDER_NAMESPACES.includes(namespace)) {
            const name = colon > 0 ? key.slice(colon + 1) : key;
            const nearest = nearestOf(namespace ?? "", namespaces);
            const hint = nearest !== undefined ? ` (did you mean ${nearest}:${name}?)` : "";
            problem(key, values[key], `unknown namespace${hint}: keys must start with ${namespaces.map((ns) => `${ns}:`).join(", ")}`);
        }
    }
}

function checkedRegion(key: string, value: string | undefined, problem: AddProblem): string | undefined {
    if (value === undefined) {
        problem(key, undefined, "required: the primary AWS region, e.g. `pulumi config set aws:region us-east-1`");
        return undefined;
    }
    if (!AWS_REGIONS.includes(value)) {
        problem(key, value, `must be an AWS region code${suggestion(value, AWS_REGIONS)}`);
        return undefined;
    }
    return value;
}

function parseEmails(key: string, value: string | undefined, problem: AddProblem): string[] | undefined {
    if (value === undefined) {
        problem(key, undefined, "required: a list of addresses that receive backup and alarm notifications, e.g. `pulumi config set --path 'alertEmails[0]' ops@example.com`");
        return undefined;
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(value);
    } catch {
        parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== "string")) {
        problem(key, value, "must be a list of email addresses (YAML list in the stack file, or `pulumi config set --path 'alertEmails[0]' ops@example.com`)");
        return undefined;
    }
    const emails = parsed as string[];
    if (emails.length === 0) {
        problem(key, value, "must list at least one email address: alerts that reach nobody are not alerts");
        return undefined;
    }
    const bad = emails.filter((email) => !isEmail(email));
    if (bad.length > 0) {
        problem(key, value, `${bad.map((email) => JSON.stringify(email)).join(", ")} ${bad.length === 1 ? "is not an email address" : "are not email addresses"}; each item must look like name@example.com`);
        return undefined;
    }
    const duplicates = emails.filter((email, index) => emails.findIndex((other) => other.toLowerCase() === email.toLowerCase()) !== index);
    if (duplicates.length > 0) {
        problem(key, value, `must not repeat an address (${duplicates.join(", ")}): SNS would send each alert twice`);
        return undefined;
    }
    return emails;
}

function parseSecretUrl(key: string, value: string | undefined, secretKeys: ReadonlySet<string>, problem: AddProblem): string | undefined {
    if (value === undefined) {
        problem(key, undefined, "required secret: set it with `pulumi config set --secret databaseUrl <url>` or in the stack's Pulumi ESC environment (pulumiConfig, fn::secret)");
        return undefined;
    }
    if (!secretKeys.has(key)) {
        problem(key, value, "is stored as plain text; it must be a secret: `pulumi config set --secret databaseUrl <url>` (or fn::secret in the ESC environment)");
        return undefined;
    }
    if (value.trim() === "") {
        problem(key, value, "must not be empty: a postgres:// or postgresql:// URL of the database's direct endpoint");
        return undefined;
    }
    if (value === OFFLINE_SECRET) return value;
    const reason = checkDatabaseUrl(value);
    if (reason !== undefined) {
        problem(key, value, reason);
        return undefined;
    }
    return value;
}

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

function parseInteger(value: string, min: number, max: number): number | undefined {
    if (!/^-?\d+$/.test(value)) return undefined;
    const number = Number(value);
    return number >= min && number <= max ? number : undefined;
}

/** ` (did you mean X?)` for the closest candidate, or "" when none is close. */
export function suggestion(value: string, candidates: readonly string[]): string {
    const nearest = nearestOf(value, candidates);
    return nearest === undefined ? "" : ` (did you mean ${nearest}?)`;
}

function nearestOf(value: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const candidate of candidates) {
        const distance = editDistance(value.toLowerCase(), candidate.toLowerCase());
        if (distance < bestDistance) {
            best = candidate;
            bestDistance = distance;
        }
    }
    if (best === undefined) return undefined;
    const tolerance = Math.max(2, Math.floor(Math.max(value.length, best.length) / 3));
    return bestDistance <= tolerance ? best : undefined;
}

function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length]!;
}

/** Freezes a settings tree; Outputs are left alone because the runtime mutates their internals. */
export function deepFreeze<T>(value: T): T {
    if (value === null || typeof value !== "object" || pulumi.Output.isInstance(value) || Object.isFrozen(value)) return value;
    for (const inner of Object.values(value)) deepFreeze(inner);
    return Object.freeze(value);
}
