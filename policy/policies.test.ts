// The policy pack over the committed plans (zero violations) and over plans broken on purpose (each
// rule fires). The pack's entry file (index.ts) is never imported: `new PolicyPack` starts a server.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { type Plan, type PlannedResource, parsePlan } from "../scripts/offlinePlan/planFormat.js";
import { planViolations } from "../scripts/offlinePlan/policyCheck.js";
import {
    effectiveTags,
    forbiddenActions,
    hasRunbookLink,
    missingTags,
    policies,
    REQUIRED_TAGS,
    secretLookingEnvironment,
    stackOfUrn,
    TAGGABLE_TYPES,
} from "./policies.js";

const ROOT = path.resolve(__dirname, "..");

function committedPlan(stack: string): Plan {
    return parsePlan(readFileSync(path.join(ROOT, "plans", `${stack}.json`), "utf8"));
}

/** A deep copy of prod's plan, changed by `edit`. */
function prodPlanWith(edit: (resources: PlannedResource[]) => void): Plan {
    const plan = structuredClone(committedPlan("prod"));
    edit(plan.resources);
    return plan;
}

function named(resources: PlannedResource[], name: string): PlannedResource {
    const found = resources.find((resource) => resource.name === name);
    if (!found) throw new Error(`no resource ${name} in the plan`);
    return found;
}

function firedPolicies(plan: Plan): string[] {
    return [...new Set(planViolations(plan).map((violation) => violation.policy))].sort();
}

const primary = { component: "backups", provider: "aws-primary", protect: false, retainOnDelete: false };
const taskRoleTrust = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

function withTaskRole(policy: object): (resources: PlannedResource[]) => void {
    return (resources) => {
        resources.push(
            {
                ...primary,
                type: "aws:iam/role:Role",
                name: "job-task-role",
                inputs: { name: "hotelgenius-ops-prod-crafted-task", assumeRolePolicy: taskRoleTrust },
            },
            {
                ...primary,
                type: "aws:iam/rolePolicy:RolePolicy",
                name: "job-task-policy",
                inputs: { role: "job-task-role-id", policy: JSON.stringify({ Version: "2012-10-17", Statement: [policy] }) },
            },
        );
    };
}

function taskDefinitionWith(environment: { name: string; value: string }[]): (resources: PlannedResource[]) => void {
    return (resources) =>
        resources.push({
            ...primary,
            type: "aws:ecs/taskDefinition:TaskDefinition",
            name: "job-task",
            inputs: { family: "backup", containerDefinitions: JSON.stringify([{ name: "backup", image: "job:1", environment }]) },
        });
}

const goodAlarm = {
    alarmActions: ["arn:aws:sns:eu-west-3:000000000000:alerts"],
    alarmDescription: "No backup for 26 h. Runbook: https://github.com/hotelgenius/ops/blob/main/runbooks/backup-missing.md",
};

function alarmWith(inputs: Record<string, unknown>): (resources: PlannedResource[]) => void {
    return (resources) =>
        resources.push({ ...primary, type: "aws:cloudwatch/metricAlarm:MetricAlarm", name: "backup-missing", inputs: { ...goodAlarm, ...inputs } });
}

describe("the committed plans", () => {
    it.each(["prod", "staging", "bootstrap-account"])("%s passes every policy", (stack) => {
        expect(planViolations(committedPlan(stack))).toEqual([]);
    });

    it("the account program's plan is judged by the same rules: its trail bucket without versioning or its key policy fails", () => {
        const account = committedPlan("bootstrap-account");
        const without = (name: string): Plan => ({ ...account, resources: account.resources.filter((resource) => resource.name !== name) });
        expect(firedPolicies(without("account-trail-logs-versioning"))).toEqual(["s3-versioning-enabled"]);
        expect(firedPolicies(without("account-trail-logs-policy"))).toEqual(["s3-tls-only"]);
    });

    it("a well-formed task role, task definition, log group and alarm pass too (the crafted cases below break one thing each)", () => {
        const plan = prodPlanWith((resources) => {
            withTaskRole({ Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: "*" })(resources);
            taskDefinitionWith([{ name: "BACKUP_TARGET", value: "s3://hotelgenius-ops-prod-backups/postgres" }])(resources);
            alarmWith({})(resources);
            resources.push({
                ...primary,
                type: "aws:cloudwatch/logGroup:LogGroup",
                name: "job-logs",
                inputs: { name: "/hotelgenius/backup", retentionInDays: 90 },
            });
        });
        expect(planViolations(plan)).toEqual([]);
    });
});

