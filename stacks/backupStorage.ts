// The 3-2-1 rule in code: dumps land in a hardened, locked, KMS-encrypted bucket in the stack's
// region and are replicated, re-encrypted under a second key, to an equally hardened bucket in
// another region.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BackupLayout, BackupStorageSettings } from "./backupStorage.settings.js";
import { backupStorageNames, type BackupStorageNames } from "./naming.js";
import {
    bucketPolicy,
    backupLifecycleRules,
    replicationPermissions,
    replicationRules,
    replicationTrustPolicy,
    storageSettingsProblems,
    type LifecycleRule,
} from "./storageRules.js";

export const BACKUP_STORAGE_TYPE = "hotelgenius:ops:BackupStorage";

export interface BackupStorageArgs {
    project: string;
    stack: string;
    /** Region of the primary bucket: the region of the provider the component is given (or the default one). */
    region: string;
    settings: BackupStorageSettings;
    /** Provider for the replica region; everything off-site is created through it. */
    replicaProvider: aws.Provider;
}

interface HardenedBucket {
    bucket: aws.s3.Bucket;
    key: aws.kms.Key;
    versioning: aws.s3.BucketVersioning;
}

interface HardenedBucketSpec {
    /** Prefix of the child logical names, derived from the component name. */
    logicalName: string;
    bucketName: string;
    keyAlias: string;
    description: string;
    lifecycleRules: LifecycleRule[];
}

/** Every problem with the arguments, found before any resource is registered. */
function checkArgs(args: BackupStorageArgs): BackupStorageNames {
    const problems = storageSettingsProblems(args.settings);
    if (args.settings.replicaRegion === args.region) {
        problems.push(
            `storage.replicaRegion is "${args.settings.replicaRegion}", the primary region; allowed: any other region, or the copy is not off-site`,
        );
    }
    if (!(args.replicaProvider instanceof aws.Provider)) {
        problems.push("replicaProvider is not an aws.Provider; allowed: the provider for storage.replicaRegion (createProviders(settings).replica)");
    }
    let names: BackupStorageNames | undefined;
    try {
        names = backupStorageNames({ project: args.project, stack: args.stack }, args.settings.replicaRegion);
    } catch (error) {
        problems.push((error as Error).message);
    }
    if (names === undefined || problems.length > 0) throw new Error(`BackupStorage arguments are invalid:\n  - ${problems.join("\n  - ")}`);
    return names;
}

