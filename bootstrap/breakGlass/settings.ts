// Who may become the break-glass role: named administrators, each one IAM user.
import { defineArea, list } from "../../stacks/settings/spec.js";

/** An IAM user ARN without wildcards: the trust names people, never a pattern. */
export function checkIamUserArn(value: string): string | undefined {
    return /^arn:aws:iam::\d{12}:user\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/.test(value)
        ? undefined
        : "is not one IAM user's ARN; each item must be arn:aws:iam::<12-digit account>:user/[<path>/]<name>, without wildcards";
}

export const breakGlassArea = defineArea({
    name: "breakGlass",
    settings: {
        breakGlassAdministrators: list({
            item: checkIamUserArn,
            check: (values) => {
                if (values.length === 0) return "must name at least one administrator: a break-glass role nobody can assume cannot fix a key";
                const repeated = values.filter((value, index) => values.indexOf(value) !== index);
                return repeated.length > 0 ? `must not repeat an administrator (${repeated.join(", ")})` : undefined;
            },
            allowed: "a non-empty list of distinct IAM user ARNs, arn:aws:iam::<account>:user/<name>",
            description: "IAM users allowed to assume the break-glass role (with MFA), the only principal that can change the guarded keys' policies.",
            why: "No default: the people trusted with the keys' last resort are named on purpose and reviewed in the pull request that names them.",
        }),
    },
});
