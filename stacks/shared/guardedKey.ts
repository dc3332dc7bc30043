// The key policy of the keys that guard data (both backup keys, the log archive key). Deleting or disabling a key makes every dump under it
// unreadable, Object Lock or not, so the policy keeps IAM in charge of using and administering the
// keys but takes the three fatal moves away from IAM: a short deletion window, disabling, and
// rewriting this policy. docs/settings.md says what it stops and what it cannot.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyDocument } from "./iam.js";

/** The account a role ARN (arn:aws:iam::<account>:role/...) belongs to. */
export function roleAccount(roleArn: string): string {
    const account = /^arn:aws:iam::(\d{12}):role\//.exec(roleArn)?.[1];
    if (account === undefined) throw new Error(`"${roleArn}" is not an IAM role ARN; allowed: arn:aws:iam::<12-digit account>:role/<name>`);
    return account;
}

/**
 * The policy of a backup key in the break-glass role's account. The break-glass role must live in
 * the account that owns the keys (a role elsewhere gets nothing from this account's IAM), so its ARN
 * names that account without a lookup; KMS refuses a policy whose principal account does not exist.
 *
 * - DelegateToIam is the default key policy's statement: the account's IAM policies keep granting
 *   the keys' use (the backup job's role, the replication role, S3 bucket keys acting for them) and
 *   their administration. Without it the keys would be usable by nobody.
 * - DenyShortDeletionWindow refuses `kms:ScheduleKeyDeletion` with a pending window under
 *   `minDeletionWindowDays`, for every principal: the stack's own deletion window, so `pulumi
 *   destroy` of an unprotected stack still works, and nobody can go shorter.
 * - DenyDisableAndPolicyChanges refuses `kms:DisableKey` and `kms:PutKeyPolicy` to every principal
 *   but the break-glass role, the account root user and the role `pulumi up` runs as included.
 *   `aws:PrincipalArn` is the role's ARN (path included) for any session of that role.
 */
export function guardedKeyPolicy(breakGlassRoleArn: string, minDeletionWindowDays: number): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DelegateToIam",
                Effect: "Allow",
                Principal: { AWS: `arn:aws:iam::${roleAccount(breakGlassRoleArn)}:root` },
                Action: "kms:*",
                Resource: "*",
            },
            {
                Sid: "DenyShortDeletionWindow",
                Effect: "Deny",
                Principal: "*",
                Action: "kms:ScheduleKeyDeletion",
                Resource: "*",
                Condition: { NumericLessThan: { "kms:ScheduleKeyDeletionPendingWindowInDays": String(minDeletionWindowDays) } },
            },
            {
                Sid: "DenyDisableAndPolicyChanges",
                Effect: "Deny",
                Principal: "*",
                Action: ["kms:DisableKey", "kms:PutKeyPolicy"],
                Resource: "*",
                Condition: { ArnNotEquals: { "aws:PrincipalArn": breakGlassRoleArn } },
            },
        ],
    };
}

export interface GuardedKeyArgs {
    /** Prefix of the logical names: `<id>-key` and `<id>-key-alias`. */
    id: string;
    description: string;
    alias: string;
    /** The only principal allowed to disable the key or change its policy (guardedKeyPolicy). */
    breakGlassRoleArn: string;
    deletionWindowDays: number;
    /** The key's options (its protection); the alias gets `aliasOptions`. */
    keyOptions: pulumi.CustomResourceOptions;
    aliasOptions: pulumi.CustomResourceOptions;
}

/** A rotating customer key under the guarded policy, with its alias: the key of every store of guests' data. */
export function guardedKey(args: GuardedKeyArgs): aws.kms.Key {
    const key = new aws.kms.Key(
        `${args.id}-key`,
        {
            description: args.description,
            enableKeyRotation: true,
            deletionWindowInDays: args.deletionWindowDays,
            policy: pulumi.jsonStringify(guardedKeyPolicy(args.breakGlassRoleArn, args.deletionWindowDays)),
            // The lockout check refuses a policy that does not let its author change it again;
            // keeping the role `pulumi up` runs as from changing it is exactly this policy's point.
            bypassPolicyLockoutSafetyCheck: true,
        },
        args.keyOptions,
    );
    new aws.kms.Alias(`${args.id}-key-alias`, { name: args.alias, targetKeyId: key.keyId }, args.aliasOptions);
    return key;
}
