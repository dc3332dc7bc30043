// Names of what belongs to the AWS account rather than to a stack: the bootstrap program (bootstrap/,
// run by an administrator) creates them once per account; every stack of the main program checks at
// preview and up that they exist (stacks/shared/accountChecks.ts) and its key policies name the
// break-glass role. One module, so the two programs cannot drift apart on a name.

/** The break-glass role: the only principal the key policies let disable a key or change its policy. */
export const BREAK_GLASS_ROLE_NAME = "hotelgenius-break-glass";
/** IAM path of the break-glass role (the `breakGlassRoleArn` setting includes it). */
export const BREAK_GLASS_ROLE_PATH = "/security/";
/** The account's multi-region trail, which feeds the tampering rules' "AWS API Call via CloudTrail" events. */
export const ACCOUNT_TRAIL_NAME = "hotelgenius-account-trail";
/** What an administrator runs to create them. */
export const BOOTSTRAP_INSTRUCTIONS = "run the bootstrap program as an administrator (cd bootstrap && pulumi up --stack <account>)";

/** The break-glass role's ARN in `account`, by the convention above. */
export function breakGlassRoleArn(account: string): string {
    return `arn:aws:iam::${account}:role${BREAK_GLASS_ROLE_PATH}${BREAK_GLASS_ROLE_NAME}`;
}
