// What changes when a stack is cloned for non-production use: the one place that says which settings
// a clone of prod takes over, which it overrides (and why) and which it must never copy. Used by
// scripts/clone-stack.sh on the file `pulumi stack init NAME --copy-config-from SOURCE` wrote, and by
// the test that clones prod and plans the result.
//
//   tsx scripts/cloneStack.ts --file Pulumi.NAME.yaml --stack NAME --from prod --alert-email a@x [--alert-email b@x] --health-check-url https://… [--json]
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isScalar, parseDocument, type YAMLMap } from "yaml";
import { requiredSecretKeys, SETTINGS } from "../stacks/settings/registry.js";
import { checkEmail, checkHttpsUrl } from "../stacks/settings/checks.js";
import { SENTRY_PLATFORMS } from "../stacks/sentry/settings.js";
import { longestStackName, type NamedResources, physicalNameProblems, STACK_NAME_CHARACTERS, STACK_NAME_PATTERN } from "../stacks/shared/naming.js";
import { PROJECT } from "./offlinePlan/mockRuntime.js";

export interface Override {
    /** A project setting (without the `hotelgenius-ops:` namespace). */
    setting: string;
    value: string | number | boolean;
    why: string;
}

/**
 * Settings a non-production clone changes, each with its reason (written above the key in the new
 * stack file). Everything else is copied, so the clone rehearses prod faithfully.
 */
export const NON_PRODUCTION_OVERRIDES: readonly Override[] = [
    {
        setting: "protectData",
        value: false,
        why: "A clone is torn down and re-cloned: its buckets and keys must be deletable by `pulumi destroy`, so they are neither protected nor retained.",
    },
    {
        setting: "offSiteReplica",
        value: false,
        why:
            "No off-site replica: the clone's dumps hold anonymized data rebuilt at will, so a second region (bucket, key, replication, alerts) only adds " +
            "cost and teardown work.",
    },
    {
        setting: "objectLockMode",
        value: "GOVERNANCE",
        why:
            "GOVERNANCE lets an administrator bypass the lock to empty and delete the clone's buckets; COMPLIANCE would block every teardown until the last " +
            "lock expired.",
    },
    { setting: "objectLockDays", value: 1, why: "One day still exercises Object Lock on every upload without pinning throwaway dumps." },
    {
        setting: "transitionToArchiveDays",
        value: 60,
        why: "The earliest archive transition S3 allows after 30 days in Standard-IA, so the shorter expiration below still rehearses every lifecycle step.",
    },
    {
        setting: "expirationDays",
        value: 90,
        why: "Shorter retention: the clone's dumps hold anonymized data and are rebuilt at will; three months covers restore drills of older dumps.",
    },
    { setting: "noncurrentExpirationDays", value: 7, why: "Deleted or overwritten clone dumps need no month of recovery." },
    {
        setting: "neonHistoryRetentionHours",
        value: 24,
        why:
            "A day of Neon history: the clone's database is an anonymized copy reloaded at will (docs/neon.md, Staging), and its history never held " +
            "prod's data.",
    },
];

export interface CloneOptions {
    /** The new stack's name. */
    stack: string;
    /** The stack the settings came from (prod by default). */
    from: string;
    /** The clone's own alert recipients; never the source's, so a rehearsal does not page production's on-call. */
    alertEmails: string[];
    /** The clone's own app's health URL: the source's would have the clone's uptime check watch production. */
    healthCheckUrl: string;
}

export interface CloneResult {
    /** The new stack settings file. */
    text: string;
    /** Config keys dropped because they are secret: the clone needs its own values (the database URL above all). */
    secretsToSet: string[];
    /** Pulumi ESC environments of the source that were not carried over (they hold the source's secrets). */
    droppedEnvironments: string[];
}

