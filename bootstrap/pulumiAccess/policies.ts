// Who may exchange a GitHub OIDC token for a Pulumi Cloud token: the jobs of this repository that run
// Pulumi, by the exact sub claims CI's AWS roles trust. Any other branch, repository or fork gets no
// token, and the one it gets lasts no longer than the longest job that needs it.
import type * as pulumiservice from "@pulumi/pulumiservice";
import { ACCOUNT_DRIFT_ENVIRONMENT } from "../ciAccess/component.js";
import { GITHUB_OIDC_HOST, type Repository, subjects } from "../ciAccess/trust.js";
import { DEPLOY_ENVIRONMENTS } from "../../stacks/shared/account.js";

export const GITHUB_OIDC_ISSUER_URL = `https://${GITHUB_OIDC_HOST}`;

/**
 * How long an exchanged token lives, in seconds: the issuer's ceiling and what the workflows ask for. An hour covers
 * the longest job that exchanges one (timeout-minutes 60; test/workflows.test.ts holds every such job to it).
 */
export const PULUMI_TOKEN_SECONDS = 3600;

/** The audience auth-actions requests for GitHub's token: the organization it exchanges in. */
export function pulumiAudience(organization: string): string {
    return `urn:pulumi:org:${organization}`;
}

/** The sub claims of the jobs that run Pulumi, by the organization token each gets: a member's, or an admin's. */
export interface PulumiSubjects {
    /** Pull requests' previews, main's (prod's preview, the drift check), each deploy environment's: stacks, nothing of the organization. */
    member: string[];
    /** The account drift check's environment (main only): it refreshes this issuer, whose policies only an admin may read. */
    admin: string[];
}

export function pulumiSubjects(repository: Repository): PulumiSubjects {
    return {
        member: [
            subjects.pullRequest(repository),
            subjects.mainBranch(repository),
            ...DEPLOY_ENVIRONMENTS.map((environment) => subjects.environment(repository, environment)),
        ],
        admin: [subjects.environment(repository, ACCOUNT_DRIFT_ENVIRONMENT)],
    };
}

/**
 * One allow policy per sub claim, exact (Pulumi's rules treat `*` as a wildcard, so none may hold one), for organization
 * tokens (what the Team edition issues): `standard` maps to an organization member's permissions, `admin` to an admin's,
 * granted only to a job that asks for it (auth-actions' `scope: admin`).
 */
export function pulumiTokenPolicies(organization: string, allowed: PulumiSubjects): pulumiservice.types.input.AuthPolicyDefinitionArgs[] {
    const all = [...allowed.member, ...allowed.admin];
    if (all.length === 0) throw new Error("pulumiTokenPolicies: at least one sub claim is needed; an issuer with no policy admits nobody");
    const wildcard = all.find((subject) => /[*?]/.test(subject));
    if (wildcard !== undefined) throw new Error(`pulumiTokenPolicies: sub claim "${wildcard}" has a wildcard; allowed: exact claims only`);
    const policy = (sub: string, permission: "standard" | "admin") => ({
        decision: "allow" as const,
        tokenType: "organization" as const,
        authorizedPermissions: [permission],
        rules: { aud: pulumiAudience(organization), sub },
    });
    return [...allowed.member.map((sub) => policy(sub, "standard")), ...allowed.admin.map((sub) => policy(sub, "admin"))];
}
