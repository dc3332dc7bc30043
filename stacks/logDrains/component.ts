// Every JSON log line of the backup job and the app, searchable in the team's log service (when one
// is configured) and archived in a hardened S3 bucket; error and warn lines counted as metrics.
//
//   CloudWatch log groups --subscription--> Firehose "cloudwatch" (decompress, extract) --+--> log service (HTTPS)
//   Railway app --NDJSON--> Vector (deploy/vector) --PutRecordBatch--> Firehose "railway" -+--> S3 archive (all lines)
//
// Two streams because a stream that decompresses CloudWatch Logs records fails every other record.
import { hardenedBucket } from "../shared/hardenedBucket.js";
import { LOG_LEVEL_METRICS, LOG_METRIC_NAMESPACE } from "../shared/logMetrics.js";
import { boundaryOf } from "../shared/account.js";
import { guardedKey } from "../shared/guardedKey.js";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    archiveLifecycleRules,
    archivePrefixes,
    cloudwatchProcessors,
    deliveryPermissions,
    deliveryTrustPolicy,
    ingestPermissions,
    levelMetricFilters,
    railwayArchiveProcessors,
    subscriptionPermissions,
    subscriptionTrustPolicy,
    type LogSource,
    type Processor,
} from "./rules.js";
import type { LogDrainSettings } from "./settings.js";
import { logDrainNames, type LogDrainNames } from "../shared/naming.js";
import { checkLogGroupList, checkLogGroupName, checkLogServiceEndpoint } from "./checks.js";
import { checkLogRetentionDays } from "../shared/logRetention.js";
import { lifecycleOrderProblems } from "../shared/lifecycle.js";
import { accountOf } from "../shared/iam.js";

export const LOG_DRAINS_TYPE = "hotelgenius:ops:LogDrains";

export interface LogDrainsArgs {
    project: string;
    stack: string;
    /** The deploy roles' permissions boundary (bootstrap/), which every role and user they create must carry. */
    permissionsBoundary?: string;
    /** Region of the provider the component is given: the archive stays next to the backups. */
    region: string;
    settings: LogDrainSettings;
    /** Protect and retain the archive bucket and its key: the logs hold guests' personal data. */
    protectData: boolean;
    /** The only principal allowed to disable the archive key or change its policy (stacks/shared/guardedKey.ts). */
    breakGlassRoleArn: string;
    /** Waiting period before a scheduled deletion of the archive key takes effect (7-30 days). */
    kmsDeletionWindowDays: number;
    /** The backup job's CloudWatch log group (the scheduled task's `awslogs` group); omitted until that area exists. */
    backupJobLogGroupName?: pulumi.Input<string>;
}

/** A drained log group: its logical id (child resource names) and its name. */
interface SourceGroup {
    id: string;
    name: pulumi.Input<string>;
}

function inRange(value: number, min: number, max: number): boolean {
    return Number.isInteger(value) && value >= min && value <= max;
}

