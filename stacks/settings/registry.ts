// Every area's settings in one registry, and the one parser over them: every problem at once,
// before any resource is registered, each naming the key, the value given (never a secret's) and
// what is allowed. Pulumi.yaml's schema and docs/settings.md are checked against this registry.
import * as pulumi from "@pulumi/pulumi";
import { alertsArea, type AlertsSettings } from "../alerts/settings.js";
import { backupJobArea, backupJobSettings, type BackupJobSettings } from "../backupJob/settings.js";
import { backupStorageArea, backupStorageSettings, type BackupStorageSettings } from "../storage/settings.js";
import { logDrainsArea, logDrainSettings, type LogDrainSettings } from "../logDrains/settings.js";
import { monitoringArea, type MonitoringSettings, SENTRY_PLATFORMS } from "../sentry/settings.js";
import { neonArea, neonSettings, type NeonSettings, requiredDatabaseSecrets } from "../neon/settings.js";
import { longestStackName, physicalNameProblems, STACK_NAME_CHARACTERS } from "../shared/naming.js";
import { coreArea, type CoreSettings } from "./core.js";
import { type Area, type AreaContext, nearestOf, OFFLINE_SECRET, type Setting, suggestion, type Values } from "./spec.js";
import { checkDataRegion, type DataResidency } from "./checks.js";

// biome-ignore lint/suspicious/noExplicitAny: areas differ in their settings' value types.
export type AnyArea = Area<Record<string, Setting<any>>>;

/** In the order docs/settings.md lists them. */
export const AREAS: readonly AnyArea[] = [coreArea, backupStorageArea, backupJobArea, neonArea, logDrainsArea, monitoringArea, alertsArea];

/** Every project setting by name (names are unique across areas: a test checks it). */
export const SETTINGS: Readonly<Record<string, Setting<unknown>>> = Object.fromEntries(AREAS.flatMap((area) => Object.entries(area.settings)));
export const SETTING_NAMES: readonly string[] = Object.keys(SETTINGS);

/** Provider namespaces whose keys this program leaves to the providers. */
export const PROVIDER_NAMESPACES: readonly string[] = ["aws", "sentry", "pulumi"];

type CoreValues = Values<typeof coreArea.settings>;
type JobValues = Values<typeof backupJobArea.settings>;

/** Every area's settings: the core's and one member per area. */
export interface Settings extends CoreSettings {
    storage: BackupStorageSettings;
    monitoring: MonitoringSettings;
    alerts: AlertsSettings;
    /** Connection string the backup job dumps from; always a secret. Undefined when the Neon project provides it (`neon`). */
    databaseUrl: pulumi.Output<string> | undefined;
    /** The stack's Neon project; undefined when its database is not managed on Neon. */
    neon: NeonSettings | undefined;
    logDrains: LogDrainSettings;
    /** The scheduled backup task: image, size, network, logs, restore drill, Sentry monitor. */
    job: BackupJobSettings;
}

/** The key a problem of the stack's own name is reported under (it is no config key). */
export const STACK_NAME_KEY = "stack name";

export interface SettingsProblem {
    /** Full config key, e.g. `hotelgenius-ops:objectLockDays`. */
    key: string;
    /** The value as given, `[secret]` for secrets, undefined when the key is not set. */
    value: string | undefined;
    /** What would be accepted. */
    allowed: string;
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
    const { parsed, region } = checkedAreaValues(AREAS, input);
    const { project, stack } = input;
    const core = parsed as CoreValues;
    const job = parsed as JobValues;
    return deepFreeze<Settings>({
        project,
        stack,
        region,
        owner: core.owner,
        alertEmails: core.alertEmails,
        dataResidency: core.dataResidency,
        storage: backupStorageSettings(valuesOf(backupStorageArea, parsed)),
        databaseUrl: job.databaseUrl === undefined ? undefined : pulumi.secret(job.databaseUrl),
        neon: neonSettings(valuesOf(neonArea, parsed)),
        logDrains: logDrainSettings(valuesOf(logDrainsArea, parsed), (value) => pulumi.secret(value)),
        monitoring: valuesOf(monitoringArea, parsed),
        alerts: valuesOf(alertsArea, parsed),
        job: backupJobSettings(valuesOf(backupJobArea, parsed)),
    });
}

