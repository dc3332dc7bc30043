// Who may assume CI's roles: GitHub's OIDC tokens for this one repository, each role for exact
// `sub` claims only. StringEquals, never StringLike: a pattern would admit other branches,
// environments or repositories whose names happen to match.
import type { PolicyDocument } from "../../stacks/shared/iam.js";
import type { SubjectFormat } from "./settings.js";

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

export interface Repository {
    owner: string;
    name: string;
    format: SubjectFormat;
    /** Required for the immutable format. */
    ownerId?: string;
    repositoryId?: string;
}

/** The `repo:` part of every sub claim, in the format the repository's tokens use. */
export function subjectPrefix(repository: Repository): string {
    if (repository.format === "name") return `repo:${repository.owner}/${repository.name}`;
    if (repository.ownerId === undefined || repository.repositoryId === undefined) {
        throw new Error(`repository ${repository.owner}/${repository.name}: the immutable sub format needs githubOwnerId and githubRepositoryId`);
    }
    return `repo:${repository.owner}@${repository.ownerId}/${repository.name}@${repository.repositoryId}`;
}

/** Sub claims of the jobs GitHub runs for this repository. */
export const subjects = {
    /** Any pull request's workflow run, from any branch of the repository (never a fork: forks get no OIDC token for this repository's roles). */
    pullRequest: (repository: Repository) => `${subjectPrefix(repository)}:pull_request`,
    /** A job on the main branch without an environment: pushes after a merge, schedules, manual runs on main. */
    mainBranch: (repository: Repository) => `${subjectPrefix(repository)}:ref:refs/heads/main`,
    /** A job that declares `environment: <name>`, which GitHub admits only from that environment's allowed branches. */
    environment: (repository: Repository, environment: string) => `${subjectPrefix(repository)}:environment:${environment}`,
};

/** Trust for GitHub's OIDC provider with this audience and exactly these subjects. */
export function githubTrustPolicy(providerArn: string, allowedSubjects: readonly string[]): PolicyDocument {
    if (allowedSubjects.length === 0) throw new Error("githubTrustPolicy: at least one sub claim is needed; a trust with none would admit nobody");
    const wildcard = allowedSubjects.find((subject) => /[*?]/.test(subject));
    if (wildcard !== undefined) throw new Error(`githubTrustPolicy: sub claim "${wildcard}" has a wildcard; allowed: exact claims only`);
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "GitHubActionsOfThisRepository",
                Effect: "Allow",
                Principal: { Federated: providerArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
                        [`${GITHUB_OIDC_HOST}:sub`]: allowedSubjects.length === 1 ? allowedSubjects[0]! : [...allowedSubjects],
                    },
                },
            },
        ],
    };
}
