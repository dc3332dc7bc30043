// The offline diff: pure cases, then the real program on real changes of settings (a policy
// statement, a lifecycle day, added alarms) against the committed plan.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { diffPlans, diffToText } from "./planDiff.js";
import type { Plan, PlannedResource } from "./planFormat.js";

const ROOT = path.resolve(__dirname, "..", "..");
const scratch = mkdtempSync(path.join(tmpdir(), "plan-diff-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const resource = (type: string, name: string, inputs: Record<string, unknown>, component = "backups"): PlannedResource => ({
    type,
    name,
    component,
    protect: false,
    retainOnDelete: false,
    inputs,
});
const planOf = (...resources: PlannedResource[]): Plan => ({ project: "hotelgenius-ops", stack: "prod", resources, outputs: {} });
const policy = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

describe("diffPlans", () => {
    const bucket = resource("aws:s3/bucket:Bucket", "backups-bucket", { bucket: "hotelgenius-ops-prod-backups", forceDestroy: false });
    const bucketPolicy = resource("aws:s3/bucketPolicy:BucketPolicy", "backups-policy", {
        policy: policy({ Sid: "DenyInsecureTransport", Effect: "Deny", Action: "s3:*" }, { Sid: "DenyUnencrypted", Effect: "Deny", Action: "s3:PutObject" }),
    });

    it("marks a replacement for a property known to force one, and says the rest is not known offline", () => {
        const renamed = { ...bucket, inputs: { ...bucket.inputs, bucket: "hotelgenius-ops-prod-backups-2" } };
        const emptied = { ...bucket, inputs: { ...bucket.inputs, forceDestroy: true } };
        expect(diffPlans(planOf(bucket), planOf(renamed)).resources).toEqual([
            expect.objectContaining({
                op: "replace",
                replacedBy: ["bucket"],
                changes: [{ path: "bucket", old: "hotelgenius-ops-prod-backups", new: "hotelgenius-ops-prod-backups-2" }],
            }),
        ]);
        const text = diffToText(diffPlans(planOf(bucket), planOf(emptied)), "plans/prod.json");
        expect(text).toContain('~ aws:s3/bucket:Bucket "backups-bucket"  (update; replacement not known offline)\n    forceDestroy: false → true\n');
    });

    it("compares policies as documents, statement by statement by Sid, whatever their order", () => {
        const changed = {
            ...bucketPolicy,
            inputs: {
                policy: policy(
                    { Sid: "DenyUnencrypted", Effect: "Deny", Action: "s3:PutObject" },
                    { Sid: "DenyDeletes", Effect: "Deny", Action: "s3:DeleteObject" },
                    { Sid: "DenyInsecureTransport", Effect: "Deny", Action: "s3:*" },
                ),
            },
        };
        const text = diffToText(diffPlans(planOf(bucketPolicy), planOf(changed)), "plans/prod.json");
        expect(text).toContain(
            '~ aws:s3/bucketPolicy:BucketPolicy "backups-policy"  (update; replacement not known offline)\n' +
                "    policy.Statement[DenyDeletes] added:\n" +
                '      + {"Sid":"DenyDeletes","Effect":"Deny","Action":"s3:DeleteObject"}\n',
        );
        expect(text).not.toContain("DenyInsecureTransport");
    });

    it("counts created, changed and deleted resources per component and type (a replacement is one of each side)", () => {
        const key = resource("aws:kms/key:Key", "backups-key", { customerMasterKeySpec: "SYMMETRIC_DEFAULT" });
        const after = planOf(
            { ...bucket, inputs: { ...bucket.inputs, bucket: "x" } },
            { ...key, inputs: { customerMasterKeySpec: "RSA_2048" } },
            resource("aws:s3/bucket:Bucket", "logs-bucket", { bucket: "l" }, "logs"),
        );
        const text = diffToText(diffPlans(planOf(bucket, key, bucketPolicy), after), "plans/prod.json");
        expect(text).toContain(
            "  backups  aws:kms/key:Key: + 1 ~ 0 - 1\n  backups  aws:s3/bucket:Bucket: + 1 ~ 0 - 1\n  backups  aws:s3/bucketPolicy:BucketPolicy: + 0 ~ 0 - 1\n" +
                "  logs  aws:s3/bucket:Bucket: + 1 ~ 0 - 0\n",
        );
        expect(text).toContain('+- aws:kms/key:Key "backups-key"  (replaced: customerMasterKeySpec forces a new resource)');
        expect(text).toContain('- aws:s3/bucketPolicy:BucketPolicy "backups-policy"');
        expect(text).toContain('+ aws:s3/bucket:Bucket "logs-bucket"');
    });
});