describe("each rule fires on a resource that breaks it", () => {
    const bucketSettings: [string, string, string][] = [
        ["s3-versioning-enabled", "backups-versioning", "versioning suspended"],
        ["s3-kms-encryption", "backups-encryption", "no default encryption"],
        ["s3-public-access-blocked", "backups-public-access", "no public access block"],
        ["s3-tls-only", "backups-policy", "no bucket policy"],
        ["s3-lifecycle-aborts-incomplete-uploads", "backups-lifecycle", "no lifecycle"],
        ["s3-backup-object-lock", "backups-object-lock", "no object lock configuration"],
    ];
    it.each(bucketSettings)("%s: the backup bucket's %s removed (%s)", (policy, removed) => {
        const plan = prodPlanWith((resources) => resources.splice(resources.indexOf(named(resources, removed)), 1));
        expect(firedPolicies(plan)).toEqual([policy]);
        expect(planViolations(plan)[0]!.message).toContain("hotelgenius-ops-prod-backups");
    });

    it.each([
        ["s3-versioning-enabled", "backups-versioning", { versioningConfiguration: { status: "Suspended" } }],
        ["s3-kms-encryption", "backups-encryption", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }],
        ["s3-public-access-blocked", "backups-public-access", { restrictPublicBuckets: false }],
        ["s3-tls-only", "backups-policy", { policy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject" }] }) }],
        ["s3-lifecycle-aborts-incomplete-uploads", "backups-lifecycle", { rules: [{ id: "dumps", status: "Enabled", expiration: { days: 365 } }] }],
        ["s3-backup-object-lock", "backups-object-lock", { rule: { defaultRetention: { mode: "COMPLIANCE", days: 0 } } }],
        ["s3-backup-object-lock", "backups-bucket", { objectLockEnabled: false }],
    ])("%s: %s weakened", (policy, name, inputs) => {
        const plan = prodPlanWith((resources) => Object.assign(named(resources, name).inputs, inputs));
        expect(firedPolicies(plan)).toEqual([policy]);
    });

    it("s3 rules hold for any bucket, not only the backup component's: a new bare bucket breaks all but Object Lock", () => {
        const plan = prodPlanWith((resources) =>
            resources.push({
                ...primary,
                component: undefined,
                protect: true,
                type: "aws:s3/bucket:Bucket",
                name: "scratch-bucket",
                inputs: { bucket: "hotelgenius-ops-prod-scratch" },
            }),
        );
        expect(firedPolicies(plan)).toEqual([
            "s3-kms-encryption",
            "s3-lifecycle-aborts-incomplete-uploads",
            "s3-public-access-blocked",
            "s3-tls-only",
            "s3-versioning-enabled",
        ]);
    });

    it.each([
        ["s3:DeleteObject", { Effect: "Allow", Action: "s3:DeleteObject", Resource: "*" }],
        ["s3:Delete*", { Effect: "Allow", Action: ["s3:PutObject", "s3:Delete*"], Resource: "*" }],
        ["s3:*", { Effect: "Allow", Action: "s3:*", Resource: "*" }],
        ["*", { Effect: "Allow", Action: "*", Resource: "*" }],
        ["NotAction", { Effect: "Allow", NotAction: "iam:*", Resource: "*" }],
    ])("backup-task-no-delete-actions: the task role is granted %s", (_label, statement) => {
        expect(firedPolicies(prodPlanWith(withTaskRole(statement)))).toEqual(["backup-task-no-delete-actions"]);
    });

    it("backup-task-no-delete-actions: a customer managed policy attached to the task role counts too", () => {
        const plan = prodPlanWith((resources) => {
            withTaskRole({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" })(resources);
            resources.push(
                {
                    ...primary,
                    type: "aws:iam/policy:Policy",
                    name: "wide",
                    inputs: { name: "wide", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*" }] }) },
                },
                {
                    ...primary,
                    type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                    name: "wide-attachment",
                    inputs: { role: "hotelgenius-ops-prod-crafted-task", policyArn: "arn:aws:iam::000000000000:policy/wide" },
                },
            );
        });
        expect(planViolations(plan)).toEqual([expect.objectContaining({ policy: "backup-task-no-delete-actions", message: expect.stringContaining("wide") })]);
    });

    it("backup-task-no-delete-actions: a Deny of deletes is fine (only what is allowed counts)", () => {
        expect(firedPolicies(prodPlanWith(withTaskRole({ Effect: "Deny", Action: "s3:Delete*", Resource: "*" })))).toEqual([]);
    });

    it.each([
        ["DATABASE_URL", "postgres://backup@db.example.invalid/app"],
        ["SENTRY_AUTH_TOKEN", "abc"],
        ["TARGET", "postgres://backup:not-a-password@db.example.invalid/app"],
        ["KEY_ID", "AKIAABCDEFGHIJKLMNOP"],
        ["CONFIG", "[secret]"],
    ])("ecs-no-secret-environment: %s in environment", (name, value) => {
        expect(firedPolicies(prodPlanWith(taskDefinitionWith([{ name, value }])))).toEqual(["ecs-no-secret-environment"]);
    });

    it.each([[undefined], [0]])("log-group-retention: retentionInDays %s", (retentionInDays) => {
        const plan = prodPlanWith((resources) =>
            resources.push({
                ...primary,
                type: "aws:cloudwatch/logGroup:LogGroup",
                name: "job-logs",
                inputs: { name: "/hotelgenius/backup", retentionInDays },
            }),
        );
        expect(firedPolicies(plan)).toEqual(["log-group-retention"]);
    });

    it.each([
        ["no alarmActions", { alarmActions: [] }],
        ["actions disabled", { actionsEnabled: false }],
        ["no runbook link", { alarmDescription: "No backup for 26 hours." }],
    ])("alarm-actions-and-runbook: %s", (_label, inputs) => {
        expect(firedPolicies(prodPlanWith(alarmWith(inputs)))).toEqual(["alarm-actions-and-runbook"]);
    });

    it("required-tags: a taggable resource on a provider without defaultTags", () => {
        const plan = prodPlanWith((resources) => {
            named(resources, "backups-key").provider = undefined;
        });
        expect(planViolations(plan)).toEqual([
            expect.objectContaining({ policy: "required-tags", message: expect.stringContaining("lacks the tags project, stack, owner, managed-by") }),
        ]);
    });

    it("required-tags: a resource's own tags complete what the provider lacks, and an empty tag counts as missing", () => {
        const plan = prodPlanWith((resources) => {
            const provider = named(resources, "aws-primary");
            provider.inputs["defaultTags"] = JSON.stringify({ tags: { project: "hotelgenius-ops", stack: "prod" } });
            for (const resource of resources.filter((candidate) => candidate.provider === "aws-primary" && TAGGABLE_TYPES.has(candidate.type))) {
                resource.inputs["tags"] = { owner: "platform-team", "managed-by": resource.name === "backups-key" ? " " : "pulumi" };
            }
        });
        expect(planViolations(plan)).toEqual([
            expect.objectContaining({ policy: "required-tags", message: expect.stringMatching(/backups-key lacks the tags managed-by /) }),
        ]);
    });

    it.each(["backups-bucket", "backups-key", "backups-object-lock"])("prod-data-protected: %s not protected in prod", (name) => {
        const unprotect = (resources: PlannedResource[]) => {
            named(resources, name).protect = false;
        };
        expect(firedPolicies(prodPlanWith(unprotect))).toEqual(["prod-data-protected"]);
    });

    it("prod-data-protected: staging's unprotected data resources are allowed", () => {
        const staging = committedPlan("staging");
        expect(staging.resources.filter((resource) => resource.type === "aws:s3/bucket:Bucket").map((resource) => resource.protect)).toEqual([false, false]);
        expect(planViolations(staging)).toEqual([]);
    });
});

describe("rule helpers", () => {
    it("forbiddenActions: allowed patterns that reach a delete or a whole service", () => {
        const document = {
            Statement: [
                { Effect: "Allow", Action: ["s3:PutObject", "s3:Del*", "kms:*", "s3:GetObject*", "s3:Delete?bject"] },
                { Effect: "Deny", Action: "*" },
            ],
        };
        expect(forbiddenActions(JSON.stringify(document))).toEqual(["s3:Del*", "kms:*", "s3:Delete?bject"]);
        expect(forbiddenActions({ Statement: { Effect: "Allow", Action: "s3:ListBucket" } })).toEqual([]);
    });

    it("secretLookingEnvironment: names and values; plain settings pass", () => {
        const containers = [
            {
                name: "job",
                environment: [
                    { name: "BACKUP_TARGET", value: "s3://b/p" },
                    { name: "DB_PASSWORD", value: "x" },
                ],
            },
        ];
        expect(secretLookingEnvironment(containers)).toEqual(["container job environment DB_PASSWORD (its name says it holds a secret)"]);
        expect(secretLookingEnvironment("not json")).toEqual([]);
    });

    it("effectiveTags: provider defaultTags as JSON text or object, resource tags win", () => {
        expect(effectiveTags({ tags: { owner: "me" } }, { defaultTags: JSON.stringify({ tags: { owner: "team", project: "p" } }) })).toEqual({
            owner: "me",
            project: "p",
        });
        expect(effectiveTags({}, { defaultTags: { tags: { stack: "s" } } })).toEqual({ stack: "s" });
        expect(missingTags({ project: "p", stack: "" }, REQUIRED_TAGS)).toEqual(["stack", "owner", "managed-by"]);
    });

    it("hasRunbookLink and stackOfUrn", () => {
        expect(hasRunbookLink("see https://wiki.example/runbooks/backup")).toBe(true);
        expect(hasRunbookLink("see runbooks/backup.md")).toBe(false);
        expect(stackOfUrn("urn:pulumi:prod::hotelgenius-ops::aws:s3/bucket:Bucket::b")).toBe("prod");
    });

    it("policy names are unique and none is the reserved name `all`", () => {
        const names = policies.map((policy) => policy.name);
        expect(new Set(names).size).toBe(names.length);
        expect(names).not.toContain("all");
    });
});

/** Whether @pulumi/aws's own type definitions give the resource a `tags` argument. */
function acceptsTags(type: string): boolean {
    const [, module, className] = /^aws:([^/]+)\/[^:]+:(\w+)$/.exec(type) ?? [];
    const file = path.join(ROOT, "node_modules/@pulumi/aws", module!, `${className![0]!.toLowerCase()}${className!.slice(1)}.d.ts`);
    const text = readFileSync(file, "utf8");
    const args = text.slice(text.indexOf(`export interface ${className}Args {`));
    return /\n {4}tags\?:/.test(args.slice(0, args.indexOf("\n}")));
}

describe("TAGGABLE_TYPES agrees with @pulumi/aws", () => {
    const planned = [...new Set(["prod", "staging"].flatMap((stack) => committedPlan(stack).resources.map((resource) => resource.type)))];
    const awsTypes = [...new Set([...planned.filter((type) => type.startsWith("aws:")), ...TAGGABLE_TYPES])].sort();

    it.each(awsTypes)("%s", (type) => {
        expect(TAGGABLE_TYPES.has(type), `${type}: add it to (or remove it from) TAGGABLE_TYPES in policy/policies.ts`).toBe(acceptsTags(type));
    });
});
