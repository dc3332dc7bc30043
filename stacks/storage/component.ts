// The 3-2-1 rule in code: dumps land in a hardened, locked, KMS-encrypted bucket in the stack's
// region and are replicated, re-encrypted under a second key, to an equally hardened bucket in
// another region (unless settings.offSiteReplica is off: non-production clones only).
import * as aws from "@pulumi/aws";
import { boundaryOf } from "../shared/account.js";
import * as pulumi from "@pulumi/pulumi";
import type { BackupLayout } from "../shared/backupLayout.js";
import type { BackupStorageSettings } from "./settings.js";
import { hardenedBucket, type HardenedBucket } from "../shared/hardenedBucket.js";
import { guardedKey } from "../shared/guardedKey.js";
import { backupStorageNames, type BackupStorageNames } from "../shared/naming.js";
import {
    backupLifecycleRules,
    replicationPermissions,
    replicationMetricDimensions,
    replicationRules,
    replicationTrustPolicy,
    storageSettingsProblems,
    type ReplicationMetricDimensions,
} from "./rules.js";
import type { LifecycleRule } from "../shared/lifecycle.js";

export const BACKUP_STORAGE_TYPE = "hotelgenius:ops:BackupStorage";

export interface BackupStorageArgs {
    project: string;
    stack: string;
    /** The deploy roles' permissions boundary (bootstrap/), which every role and user they create must carry. */
    permissionsBoundary?: string;
    /** Region of the primary bucket: the region of the provider the component is given (or the default one). */
    region: string;
    settings: BackupStorageSettings;
    /** Provider for the replica region; everything off-site is created through it. Only with settings.offSiteReplica. */
    replicaProvider?: aws.Provider;
}

interface LockedBucket extends HardenedBucket {
    key: aws.kms.Key;
}