async function planDiff(settings: string, ...extra: string[]): Promise<string> {
    const file = path.join(scratch, `Pulumi.staging-${extra.length}-${Math.random().toString(16).slice(2)}.yaml`);
    writeFileSync(file, settings);
    const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", "scripts/offlinePlan/plan.ts", "--stack", "staging", "--config-file", file, "--diff", ...extra],
        { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
}

describe("npm run plan -- --diff, on real changes of staging's settings", () => {
    const staging = readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8");
    const edited = (from: string, to: string) => {
        expect(staging).toContain(from);
        return staging.replace(from, to);
    };

    it("a lifecycle day and the break-glass role: the rule's days old → new, and the key policies' one statement by Sid", async () => {
        const text = await planDiff(
            edited("hotelgenius-ops:expirationDays: 90", "hotelgenius-ops:expirationDays: 120").replace(
                "role/security/hotelgenius-break-glass",
                "role/security/hotelgenius-break-glass-2",
            ),
        );
        expect(text).toContain(
            "Summary (component, type: + created ~ changed - deleted):\n" +
                "  alerts  aws:cloudwatch/eventRule:EventRule: + 0 ~ 1 - 0\n" +
                // Every key is guarded, so every key's policy names the break-glass role: staging's five topic keys too.
                "  alerts  aws:kms/key:Key: + 0 ~ 5 - 0\n" +
                "  backup-job  aws:kms/key:Key: + 0 ~ 1 - 0\n" +
                "  backups  aws:kms/key:Key: + 0 ~ 1 - 0\n" +
                "  backups  aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration: + 0 ~ 1 - 0\n" +
                "  logs  aws:kms/key:Key: + 0 ~ 1 - 0\n",
        );
        expect(text).toContain(
            '~ aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration "backups-lifecycle"  (update; replacement not known offline)\n' +
                "    rules[0].expiration.days: 90 → 120\n    rules[1].expiration.days: 90 → 120\n",
        );
        expect(text).toMatch(
            /~ aws:kms\/key:Key "backups-key" {2}\(update; replacement not known offline\)\n {4}policy\.Statement\[DenyDisableAndPolicyChanges\] changed:\n {6}- .*hotelgenius-break-glass"\}\}\}\n {6}\+ .*hotelgenius-break-glass-2"\}\}\}\n/,
        );
    });

    it("the off-site replica switched on: its alarms, bucket and key are created, the dashboard changed, nothing deleted", async () => {
        const text = await planDiff(edited("hotelgenius-ops:offSiteReplica: false", "hotelgenius-ops:offSiteReplica: true"));
        // 4 replication alarms, and the replica region's channels: 2 delivery watchers, 3 tampering rules' failed-invocation alarms.
        expect(text).toContain("  alerts  aws:cloudwatch/metricAlarm:MetricAlarm: + 9 ~ 0 - 0\n");
        expect(text).toContain("  backups  aws:s3/bucket:Bucket: + 1 ~ 0 - 0\n");
        expect(text).toContain('+ aws:cloudwatch/metricAlarm:MetricAlarm "alerts-replication-failed-dumps-off-site"');
        expect(text).toContain('~ aws:cloudwatch/dashboard:Dashboard "alerts-dashboard"  (update; replacement not known offline)');
        expect(text).not.toMatch(/^- /m);
    });

    it("--diff-ref compares with the plan as committed at a git ref; the committed settings change nothing", async () => {
        expect(await planDiff(staging, "--diff-ref", "HEAD")).toBe("staging: no changes against plans/staging.json at HEAD\n");
    });
});