/** Every problem with the arguments, found before any resource is registered. */
function checkArgs(args: LogDrainsArgs): { names: LogDrainNames; groups: SourceGroup[] } {
    const { settings } = args;
    const problems: string[] = [];
    const ranges = [
        ["logBufferingSizeMb", 1, 64],
        ["logBufferingIntervalSeconds", 0, 900],
        ["logServiceRetrySeconds", 0, 7200],
        ["logArchiveTransitionDays", 1, 36_500],
        ["logArchiveExpirationDays", 1, 36_500],
    ] as const;
    for (const [key, min, max] of ranges) {
        if (!inRange(settings[key], min, max))
            problems.push(`logDrains.${key} is ${settings[key]}; allowed: a whole number from ${min} to ${max} (the Firehose and S3 limits)`);
    }
    const retention = checkLogRetentionDays(settings.logRetentionDays);
    if (retention !== undefined) problems.push(`logDrains.logRetentionDays is ${settings.logRetentionDays}; ${retention}`);
    const transitions = { transitionToArchiveDays: settings.logArchiveTransitionDays, expirationDays: settings.logArchiveExpirationDays };
    for (const order of lifecycleOrderProblems(transitions, () => "logDrains.logArchiveTransitionDays")) {
        problems.push(`logDrains.logArchiveExpirationDays is ${order.value}; ${order.allowed}`);
    }
    if (settings.logService !== undefined) {
        const endpoint = checkLogServiceEndpoint(settings.logService.endpoint);
        if (endpoint !== undefined) problems.push(`logDrains.logService.endpoint ${endpoint}`);
    }
    for (const group of settings.appLogGroups) {
        const reason = checkLogGroupName(group);
        if (reason !== undefined) problems.push(`logDrains.appLogGroups item "${group}" ${reason}`);
    }
    const duplicates = checkLogGroupList([...settings.appLogGroups, ...(typeof args.backupJobLogGroupName === "string" ? [args.backupJobLogGroupName] : [])]);
    if (duplicates !== undefined) problems.push(`logDrains.appLogGroups and backupJobLogGroupName ${duplicates}`);
    if (!inRange(args.kmsDeletionWindowDays, 7, 30))
        problems.push(`kmsDeletionWindowDays is ${args.kmsDeletionWindowDays}; allowed: a whole number from 7 to 30 (the KMS limits)`);

    const groups: SourceGroup[] = args.backupJobLogGroupName === undefined ? [] : [{ id: "backup-job", name: args.backupJobLogGroupName }];
    for (const name of settings.appLogGroups) {
        const id = `app-${name
            .replace(/[^A-Za-z0-9]+/g, "-")
            .replace(/^-|-$/g, "")
            .toLowerCase()}`;
        const clash = groups.find((group) => group.id === id);
        if (clash !== undefined) {
            problems.push(
                `logDrains.appLogGroups "${name}" and "${String(clash.name)}" derive the same resource name ${id}; allowed: names that differ in more than ` +
                    `punctuation or case`,
            );
        }
        groups.push({ id, name });
    }
    let names: LogDrainNames | undefined;
    try {
        names = logDrainNames({ project: args.project, stack: args.stack });
    } catch (error) {
        problems.push((error as Error).message);
    }
    if (names === undefined || problems.length > 0) throw new Error(`LogDrains arguments are invalid:\n  - ${problems.join("\n  - ")}`);
    return { names, groups };
}

export class LogDrains extends pulumi.ComponentResource {
    public readonly archiveBucketName: pulumi.Output<string>;
    public readonly archiveBucketArn: pulumi.Output<string>;
    public readonly archiveKeyArn: pulumi.Output<string>;
    /** Where CloudWatch Logs subscriptions deliver. */
    public readonly cloudwatchStreamName: pulumi.Output<string>;
    public readonly cloudwatchStreamArn: pulumi.Output<string>;
    /** Where the Railway forwarder puts the app's lines. */
    public readonly railwayStreamName: pulumi.Output<string>;
    public readonly railwayStreamArn: pulumi.Output<string>;
    public readonly subscriptionRoleArn: pulumi.Output<string>;
    /** Credentials of the Railway forwarder, both secret. */
    public readonly ingestAccessKeyId: pulumi.Output<string>;
    public readonly ingestSecretAccessKey: pulumi.Output<string>;
    /** The forwarder's non-secret environment (deploy/vector/vector.yaml reads these variables). */
    public readonly forwarder: pulumi.Output<{ FIREHOSE_STREAM_NAME: string; AWS_REGION: string }>;
    /** What the monitoring area alarms on. */
    public readonly logMetrics: { namespace: string; error: string; warn: string; dimensions: Record<string, never> };