interface LockedBucketSpec {
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
        problems.push(`storage.replicaRegion is "${args.settings.replicaRegion}", the primary region; allowed: any other region, or the copy is not off-site`);
    }
    if (args.settings.offSiteReplica && !(args.replicaProvider instanceof aws.Provider)) {
        problems.push("replicaProvider is not an aws.Provider; allowed: the provider for storage.replicaRegion (createProviders(settings).replica)");
    }
    if (!args.settings.offSiteReplica && args.replicaProvider !== undefined) {
        problems.push("replicaProvider is given but storage.offSiteReplica is false; allowed: no replicaProvider, or storage.offSiteReplica true");
    }
    let names: BackupStorageNames | undefined;
    try {
        names = backupStorageNames({ project: args.project, stack: args.stack }, args.settings.replicaRegion, { replica: args.settings.offSiteReplica });
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
    /** The replica's outputs are undefined without settings.offSiteReplica. */
    public readonly replicaBucketName?: pulumi.Output<string>;
    public readonly replicaBucketArn?: pulumi.Output<string>;
    public readonly replicaKeyArn?: pulumi.Output<string>;
    public readonly replicationRoleArn?: pulumi.Output<string>;
    /** SourceBucket/DestinationBucket/RuleId of each replication rule (none without a replica): what the replication alarms select on. */
    public readonly replicationMetricDimensions: pulumi.Output<ReplicationMetricDimensions[]>;
    /** Where the backup job writes; the lifecycle and replication rules filter on these prefixes. */
    public readonly layout: BackupLayout;

    constructor(name: string, args: BackupStorageArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const names = checkArgs(args);
        super(BACKUP_STORAGE_TYPE, name, {}, opts);
        const { settings } = args;

        const primary = this.lockedBucket(
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
        // Everything off-site, only where the stack keeps an off-site copy (never off where data is protected).
        if (settings.offSiteReplica) {
            // Object Lock on the replica too: S3 replicates locked objects only into a bucket with Object
            // Lock enabled, and the off-site copy is exactly what must survive stolen primary credentials.
            const replica = this.lockedBucket(
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

            // Without the role, its policy or the configuration, nothing reaches the off-site copy.
            const guarded = guardedOptions({ parent: this }, settings);
            const role = new aws.iam.Role(
                `${name}-replication-role`,
                {
                    name: names.replicationRole,
                    description: `S3 replication of ${args.project} ${args.stack} backups to ${settings.replicaRegion}`,
                    assumeRolePolicy: pulumi.jsonStringify(
                        pulumi
                            .all([aws.getCallerIdentityOutput({}, { parent: this }).accountId, primary.bucket.arn])
                            .apply(([account, bucketArn]) => replicationTrustPolicy(account, bucketArn)),
                    ),
                    ...boundaryOf(args),
                },
                guarded,
            );
            const rolePolicy = new aws.iam.RolePolicy(
                `${name}-replication-policy`,
                {
                    name: "replicate-backups",
                    role: role.id,
                    policy: pulumi.jsonStringify(
                        pulumi
                            .all([primary.bucket.arn, primary.key.arn, replica.bucket.arn, replica.key.arn])
                            .apply(([sourceBucketArn, sourceKeyArn, replicaBucketArn, replicaKeyArn]) =>
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
                guarded,
            );
            new aws.s3.BucketReplicationConfig(
                `${name}-replication`,
                {
                    bucket: primary.bucket.id,
                    role: role.arn,
                    rules: pulumi
                        .all([replica.bucket.arn, replica.key.arn])
                        .apply(([replicaBucketArn, replicaKeyArn]) =>
                            replicationRules(settings.layout, replicaBucketArn, replicaKeyArn, settings.replicationTimeControl),
                        ),
                },
                // S3 refuses a replication configuration until both buckets are versioned, and replicates
                // nothing until the role may read and write; it is the primary bucket's last configuration write.
                { ...guarded, dependsOn: [primary.configured, replica.versioning, rolePolicy] },
            );

            this.replicaBucketName = replica.bucket.bucket;
            this.replicaBucketArn = replica.bucket.arn;
            this.replicaKeyArn = replica.key.arn;
            this.replicationRoleArn = role.arn;
            this.replicationMetricDimensions = pulumi
                .all([primary.bucket.bucket, replica.bucket.bucket])
                .apply(([source, destination]) => replicationMetricDimensions(source, destination));
        } else {
            this.replicationMetricDimensions = pulumi.output([]);
        }

        this.bucketName = primary.bucket.bucket;
        this.bucketArn = primary.bucket.arn;
        this.keyArn = primary.key.arn;
        this.layout = { ...settings.layout };
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            keyArn: this.keyArn,
            replicaBucketName: this.replicaBucketName,
            replicaBucketArn: this.replicaBucketArn,
            replicaKeyArn: this.replicaKeyArn,
            replicationRoleArn: this.replicationRoleArn,
            replicationMetricDimensions: this.replicationMetricDimensions,
            layout: this.layout,
        });
    }

    /**
     * A bucket with every hardening flag on (stacks/shared/hardenedBucket.ts) and Object Lock, its own rotating
     * KMS key, and the lifecycle given.
     * With protectData, every resource here but the key alias is `protect`ed: `pulumi destroy` or a
     * refactor that drops one fails instead of deleting it (losing the policy, the encryption default,
     * the lock or the replication weakens the backups as surely as losing the bucket). retainOnDelete
     * matters only once someone lifts the protection: the resource is then left in the account rather
     * than deleted. Without protectData (staging), the buckets are emptied on delete, so the stack can
     * really be torn down.
     */
    private lockedBucket(spec: LockedBucketSpec, settings: BackupStorageSettings, extra: pulumi.CustomResourceOptions): LockedBucket {
        const child: pulumi.CustomResourceOptions = { ...extra, parent: this };
        const guarded = guardedOptions(child, settings);
        const id = spec.logicalName;

        const key = guardedKey({
            id,
            description: spec.description,
            alias: spec.keyAlias,
            breakGlassRoleArn: settings.breakGlassRoleArn,
            deletionWindowDays: settings.kmsDeletionWindowDays,
            keyOptions: guarded,
            aliasOptions: child,
        });

        // forceDestroy bypasses GOVERNANCE retention (docs/settings.md says what that needs); it is
        // never set where the data is protected.
        const bucket = hardenedBucket({
            namePrefix: id,
            bucketName: spec.bucketName,
            key,
            lifecycleRules: spec.lifecycleRules,
            objectLock: { mode: settings.objectLockMode, days: settings.objectLockDays },
            forceDestroy: !settings.protectData,
            bucketOptions: guarded,
            configurationOptions: guarded,
        });
        return { ...bucket, key };
    }
}

/** Options of a resource whose loss weakens the backups: protected and retained when the data is. */
function guardedOptions(child: pulumi.CustomResourceOptions, settings: BackupStorageSettings): pulumi.CustomResourceOptions {
    return { ...child, protect: settings.protectData, retainOnDelete: settings.protectData };
}
