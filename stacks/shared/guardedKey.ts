// Every KMS key of the stacks, built here: the backup keys, the log archive key, the alert topics' keys
// and the backup job's key. Deleting or disabling a key makes everything under it unreadable (a
// dump, an archived log line, a page in flight), Object Lock or not, so the policy keeps IAM in
// charge of using and administering the keys but takes the three fatal moves away from IAM: a short
// deletion window, disabling, and rewriting this policy. docs/settings.md ("The KMS key policy") says
// what it stops, what it cannot, and how the break-glass role changes a guarded policy later.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { roleAccount } from "./account.js";
import type { PolicyDocument, PolicyStatement } from "./iam.js";

/**
 * The policy of a key in the break-glass role's account. The break-glass role must live in the
 * account that owns the keys (a role elsewhere gets nothing from this account's IAM), so its ARN
 * names that account without a lookup; KMS refuses a policy whose principal account does not exist.
 *
 * - DelegateToIam is the default key policy's statement: the account's IAM policies keep granting
 *   the keys' use (the backup job's role, the replication role, S3 bucket keys acting for them) and
 *   their administration. Without it the keys would be usable by nobody.
 * - `serviceStatements`: what AWS services may do with the key on the stack's behalf (CloudWatch
 *   Logs encrypting a log group, EventBridge and CloudWatch publishing to an encrypted topic). They
 *   come after the delegation, so a key without them has exactly the three statements below.
 * - DenyShortDeletionWindow refuses `kms:ScheduleKeyDeletion` with a pending window under
 *   `minDeletionWindowDays`, for every principal: the stack's own deletion window, so `pulumi
 *   destroy` of an unprotected stack still works, and nobody can go shorter.
 * - DenyDisableAndPolicyChanges refuses `kms:DisableKey` and `kms:PutKeyPolicy` to every principal
 *   but the break-glass role, the account root user and the role `pulumi up` runs as included.
 *   `aws:PrincipalArn` is the role's ARN (path included) for any session of that role.
 */
export function guardedKeyPolicy(breakGlassRoleArn: string, minDeletionWindowDays: number, serviceStatements: readonly PolicyStatement[] = []): PolicyDocument {
    const guardSids = new Set(["DelegateToIam", "DenyShortDeletionWindow", "DenyDisableAndPolicyChanges"]);
    const clash = serviceStatements.find((statement) => guardSids.has(statement.Sid) || statement.Effect !== "Allow");
    if (clash !== undefined) {
        throw new Error(`service statement ${clash.Sid} (${clash.Effect}) is refused; allowed: Allow statements whose Sid is not one of the guard's own`);
    }
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
            ...serviceStatements,
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

/** The storage settings every area's guarded key and data follow (stacks/storage/settings.ts declares them). */
export interface StackProtection {
    /** Protect and retain keys and data (prod). */
    protectData: boolean;
    /** The only principal that may disable a key or change its policy. */
    breakGlassRoleArn: string;
    /** Every key's deletion window, and the shortest anyone may schedule (7-30 days). */
    kmsDeletionWindowDays: number;
}

export interface GuardedKeyArgs {
    /** Prefix of the logical names: `<id>-key` and `<id>-key-alias`. */
    id: string;
    description: string;
    /** The key's alias (`alias/...`), when it has one. */
    alias?: string;
    /** The only principal that may disable the key or change its policy. */
    breakGlassRoleArn: string;
    /** The key's own pending window when Pulumi deletes it, and the shortest anyone may schedule (7-30). */
    deletionWindowDays: number;
    /** What AWS services may do with the key; see guardedKeyPolicy. */
    serviceStatements?: pulumi.Input<PolicyStatement[]>;
    /** The key's options (its protection); the alias gets `aliasOptions`. */
    keyOptions: pulumi.CustomResourceOptions;
    aliasOptions?: pulumi.CustomResourceOptions;
}

/**
 * A rotating customer key under the guarded policy, with its alias: every key of the stacks. The lockout check would
 * refuse a policy that does not let its author change it again; keeping the role `pulumi up` runs as from changing it
 * is exactly this policy's point, hence bypassPolicyLockoutSafetyCheck.
 */
export function guardedKey(args: GuardedKeyArgs): aws.kms.Key {
    const days = args.deletionWindowDays;
    if (!Number.isInteger(days) || days < 7 || days > 30) {
        throw new Error(`guardedKey ${args.id}-key: deletionWindowDays is ${days}; allowed: a whole number from 7 to 30 (the KMS limits)`);
    }
    roleAccount(args.breakGlassRoleArn);
    const policy = pulumi
        .output(args.serviceStatements ?? [])
        .apply((statements) => guardedKeyPolicy(args.breakGlassRoleArn, days, statements as PolicyStatement[]));
    const key = new aws.kms.Key(
        `${args.id}-key`,
        {
            description: args.description,
            enableKeyRotation: true,
            deletionWindowInDays: days,
            policy: pulumi.jsonStringify(policy),
            bypassPolicyLockoutSafetyCheck: true,
        },
        args.keyOptions,
    );
    if (args.alias !== undefined) new aws.kms.Alias(`${args.id}-key-alias`, { name: args.alias, targetKeyId: key.keyId }, args.aliasOptions ?? args.keyOptions);
    return key;
}
