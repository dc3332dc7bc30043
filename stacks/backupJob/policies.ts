// Pure builders for the backup job's IAM and KMS documents: who may assume each role, and exactly
// what each role may do. Plain data in, plain data out; unit-tested without a Pulumi runtime, and
// checked against the S3 requests the real job sends (test/backupJobPermissions.test.ts).
// No statement here allows s3:Delete* of any kind: under versioning and Object Lock a delete only
// adds a delete marker, and a dump without a manifest is already ignored and expires by lifecycle.
import type { BackupLayout } from "../shared/backupLayout.js";
import type { PolicyDocument, PolicyStatement } from "../shared/iam.js";
import { serviceTrustPolicy } from "../shared/trustPolicy.js";

/** Where the backups live and the key that encrypts them. */
export interface BackupObjects {
    bucketArn: string;
    keyArn: string;
    /** Region of the bucket: its KMS calls come through s3.<region>.amazonaws.com. */
    region: string;
    layout: BackupLayout;
}

/** Only ECS tasks of this account and region may assume a task or execution role (no confused deputy). */
export function ecsTasksTrustPolicy(accountId: string, region: string): PolicyDocument {
    return serviceTrustPolicy({
        sid: "EcsTasksOfThisAccount",
        service: "ecs-tasks.amazonaws.com",
        account: accountId,
        sourceArn: `arn:aws:ecs:${region}:${accountId}:*`,
    });
}

/**
 * Only EventBridge Scheduler, for this account's default schedule group (where the job's schedules
 * live) in this region, may assume the scheduler role. The Scheduler guide's confused-deputy page
 * scopes aws:SourceArn to the schedule group, never to a schedule.
 */
export function schedulerTrustPolicy(accountId: string, region: string): PolicyDocument {
    return serviceTrustPolicy({
        sid: "SchedulerOfThisAccount",
        service: "scheduler.amazonaws.com",
        account: accountId,
        sourceArn: `arn:aws:scheduler:${region}:${accountId}:schedule-group/default`,
    });
}

export interface ExecutionGrants {
    /** The ECR repository the image is pulled from; undefined for an image in a public registry. */
    repositoryArn: string | undefined;
    logGroupArn: string;
    /** The Secrets Manager secrets this task definition's container reads through `valueFrom`. */
    secretArns: readonly string[];
    /** The customer key those secrets are encrypted with. */
    secretsKeyArn: string;
    region: string;
}

