// What `pulumi preview --refresh` of the account program reads, per AWS resource type it declares:
// the calls of the AWS provider's read functions (terraform-provider-aws, internal/service/<service>),
// as IAM actions. The account drift role is granted these and nothing more (permissions.ts);
// bootstrap/accountDrift.test.ts replays them over every resource of the committed plan, and fails
// for a resource type that is not listed here.

export const REFRESH_READS = {
    "aws:iam/role:Role": ["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"],
    "aws:iam/rolePolicy:RolePolicy": ["iam:GetRolePolicy"],
    "aws:iam/policy:Policy": ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyTags"],
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ["iam:GetOpenIDConnectProvider"],
    "aws:cloudtrail/trail:Trail": [
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:GetInsightSelectors",
        "cloudtrail:ListTags",
    ],
    "aws:kms/key:Key": ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
    "aws:kms/alias:Alias": ["kms:ListAliases"],
    "aws:s3/bucket:Bucket": [
        // HeadBucket, which tells whether the bucket exists.
        "s3:ListBucket",
        "s3:GetBucketPolicy",
        "s3:GetBucketAcl",
        "s3:GetBucketCORS",
        "s3:GetBucketWebsite",
        "s3:GetBucketVersioning",
        "s3:GetAccelerateConfiguration",
        "s3:GetBucketRequestPayment",
        "s3:GetBucketLogging",
        "s3:GetLifecycleConfiguration",
        "s3:GetReplicationConfiguration",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetBucketTagging",
    ],
    "aws:s3/bucketPolicy:BucketPolicy": ["s3:GetBucketPolicy"],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ["s3:GetBucketPublicAccessBlock"],
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ["s3:GetBucketOwnershipControls"],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ["s3:GetEncryptionConfiguration"],
    "aws:s3/bucketVersioning:BucketVersioning": ["s3:GetBucketVersioning"],
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": ["s3:GetBucketObjectLockConfiguration"],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ["s3:GetLifecycleConfiguration"],
} as const satisfies Record<string, readonly string[]>;

export type RefreshedType = keyof typeof REFRESH_READS;

/** Actions whose authorization names no resource (AWS evaluates them on "*"): nothing to scope them to. */
export const UNSCOPED_READS: readonly string[] = ["cloudtrail:DescribeTrails", "kms:ListAliases"];

/** The reads of these resource types, without the unscoped ones, each once, in table order. */
export function readsOf(...types: RefreshedType[]): string[] {
    return [...new Set(types.flatMap((type) => REFRESH_READS[type]))].filter((action) => !UNSCOPED_READS.includes(action));
}

/** Every resource type of the S3 service in the table: they are all read on the bucket. */
export const BUCKET_TYPES = (Object.keys(REFRESH_READS) as RefreshedType[]).filter((type) => type.startsWith("aws:s3/"));
