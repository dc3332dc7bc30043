// What CloudTrail needs from the trail's bucket and key, and nothing more: each grant names the one
// trail (aws:SourceArn), so no other trail, in this account or another, can write here or use the key.
import type { PolicyStatement } from "../../stacks/shared/iam.js";

export interface TrailIdentity {
    account: string;
    /** The trail's home region: its ARN carries it. */
    region: string;
    name: string;
}

export function trailArn(trail: TrailIdentity): string {
    return `arn:aws:cloudtrail:${trail.region}:${trail.account}:trail/${trail.name}`;
}

/**
 * CloudTrail's documented bucket policy (AWSCloudTrailAclCheck, AWSCloudTrailWrite), narrowed to
 * this trail by aws:SourceArn and to this account's log prefix. The write carries the
 * bucket-owner-full-control ACL CloudTrail sends, which BucketOwnerEnforced accepts.
 */
export function trailBucketStatements(bucketArn: string, trail: TrailIdentity): PolicyStatement[] {
    const sourceArn = { "aws:SourceArn": trailArn(trail) };
    return [
        {
            Sid: "AllowCloudTrailAclCheck",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "s3:GetBucketAcl",
            Resource: bucketArn,
            Condition: { StringEquals: sourceArn },
        },
        {
            Sid: "AllowCloudTrailWrite",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: `${bucketArn}/AWSLogs/${trail.account}/*`,
            Condition: { StringEquals: { ...sourceArn, "s3:x-amz-acl": "bucket-owner-full-control" } },
        },
    ];
}

/**
 * Added to the guarded key policy: CloudTrail may make data keys for this trail's log files
 * (the encryption context names the trail) and describe the key. Reading the logs needs
 * kms:Decrypt, which the key policy leaves to IAM (DelegateToIam).
 */
export function trailKeyStatements(trail: TrailIdentity): PolicyStatement[] {
    const arn = trailArn(trail);
    return [
        {
            Sid: "AllowCloudTrailEncrypt",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "kms:GenerateDataKey*",
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceArn": arn, "kms:EncryptionContext:aws:cloudtrail:arn": arn } },
        },
        {
            Sid: "AllowCloudTrailDescribeKey",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "kms:DescribeKey",
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceArn": arn } },
        },
    ];
}
