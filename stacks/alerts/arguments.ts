// The Alerts component's arguments and their checks, run before any resource is registered: the
// settings layer's own checks where a setting is checked (recipients, pager endpoint), so a component
// built without the settings layer refuses the same values.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { checkEmailList } from "../settings/checks.js";
import { pagerProtocol } from "./checks.js";
import { placeholderProblems } from "./rules.js";
import type { AlertsSettings } from "./settings.js";

export interface BackupStorageRefs {
    bucketName: pulumi.Input<string>;
    keyArn: pulumi.Input<string>;
    /** The off-site replica's bucket and key: given with replicaRegion and replicaProvider, or none of them (offSiteReplica false). */
    replicaBucketName?: pulumi.Input<string>;
    replicaKeyArn?: pulumi.Input<string>;
    /** Ids of the replication rules whose metrics are enabled (OperationsFailedReplication, ReplicationLatency); [] without a replica. */
    replicationRuleIds: string[];
}

/** The scheduled backup job's ECS names (the backup job area's outputs). */
export interface BackupJobRefs {
    clusterArn: pulumi.Input<string>;
    backupTaskFamily: pulumi.Input<string>;
    drillTaskFamily: pulumi.Input<string>;
    schedulerDeadLetterQueueName: pulumi.Input<string>;
    /** The job's log group, for the dashboard's last successful backups. */
    logGroupName: pulumi.Input<string>;
}

export interface AlertsArgs {
    project: string;
    stack: string;
    /** Protect and retain the topics' keys (prod): like every key, deleting one is a one-way door. */
    protectData: boolean;
    /**
     * The only principal that may disable the topics' keys or change their policies (stacks/shared/guardedKey.ts), and the
     * role they trust by name: anyone creating a role by its name pages.
     */
    breakGlassRoleArn: string;
    /** The topics' keys' deletion window, and the shortest anyone may schedule (7-30 days). */
    kmsDeletionWindowDays: number;
    /** The primary region: the component's provider's. */
    region: string;
    settings: AlertsSettings;
    alertEmails: readonly string[];
    /** Only with the replica's bucket and key. */
    replicaRegion?: string;
    /** Tampering with the replica's key and bucket is only seen by rules in its region. Only with the replica's bucket and key. */
    replicaProvider?: aws.Provider;
    /** Route 53 health-check metrics exist only in us-east-1: the uptime alarm and its topic live there, and IAM's CloudTrail events reach EventBridge there only. */
    usEast1Provider: aws.Provider;
    storage: BackupStorageRefs;
    /** Absent until the scheduled backup job is deployed: then no task-failure rules or scheduler alarm. */
    backupJob?: BackupJobRefs;
    /**
     * Log groups whose error lines the log-drains area counts (metric ErrorLogLines, no dimension:
     * one count across them), by a short stable label the alarm names, e.g. { job: ..., server: ... }.
     */
    errorLogGroups?: Record<string, pulumi.Input<string>>;
}

interface OffSiteRefs {
    bucketName: pulumi.Input<string>;
    keyArn: pulumi.Input<string>;
    region: string;
    provider: aws.Provider;
}

/** The off-site replica's refs when all are given; checkArgs refuses some without the others. */
export function offSiteOf(args: AlertsArgs): OffSiteRefs | undefined {
    const { replicaBucketName: bucketName, replicaKeyArn: keyArn } = args.storage;
    const { replicaRegion: region, replicaProvider: provider } = args;
    if (bucketName === undefined || keyArn === undefined || region === undefined || provider === undefined) return undefined;
    return { bucketName, keyArn, region, provider };
}

/** Every problem with the arguments, found before any resource is registered. */
export function checkArgs(args: AlertsArgs): void {
    const problems: string[] = [];
    const replicaArgs = {
        "storage.replicaBucketName": args.storage.replicaBucketName,
        "storage.replicaKeyArn": args.storage.replicaKeyArn,
        replicaRegion: args.replicaRegion,
        replicaProvider: args.replicaProvider,
    };
    const given = Object.entries(replicaArgs).flatMap(([key, value]) => (value === undefined ? [] : [key]));
    const missing = Object.keys(replicaArgs).filter((key) => !given.includes(key));
    if (given.length > 0 && missing.length > 0) {
        problems.push(
            `${missing.join(", ")} not given while ${given.join(", ")} are; allowed: all of them (the off-site replica) or none (offSiteReplica false)`,
        );
    }
    if (args.replicaRegion === args.region)
        problems.push(`replicaRegion is "${args.replicaRegion}", the primary region; allowed: the backup replica's own region`);
    if (args.replicaProvider !== undefined && !(args.replicaProvider instanceof aws.Provider)) {
        problems.push("replicaProvider is not an aws.Provider; allowed: createProviders(settings).replica");
    }
    if (!(args.usEast1Provider instanceof aws.Provider)) problems.push("usEast1Provider is not an aws.Provider; allowed: createProviders(settings).usEast1");
    // The settings layer's own check of the recipients, so a component built without it refuses the same lists.
    const recipients = checkEmailList([...args.alertEmails]);
    if (recipients !== undefined) problems.push(`alertEmails ${recipients}`);
    if (pagerProtocol(args.settings.pagerEndpoint) === undefined) {
        problems.push(
            `settings.pagerEndpoint "${args.settings.pagerEndpoint}" is not a pager endpoint; allowed: an https:// URL, an E.164 number or an email address`,
        );
    }
    if (given.length > 0 && args.storage.replicationRuleIds.length === 0) {
        problems.push("storage.replicationRuleIds is empty; allowed: the ids of the backup replication rules");
    }
    if (given.length === 0 && args.storage.replicationRuleIds.length > 0) {
        problems.push(
            `storage.replicationRuleIds is ${JSON.stringify(args.storage.replicationRuleIds)} without a replica; allowed: [] when the stack keeps no ` +
                `off-site replica`,
        );
    }
    const badLabels = Object.keys(args.errorLogGroups ?? {}).filter((label) => !/^[a-z][a-z0-9-]{0,19}$/.test(label));
    if (badLabels.length > 0)
        problems.push(`errorLogGroups labels ${badLabels.join(", ")} are invalid; allowed: 1-20 lowercase letters, digits and -, starting with a letter`);
    if (problems.length > 0) throw new Error(`Alerts arguments are invalid:\n  - ${problems.join("\n  - ")}`);
}

/**
 * Placeholder recipients or health URL: a preview (and the offline plan) warns, so a freshly cloned
 * stack can still be reviewed; `pulumi up` refuses, so no deployment can page nobody.
 */
export function checkPlaceholders(args: AlertsArgs): void {
    const problems = placeholderProblems(args.alertEmails, args.settings.healthCheckUrl, args.settings.pagerEndpoint);
    if (problems.length === 0) return;
    if (!pulumi.runtime.isDryRun()) throw new Error(`Alerts refuse to deploy with placeholders:\n  - ${problems.join("\n  - ")}`);
    for (const problem of problems) void pulumi.log.warn(`${problem} (an error on pulumi up)`);
}
