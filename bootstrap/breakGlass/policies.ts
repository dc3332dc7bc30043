// The break-glass role: named administrators with MFA may assume it, and it may do only what the
// guarded key policies reserve for it (change a key policy, disable or re-enable a key), on keys
// of this project only.
import type { PolicyDocument } from "../../stacks/shared/iam.js";

/** Sessions end within an hour, and a sign-in older than that must answer MFA again. */
export const MAX_SESSION_SECONDS = 3600;

export function breakGlassTrustPolicy(administrators: readonly string[]): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "NamedAdministratorsWithMfa",
                Effect: "Allow",
                Principal: { AWS: [...administrators] },
                Action: "sts:AssumeRole",
                Condition: {
                    Bool: { "aws:MultiFactorAuthPresent": "true" },
                    NumericLessThan: { "aws:MultiFactorAuthAge": String(MAX_SESSION_SECONDS) },
                },
            },
        ],
    };
}

/** Key administration on the keys tagged with the main program's or the account program's project, nothing else. */
export function breakGlassPolicy(account: string, projects: readonly string[]): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AdministerGuardedKeys",
                Effect: "Allow",
                Action: [
                    "kms:PutKeyPolicy",
                    "kms:GetKeyPolicy",
                    "kms:DescribeKey",
                    "kms:DisableKey",
                    "kms:EnableKey",
                    "kms:CancelKeyDeletion",
                    "kms:EnableKeyRotation",
                    "kms:ListResourceTags",
                ],
                Resource: `arn:aws:kms:*:${account}:key/*`,
                Condition: { StringEquals: { "aws:ResourceTag/project": [...projects] } },
            },
            { Sid: "FindKeys", Effect: "Allow", Action: ["kms:ListKeys", "kms:ListAliases"], Resource: "*" },
        ],
    };
}