/** What the ECS agent needs to start the task: pull this image, read these secrets, write this log group. */
export function executionPermissions(grants: ExecutionGrants): PolicyDocument {
    const statements: PolicyStatement[] = [];
    if (grants.repositoryArn !== undefined) {
        // GetAuthorizationToken has no resource-level permissions: AWS accepts only "*" for it.
        statements.push(
            { Sid: "AuthenticateToEcr", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
            { Sid: "PullJobImage", Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: grants.repositoryArn },
        );
    }
    statements.push(
        { Sid: "WriteJobLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${grants.logGroupArn}:log-stream:*` },
        { Sid: "ReadJobSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [...grants.secretArns] },
        {
            Sid: "DecryptJobSecrets",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: grants.secretsKeyArn,
            Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${grants.region}.amazonaws.com` } },
        },
    );
    return { Version: "2012-10-17", Statement: statements };
}

/** The S3 encryption context of a backup object: the bucket ARN with S3 Bucket Keys, the object ARN without. */
function backupKeyCondition(objects: BackupObjects, prefixes: readonly string[]): NonNullable<PolicyStatement["Condition"]> {
    return {
        StringEquals: { "kms:ViaService": `s3.${objects.region}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [objects.bucketArn, ...prefixes.map((prefix) => `${objects.bucketArn}/${prefix}*`)] },
    };
}

/**
 * ListBucket on the backup root only. HeadBucket (the job's reachability check) carries no prefix,
 * hence IfExists; the same permission makes S3 answer a missing key with 404 instead of 403.
 */
function listBackupRoot(objects: BackupObjects): PolicyStatement {
    return {
        Sid: "ListBackupRoot",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: objects.bucketArn,
        Condition: { StringLikeIfExists: { "s3:prefix": [`${objects.layout.root}/*`] } },
    };
}

/**
 * What `backup` calls: HeadBucket, HeadObject on its own manifest key (it refuses to overwrite a
 * backup of the same id), the dump's multipart upload (or one PutObject when it is small),
 * AbortMultipartUpload when a run fails, and the manifest's PutObject. SSE-KMS writes need
 * GenerateDataKey; a multipart upload also needs Decrypt, which S3 uses to assemble the parts.
 */
export function backupTaskPermissions(objects: BackupObjects): PolicyDocument {
    const { bucketArn, keyArn, layout } = objects;
    return {
        Version: "2012-10-17",
        Statement: [
            listBackupRoot(objects),
            { Sid: "CheckManifestIsNew", Effect: "Allow", Action: "s3:GetObject", Resource: `${bucketArn}/${layout.manifestPrefix}*` },
            { Sid: "WriteDumps", Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"], Resource: `${bucketArn}/${layout.dumpPrefix}*` },
            { Sid: "WriteManifests", Effect: "Allow", Action: "s3:PutObject", Resource: `${bucketArn}/${layout.manifestPrefix}*` },
            {
                Sid: "EncryptBackups",
                Effect: "Allow",
                Action: ["kms:GenerateDataKey", "kms:Decrypt"],
                Resource: keyArn,
                Condition: backupKeyCondition(objects, [layout.dumpPrefix, layout.manifestPrefix]),
            },
        ],
    };
}

/**
 * What `list`, `verify` and `restore` call: list the root, read manifests and dumps, decrypt them. Read-only.
 * A dump whose manifest names its object version (a backup to the versioned bucket) is read as exactly
 * that version: GetObject with versionId, which S3 authorizes as s3:GetObjectVersion instead of
 * s3:GetObject (GetObject API reference). Manifests are never read by version.
 */
export function drillTaskPermissions(objects: BackupObjects): PolicyDocument {
    const { bucketArn, keyArn, layout } = objects;
    const prefixes = [layout.dumpPrefix, layout.manifestPrefix];
    return {
        Version: "2012-10-17",
        Statement: [
            listBackupRoot(objects),
            { Sid: "ReadBackups", Effect: "Allow", Action: "s3:GetObject", Resource: prefixes.map((prefix) => `${bucketArn}/${prefix}*`) },
            { Sid: "ReadPinnedDumps", Effect: "Allow", Action: "s3:GetObjectVersion", Resource: `${bucketArn}/${layout.dumpPrefix}*` },
            { Sid: "DecryptBackups", Effect: "Allow", Action: "kms:Decrypt", Resource: keyArn, Condition: backupKeyCondition(objects, prefixes) },
        ],
    };
}

export interface SchedulerGrants {
    clusterArn: string;
    taskDefinitionArns: readonly string[];
    /** The execution and task roles of those task definitions. */
    passRoleArns: readonly string[];
    deadLetterQueueArn: string;
}

/** RunTask of these task definitions in this cluster, PassRole of their roles to ECS, and the dead-letter queue. */
export function schedulerPermissions(grants: SchedulerGrants): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "RunJobTasks",
                Effect: "Allow",
                Action: "ecs:RunTask",
                Resource: [...grants.taskDefinitionArns],
                Condition: { ArnEquals: { "ecs:cluster": grants.clusterArn } },
            },
            {
                Sid: "PassJobRoles",
                Effect: "Allow",
                Action: "iam:PassRole",
                Resource: [...grants.passRoleArns],
                Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
            },
            { Sid: "ReportFailedInvocations", Effect: "Allow", Action: "sqs:SendMessage", Resource: grants.deadLetterQueueArn },
        ],
    };
}

/**
 * What CloudWatch Logs may do with the job's own key (log group, secrets), on top of the guarded key
 * policy (stacks/shared/guardedKey.ts): use it only for this log group, which it names in the
 * encryption context of every call.
 */
export function jobKeyStatements(region: string, logGroupArn: string): PolicyStatement[] {
    return [
        {
            Sid: "CloudWatchLogsEncryptsJobLogs",
            Effect: "Allow",
            Principal: { Service: `logs.${region}.amazonaws.com` },
            Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            Resource: "*",
            Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroupArn } },
        },
    ];
}
