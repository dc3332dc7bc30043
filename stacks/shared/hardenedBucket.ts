// The one hardening of every bucket that holds HotelGenius data (the backups, their off-site replica,
// the log archive), written once so that no bucket can quietly fall behind the others: public access
// blocked, no ACLs, default SSE-KMS under the bucket's own key with SSE-C refused, versioning, a
// TLS-only policy denying other keys, the lifecycle given, and Object Lock where asked for.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { LifecycleRule, ObjectLockMode } from "./lifecycle.js";
import type { PolicyDocument, PolicyStatement } from "./iam.js";

export interface HardenedBucketArgs {
    /** Prefix of the logical names (`<prefix>-bucket`, `<prefix>-policy`, ...), derived from the component's name. */
    namePrefix: string;
    bucketName: string;
    /** The bucket's own customer key: the default encryption, and the only key its policy lets objects be written under. */
    key: aws.kms.Key;
    lifecycleRules: LifecycleRule[];
    /** Default retention under Object Lock; without it the bucket has no lock, and S3 allows one only at creation. */
    objectLock?: { mode: ObjectLockMode; days: number };
    /** Empty the bucket on delete (bypassing GOVERNANCE retention), so that `pulumi destroy` can remove it. */
    forceDestroy: boolean;
    /** Grants a service needs on this bucket (CloudTrail's writes), after the hardening's denies. */
    policyStatements?: pulumi.Input<PolicyStatement[]>;
    /** Options of the bucket itself: parent, provider, and protect/retainOnDelete where it holds data to keep. */
    bucketOptions: pulumi.CustomResourceOptions;
    /** Options of each configuration resource; the builder adds the dependsOn that orders them. */
    configurationOptions: pulumi.CustomResourceOptions;
}

export interface HardenedBucket {
    bucket: aws.s3.Bucket;
    versioning: aws.s3.BucketVersioning;
    /** The last of the bucket's configuration resources, which are applied one after the other. */
    configured: pulumi.Resource;
}

/** Builds the bucket and its configuration resources; arguments that contradict each other are refused first. */
export function hardenedBucket(args: HardenedBucketArgs): HardenedBucket {
    if (args.forceDestroy && args.bucketOptions.protect) {
        throw new Error(
            `hardenedBucket ${args.namePrefix}: forceDestroy is true but the bucket is protected; allowed: forceDestroy only for a bucket whose data is not ` +
                `protected`,
        );
    }
    const id = args.namePrefix;
    const { key } = args;
    const bucket = new aws.s3.Bucket(
        `${id}-bucket`,
        { bucket: args.bucketName, ...(args.objectLock === undefined ? {} : { objectLockEnabled: true }), forceDestroy: args.forceDestroy },
        args.bucketOptions,
    );
    // S3 may answer 409 OperationAborted to concurrent configuration writes on one new bucket, so
    // each configuration waits for the one before it. The public access block comes before the
    // policy, as terraform-aws-modules does: S3 rejects concurrent changes to both.
    const after = (previous: pulumi.Resource): pulumi.CustomResourceOptions => ({ ...args.configurationOptions, dependsOn: [previous] });
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
        `${id}-public-access`,
        { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        args.configurationOptions,
    );
    const policy = new aws.s3.BucketPolicy(
        `${id}-policy`,
        {
            bucket: bucket.id,
            policy: pulumi.jsonStringify(
                pulumi.all([bucket.arn, key.arn, args.policyStatements ?? []]).apply(([bucketArn, keyArn, extra]) => {
                    const hardening = bucketPolicy(bucketArn, keyArn);
                    return { ...hardening, Statement: [...hardening.Statement, ...extra] };
                }),
            ),
        },
        after(publicAccess),
    );
    const ownership = new aws.s3.BucketOwnershipControls(
        `${id}-ownership`,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        after(policy),
    );
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
        `${id}-encryption`,
        {
            bucket: bucket.id,
            rules: [
                {
                    applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
                    // One KMS data key per bucket instead of per object: far fewer KMS calls and costs.
                    bucketKeyEnabled: true,
                    blockedEncryptionTypes: ["SSE-C"],
                },
            ],
        },
        after(ownership),
    );
    // Object Lock, lifecycle and replication configurations all need versioning on first.
    const versioning = new aws.s3.BucketVersioning(
        `${id}-versioning`,
        { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
        after(encryption),
    );
    const objectLock =
        args.objectLock === undefined
            ? undefined
            : new aws.s3.BucketObjectLockConfiguration(
                  `${id}-object-lock`,
                  { bucket: bucket.id, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } } },
                  after(versioning),
              );
    const lifecycle = new aws.s3.BucketLifecycleConfiguration(
        `${id}-lifecycle`,
        { bucket: bucket.id, rules: args.lifecycleRules },
        after(objectLock ?? versioning),
    );
    return { bucket, versioning, configured: lifecycle };
}

const SSE_HEADER = "s3:x-amz-server-side-encryption";
const SSE_KEY_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id";

/** Matches a request that carries `header` with any value but `allowed`; one without the header is not matched. */
function headerOtherThan(header: string, allowed: string): NonNullable<PolicyStatement["Condition"]> {
    return { Null: { [header]: "false" }, StringNotEquals: { [header]: allowed } };
}

function denyUploadsWhere(objects: string, sid: string, condition: NonNullable<PolicyStatement["Condition"]>): PolicyStatement {
    return { Sid: sid, Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: objects, Condition: condition };
}

/**
 * Denies plain-HTTP access and any upload not encrypted with this bucket's own KMS key.
 *
 * The encryption statements apply only when a request carries the header they check (the
 * `Null: false` condition): a request without encryption headers gets the bucket's default
 * encryption (this key, with a bucket key), and UploadPart requests never carry those headers, so
 * requiring them would deny every multipart upload. The IfExists operators would not do: for an
 * absent key they evaluate to true, so a Deny with them refuses exactly the header-less requests.
 * Asking for SSE-KMS without naming a key would select the AWS managed aws/s3 key, hence the
 * DenyKmsWithoutKeyId statement. SSE-C is refused by the bucket's encryption configuration (blocked
 * encryption types), not here. A key named in a request must be the full key ARN.
 */
export function bucketPolicy(bucketArn: string, keyArn: string): PolicyDocument {
    const objects = `${bucketArn}/*`;
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, objects],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            denyUploadsWhere(objects, "DenyEncryptionOtherThanKms", headerOtherThan(SSE_HEADER, "aws:kms")),
            denyUploadsWhere(objects, "DenyKmsWithoutKeyId", {
                StringEquals: { [SSE_HEADER]: "aws:kms" },
                Null: { [SSE_KEY_HEADER]: "true" },
            }),
            denyUploadsWhere(objects, "DenyOtherKmsKeys", headerOtherThan(SSE_KEY_HEADER, keyArn)),
        ],
    };
}
