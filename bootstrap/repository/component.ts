// The repository's settings that delivery relies on: the environments (prod behind reviewers, both
// deployable from main only), the variables the workflows read, main's protection, the drift label.
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { DEPLOY_ENVIRONMENTS, type DeployEnvironment } from "../../stacks/shared/account.js";

export const REPOSITORY_SETTINGS_TYPE = "hotelgenius:account:RepositorySettings";

/** The check the test workflow reports (its job id); main accepts no merge without it. */
export const REQUIRED_CHECK = "test";

/** The label drift.yml puts on the issue it opens; its colour and description are the ones the workflow would create. */
export const DRIFT_LABEL = { name: "drift", color: "B60205", description: "prod no longer matches the code" };

export interface RepositorySettingsArgs {
    repository: string;
    reviewers: { users: number[]; teams: number[] };
    /** Repository variables (name -> value) every workflow may read. */
    variables: Record<string, pulumi.Input<string>>;
    /** Per environment, variables only its jobs see. */
    environmentVariables: Record<DeployEnvironment, Record<string, pulumi.Input<string>>>;
}

export class RepositorySettings extends pulumi.ComponentResource {
    constructor(name: string, args: RepositorySettingsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(REPOSITORY_SETTINGS_TYPE, name, {}, opts);
        const child: pulumi.CustomResourceOptions = { parent: this };
        const { repository } = args;

        for (const environment of DEPLOY_ENVIRONMENTS) {
            const created = new github.RepositoryEnvironment(
                `${name}-${environment}`,
                {
                    repository,
                    environment,
                    ...(environment === "prod"
                        ? { reviewers: [{ users: args.reviewers.users, teams: args.reviewers.teams }], preventSelfReview: true, canAdminsBypass: false }
                        : {}),
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
            for (const [variableName, value] of Object.entries(args.environmentVariables[environment])) {
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
                requiredStatusChecks: [{ strict: true, contexts: [REQUIRED_CHECK] }],
                requiredPullRequestReviews: [{ requiredApprovingReviewCount: 1, dismissStaleReviews: true, requireLastPushApproval: true }],
            },
            child,
        );
        new github.IssueLabel(`${name}-drift-label`, { repository, ...DRIFT_LABEL }, child);
        this.registerOutputs({});
    }
}