    constructor(name: string, args: LogDrainsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const { names, groups } = checkArgs(args);
        super(LOG_DRAINS_TYPE, name, {}, opts);
        const { settings, region } = args;
        const child: pulumi.CustomResourceOptions = { parent: this };
        const data: pulumi.CustomResourceOptions = { ...child, protect: args.protectData, retainOnDelete: args.protectData };

        // The same guard as the backup keys' (the archive holds guests' personal data too); its delegation to
        // IAM in this account (DelegateToIam) is what the delivery role relies on.
        const key = guardedKey({
            id: name,
            description: `Log archive of ${args.project} ${args.stack}`,
            alias: names.keyAlias,
            breakGlassRoleArn: args.breakGlassRoleArn,
            deletionWindowDays: args.kmsDeletionWindowDays,
            keyOptions: data,
            aliasOptions: child,
        });
        const account = key.arn.apply(accountOf);

        // The backup buckets' hardening without Object Lock: logs are evidence of what happened, not the last copy of the data.
        const { bucket } = hardenedBucket({
            namePrefix: `${name}-archive`,
            bucketName: names.archiveBucket,
            key,
            lifecycleRules: archiveLifecycleRules(settings),
            forceDestroy: !args.protectData,
            bucketOptions: data,
            // Protected like the backup bucket's: losing the policy, the encryption default, versioning, the
            // public access block, the lifecycle or the ownership weakens the archive as surely as losing it.
            configurationOptions: data,
        });

        const errorLogGroup = new aws.cloudwatch.LogGroup(
            `${name}-delivery-errors`,
            { name: names.errorLogGroup, retentionInDays: settings.logRetentionDays },
            child,
        );
        const errorLogGroupArn = pulumi.interpolate`arn:aws:logs:${region}:${account}:log-group:${errorLogGroup.name}`;

        const secret = settings.logService === undefined ? undefined : this.serviceKeySecret(name, names, settings.logService.accessKey, key);

        const deliveryRole = new aws.iam.Role(
            `${name}-delivery-role`,
            {
                name: names.deliveryRole,
                description: `Firehose delivery of ${args.project} ${args.stack} logs to the archive${settings.logService ? " and the log service" : ""}`,
                assumeRolePolicy: pulumi.jsonStringify(account.apply(deliveryTrustPolicy)),
                ...boundaryOf(args),
            },
            child,
        );
        const deliveryPolicy = new aws.iam.RolePolicy(
            `${name}-delivery-policy`,
            {
                name: "deliver-logs",
                role: deliveryRole.id,
                policy: pulumi.jsonStringify(
                    pulumi.all([bucket.arn, key.arn, errorLogGroupArn, secret?.arn]).apply(([bucketArn, keyArn, logGroupArn, secretArn]) =>
                        deliveryPermissions({
                            region,
                            bucketArn,
                            keyArn,
                            errorLogGroupArn: logGroupArn,
                            ...(secretArn ? { serviceKeySecretArn: secretArn } : {}),
                        }),
                    ),
                ),
            },
            child,
        );

        const stream = (source: LogSource, streamName: string, serviceProcessors: Processor[], archiveProcessors: Processor[]) => {
            const logStream = (kind: string) =>
                new aws.cloudwatch.LogStream(`${name}-${source}-${kind}-log`, { name: `${streamName}-${kind}`, logGroupName: errorLogGroup.name }, child);
            const logging = (kind: string) => ({ enabled: true, logGroupName: errorLogGroup.name, logStreamName: logStream(kind).name });
            const archive = { roleArn: deliveryRole.arn, bucketArn: bucket.arn, ...archivePrefixes(source), compressionFormat: "GZIP", kmsKeyArn: key.arn };
            const buffering = { bufferingSize: settings.logBufferingSizeMb, bufferingInterval: settings.logBufferingIntervalSeconds };
            const processing = (list: Processor[]) => (list.length > 0 ? { processingConfiguration: { enabled: true, processors: list } } : {});
            const service = settings.logService;
            return new aws.kinesis.FirehoseDeliveryStream(
                `${name}-${source}`,
                {
                    name: streamName,
                    // Records wait in Firehose's buffer for at most the buffering interval; the archive itself is under the archive key.
                    serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
                    ...(service === undefined
                        ? {
                              destination: "extended_s3",
                              extendedS3Configuration: {
                                  ...archive,
                                  ...buffering,
                                  ...processing(archiveProcessors),
                                  cloudwatchLoggingOptions: logging("archive"),
                              },
                          }
                        : {
                              destination: "http_endpoint",
                              httpEndpointConfiguration: {
                                  url: service.endpoint,
                                  name: new URL(service.endpoint).hostname,
                                  roleArn: deliveryRole.arn,
                                  secretsManagerConfiguration: { enabled: true, secretArn: secret!.arn, roleArn: deliveryRole.arn },
                                  ...buffering,
                                  retryDuration: settings.logServiceRetrySeconds,
                                  requestConfiguration: { contentEncoding: "GZIP" },
                                  ...processing(serviceProcessors),
                                  cloudwatchLoggingOptions: logging("service"),
                                  // Every line goes to the archive too, not only those the service refused.
                                  s3BackupMode: "AllData",
                                  s3Configuration: { ...archive, cloudwatchLoggingOptions: logging("archive") },
                              },
                          }),
                },
                // Firehose checks at creation that its role can write the archive and read the secret.
                { ...child, dependsOn: [deliveryPolicy] },
            );
        };
        const cloudwatch = stream("cloudwatch", names.cloudwatchStream, cloudwatchProcessors(), cloudwatchProcessors());
        const railway = stream("railway", names.railwayStream, [], railwayArchiveProcessors());

        const subscriptionRole = new aws.iam.Role(
            `${name}-subscription-role`,
            {
                name: names.subscriptionRole,
                description: `CloudWatch Logs subscriptions of ${args.project} ${args.stack} into the log drain`,
                assumeRolePolicy: pulumi.jsonStringify(account.apply((id) => subscriptionTrustPolicy(region, id))),
                ...boundaryOf(args),
            },
            child,
        );
        const subscriptionPolicy = new aws.iam.RolePolicy(
            `${name}-subscription-policy`,
            { name: "put-into-drain", role: subscriptionRole.id, policy: pulumi.jsonStringify(cloudwatch.arn.apply(subscriptionPermissions)) },
            child,
        );
        for (const group of groups) {
            // CloudWatch Logs tests the role by putting a record when the filter is created.
            new aws.cloudwatch.LogSubscriptionFilter(
                `${name}-${group.id}-subscription`,
                { name: names.filter, logGroup: group.name, filterPattern: "", destinationArn: cloudwatch.arn, roleArn: subscriptionRole.arn },
                { ...child, dependsOn: [subscriptionPolicy] },
            );
            for (const filter of levelMetricFilters()) {
                new aws.cloudwatch.LogMetricFilter(
                    `${name}-${group.id}-${filter.level}-lines`,
                    {
                        name: `${names.filter}-${filter.level}-lines`,
                        logGroupName: group.name,
                        pattern: filter.pattern,
                        metricTransformation: filter.metricTransformation,
                    },
                    child,
                );
            }
        }

        const ingestUser = new aws.iam.User(`${name}-railway-ingest`, { name: names.ingestUser, ...boundaryOf(args) }, child);
        new aws.iam.UserPolicy(
            `${name}-railway-ingest-policy`,
            { name: `${names.ingestUser}-put-records`, user: ingestUser.name, policy: pulumi.jsonStringify(railway.arn.apply(ingestPermissions)) },
            child,
        );
        const accessKey = new aws.iam.AccessKey(`${name}-railway-ingest-key`, { user: ingestUser.name }, child);

        this.archiveBucketName = bucket.bucket;
        this.archiveBucketArn = bucket.arn;
        this.archiveKeyArn = key.arn;
        this.cloudwatchStreamName = cloudwatch.name;
        this.cloudwatchStreamArn = cloudwatch.arn;
        this.railwayStreamName = railway.name;
        this.railwayStreamArn = railway.arn;
        this.subscriptionRoleArn = subscriptionRole.arn;
        this.ingestAccessKeyId = pulumi.secret(accessKey.id);
        this.ingestSecretAccessKey = pulumi.secret(accessKey.secret);
        this.forwarder = pulumi.output({ FIREHOSE_STREAM_NAME: railway.name, AWS_REGION: region });
        this.logMetrics = { namespace: LOG_METRIC_NAMESPACE, ...LOG_LEVEL_METRICS, dimensions: {} };
        this.registerOutputs({
            archiveBucketName: this.archiveBucketName,
            archiveBucketArn: this.archiveBucketArn,
            archiveKeyArn: this.archiveKeyArn,
            cloudwatchStreamName: this.cloudwatchStreamName,
            cloudwatchStreamArn: this.cloudwatchStreamArn,
            railwayStreamName: this.railwayStreamName,
            railwayStreamArn: this.railwayStreamArn,
            subscriptionRoleArn: this.subscriptionRoleArn,
            ingestAccessKeyId: this.ingestAccessKeyId,
            ingestSecretAccessKey: this.ingestSecretAccessKey,
            forwarder: this.forwarder,
            logMetrics: this.logMetrics,
        });
    }

    /** The log service key in Secrets Manager as Firehose expects it (`{"api_key": ...}`), under the archive key. */
    private serviceKeySecret(name: string, names: LogDrainNames, accessKey: pulumi.Output<string>, key: aws.kms.Key): aws.secretsmanager.Secret {
        const secret = new aws.secretsmanager.Secret(
            `${name}-service-key`,
            { name: names.serviceKeySecret, description: "API key of the log service the Firehose log drain delivers to", kmsKeyId: key.arn },
            { parent: this },
        );
        new aws.secretsmanager.SecretVersion(
            `${name}-service-key-value`,
            { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify({ api_key: accessKey })) },
            { parent: this },
        );
        return secret;
    }
}
