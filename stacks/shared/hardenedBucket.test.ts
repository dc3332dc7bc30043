// The shared bucket builder under the mock runtime: what it decides itself (Object Lock or not, which
// options go where, the order of the configuration writes, refusing contradictory arguments).
import * as aws from "@pulumi/aws";
import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_ACCOUNT, onlyResourceNamed, runOffline, type OfflineRun, type RecordedResource } from "../../scripts/offlinePlan/mockRuntime.js";
import { bucketPolicy, hardenedBucket } from "./hardenedBucket.js";
import type { LifecycleRule } from "./lifecycle.js";

const RULES: LifecycleRule[] = [
    {
        id: "all",
        status: "Enabled",
        filter: { prefix: "" },
        expiration: { days: 30 },
        noncurrentVersionExpiration: { noncurrentDays: 7 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    },
];
const CHAIN = ["public-access", "policy", "ownership", "encryption", "versioning"];

let run: OfflineRun;
let conflict: unknown;

beforeAll(async () => {
    run = await runOffline({
        stack: "test",
        config: { "aws:region": "eu-west-3" },
        load: async () => {
            const key = new aws.kms.Key("data-key", { description: "test" });
            const guarded = { protect: true, retainOnDelete: true };
            hardenedBucket({
                namePrefix: "locked",
                bucketName: "hotelgenius-test-locked",
                key,
                lifecycleRules: RULES,
                objectLock: { mode: "COMPLIANCE", days: 35 },
                forceDestroy: false,
                bucketOptions: guarded,
                configurationOptions: guarded,
            });
            hardenedBucket({
                namePrefix: "plain",
                bucketName: "hotelgenius-test-plain",
                key,
                lifecycleRules: RULES,
                forceDestroy: false,
                bucketOptions: guarded,
                configurationOptions: {},
            });
            try {
                hardenedBucket({
                    namePrefix: "conflict",
                    bucketName: "hotelgenius-test-conflict",
                    key,
                    lifecycleRules: RULES,
                    forceDestroy: true,
                    bucketOptions: guarded,
                    configurationOptions: {},
                });
            } catch (error) {
                conflict = error;
            }
            return {};
        },
    });
});

const named = (name: string): RecordedResource => onlyResourceNamed(run, name);
const dependsOnPrevious = (chain: string[]) => chain.slice(1).map((name, index) => [name, named(name).dependsOn.includes(named(chain[index]!).urn)]);

describe("hardenedBucket", () => {
    it("enables Object Lock at creation, with its default retention, only when asked", () => {
        expect(named("locked-bucket").inputs).toEqual({ bucket: "hotelgenius-test-locked", objectLockEnabled: true, forceDestroy: false });
        expect(named("locked-object-lock").inputs).toEqual({
            bucket: "hotelgenius-test-locked",
            objectLockEnabled: "Enabled",
            rule: { defaultRetention: { mode: "COMPLIANCE", days: 35 } },
        });
        expect(named("plain-bucket").inputs).toEqual({ bucket: "hotelgenius-test-plain", forceDestroy: false });
        const plain = run.resources.filter((resource) => resource.name.startsWith("plain-")).map((resource) => resource.name.slice("plain-".length));
        expect(plain.sort()).toEqual(["bucket", ...CHAIN, "lifecycle"].sort());
    });

    it("blocks public access and ACLs, encrypts under the given key with SSE-C refused, and denies plain HTTP and other keys", () => {
        const keyArn = `arn:aws:kms:eu-west-3:${MOCK_ACCOUNT}:key/data-key`;
        expect(named("plain-public-access").inputs).toEqual({
            bucket: "hotelgenius-test-plain",
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        expect(named("plain-ownership").inputs).toEqual({ bucket: "hotelgenius-test-plain", rule: { objectOwnership: "BucketOwnerEnforced" } });
        expect(named("plain-encryption").inputs).toEqual({
            bucket: "hotelgenius-test-plain",
            rules: [
                {
                    applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn },
                    bucketKeyEnabled: true,
                    blockedEncryptionTypes: ["SSE-C"],
                },
            ],
        });
        expect(JSON.parse(named("plain-policy").inputs["policy"] as string)).toEqual(bucketPolicy("arn:aws:s3:::hotelgenius-test-plain", keyArn));
        expect(named("plain-versioning").inputs).toEqual({ bucket: "hotelgenius-test-plain", versioningConfiguration: { status: "Enabled" } });
        expect(named("plain-lifecycle").inputs).toEqual({ bucket: "hotelgenius-test-plain", rules: RULES });
    });

    it("writes each configuration after the one before it (409 OperationAborted), the lock before the lifecycle", () => {
        for (const [prefix, parts] of [
            ["locked", ["bucket", ...CHAIN, "object-lock", "lifecycle"]],
            ["plain", ["bucket", ...CHAIN, "lifecycle"]],
        ] as const) {
            const chain = parts.map((part) => `${prefix}-${part}`);
            expect(dependsOnPrevious(chain)).toEqual(chain.slice(1).map((name) => [name, true]));
        }
    });

    it("gives the bucket its own options and the configurations theirs", () => {
        const guards = (prefix: string) =>
            run.resources.filter((resource) => resource.name.startsWith(prefix)).map((resource) => [resource.name, resource.protect, resource.retainOnDelete]);
        expect(guards("locked-").every(([, protect, retain]) => protect && retain)).toBe(true);
        expect(guards("plain-").filter(([, protect, retain]) => protect || retain)).toEqual([["plain-bucket", true, true]]);
    });

    it("refuses to empty a protected bucket on delete, before registering anything", () => {
        expect((conflict as Error).message).toBe(
            "hardenedBucket conflict: forceDestroy is true but the bucket is protected; allowed: forceDestroy only for a bucket whose data is not protected",
        );
        expect(run.resources.filter((resource) => resource.name.startsWith("conflict-"))).toEqual([]);
    });
});
