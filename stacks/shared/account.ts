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

/** The account a role ARN (arn:aws:iam::<account>:role/...) belongs to. */
export function roleAccount(roleArn: string): string {
    const account = /^arn:aws:iam::(\d{12}):role\//.exec(roleArn)?.[1];
    if (account === undefined) throw new Error(`"${roleArn}" is not an IAM role ARN; allowed: arn:aws:iam::<12-digit account>:role/<name>`);
    return account;
}

/**
 * Where a component that creates roles stands: the stack's names and region, and the boundary the deploy
 * roles require of every role they create, in the account of the break-glass role (the stack's account).
 */
export function stackPlacement(settings: { project: string; stack: string; region: string; storage: { breakGlassRoleArn: string } }): {
    project: string;
    stack: string;
    region: string;
    permissionsBoundary: string;
} {
    return {
        project: settings.project,
        stack: settings.stack,
        region: settings.region,
        permissionsBoundary: deployBoundaryPolicyArn(roleAccount(settings.storage.breakGlassRoleArn)),
    };
}

/** The `permissionsBoundary` input of a role or user the deploy roles create, when a boundary is given. */
export function boundaryOf(args: { permissionsBoundary?: string }): { permissionsBoundary?: string } {
    return args.permissionsBoundary === undefined ? {} : { permissionsBoundary: args.permissionsBoundary };
}

/**
 * The role CI's deploy job assumes in one GitHub environment (its AWS_DEPLOY_ROLE_ARN), at the root path. The tampering
 * rules expect its calls (PutRule, UpdateSchedule, PutBucket*) and page on anyone else's.
 */
export function deployRoleName(environment: DeployEnvironment): string {
    return `${ACCOUNT_PROJECT}-ci-deploy-${environment}`;
}

/** The environment whose deploy role updates `stack`: prod's own; staging's for staging and every clone of it. */
export function deployEnvironmentOf(stack: string): DeployEnvironment {
    return stack === "prod" ? "prod" : "staging";
}

/** The deploy role's ARN in `account`: what CloudTrail records as `userIdentity.sessionContext.sessionIssuer.arn` for its sessions. */
export function deployRoleArn(account: string, environment: DeployEnvironment): string {
    if (!/^\d{12}$/.test(account)) throw new Error(`account "${account}" is not a 12-digit AWS account id; allowed: the account the stack deploys to`);
    return `arn:aws:iam::${account}:role/${deployRoleName(environment)}`;
}

/** The name part of a role ARN (arn:aws:iam::<account>:role/<path/><name>): IAM events name roles without their path. */
export function roleName(roleArn: string): string {
    const name = /^arn:aws:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/.exec(roleArn)?.[1];
    if (name === undefined) throw new Error(`"${roleArn}" is not an IAM role ARN; allowed: arn:aws:iam::<12-digit account>:role/<path/><name>`);
    return name;
}
