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

/** The sub claims of the jobs that run Pulumi: pull requests' previews, main's (prod's preview, the drift check), each environment's. */
export function pulumiSubjects(repository: Repository): string[] {
    return [
        subjects.pullRequest(repository),
        subjects.mainBranch(repository),
        ...DEPLOY_ENVIRONMENTS.map((environment) => subjects.environment(repository, environment)),
        subjects.environment(repository, ACCOUNT_DRIFT_ENVIRONMENT),
    ];
}

/**
 * One allow policy per sub claim, exact (Pulumi's rules treat `*` as a wildcard, so none may hold one). Organization
 * tokens, the only kind the Team edition issues; Pulumi Cloud issues them with admin permissions only.
 */
export function pulumiTokenPolicies(organization: string, allowedSubjects: readonly string[]): pulumiservice.types.input.AuthPolicyDefinitionArgs[] {
    if (allowedSubjects.length === 0) throw new Error("pulumiTokenPolicies: at least one sub claim is needed; an issuer with no policy admits nobody");
    const wildcard = allowedSubjects.find((subject) => /[*?]/.test(subject));
    if (wildcard !== undefined) throw new Error(`pulumiTokenPolicies: sub claim "${wildcard}" has a wildcard; allowed: exact claims only`);
    return allowedSubjects.map((sub) => ({
        decision: "allow",
        tokenType: "organization",
        authorizedPermissions: ["admin"],
        rules: { aud: pulumiAudience(organization), sub },
    }));
}
