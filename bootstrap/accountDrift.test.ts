// The account drift role against what the account program really declares: for every AWS resource
// of plans/bootstrap-account.json, the reads the AWS provider makes when it refreshes that resource
// type (bootstrap/ciAccess/refreshReads.ts), judged by AWS's evaluation logic with the role's planned
// policy (and the bucket's or key's own policy where AWS consults it). Each read must be allowed on the account program's resource and
// refused on the same kind of resource of the main program (the control); writes and data reads are
// refused. A resource type added to the account program without its reads fails here first.
import { isWildcardOnlyAction } from "@cloud-copilot/iam-simulate";
import { describe, expect, it } from "vitest";
import { MOCK_ACCOUNT } from "../scripts/offlinePlan/mockRuntime.js";
import { type PlannedResource, readCommittedPlan } from "../scripts/offlinePlan/planFormat.js";
import { type Decision, evaluate } from "../test/iamEvaluation.js";
import { REFRESH_READS, type RefreshedType, UNSCOPED_READS } from "./ciAccess/refreshReads.js";

const plan = readCommittedPlan("bootstrap-account");
const named = (name: string) => plan.resources.find((resource) => resource.name === name)!;
const json = (resource: PlannedResource, input: string) => JSON.parse(resource.inputs[input] as string);
const ROLE = `arn:aws:iam::${MOCK_ACCOUNT}:role/hotelgenius-account-ci-account-drift`;
// Provider inputs are stored as the engine passes them: nested objects as JSON text.
const provider = { region: named("aws-account").inputs["region"] as string, tags: json(named("aws-account"), "defaultTags").tags as Record<string, string> };
const iam = `arn:aws:iam::${MOCK_ACCOUNT}`;

interface Read {
    action: string;
    resource: string;
    /** The request context AWS would add: the resource's tags, TLS. */
    context?: Record<string, string>;
    /** The resource's own policy, which AWS consults with the role's (a key policy, a bucket policy). */
    resourcePolicy?: unknown;
}

const roleArnOf = (roleName: string) => {
    const role = plan.resources.find((resource) => resource.type === "aws:iam/role:Role" && resource.inputs["name"] === roleName)!;
    return `${iam}:role${(role.inputs["path"] as string | undefined) ?? "/"}${roleName}`;
};

/** Reads on the bucket, with the bucket's policy and over TLS, as S3 authorizes them. */
function bucketReads(bucket: string, actions: readonly string[]): Read[] {
    const policy = plan.resources.find((resource) => resource.type === "aws:s3/bucketPolicy:BucketPolicy" && resource.inputs["bucket"] === bucket);
    return actions.map((action) => ({
        action,
        resource: `arn:aws:s3:::${bucket}`,
        context: { "aws:SecureTransport": "true" },
        ...(policy === undefined ? {} : { resourcePolicy: json(policy, "policy") }),
    }));
}

/** The ARN each read of a refresh of this resource is authorized on, and what AWS adds to the request. */
function refreshReads(resource: PlannedResource): Read[] | undefined {
    if (!(resource.type in REFRESH_READS)) return undefined;
    const actions = REFRESH_READS[resource.type as RefreshedType];
    const inputs = resource.inputs as Record<string, string>;
    const on = (arn: string, extra: Omit<Read, "action" | "resource"> = {}): Read[] =>
        actions.map((action) => ({ action, resource: UNSCOPED_READS.includes(action) ? "*" : arn, ...extra }));
    switch (resource.type) {
        case "aws:iam/role:Role":
            return on(roleArnOf(inputs["name"]!));
        case "aws:iam/rolePolicy:RolePolicy":
            return on(roleArnOf(inputs["role"]!));
        case "aws:iam/policy:Policy":
            return on(`${iam}:policy/${inputs["name"]}`);
        case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            return on(`${iam}:oidc-provider/${inputs["url"]!.replace(/^https:\/\//, "")}`);
        case "aws:cloudtrail/trail:Trail":
            return on(`arn:aws:cloudtrail:${provider.region}:${MOCK_ACCOUNT}:trail/${inputs["name"]}`);
        case "aws:kms/key:Key":
            return on(`arn:aws:kms:${provider.region}:${MOCK_ACCOUNT}:key/${resource.name}`, {
                // The provider's default tags are on every key it creates; the key's policy delegates to IAM.
                context: Object.fromEntries(Object.entries(provider.tags).map(([key, value]) => [`aws:ResourceTag/${key}`, value])),
                resourcePolicy: json(resource, "policy"),
            });
        case "aws:kms/alias:Alias":
            return on("*");
        default:
            // Every S3 type of the table: read on its bucket.
            return bucketReads(inputs["bucket"]!, actions);
    }
}

