// The account's trail: multi-region management (write) events, log file validation, encrypted
// with a guarded key into a hardened, Object-Locked bucket in the account program's (EU) region.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TRAIL_NAME } from "../../stacks/shared/account.js";
import { guardedKeyPolicy } from "../../stacks/shared/guardedKey.js";
import { hardenedBucket } from "../../stacks/shared/hardenedBucket.js";
import type { LifecycleRule } from "../../stacks/shared/lifecycle.js";
import { trailArn, trailBucketStatements, trailKeyStatements } from "./policies.js";

export const ACCOUNT_TRAIL_TYPE = "hotelgenius:account:AccountTrail";

/** KMS's longest window: a scheduled deletion of the trail key can be noticed and cancelled for 30 days. */
export const TRAIL_KEY_DELETION_WINDOW_DAYS = 30;

export interface AccountTrailArgs {
    account: pulumi.Input<string>;
    region: string;
    bucketName: string;
    breakGlassRoleArn: pulumi.Input<string>;
    objectLockDays: number;
    expirationDays: number;
    protect: boolean;
}

export function trailLifecycleRules(expirationDays: number): LifecycleRule[] {
    return [
        {
            id: "trail-logs",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { days: expirationDays },
            noncurrentVersionExpiration: { noncurrentDays: 30 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        },
    ];
}

export class AccountTrail extends pulumi.ComponentResource {
    public readonly trailArn: pulumi.Output<string>;
    public readonly bucketName: pulumi.Output<string>;
    public readonly keyArn: pulumi.Output<string>;

    constructor(name: string, args: AccountTrailArgs, opts?: pulumi.ComponentResourceOptions) {
        if (args.expirationDays < args.objectLockDays) {
            throw new Error(
                `AccountTrail ${name}: expirationDays ${args.expirationDays} is shorter than objectLockDays ${args.objectLockDays}; allowed: at least the lock`,
            );
        }
        super(ACCOUNT_TRAIL_TYPE, name, {}, opts);
        const child: pulumi.CustomResourceOptions = { parent: this };
        const kept: pulumi.CustomResourceOptions = { ...child, protect: args.protect, retainOnDelete: args.protect };
        const identity = pulumi.output(args.account).apply((account) => ({ account, region: args.region, name: TRAIL_NAME }));

        const key = new aws.kms.Key(
            `${name}-key`,
            {
                description: `CloudTrail logs of the account (${TRAIL_NAME})`,
                enableKeyRotation: true,
                deletionWindowInDays: TRAIL_KEY_DELETION_WINDOW_DAYS,
                policy: pulumi.jsonStringify(
                    pulumi.all([args.breakGlassRoleArn, identity]).apply(([breakGlass, trail]) => {
                        const guarded = guardedKeyPolicy(breakGlass, TRAIL_KEY_DELETION_WINDOW_DAYS);
                        return { ...guarded, Statement: [...guarded.Statement, ...trailKeyStatements(trail)] };
                    }),
                ),
                // The guard denies PutKeyPolicy to the caller too: KMS's lockout check would refuse it otherwise.
                bypassPolicyLockoutSafetyCheck: true,
            },
            kept,
        );
        new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${TRAIL_NAME}`, targetKeyId: key.keyId }, child);

        const bucket = hardenedBucket({
            namePrefix: `${name}-logs`,
            bucketName: args.bucketName,
            key,
            lifecycleRules: trailLifecycleRules(args.expirationDays),
            // COMPLIANCE: nobody, the account root included, can delete a log file before its lock expires.
            objectLock: { mode: "COMPLIANCE", days: args.objectLockDays },
            forceDestroy: false,
            policyStatements: identity.apply((trail) => trailBucketStatements(`arn:aws:s3:::${args.bucketName}`, trail)),
            bucketOptions: kept,
            configurationOptions: kept,
        });

        const trail = new aws.cloudtrail.Trail(
            `${name}-trail`,
            {
                name: TRAIL_NAME,
                s3BucketName: bucket.bucket.bucket,
                isMultiRegionTrail: true,
                includeGlobalServiceEvents: true,
                enableLogFileValidation: true,
                enableLogging: true,
                // The full key ARN: the bucket policy refuses uploads naming the key any other way.
                kmsKeyId: key.arn,
                // Write events are what EventBridge's tampering rules match; reads would multiply the volume for nothing they watch.
                eventSelectors: [{ readWriteType: "WriteOnly", includeManagementEvents: true }],
            },
            // CloudTrail checks the bucket policy when the trail is created.
            { ...kept, dependsOn: [bucket.configured] },
        );

        this.trailArn = identity.apply(trailArn);
        this.bucketName = bucket.bucket.bucket;
        this.keyArn = key.arn;
        this.registerOutputs({ trailArn: this.trailArn, bucketName: this.bucketName, keyArn: this.keyArn, trail: trail.arn });
    }
}
