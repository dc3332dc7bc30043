// The Neon area's settings: the project (adopted or created), its region, PostgreSQL version and
// history retention, the API key, and where the backup job's database URLs come from.
import { defineArea, integer, oneOf, text, type RelationProblem, type Values } from "../settings/spec.js";
import type { DataResidency } from "../settings/checks.js";
import { STACK_NAME_PATTERN } from "../shared/naming.js";
import { checkNeonProjectId, checkNeonRegion, checkNeonRetention, checkPostgresMajor, checkRoleName, NEON_PLANS, type NeonPlan } from "./checks.js";

/** The job's URLs: both from Neon when the stack manages its Neon project, both set by hand otherwise. */
const JOB_URLS = ["databaseUrl", "scratchDatabaseUrl"] as const;

export const neonArea = defineArea({
    name: "neon",
    settings: {
        neonProjectName: text({
            optional: true,
            check: (value) => (/^[\w .-]{1,64}$/.test(value) ? undefined : "must be 1-64 letters, digits, spaces, `_`, `.` or `-`"),
            allowed: "a project name (1–64 characters); unset = Neon is not managed by this stack",
            description:
                "Name of the stack's Neon project; set = the stack manages it and derives the backup job's database URLs from it (databaseUrl and " +
                "scratchDatabaseUrl stay unset).",
            why:
                "Set, no person copies a database password: the backup role and the drill's scratch branch are made by `pulumi up` and their URLs go " +
                "straight into the job's secrets. Unset for a database that is not on Neon, whose URLs are then set by hand.",
        }),
        neonProjectId: text({
            optional: true,
            check: checkNeonProjectId,
            allowed: "the id of an existing Neon project (e.g. `autumn-sun-12345678`); requires `neonProjectName`",
            description: "Id of an existing Neon project the stack adopts instead of creating one (prod's).",
            why:
                "Prod's project exists and holds the data: the first `pulumi up` takes it over and sets its retention, and refuses it if its region or " +
                "PostgreSQL version differs from the settings. Pulumi cannot `pulumi import` a dynamic resource (docs/neon.md, Adopting prod's project).",
        }),
        neonRefreshFrom: text({
            optional: true,
            check: (value) => (STACK_NAME_PATTERN.test(value) ? undefined : "must be a stack name (lowercase letters, digits and hyphens)"),
            allowed:
                "the name of the stack whose data, anonymized, loads this one (e.g. `prod`); requires `neonProjectName`; refused while `protectData` is true",
            description:
                "Stack whose Neon data scripts/neon-refresh.sh loads into this stack's own project, anonymized on a private branch in the source's " +
                "project first; unset = no refresh may overwrite this stack's database.",
            why:
                "A refresh replaces the target's whole database: only a stack that says so may be a target, and only of the source it names, so " +
                "`neon-refresh.sh --to prod` is refused. Staging is its own project, not a branch of prod's (docs/neon.md, Staging).",
        }),
        neonApiKey: text({
            secret: true,
            optional: true,
            check: (value) => (value.trim() === value && value.length >= 16 ? undefined : "must be a Neon API key (no surrounding spaces)"),
            allowed: "a Neon API key (Account or Organization settings > API keys); must be a secret; required with `neonProjectName`",
            description: "Neon API key the Neon resources are managed with; from the stack's ESC environment or `pulumi config set --secret`.",
            why:
                "The providers read it from the stack's configuration when they run, so it is in no resource input, no state and no plan. An " +
                "organization key scoped to the one project limits what a leak could reach.",
        }),
        neonRegion: text({
            default: "aws-eu-central-1",
            allowed: "a Neon region id; in the EU (`aws-eu-central-1`, `azure-gwc`) while `dataResidency` is `eu`",
            description: "Neon region of the project (aws-eu-central-1 = Frankfurt).",
            why: "Frankfurt: Neon's AWS region in the EU, next to the backups in Paris. A project cannot move region: a new one would be created.",
        }),
        neonPostgresMajor: integer({
            default: 17,
            min: 14,
            max: 17,
            allowed: "14–17, at most `jobPostgresMajor`",
            description: "PostgreSQL major version of the Neon project; the backup image's pg_dump (jobPostgresMajor) must be at least this.",
            why: "Neon's newest supported version. pg_dump refuses a newer server, so `pulumi up` refuses a project newer than the job's pg_dump.",
        }),
        neonPlan: oneOf(NEON_PLANS, {
            default: "launch" as NeonPlan,
            description: "The Neon account's plan, which bounds the history retention (free 6 h, launch 7 days, scale 30 days).",
            why: "Launch allows the 7 days prod needs. Set it to the account's plan: the check then refuses a retention Neon would refuse.",
        }),
        neonHistoryRetentionHours: integer({
            default: 168,
            min: 1,
            max: 720,
            allowed: "1–720 hours, at most the plan's maximum (free 6, launch 168, scale 720); at least 168 while `protectData` is true",
            description: "Hours of history Neon keeps (the point-in-time restore window), the first copy of the 3-2-1 rule.",
            why:
                "A week: a bad migration or deletion found after a weekend can still be undone from Neon's history in minutes (runbooks/" +
                "neon-point-in-time-recovery.md). The nightly S3 dumps cover longer.",
        }),
        neonOwnerRole: text({
            default: "neondb_owner",
            check: checkRoleName,
            allowed: "the PostgreSQL role that owns `backupDatabaseName` on the production branch",
            description: "Role that owns the database; `pulumi up` connects as it (URL asked of Neon, never stored) to create the backup role.",
            why: "Neon names a project's first role after its database: `neondb_owner` for `neondb`.",
        }),
        neonBackupRole: text({
            default: "hotelgenius_backup",
            check: checkRoleName,
            allowed: "a PostgreSQL role name not used by anything else",
            description: "Read-only role the backup job connects as (created with SQL: pg_read_all_data, BYPASSRLS, read-only default).",
            why: "Its own name, so its rights can be audited and revoked without touching the app's roles.",
        }),
    },
    relations: (values, context) => {
        const problems: RelationProblem[] = [];
        const managed = context.isSet("neonProjectName");
        if (managed) {
            if (!context.isSet("neonApiKey")) {
                problems.push({
                    setting: "neonApiKey",
                    value: undefined,
                    allowed:
                        "required with neonProjectName: set it with `pulumi config set --secret neonApiKey <value>` or from the stack's Pulumi ESC " +
                        "environment (pulumiConfig, fn::secret)",
                });
            }
            for (const setting of JOB_URLS) {
                if (context.isSet(setting)) {
                    problems.push({
                        setting,
                        value: values[setting],
                        allowed:
                            "must be unset while neonProjectName is set: the backup job's URLs are derived from the Neon project (two sources would disagree)",
                    });
                }
            }
        } else {
            for (const setting of ["neonProjectId", "neonApiKey"] as const) {
                if (context.isSet(setting))
                    problems.push({ setting, value: values[setting], allowed: "is used only with neonProjectName: set that too, or unset this" });
            }
            for (const setting of JOB_URLS) {
                if (!context.isSet(setting)) {
                    problems.push({
                        setting,
                        value: undefined,
                        allowed:
                            `required secret: set it with \`pulumi config set --secret ${setting} <value>\` or from the stack's Pulumi ESC environment ` +
                            "(pulumiConfig, fn::secret), or set neonProjectName to derive it from Neon",
                    });
                }
            }
        }
        const protectData = values["protectData"] as boolean | undefined;
        if (context.isSet("neonRefreshFrom")) {
            const allowed = !managed
                ? "is used only with neonProjectName: a refresh loads the stack's own Neon project"
                : protectData !== false
                  ? "must be unset while protectData is true: a refresh replaces the whole database, and a protected stack's data is never replaced by a copy"
                  : values.neonRefreshFrom === context.stack
                    ? `must name another stack than ${context.stack} itself: the source whose anonymized data loads this stack`
                    : undefined;
            if (allowed !== undefined) problems.push({ setting: "neonRefreshFrom", value: values.neonRefreshFrom, allowed });
        }
        if (context.isSet("neonProjectId") && protectData === false) {
            problems.push({
                setting: "neonProjectId",
                value: values.neonProjectId,
                allowed:
                    "must be unset while protectData is false: an adopted project holds data the stack did not create, and `pulumi destroy` of an " +
                    "unprotected stack would delete it (a clone creates its own project)",
            });
        }
        const { neonRegion, neonPostgresMajor, neonHistoryRetentionHours, neonPlan } = values;
        const residency = values["dataResidency"] as DataResidency | undefined;
        const regionProblem = neonRegion === undefined ? undefined : checkNeonRegion(neonRegion, residency);
        if (regionProblem !== undefined) problems.push({ setting: "neonRegion", value: neonRegion, allowed: regionProblem });
        const jobMajor = values["jobPostgresMajor"] as number | undefined;
        const majorProblem = neonPostgresMajor === undefined || jobMajor === undefined ? undefined : checkPostgresMajor(neonPostgresMajor, jobMajor);
        if (majorProblem !== undefined) problems.push({ setting: "neonPostgresMajor", value: neonPostgresMajor, allowed: majorProblem });
        const retentionProblem =
            neonHistoryRetentionHours === undefined || neonPlan === undefined
                ? undefined
                : checkNeonRetention(neonHistoryRetentionHours, neonPlan, protectData);
        if (retentionProblem !== undefined)
            problems.push({ setting: "neonHistoryRetentionHours", value: neonHistoryRetentionHours, allowed: retentionProblem });
        return problems;
    },
});