/**
 * Checks raw settings against `areas` (the keys, aws:region, each setting, then the areas'
 * relations) and returns what parsed; throws SettingsError listing every problem at once. The main
 * program and the account program (bootstrap/) each pass their own areas.
 */
export function checkedAreaValues(areas: readonly AnyArea[], input: ParseSettingsInput): { parsed: Record<string, unknown>; region: string } {
    const { project, stack, values: raw, secretKeys } = input;
    const settings: Record<string, Setting<unknown>> = Object.fromEntries(areas.flatMap((area) => Object.entries(area.settings)));
    const problems: SettingsProblem[] = [];
    const keyOf = (name: string) => `${project}:${name}`;
    const shown = (name: string, value: string) => (secretKeys.has(keyOf(name)) || settings[name]?.secret ? OFFLINE_SECRET : value);
    const problem = (name: string, value: string | undefined, allowed: string) =>
        problems.push({ key: name.includes(":") ? name : keyOf(name), value: value === undefined ? undefined : shown(name, value), allowed });

    checkKeys(project, Object.keys(settings), raw, problem);
    const residency = raw[keyOf("dataResidency")];
    const region = checkedRegion(raw["aws:region"], residency === undefined || residency === "eu" ? "eu" : undefined, problem);

    // The Pulumi CLI refuses a typed setting with neither a stack value nor a default, so Pulumi.yaml gives each
    // optional setting an empty default ("" or []), which means unset.
    const given = (name: string): string | undefined => {
        const value = raw[keyOf(name)];
        return settings[name]?.optional && (value === "" || value === "[]") ? undefined : value;
    };
    const parsed: Record<string, unknown> = {};
    for (const [name, setting] of Object.entries(settings)) {
        const value = parseOne(name, setting, given(name), secretKeys.has(keyOf(name)), problem);
        if (value !== undefined) parsed[name] = value;
    }
    const context: AreaContext = { project, stack, region, keyOf, isSet: (name) => given(name) !== undefined };
    for (const area of areas) {
        for (const relation of area.relations?.(parsed, context) ?? []) {
            problem(relation.setting, relation.value === undefined ? undefined : String(relation.value), relation.allowed);
            delete parsed[relation.setting];
        }
    }
    // Physical names carry the stack's name: checked here, with the settings that decide which
    // resources exist (the main program's storage settings; the account program has none), so a
    // stack name no service accepts is a settings error, not a stack trace.
    const storage = parsed as Partial<Values<typeof backupStorageArea.settings>>;
    if (storage.offSiteReplica !== undefined && storage.replicaRegion !== undefined) {
        const resources = { offSiteReplica: storage.offSiteReplica, replicaRegion: storage.replicaRegion, sentryProjectRoles: Object.keys(SENTRY_PLATFORMS) };
        const names = physicalNameProblems({ project, stack }, resources);
        if (names.length > 0) {
            const rule = `at most ${longestStackName(project, resources)} characters of ${STACK_NAME_CHARACTERS}`;
            for (const name of names) problems.push({ key: STACK_NAME_KEY, value: stack, allowed: `must be ${rule}: ${name}` });
        }
    }
    if (problems.length > 0) throw new SettingsError(problems);
    return { parsed, region: region! };
}

/** The parsed values of one area's settings only. */
export function valuesOf<S extends Record<string, Setting<unknown>>>(area: Area<S>, parsed: Record<string, unknown>): Values<S> {
    return Object.fromEntries(Object.keys(area.settings).map((name) => [name, parsed[name]])) as Values<S>;
}

type AddProblem = (name: string, value: string | undefined, allowed: string) => void;

/** One setting: presence, secrecy, the raw text's type, then its schema. Undefined when it was refused or is unset and optional. */
function parseOne(name: string, setting: Setting<unknown>, given: string | undefined, storedAsSecret: boolean, problem: AddProblem): unknown {
    if (!setting.secret && storedAsSecret) {
        // Its value is not checked: the offline plan cannot read it.
        problem(name, given, "is not a secret: set it without --secret so reviewers and the offline plan can read and check it");
        return undefined;
    }
    if (given === undefined) {
        if (setting.default !== undefined) return setting.default;
        if (!setting.optional) problem(name, undefined, `required${requiredHint(name, setting)}`);
        return undefined;
    }
    if (setting.secret) {
        if (!storedAsSecret) {
            problem(
                name,
                given,
                `is stored as plain text; it must be a secret: \`pulumi config set --secret ${name} <value>\` (or fn::secret in the ESC environment)`,
            );
            return undefined;
        }
        if (given.trim() === "") {
            problem(name, given, `must not be empty: ${setting.allowed}`);
            return undefined;
        }
        // The offline plan cannot decrypt: presence is all it can check; `pulumi preview` checks the value.
        if (given === OFFLINE_SECRET) return given;
    }
    // Text that is not of the setting's type goes to the schema as it is, which refuses it with its own message.
    const result = setting.schema.safeParse(coerce(setting, given) ?? given);
    if (!result.success) {
        problem(name, given, result.error.issues[0]?.message ?? setting.allowed);
        return undefined;
    }
    return result.data;
}

