// The Neon area's own checks: where the project may live, how long its history may be kept on each
// plan, and how its PostgreSQL version relates to the backup job's pg_dump.
import type { DataResidency } from "../settings/checks.js";
import { suggestion } from "../settings/spec.js";

/** Neon's region ids (api-docs.neon.tech, "List supported regions"), and those inside the EU. */
export const NEON_REGIONS: readonly string[] = [
    "aws-us-east-1",
    "aws-us-east-2",
    "aws-us-west-2",
    "aws-eu-central-1",
    "aws-eu-west-2",
    "aws-ap-southeast-1",
    "aws-ap-southeast-2",
    "aws-sa-east-1",
    "azure-eastus2",
    "azure-westus3",
    "azure-gwc",
];
/** Frankfurt and Azure Germany West Central; London (aws-eu-west-2) is not in the EU. */
export const NEON_EU_REGIONS: readonly string[] = ["aws-eu-central-1", "azure-gwc"];

export const NEON_PLANS = ["free", "launch", "scale"] as const;
export type NeonPlan = (typeof NEON_PLANS)[number];

/** The longest history (restore window) each plan allows, in hours: Free 6 h, Launch 7 days, Scale 30 days. */
export const NEON_PLAN_MAX_RETENTION_HOURS: Readonly<Record<NeonPlan, number>> = { free: 6, launch: 168, scale: 720 };

/** A protected (production) stack keeps at least a week of history: a problem found on Monday can still be undone to Friday. */
export const PROTECTED_MIN_RETENTION_HOURS = 168;

export function checkNeonRegion(region: string, residency: DataResidency | undefined): string | undefined {
    if (!NEON_REGIONS.includes(region)) return `must be a Neon region id${suggestion(region, NEON_REGIONS)}: ${NEON_REGIONS.join(", ")}`;
    if (residency === "eu" && !NEON_EU_REGIONS.includes(region)) {
        return (
            `must be a Neon region in the EU (${NEON_EU_REGIONS.join(", ")}): the database holds guests' personal data and dataResidency is "eu"; set ` +
            `dataResidency to "unrestricted" only with the data protection officer's approval`
        );
    }
    return undefined;
}

export function checkNeonRetention(hours: number, plan: NeonPlan, protectData: boolean | undefined): string | undefined {
    const max = NEON_PLAN_MAX_RETENTION_HOURS[plan];
    if (hours > max)
        return `must be at most ${max} hours on Neon's ${plan} plan (free: 6, launch: 168, scale: 720); raise neonPlan first if the account's plan allows more`;
    if (protectData === true && hours < PROTECTED_MIN_RETENTION_HOURS) {
        return (
            `must be at least ${PROTECTED_MIN_RETENTION_HOURS} hours (7 days) while protectData is true: Neon's history is the first copy of the 3-2-1 ` +
            "rule, and a shorter window loses point-in-time recovery of a problem found after a weekend"
        );
    }
    return undefined;
}

/** pg_dump refuses a server newer than itself, so the job's must be at least the project's. */
export function checkPostgresMajor(neonMajor: number, jobMajor: number): string | undefined {
    if (neonMajor <= jobMajor) return undefined;
    return `must be at most jobPostgresMajor (${jobMajor}): the backup job's pg_dump ${jobMajor} refuses a PostgreSQL ${neonMajor} server, so no backup would run`;
}

export function checkNeonProjectId(value: string): string | undefined {
    return /^[a-z0-9]+(?:-[a-z0-9]+){1,5}$/.test(value)
        ? undefined
        : "must be a Neon project id such as `autumn-sun-12345678` (Settings > General in the console)";
}

export function checkRoleName(value: string): string | undefined {
    return /^[a-z_][a-z0-9_]{0,62}$/.test(value)
        ? undefined
        : "must be a PostgreSQL role name: lowercase letters, digits and `_`, starting with a letter or `_`, at most 63";
}
