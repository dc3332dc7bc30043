// CI's access to the account: GitHub's OIDC provider, the preview and drift roles, the account drift
// role, one deploy role per environment (with the permissions boundary every role it creates must carry).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ACCOUNT_PROJECT, DEPLOY_BOUNDARY_POLICY_NAME, DEPLOY_ENVIRONMENTS, type DeployEnvironment, deployRoleName } from "../../stacks/shared/account.js";
import { accountDriftPolicy, deployBoundary, deployPolicy, driftPolicy, previewPolicy, type Scope } from "./permissions.js";
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST, githubTrustPolicy, type Repository, subjects } from "./trust.js";

export const CI_ACCESS_TYPE = "hotelgenius:account:CiAccess";

/**
 * The GitHub environment of the account program's drift check: deployable from main only, it holds
 * the read-only GitHub token that check needs, and its jobs alone may assume the account drift role.
 */
export const ACCOUNT_DRIFT_ENVIRONMENT = "account-drift";

/** Role names, fixed so the boundary can name them before they exist. */
export const CI_ROLE_NAMES = {
    preview: `${ACCOUNT_PROJECT}-ci-preview`,
    drift: `${ACCOUNT_PROJECT}-ci-drift`,
    accountDrift: `${ACCOUNT_PROJECT}-ci-account-drift`,
    deploy: deployRoleName,
};

export interface CiAccessArgs {
    account: pulumi.Input<string>;
    repository: Repository;
    mainProject: string;
    /** The break-glass role, which no deploy role may touch. */
    breakGlassRoleArn: pulumi.Input<string>;
    stateObjects?: string;
}

export class CiAccess extends pulumi.ComponentResource {
    public readonly previewRoleArn: pulumi.Output<string>;
    public readonly driftRoleArn: pulumi.Output<string>;
    public readonly accountDriftRoleArn: pulumi.Output<string>;
    public readonly deployRoleArns: Record<DeployEnvironment, pulumi.Output<string>>;
    public readonly boundaryArn: pulumi.Output<string>;

    constructor(name: string, args: CiAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CI_ACCESS_TYPE, name, {}, opts);
        const child: pulumi.CustomResourceOptions = { parent: this };
        const provider = new aws.iam.OpenIdConnectProvider(
            `${name}-github-oidc`,
            { url: `https://${GITHUB_OIDC_HOST}`, clientIdLists: [GITHUB_OIDC_AUDIENCE] },
            child,
        );
        const scope: pulumi.Output<Scope> = pulumi.all([args.account, args.breakGlassRoleArn]).apply(([account, breakGlass]) => ({
            account,
            mainProject: args.mainProject,
            accountRoleArns: [
                breakGlass,
                ...[CI_ROLE_NAMES.preview, CI_ROLE_NAMES.drift, CI_ROLE_NAMES.accountDrift, ...DEPLOY_ENVIRONMENTS.map(CI_ROLE_NAMES.deploy)].map(
                    (role) => `arn:aws:iam::${account}:role/${role}`,
                ),
                `arn:aws:iam::${account}:oidc-provider/${GITHUB_OIDC_HOST}`,
            ],
            ...(args.stateObjects === undefined ? {} : { stateObjects: args.stateObjects }),
        }));
        const role = (logical: string, roleName: string, subjectsOf: string[], policy: pulumi.Output<unknown>, boundary?: pulumi.Input<string>) => {
            const created = new aws.iam.Role(
                `${name}-${logical}`,
                {
                    name: roleName,
                    description: `GitHub Actions of ${args.repository.owner}/${args.repository.name}: ${logical}`,
                    assumeRolePolicy: pulumi.jsonStringify(provider.arn.apply((arn) => githubTrustPolicy(arn, subjectsOf))),
                    maxSessionDuration: 3600,
                    ...(boundary === undefined ? {} : { permissionsBoundary: boundary }),
                },
                child,
            );
            new aws.iam.RolePolicy(`${name}-${logical}-policy`, { role: created.name, name: logical, policy: pulumi.jsonStringify(policy) }, child);
            return created;
        };

        const repository = args.repository;
        const preview = role("preview", CI_ROLE_NAMES.preview, [subjects.pullRequest(repository), subjects.mainBranch(repository)], scope.apply(previewPolicy));
        const drift = role("drift", CI_ROLE_NAMES.drift, [subjects.mainBranch(repository)], scope.apply(driftPolicy));
        // Its environment, not main's ref: the environment admits main only and is where the GitHub token of the check lives.
        const accountDrift = role(
            "account-drift",
            CI_ROLE_NAMES.accountDrift,
            [subjects.environment(repository, ACCOUNT_DRIFT_ENVIRONMENT)],
            scope.apply(accountDriftPolicy),
        );
        const boundary = new aws.iam.Policy(
            `${name}-deploy-boundary`,
            {
                name: DEPLOY_BOUNDARY_POLICY_NAME,
                description: "Ceiling of the deploy roles and of every role they create",
                policy: pulumi.jsonStringify(scope.apply(deployBoundary)),
            },
            child,
        );
        const deployRoleArns = Object.fromEntries(
            DEPLOY_ENVIRONMENTS.map((environment) => [
                environment,
                role(
                    `deploy-${environment}`,
                    CI_ROLE_NAMES.deploy(environment),
                    [subjects.environment(repository, environment)],
                    scope.apply((value) => deployPolicy(value, environment)),
                    boundary.arn,
                ).arn,
            ]),
        ) as Record<DeployEnvironment, pulumi.Output<string>>;

        this.previewRoleArn = preview.arn;
        this.driftRoleArn = drift.arn;
        this.accountDriftRoleArn = accountDrift.arn;
        this.deployRoleArns = deployRoleArns;
        this.boundaryArn = boundary.arn;
        this.registerOutputs({
            previewRoleArn: this.previewRoleArn,
            driftRoleArn: this.driftRoleArn,
            accountDriftRoleArn: this.accountDriftRoleArn,
            deployRoleArns,
            boundaryArn: this.boundaryArn,
        });
    }
}