/** What a clone creates (no off-site replica: an override), which decides the physical names its stack name must fit. */
const CLONE_RESOURCES: NamedResources = {
    offSiteReplica: NON_PRODUCTION_OVERRIDES.find((override) => override.setting === "offSiteReplica")!.value as boolean,
    replicaRegion: SETTINGS["replicaRegion"]!.default as string,
    sentryProjectRoles: Object.keys(SENTRY_PLATFORMS),
};

/**
 * Why the program would refuse a clone named `stack` (its derived physical names, as the settings
 * check derives them), or undefined. Lowercase only: names are lowercased, so `QA` and `qa` would collide.
 */
export function cloneNameProblem(stack: string): string | undefined {
    const longest = longestStackName(PROJECT, CLONE_RESOURCES);
    const allowed = `allowed: at most ${longest} characters of ${STACK_NAME_CHARACTERS} (every physical name of the stack carries it)`;
    if (stack.length > longest || !STACK_NAME_PATTERN.test(stack)) return `stack name "${stack}" (${stack.length} characters) is not allowed; ${allowed}`;
    const problems = physicalNameProblems({ project: PROJECT, stack }, CLONE_RESOURCES);
    return problems.length > 0 ? `stack name "${stack}" is not allowed: ${problems.join("; ")}` : undefined;
}

/** Problems with the clone's options, each naming the option, the value and what is allowed. */
export function cloneOptionProblems(options: CloneOptions): string[] {
    const problems: string[] = [];
    const nameProblem = cloneNameProblem(options.stack);
    if (nameProblem) problems.push(`--stack: ${nameProblem}`);
    if (options.stack === options.from) problems.push(`--stack "${options.stack}" is the source stack itself; allowed: a new stack name`);
    if (options.alertEmails.length === 0) problems.push("--alert-email is required at least once: the clone's own recipients, never the source's");
    for (const email of options.alertEmails) {
        const problem = checkEmail(email);
        if (problem) problems.push(`--alert-email "${email}" ${problem}`);
    }
    const urlProblem = checkHttpsUrl(options.healthCheckUrl);
    if (urlProblem) problems.push(`--health-check-url "${options.healthCheckUrl}" ${urlProblem}; allowed: the clone's own app's https health URL`);
    return problems;
}

function settingOf(key: string): string | undefined {
    if (key.includes(":")) return key.startsWith(`${PROJECT}:`) ? key.slice(PROJECT.length + 1) : undefined;
    return key;
}

function holdsSecret(value: unknown): boolean {
    if (Array.isArray(value)) return value.some(holdsSecret);
    if (value !== null && typeof value === "object") return "secure" in value || Object.values(value).some(holdsSecret);
    return false;
}

/**
 * The clone's stack file, from the source's (as `--copy-config-from` copied it): secrets and the
 * source's ESC environments removed, the non-production overrides applied, the clone's own
 * alert recipients set.
 */
