// Account-level names the main program and the account (bootstrap) program agree on. The account
// program declares the deploy role `pulumi up` runs as in CI; the tampering rules of every stack
// must know it to tell a deploy's expected calls from anyone else's, without a lookup.

/** The IAM role CI's deploy job assumes (repository variable AWS_DEPLOY_ROLE_ARN), at the root path. */
export const DEPLOY_ROLE_NAME = "hotelgenius-ops-deploy";

/** The deploy role's ARN in `account`: what CloudTrail records as `userIdentity.sessionContext.sessionIssuer.arn` for its sessions. */
export function deployRoleArn(account: string): string {
    if (!/^\d{12}$/.test(account)) throw new Error(`account "${account}" is not a 12-digit AWS account id; allowed: the account the stack deploys to`);
    return `arn:aws:iam::${account}:role/${DEPLOY_ROLE_NAME}`;
}

/** The name part of a role ARN (arn:aws:iam::<account>:role/<path/><name>): IAM events name roles without their path. */
export function roleName(roleArn: string): string {
    const name = /^arn:aws:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/.exec(roleArn)?.[1];
    if (name === undefined) throw new Error(`"${roleArn}" is not an IAM role ARN; allowed: arn:aws:iam::<12-digit account>:role/<path/><name>`);
    return name;
}