/** The raw config text as the setting's type, or undefined when it is not of that type. */
function coerce(setting: Setting<unknown>, given: string): unknown {
    switch (setting.type) {
        case "string":
            return given;
        case "integer":
            return /^-?\d+$/.test(given.trim()) ? Number(given) : undefined;
        case "boolean":
            return given === "true" ? true : given === "false" ? false : undefined;
        case "array": {
            try {
                const value: unknown = JSON.parse(given);
                return Array.isArray(value) && value.every((item) => typeof item === "string") ? value : undefined;
            } catch {
                return undefined;
            }
        }
    }
}

/**
 * Reads the running program's settings (values and which of them are secret) and validates
 * them. Call it before registering any resource, so bad settings stop the update up front.
 */
export function loadSettings(): Settings {
    return parseSettings(runtimeSettings());
}

/** The running program's raw settings, as the Pulumi CLI handed them over, and which of them are secret. */
export function runtimeSettings(): ParseSettingsInput {
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
    // @internal in the typings, but it is how the SDK itself learns which keys the CLI decrypted.
    const isConfigSecret = runtime.isConfigSecret;
    if (typeof isConfigSecret !== "function") {
        throw new Error(
            "@pulumi/pulumi no longer exposes runtime.isConfigSecret; stacks/settings/registry.ts needs another way to read the secret config keys",
        );
    }
    const values = pulumi.runtime.allConfig();
    const secretKeys = new Set(Object.keys(values).filter((key) => isConfigSecret(key)));
    return { project: pulumi.getProject(), stack: pulumi.getStack(), values, secretKeys };
}

/**
 * Full keys of the settings a stack's Pulumi ESC environment must provide when it imports one;
 * `values` (the stack file's) decides which database secrets: Neon's API key or the job's URLs.
 */
export function requiredSecretKeys(project: string, values: Readonly<Record<string, string>> = {}): string[] {
    const always = Object.entries(SETTINGS)
        .filter(([, setting]) => setting.secret && !setting.optional && setting.default === undefined)
        .map(([name]) => name);
    const isSet = (name: string) => !["", "[]", undefined].includes(values[`${project}:${name}`]);
    return [...always, ...requiredDatabaseSecrets(isSet)].map((name) => `${project}:${name}`);
}

function requiredHint(name: string, setting: Setting<unknown>): string {
    if (setting.secret)
        return ` secret: set it with \`pulumi config set --secret ${name} <value>\` or from the stack's Pulumi ESC environment (pulumiConfig, fn::secret)`;
    if (setting.type === "array") return `: set it with \`pulumi config set --path '${name}[0]' <value>\``;
    return `: set it with \`pulumi config set ${name} <value>\``;
}

function checkKeys(project: string, names: readonly string[], values: Readonly<Record<string, string>>, problem: AddProblem): void {
    const known = names.map((name) => `${project}:${name}`);
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

function checkedRegion(value: string | undefined, residency: DataResidency | undefined, problem: AddProblem): string | undefined {
    if (value === undefined) {
        problem("aws:region", undefined, "required: the primary AWS region, e.g. `pulumi config set aws:region eu-west-3`");
        return undefined;
    }
    const reason = checkDataRegion(value, residency);
    if (reason !== undefined) {
        problem("aws:region", value, reason);
        return undefined;
    }
    return value;
}

/** Freezes a settings tree; Outputs are left alone because the runtime mutates their internals. */
export function deepFreeze<T>(value: T): T {
    if (value === null || typeof value !== "object" || pulumi.Output.isInstance(value) || Object.isFrozen(value)) return value;
    for (const inner of Object.values(value)) deepFreeze(inner);
    return Object.freeze(value);
}
