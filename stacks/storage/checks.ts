// The backup storage's settings checks: the key prefix, the replica a protected stack keeps, the
// break-glass role ARN.

/** Why a backup root prefix is unusable, or undefined. */
export function checkPrefixRoot(value: string): string | undefined {
    const segment = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
    const segments = value.split("/");
    if (value.length > 200 || !segments.every((part) => segment.test(part))) {
        return (
            "must be a key prefix such as postgres or hotelgenius/postgres: segments of letters, digits, . _ - separated by single /, no leading or " +
            "trailing /, at most 200 characters"
        );
    }
    return undefined;
}

/**
 * A stack whose data is protected is a production stack: it must keep its off-site copy, so turning
 * the replica off is refused there. `nameOf` spells a setting the caller's way, as for the lifecycle order.
 */
export function replicaProtectionProblem(
    settings: { offSiteReplica?: boolean | undefined; protectData?: boolean | undefined },
    nameOf: (setting: "offSiteReplica" | "protectData") => string,
): { setting: "offSiteReplica"; value: false; allowed: string } | undefined {
    if (settings.offSiteReplica !== false || settings.protectData !== true) return undefined;
    return {
        setting: "offSiteReplica",
        value: false,
        allowed:
            `must be true while ${nameOf("protectData")} is true: a stack whose data is protected is a production stack and keeps its off-site copy; ` +
            `set ${nameOf("protectData")} to false too for a non-production clone`,
    };
}

/**
 * Why a value is not the ARN of one IAM role, or undefined. Wildcards are refused: a key policy
 * condition compares ARNs with wildcard matching, so `*` or `?` would exempt more than one role.
 */
export function checkRoleArn(value: string): string | undefined {
    const pathCharacters = "[\\x21-\\x29\\x2B-\\x3E\\x40-\\x7E]";
    const role = new RegExp(`^arn:aws:iam::\\d{12}:role/(${pathCharacters}{0,510}/)?[\\w+=,.@-]{1,64}$`);
    return role.test(value) ? undefined : "must be the ARN of one IAM role, arn:aws:iam::<12-digit account>:role/[<path>/]<name>, without wildcards (* or ?)";
}
