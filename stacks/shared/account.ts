// Names fixed by the account-level program (bootstrap/) that the stacks of the main program rely
// on: one place, so the program that creates them and the stacks that check or trust them agree.
// (The bootstrap branch adds the same file with more names; these agree with it.)

/** The account's CloudTrail trail, one per account (bootstrap/ has one stack per account). */
export const TRAIL_NAME = "hotelgenius-account-trail";

/** The only role the guarded key policies let change a key policy or disable a key. */
export const BREAK_GLASS_ROLE_NAME = "hotelgenius-break-glass";
export const BREAK_GLASS_ROLE_PATH = "/security/";

export function breakGlassRoleArn(account: string): string {
    return `arn:aws:iam::${account}:role${BREAK_GLASS_ROLE_PATH}${BREAK_GLASS_ROLE_NAME}`;
}