export function cloneStackFile(sourceText: string, options: CloneOptions): CloneResult {
    const problems = cloneOptionProblems(options);
    if (problems.length > 0) throw new Error(problems.join("\n"));
    const source = parseDocument(sourceText);
    if (source.errors.length > 0) throw new Error(`the source stack file is not valid YAML: ${source.errors[0]!.message}`);
    const sourceJs = (source.toJS() ?? {}) as { config?: Record<string, unknown>; environment?: string[] };

    const secretsToSet: string[] = [];
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(sourceJs.config ?? {})) {
        const setting = settingOf(key);
        const declaredSecret = setting !== undefined && SETTINGS[setting]?.secret === true;
        if (declaredSecret || holdsSecret(value)) secretsToSet.push(key.includes(":") ? key : `${PROJECT}:${key}`);
        else config[key.includes(":") ? key : `${PROJECT}:${key}`] = value;
    }
    // Neon: the clone gets its own project, named after it, and never adopts the source's: its
    // `pulumi destroy` would delete the project it adopted (docs/neon.md, Staging).
    // It is the target of the source's anonymized refresh (neonRefreshFrom), which scripts/neon-refresh.sh requires.
    const neonName = config[`${PROJECT}:neonProjectName`];
    if (typeof neonName === "string" && neonName !== "") {
        config[`${PROJECT}:neonProjectName`] = `${neonName}-${options.stack}`;
        config[`${PROJECT}:neonRefreshFrom`] = options.from;
    }
    delete config[`${PROJECT}:neonProjectId`];
    // Secrets the source takes from its ESC environment are not in its file; the clone needs its own all the same.
    const raw = Object.fromEntries(Object.entries(config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
    for (const key of requiredSecretKeys(PROJECT, raw)) if (!secretsToSet.includes(key)) secretsToSet.push(key);
    config[`${PROJECT}:alertEmails`] = options.alertEmails;
    // The clone's own app: its health URL, and the environment its NODE_ENV / Vite mode reports to Sentry.
    config[`${PROJECT}:healthCheckUrl`] = options.healthCheckUrl;
    config[`${PROJECT}:sentryEnvironment`] = options.stack;

    for (const override of NON_PRODUCTION_OVERRIDES) config[`${PROJECT}:${override.setting}`] = override.value;

    // The rest of the file (secretsprovider, encryptedkey, encryptionsalt) is the clone's own, written by `pulumi stack init`.
    const document = source.clone();
    document.delete("environment");
    document.set("config", document.createNode(config));
    document.commentBefore =
        ` ${options.stack}: cloned from ${options.from} by scripts/clone-stack.sh (scripts/cloneStack.ts). Settings not listed take their\n` +
        ` defaults; the others are ${options.from}'s, except the non-production overrides below, each with its reason. Secrets are never\n` +
        ` copied: ${secretsToSet.join(", ") || "none"} must be set for this stack (\`pulumi config set --secret\`).`;
    const configMap = document.get("config", true) as YAMLMap;
    for (const override of NON_PRODUCTION_OVERRIDES) {
        const pair = configMap.items.find((item) => isScalar(item.key) && item.key.value === `${PROJECT}:${override.setting}`);
        if (pair && isScalar(pair.key)) pair.key.commentBefore = ` ${override.why}`;
    }
    const droppedEnvironments = sourceJs.environment ?? [];
    return { text: document.toString({ lineWidth: 0 }), secretsToSet, droppedEnvironments };
}

function main(argv: string[]): void {
    const { values } = parseArgs({
        args: argv,
        options: {
            file: { type: "string" },
            stack: { type: "string" },
            from: { type: "string", default: "prod" },
            "alert-email": { type: "string", multiple: true, default: [] },
            "health-check-url": { type: "string", default: "" },
            json: { type: "boolean", default: false },
            "check-name": { type: "string" },
        },
        strict: true,
    });
    // clone-stack.sh asks this first, before it prompts for anything or creates anything.
    if (values["check-name"] !== undefined) {
        const problem = cloneNameProblem(values["check-name"]);
        if (problem) throw new Error(problem);
        return;
    }
    if (!values.file || !values.stack)
        throw new Error("--file and --stack are required (usage: tsx scripts/cloneStack.ts --file Pulumi.NAME.yaml --stack NAME ...)");
    const result = cloneStackFile(readFileSync(values.file, "utf8"), {
        stack: values.stack,
        from: values.from,
        alertEmails: values["alert-email"],
        healthCheckUrl: values["health-check-url"],
    });
    writeFileSync(values.file, result.text);
    const summary = { file: values.file, secretsToSet: result.secretsToSet, droppedEnvironments: result.droppedEnvironments };
    process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : `wrote ${values.file}; set: ${result.secretsToSet.join(", ")}\n`);
}

if (require.main === module) {
    try {
        main(process.argv.slice(2));
    } catch (error) {
        process.stderr.write(`${(error as Error).message}\n`);
        process.exit(2);
    }
}
