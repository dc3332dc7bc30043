// A staging-like stack with offSiteReplica false under the mock runtime, in its own file because the
// Pulumi runtime is process-global: the backup storage plans the primary bucket alone, and the alerts
// plan no replica topic, no replica tampering rules and no replication alarms. The argument checks
// that keep the replica's pieces all-or-none run without a runtime.
import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_ACCOUNT, runOffline, type OfflineRun } from "../../scripts/offlinePlan/mockRuntime.js";
import { alertsArgs, backupStorageProgram, stagingSettings } from "../../test/fixtures.js";
import { Alerts } from "../alerts/component.js";
import { BackupStorage } from "./component.js";
import { createProviders, type Providers } from "../shared/providers.js";

const settings = stagingSettings({ storage: { offSiteReplica: false } });
let storageRun: OfflineRun;
let alertsRun: OfflineRun;

beforeAll(async () => {
    storageRun = await runOffline({ stack: "staging", config: { "aws:region": settings.region }, load: backupStorageProgram(settings) });
    alertsRun = await runOffline({
        stack: "staging",
        config: { "aws:region": settings.region },
        load: async () => {
            const providers = createProviders(settings);
            const alerts = new Alerts("alerts", alertsArgs(settings, providers, ["staging-alerts@hotelgenius.eu"]), { provider: providers.primary });
            return { replicaTopicArn: alerts.replicaTopicArn, dashboardName: alerts.dashboardName };
        },
    });
});

const countsOf = (run: OfflineRun) => {
    const counts: Record<string, number> = {};
    for (const resource of run.resources) counts[resource.type] = (counts[resource.type] ?? 0) + 1;
    return counts;
};

describe("BackupStorage without an off-site replica (staging-like settings)", () => {
    it("creates the primary bucket's resources only: no replica provider, bucket, key, replication role, policy or configuration", () => {
        expect(countsOf(storageRun)).toEqual({
            "pulumi:providers:aws": 2,
            "hotelgenius:ops:BackupStorage": 1,
            "aws:kms/key:Key": 1,
            "aws:kms/alias:Alias": 1,
            "aws:s3/bucket:Bucket": 1,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
            "aws:s3/bucketPolicy:BucketPolicy": 1,
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
            "aws:s3/bucketVersioning:BucketVersioning": 1,
            "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": 1,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
        });
        expect(storageRun.resources.map((resource) => resource.name).filter((name) => /replica|replication/.test(name))).toEqual([]);
    });

    it("keeps the primary bucket as hardened and destroyable as with a replica", () => {
        const bucket = storageRun.resources.find((resource) => resource.name === "backups-bucket");
        expect(bucket?.inputs).toEqual({ bucket: "hotelgenius-ops-staging-backups", forceDestroy: true, objectLockEnabled: true });
        const lock = storageRun.resources.find((resource) => resource.name === "backups-object-lock");
        expect(lock?.inputs["rule"]).toEqual({ defaultRetention: { mode: "GOVERNANCE", days: 7 } });
    });

    it("outputs no replica and no replication metric dimensions", () => {
        expect(storageRun.outputs).toEqual({
            bucketName: "hotelgenius-ops-staging-backups",
            bucketArn: "arn:aws:s3:::hotelgenius-ops-staging-backups",
            keyArn: `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT}:key/backups-key`,
            replicationMetricDimensions: [],
            layout: { root: "hotelgenius", dumpPrefix: "hotelgenius/dumps/", manifestPrefix: "hotelgenius/manifests/" },
        });
    });
});

describe("Alerts without an off-site replica", () => {
    it("creates the primary and uptime topics only, and no replication alarm or replica tampering rule", () => {
        const counts = countsOf(alertsRun);
        expect(counts).toMatchObject({
            "pulumi:providers:aws": 2,
            "aws:kms/key:Key": 2,
            "aws:sns/topic:Topic": 2,
            "aws:sns/topicPolicy:TopicPolicy": 2,
            "aws:sns/topicSubscription:TopicSubscription": 2,
            "aws:cloudwatch/eventRule:EventRule": 6,
            "aws:cloudwatch/eventTarget:EventTarget": 6,
        });
        const names = alertsRun.resources.map((resource) => resource.name);
        expect(names.filter((name) => /replica|replication/.test(name))).toEqual([]);
        expect(names.filter((name) => name.includes("tampering-")).sort()).toEqual([
            "alerts-tampering-buckets",
            "alerts-tampering-buckets-target",
            "alerts-tampering-keys",
            "alerts-tampering-keys-target",
        ]);
        expect(
            alertsRun.resources
                .filter((resource) => resource.type === "aws:cloudwatch/metricAlarm:MetricAlarm")
                .map((alarm) => alarm.name)
                .sort(),
        ).toEqual(
            [
                "alerts-backup-missing",
                "alerts-backup-size-anomaly",
                "alerts-error-log-rate",
                "alerts-restore-drill-failed",
                "alerts-restore-drill-missing",
                "alerts-scheduler-dead-letters",
                "alerts-site-down",
            ].sort(),
        );
        expect(alertsRun.outputs["replicaTopicArn"]).toBeUndefined();
    });

    it("lists no replication alarm on the dashboard", () => {
        const dashboard = alertsRun.resources.find((resource) => resource.name === "alerts-dashboard");
        const body = JSON.parse(dashboard?.inputs["dashboardBody"] as string) as { widgets: { type: string; properties: { alarms?: string[] } }[] };
        expect(body.widgets.find((widget) => widget.type === "alarm")?.properties.alarms).toEqual(
            ["backup-missing", "backup-size-anomaly", "restore-drill-failed", "restore-drill-missing", "error-log-rate", "scheduler-dead-letters"].map(
                (id) => `arn:aws:cloudwatch:eu-west-1:${MOCK_ACCOUNT}:hotelgenius-ops-staging-${id}`,
            ),
        );
    });
});

describe("the replica's arguments, all or none", () => {
    const providers = { primary: {}, replica: {}, usEast1: {} } as unknown as Providers;

    it("Alerts refuses a replica bucket without its key, region and provider, and replication rule ids without a replica", () => {
        const args = alertsArgs(settings, providers, ["staging-alerts@hotelgenius.eu"]);
        expect(() => new Alerts("bad", { ...args, storage: { ...args.storage, replicaBucketName: "replica", replicationRuleIds: [] } })).toThrow(
            "storage.replicaKeyArn, replicaRegion, replicaProvider not given while storage.replicaBucketName are; allowed: all of them (the off-site " +
                "replica) or none (offSiteReplica false)",
        );
        expect(() => new Alerts("bad", { ...args, storage: { ...args.storage, replicationRuleIds: ["dumps-off-site"] } })).toThrow(
            'storage.replicationRuleIds is ["dumps-off-site"] without a replica; allowed: [] when the stack keeps no off-site replica',
        );
    });

    it("BackupStorage refuses a replica provider without offSiteReplica, and no replica where the data is protected", () => {
        const base = { project: settings.project, stack: settings.stack, region: settings.region, settings: settings.storage };
        expect(() => new BackupStorage("bad", { ...base, replicaProvider: providers.replica })).toThrow(
            "replicaProvider is given but storage.offSiteReplica is false; allowed: no replicaProvider, or storage.offSiteReplica true",
        );
        expect(() => new BackupStorage("bad", { ...base, settings: { ...settings.storage, protectData: true } })).toThrow(
            "storage.offSiteReplica is false; must be true while storage.protectData is true: a stack whose data is protected is a production stack and " +
                "keeps its off-site copy",
        );
    });
});
