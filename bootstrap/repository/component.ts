// The repository's settings that delivery relies on: the environments (prod behind reviewers, all
// deployable from main only), the variables the workflows read, main's protection, the drift label.
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";

export const REPOSITORY_SETTINGS_TYPE = "hotelgenius:account:RepositorySettings";

/** The label drift.yml puts on the issues it opens; its colour and description are the ones the workflow would create. */
export const DRIFT_LABEL = { name: "drift", color: "B60205", description: "the cloud no longer matches the code" };

export interface EnvironmentSettings {
    /** Whose approval a job in it waits for; none: its jobs run unattended (still from main only). */
    reviewers?: { users: number[]; teams: number[] };
    /** Variables only its jobs see (name -> value). */
    variables: Record<string, pulumi.Input<string>>;
}

export interface RepositorySettingsArgs {
    repository: string;
    /** The GitHub environments, by name. */
    environments: Record<string, EnvironmentSettings>;
    /** Repository variables (name -> value) every workflow may read. */
    variables: Record<string, pulumi.Input<string>>;
    /** The status checks main requires (the test workflow's jobs). */
    requiredChecks: string[];
}

export class RepositorySettings extends pulumi.ComponentResource {
    constructor(name: string, args: RepositorySettingsArgs, opts?: pulumi.ComponentResourceOptions) {
        if (args.requiredChecks.length === 0) throw new Error(`RepositorySettings ${name}: requiredChecks is empty; allowed: at least the test job`);
        super(REPOSITORY_SETTINGS_TYPE, name, {}, opts);
        const child: pulumi.CustomResourceOptions = { parent: this };
        const { repository } = args;

        for (const [environment, settings] of Object.entries(args.environments)) {
            const created = new github.RepositoryEnvironment(
                `${name}-${environment}`,
                {
                    repository,
                    environment,
                    ...(settings.reviewers === undefined
                        ? {}
                        : {
                              reviewers: [{ users: settings.reviewers.users, teams: settings.reviewers.teams }],
                              preventSelfReview: true,
                              canAdminsBypass: false,
                          }),
                    // Custom branch policies, so that exactly `main` may deploy (protected branches would admit any later-protected branch).
                    deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
                },
                child,
            );
            new github.RepositoryEnvironmentDeploymentPolicy(
                `${name}-${environment}-main-only`,
                { repository, environment: created.environment, branchPattern: "main" },
                child,
            );
            for (const [variableName, value] of Object.entries(settings.variables)) {
                new github.ActionsEnvironmentVariable(
                    `${name}-${environment}-${variableName}`,
                    { repository, environment: created.environment, variableName, value },
                    child,
                );
            }
        }
        for (const [variableName, value] of Object.entries(args.variables)) {
            new github.ActionsVariable(`${name}-${variableName}`, { repository, variableName, value }, child);
        }
        new github.BranchProtection(
            `${name}-main`,
            {
                repositoryId: repository,
                pattern: "main",
                enforceAdmins: true,
                allowsDeletions: false,
                allowsForcePushes: false,
                requiredStatusChecks: [{ strict: true, contexts: [...args.requiredChecks] }],
                requiredPullRequestReviews: [{ requiredApprovingReviewCount: 1, dismissStaleReviews: true, requireLastPushApproval: true }],
            },
            child,
        );
        new github.IssueLabel(`${name}-drift-label`, { repository, ...DRIFT_LABEL }, child);
        this.registerOutputs({});
    }
}