/** The secret settings a stack importing a Pulumi ESC environment must get from it: the API key with Neon, the job's URLs without. */
export function requiredDatabaseSecrets(isSet: (name: string) => boolean): readonly string[] {
    return isSet("neonProjectName") ? ["neonApiKey"] : JOB_URLS;
}

export interface NeonSettings {
    projectName: string;
    /** Undefined: a new project is created. */
    adoptProjectId: string | undefined;
    region: string;
    postgresMajor: number;
    plan: NeonPlan;
    historyRetentionSeconds: number;
    ownerRole: string;
    backupRole: string;
    /** The stack whose anonymized data loads this project (scripts/neon-refresh.sh); undefined: never a refresh target. */
    refreshFrom: string | undefined;
}

/** Undefined when the stack does not manage a Neon project. */
export function neonSettings(values: Values<typeof neonArea.settings>): NeonSettings | undefined {
    if (values.neonProjectName === undefined) return undefined;
    return {
        projectName: values.neonProjectName,
        adoptProjectId: values.neonProjectId,
        region: values.neonRegion,
        postgresMajor: values.neonPostgresMajor,
        plan: values.neonPlan,
        historyRetentionSeconds: values.neonHistoryRetentionHours * 3600,
        ownerRole: values.neonOwnerRole,
        backupRole: values.neonBackupRole,
        refreshFrom: values.neonRefreshFrom,
    };
}