export class BackupStorage extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly keyArn: pulumi.Output<string>;
    public readonly replicaBucketName: pulumi.Output<string>;
    public readonly replicaBucketArn: pulumi.Output<string>;
    public readonly replicaKeyArn: pulumi.Output<string>;
    public readonly replicationRoleArn: pulumi.Output<string>;
    /** Where the backup job writes; the lifecycle and replication rules filter on these prefixes. */
    public readonly layout: BackupLayout;

    constructor(name: string, args: BackupStorageArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const names = checkArgs(args);
        super(BACKUP_STORAGE_TYPE, name, {}, opts);
        const { settings } = args;

        const primary = this.hardenedBucket(
            {
                logicalName: name,
                bucketName: names.bucket,
                keyAlias: names.keyAlias,
                description: `Backups of ${args.project} ${args.stack}`,
                lifecycleRules: backupLifecycleRules(settings),
            },
            settings,
            {},
        );
        // Object Lock on the replica too: S3 replicates locked objects only into a bucket with Object
        // Lock enabled, and the off-site copy is exactly what must survive stolen primary credentials.
        const replica = this.hardenedBucket(
            {
                logicalName: `${name}-replica`,
                bucketName: names.replicaBucket,
                keyAlias: names.replicaKeyAlias,
                description: `Off-site replica of the backups of ${args.project} ${args.stack}`,
                lifecycleRules: backupLifecycleRules(settings),
            },
            settings,
            { provider: args.replicaProvider },
        );

        const role = new aws.iam.Role(
            `${name}-replication-role`,
            {
                name: names.replicationRole,
                description: `S3 replication of ${args.project} ${args.stack} backups to ${settings.replicaRegion}`,
                assumeRolePolicy: pulumi.jsonStringify(replicationTrustPolicy()),
            },
            { parent: this },
        );
        const rolePolicy = new aws.iam.RolePolicy(
            `${name}-replication-policy`,
            {
                name: "replicate-backups",
                role: role.id,
                policy: pulumi.jsonStringify(
                    pulumi.all([primary.bucket.arn, primary.key.arn, replica.bucket.arn, replica.key.arn]).apply(
                        ([sourceBucketArn, sourceKeyArn, replicaBucketArn, replicaKeyArn]) =>
                            replicationPermissions({
                                sourceBucketArn,
                                sourceKeyArn,
                                sourceRegion: args.region,
                                replicaBucketArn,
                                replicaKeyArn,
                                replicaRegion: settings.replicaRegion,
                                prefixes: [settings.layout.dumpPrefix, settings.layout.manifestPrefix],
                            }),
                    ),
                ),
            },
            { parent: this },
        );
        new aws.s3.BucketReplicationConfig(
            `${name}-replication`,
            {
                bucket: primary.bucket.id,
                role: role.arn,
                rules: pulumi
                    .all([replica.bucket.arn, replica.key.arn])
                    .apply(([replicaBucketArn, replicaKeyArn]) => replicationRules(settings.layout, replicaBucketArn, replicaKeyArn)),
            },
            // S3 refuses a replication configuration until both buckets are versioned, and replicates
            // nothing until the role may read and write.
            { parent: this, dependsOn: [primary.versioning, replica.versioning, rolePolicy] },
        );

        this.bucketName = primary.bucket.bucket;
        this.bucketArn = primary.bucket.arn;
        this.keyArn = primary.key.arn;
        this.replicaBucketName = replica.bucket.bucket;
        this.replicaBucketArn = replica.bucket.arn;
        this.replicaKeyArn = replica.key.arn;
        this.replicationRoleArn = role.arn;
        this.layout = { ...settings.layout };
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            keyArn: this.keyArn,
            replicaBucketName: this.replicaBucketName,
            replicaBucketArn: this.replicaBucketArn,
            replicaKeyArn: this.replicaKeyArn,
            replicationRoleArn: this.replicationRoleArn,
            layout: this.layout,
        });
    }

    /**
     * A bucket with every hardening flag on, its own rotating KMS key, and the lifecycle given. The
     * bucket, key and Object Lock configuration hold or guard backup data, so with protectData no
     * `pulumi destroy` or refactor can delete them, and dropping them from the program leaves them
     * in the account.
     */
    private hardenedBucket(spec: HardenedBucketSpec, settings: BackupStorageSettings, extra: pulumi.CustomResourceOptions): HardenedBucket {
        const child: pulumi.CustomResourceOptions = { ...extra, parent: this };
        const data: pulumi.CustomResourceOptions = { ...child, protect: settings.protectData, retainOnDelete: settings.protectData };
        const id = spec.logicalName;

        // No key policy is set: the default one delegates to IAM in this account, which is what the
        // replication role and the backup job's role rely on; a hand-written policy that forgot the
        // account would make the key, and every dump under it, unmanageable.
        const key = new aws.kms.Key(
            `${id}-key`,
            {
                description: spec.description,
                enableKeyRotation: true,
                deletionWindowInDays: settings.kmsDeletionWindowDays,
            },
            data,
        );
        new aws.kms.Alias(`${id}-key-alias`, { name: spec.keyAlias, targetKeyId: key.keyId }, child);

        // Object Lock can only be switched on when the bucket is created.
        const bucket = new aws.s3.Bucket(`${id}-bucket`, { bucket: spec.bucketName, objectLockEnabled: true, forceDestroy: false }, data);

        const publicAccess = new aws.s3.BucketPublicAccessBlock(
            `${id}-public-access`,
            {
                bucket: bucket.id,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            },
            child,
        );
        new aws.s3.BucketOwnershipControls(`${id}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
        new aws.s3.BucketServerSideEncryptionConfiguration(
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
            child,
        );
        const versioning = new aws.s3.BucketVersioning(`${id}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);
        new aws.s3.BucketObjectLockConfiguration(
            `${id}-object-lock`,
            {
                bucket: bucket.id,
                objectLockEnabled: "Enabled",
                rule: { defaultRetention: { mode: settings.objectLockMode, days: settings.objectLockDays } },
            },
            { ...data, dependsOn: [versioning] },
        );
        new aws.s3.BucketLifecycleConfiguration(`${id}-lifecycle`, { bucket: bucket.id, rules: spec.lifecycleRules }, { ...child, dependsOn: [versioning] });
        // After the public access block, as terraform-aws-modules does: S3 rejects concurrent changes
        // to a bucket's policy and its public access block.
        new aws.s3.BucketPolicy(
            `${id}-policy`,
            { bucket: bucket.id, policy: pulumi.jsonStringify(pulumi.all([bucket.arn, key.arn]).apply(([bucketArn, keyArn]) => bucketPolicy(bucketArn, keyArn))) },
            { ...child, dependsOn: [publicAccess] },
        );
        return { bucket, key, versioning };
    }
}
