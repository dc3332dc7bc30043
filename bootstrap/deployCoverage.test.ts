// The deploy roles against what the main program really creates: for every named resource in
// plans/prod.json and plans/staging.json, the create call on its ARN (with the permissions boundary
// the plan gives a role or user), judged by AWS's evaluation logic with the role's policy and its boundary. Its own environment's role may; the other's may not
// (the control: a role allowed everything would fail it).
import { describe, expect, it } from "vitest";
import { MOCK_ACCOUNT } from "../scripts/offlinePlan/mockRuntime.js";
import { type PlannedResource, readCommittedPlan } from "../scripts/offlinePlan/planFormat.js";
import { evaluate } from "../test/iamEvaluation.js";

const account = readCommittedPlan("bootstrap-account");
const policyOf = (name: string) => JSON.parse(account.resources.find((resource) => resource.name === name)!.inputs["policy"] as string);
const boundary = policyOf("ci-deploy-boundary");

/** The boundary the main program puts on a role or user, as CreateRole/CreateUser sees it: none when it sets none, which the deploy roles refuse. */
function boundaryGiven(resource: PlannedResource): Record<string, string> {
    const boundary = resource.inputs["permissionsBoundary"];
    return typeof boundary === "string" ? { "iam:PermissionsBoundary": boundary } : {};
}

interface CreateCall {
    action: string;
    resource: string;
    context?: Record<string, string>;
}

/** The API call that creates a resource of this type and the ARN it is authorized on; undefined for types without a name in their ARN. */
function createCall(resource: PlannedResource, region: string): CreateCall | undefined {
    const at = `${region}:${MOCK_ACCOUNT}`;
    const name = resource.inputs["name"] as string;
    switch (resource.type) {
        case "aws:s3/bucket:Bucket":
            return { action: "s3:CreateBucket", resource: `arn:aws:s3:::${resource.inputs["bucket"]}` };
        case "aws:iam/role:Role":
            return { action: "iam:CreateRole", resource: `arn:aws:iam::${MOCK_ACCOUNT}:role/${name}`, context: boundaryGiven(resource) };
        case "aws:iam/user:User":
            return { action: "iam:CreateUser", resource: `arn:aws:iam::${MOCK_ACCOUNT}:user/${name}`, context: boundaryGiven(resource) };
        case "aws:sns/topic:Topic":
            return { action: "sns:CreateTopic", resource: `arn:aws:sns:${at}:${name}` };
        case "aws:sqs/queue:Queue":
            return { action: "sqs:CreateQueue", resource: `arn:aws:sqs:${at}:${name}` };
        case "aws:cloudwatch/logGroup:LogGroup":
            return { action: "logs:CreateLogGroup", resource: `arn:aws:logs:${at}:log-group:${name}` };
        case "aws:cloudwatch/eventRule:EventRule":
            return { action: "events:PutRule", resource: `arn:aws:events:${at}:rule/${name}` };
        case "aws:scheduler/schedule:Schedule":
            return { action: "scheduler:CreateSchedule", resource: `arn:aws:scheduler:${at}:schedule/default/${name}` };
        case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
            return { action: "firehose:CreateDeliveryStream", resource: `arn:aws:firehose:${at}:deliverystream/${name}` };
        case "aws:secretsmanager/secret:Secret":
            return { action: "secretsmanager:CreateSecret", resource: `arn:aws:secretsmanager:${at}:secret:${resource.inputs["namePrefix"]}AbCdEf` };
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return { action: "cloudwatch:PutMetricAlarm", resource: `arn:aws:cloudwatch:${at}:alarm:${name}` };
        case "aws:cloudwatch/dashboard:Dashboard":
            return { action: "cloudwatch:PutDashboard", resource: `arn:aws:cloudwatch::${MOCK_ACCOUNT}:dashboard/${resource.inputs["dashboardName"]}` };
        case "aws:ecr/repository:Repository":
            return { action: "ecr:CreateRepository", resource: `arn:aws:ecr:${at}:repository/${name}` };
        case "aws:ecs/cluster:Cluster":
            return { action: "ecs:CreateCluster", resource: `arn:aws:ecs:${at}:cluster/${name}` };
        case "aws:kms/alias:Alias":
            return { action: "kms:CreateAlias", resource: `arn:aws:kms:${at}:${name}` };
        default:
            return undefined;
    }
}

function calls(stack: string): [string, CreateCall][] {
    const plan = readCommittedPlan(stack);
    const regions = new Map(
        plan.resources.filter((resource) => resource.type === "pulumi:providers:aws").map((resource) => [resource.name, String(resource.inputs["region"])]),
    );
    return plan.resources.flatMap((resource) => {
        const call = createCall(resource, regions.get(resource.provider ?? "aws-primary") ?? "eu-west-3");
        return call === undefined ? [] : [[`${resource.type} ${resource.name}`, call] as [string, CreateCall]];
    });
}

const decide = (environment: string, call: CreateCall) =>
    evaluate({
        principal: `arn:aws:iam::${MOCK_ACCOUNT}:role/hotelgenius-account-ci-deploy-${environment}`,
        action: call.action,
        resource: call.resource,
        account: MOCK_ACCOUNT,
        context: call.context ?? {},
        identityPolicies: [policyOf(`ci-deploy-${environment}-policy`)],
        permissionsBoundary: boundary,
    });

describe.each([
    ["prod", "staging"],
    ["staging", "prod"],
])("the %s stack's named resources", (stack, other) => {
    it(`can each be created by deploy-${stack}, and by deploy-${other} none`, async () => {
        const planned = calls(stack);
        expect(planned.length).toBeGreaterThan(30);
        const refused: string[] = [];
        const admittedToOther: string[] = [];
        for (const [label, call] of planned) {
            if ((await decide(stack, call)) !== "Allowed") refused.push(`${label}: ${call.action} ${call.resource}`);
            if ((await decide(other, call)) === "Allowed") admittedToOther.push(`${label}: ${call.action} ${call.resource}`);
        }
        expect(refused).toEqual([]);
        expect(admittedToOther).toEqual([]);
    });
});