const asAccountDrift = (read: Read): Promise<Decision> =>
    evaluate({
        principal: ROLE,
        action: read.action,
        resource: read.resource,
        account: MOCK_ACCOUNT,
        context: { "aws:PrincipalArn": ROLE, ...read.context },
        identityPolicies: [json(named("ci-account-drift-policy"), "policy")],
        ...(read.resourcePolicy === undefined ? {} : { resourcePolicy: read.resourcePolicy }),
    });

/** The same read on the main program's counterpart: its names and project tag, under the same kind of resource policy (a key's delegates to IAM). */
function mainProgramCounterpart(read: Read): Read {
    const context = Object.fromEntries(
        Object.entries(read.context ?? {}).map(([key, value]) => [key, key === "aws:ResourceTag/project" ? "hotelgenius-ops" : value]),
    );
    const resource = read.resource
        .replace("hotelgenius-account-", "hotelgenius-ops-prod-")
        .replace("role/security/hotelgenius-break-glass", "role/hotelgenius-ops-prod-backup-task")
        .replace(/oidc-provider\/.*/, "oidc-provider/oidc.eks.eu-west-3.amazonaws.com/id/EXAMPLE");
    return { ...read, resource, context };
}

const awsResources = plan.resources.filter((resource) => resource.type.startsWith("aws:"));

describe("the account drift role refreshes the account program", () => {
    it("knows the refresh reads of every AWS resource type the account program declares", () => {
        expect(awsResources.length).toBeGreaterThan(20);
        expect(awsResources.filter((resource) => refreshReads(resource) === undefined).map((resource) => resource.type)).toEqual([]);
    });

    it("leaves unscoped only the reads AWS authorizes on no resource (AWS's service authorization reference)", async () => {
        const reads = [...new Set(Object.values(REFRESH_READS).flat())];
        const wildcardOnly: string[] = [];
        for (const action of reads) if (await isWildcardOnlyAction(...(action.split(":") as [string, string]))) wildcardOnly.push(action);
        expect(wildcardOnly.sort()).toEqual([...UNSCOPED_READS].sort());
    });

    it("may make each of them on the account program's resources, and none on the main program's", async () => {
        const refused: string[] = [];
        const admittedElsewhere: string[] = [];
        for (const resource of awsResources) {
            for (const read of refreshReads(resource)!) {
                if ((await asAccountDrift(read)) !== "Allowed") refused.push(`${resource.name}: ${read.action} ${read.resource}`);
                // Actions AWS authorizes on "*" only name no resource: there is nothing to scope.
                if (read.resource === "*") continue;
                const elsewhere = mainProgramCounterpart(read);
                if ((await asAccountDrift(elsewhere)) === "Allowed") admittedElsewhere.push(`${read.action} ${elsewhere.resource}`);
            }
        }
        expect(refused).toEqual([]);
        expect(admittedElsewhere).toEqual([]);
    });

    it("reads no log file, decrypts nothing, and changes none of the resources it reads", async () => {
        const trailBucket = named("account-trail-logs-bucket").inputs["bucket"] as string;
        const key = refreshReads(named("account-trail-key"))![0]!;
        const decide = (action: string, read: Read) => asAccountDrift({ ...read, action });
        expect(
            await decide("s3:GetObject", { ...bucketReads(trailBucket, ["s3:GetObject"])[0]!, resource: `arn:aws:s3:::${trailBucket}/AWSLogs/x.json.gz` }),
        ).toBe("ExplicitlyDenied");
        expect(await decide("kms:Decrypt", key)).toBe("ExplicitlyDenied");
        const writes: [string, Read][] = [
            ["s3:PutBucketPolicy", bucketReads(trailBucket, ["s3:PutBucketPolicy"])[0]!],
            ["s3:PutLifecycleConfiguration", bucketReads(trailBucket, ["s3:PutLifecycleConfiguration"])[0]!],
            ["kms:ScheduleKeyDeletion", key],
            ["kms:CreateGrant", key],
            ["cloudtrail:StopLogging", refreshReads(named("account-trail-trail"))![1]!],
            ["iam:UpdateAssumeRolePolicy", refreshReads(named("ci-account-drift"))![0]!],
            ["iam:PutRolePolicy", refreshReads(named("ci-deploy-prod"))![0]!],
            ["iam:CreatePolicyVersion", refreshReads(named("ci-deploy-boundary"))![0]!],
        ];
        for (const [action, read] of writes) expect(await decide(action, read), action).not.toBe("Allowed");
    });
});
