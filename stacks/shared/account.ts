// Names fixed by the account-level program (bootstrap/) that the stacks of the main program rely
// on: one place, so the program that creates them and the stacks that check or trust them agree.

/** The account program's Pulumi project. */
export const ACCOUNT_PROJECT = "hotelgenius-account";

/** The account's CloudTrail trail, one per account (bootstrap/ has one stack per account). */
export const TRAIL_NAME = "hotelgenius-account-trail";

/** The only role the guarded key policies let change a key policy or disable a key. */
export const BREAK_GLASS_ROLE_NAME = "hotelgenius-break-glass";
export const BREAK_GLASS_ROLE_PATH = "/security/";

/** The permissions boundary every role the deploy roles create must carry (iam:PermissionsBoundary). */
export const DEPLOY_BOUNDARY_POLICY_NAME = "hotelgenius-account-deploy-boundary";

/** The GitHub environments the deploy workflow runs in, one deploy role each; prod is the protected one. */
export const DEPLOY_ENVIRONMENTS = ["staging", "prod"] as const;
export type DeployEnvironment = (typeof DEPLOY_ENVIRONMENTS)[number];

export function breakGlassRoleArn(account: string): string {
    return `arn:aws:iam::${account}:role${BREAK_GLASS_ROLE_PATH}${BREAK_GLASS_ROLE_NAME}`;
}

export function deployBoundaryPolicyArn(account: string): string {
    return `arn:aws:iam::${account}:policy/${DEPLOY_BOUNDARY_POLICY_NAME}`;
}

/** The `permissionsBoundary` input of a role or user the deploy roles create, when a boundary is given. */
export function boundaryOf(args: { permissionsBoundary?: string }): { permissionsBoundary?: string } {
    return args.permissionsBoundary === undefined ? {} : { permissionsBoundary: args.permissionsBoundary };
}
