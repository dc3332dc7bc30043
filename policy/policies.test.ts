// The policy pack over the committed plans (zero violations) and over plans broken on purpose (each
// rule fires). The pack's entry file (index.ts) is never imported: `new PolicyPack` starts a server.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { type Plan, type PlannedResource, readCommittedPlan } from "../scripts/offlinePlan/planFormat.js";
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
    return readCommittedPlan(stack);
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
    ])("backup-task-no-delete-actions: the task role is granted %s (on everything, so the backups too)", (_label, statement) => {
        expect(firedPolicies(prodPlanWith(withTaskRole(statement)))).toEqual(["backup-task-no-delete-actions", "no-destructive-grants-on-data"]);
    });

    it("backup-task-no-delete-actions: s3:* on another bucket is still refused to a task role, and is no grant on the stack's data", () => {
        const statement = { Effect: "Allow", Action: "s3:*", Resource: ["arn:aws:s3:::elsewhere", "arn:aws:s3:::elsewhere/*"] };
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
        expect(planViolations(plan)).toEqual([
            expect.objectContaining({ policy: "backup-task-no-delete-actions", message: expect.stringContaining("wide") }),
            expect.objectContaining({ policy: "no-destructive-grants-on-data", message: expect.stringContaining("wide lets aws:iam/role:Role job-task-role") }),
        ]);
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

    it.each(["backups-bucket", "backups-key", "backups-object-lock", "neon-project"])("prod-data-protected: %s not protected in prod", (name) => {
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

// A careless or hostile pull request trying to give the backup task, or anyone, destructive rights.
describe("the pack cannot be walked around", () => {
    const BACKUPS = "arn:aws:s3:::hotelgenius-ops-prod-backups";
    const TASK_ROLE = "hotelgenius-ops-prod-crafted-task";
    const document = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
    const deleteBackups = { Effect: "Allow", Action: "s3:DeleteObjectVersion", Resource: `${BACKUPS}/*` };
    const resource = (type: string, name: string, inputs: Record<string, unknown>): PlannedResource => ({ ...primary, type, name, inputs });
    const ownPolicy = (statement: object) => resource("aws:iam/policy:Policy", "crafted-policy", { name: "crafted-policy", policy: document(statement) });
    const OWN_POLICY_ARN = "arn:aws:iam::000000000000:policy/crafted-policy";
    const taskRole = (extra: Record<string, unknown> = {}) =>
        resource("aws:iam/role:Role", "job-task-role", { name: TASK_ROLE, assumeRolePolicy: taskRoleTrust, ...extra });
    const violations = (...added: PlannedResource[]) => planViolations(prodPlanWith((resources) => resources.push(...added)));
    const fired = (...added: PlannedResource[]) => [...new Set(violations(...added).map((violation) => violation.policy))].sort();

    it.each([
        ["RolePolicyAttachment", (arn: string) => resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", { role: TASK_ROLE, policyArn: arn })],
        ["PolicyAttachment", (arn: string) => resource("aws:iam/policyAttachment:PolicyAttachment", "a", { name: "a", roles: [TASK_ROLE], policyArn: arn })],
    ])("an AWS managed policy the pack cannot read, through %s, is refused", (_label, attach) => {
        const found = violations(taskRole(), attach("arn:aws:iam::aws:policy/AmazonS3FullAccess"));
        expect(found).toEqual([
            expect.objectContaining({
                policy: "iam-policies-readable",
                message: expect.stringContaining("attaches arn:aws:iam::aws:policy/AmazonS3FullAccess to job-task-role, a policy the pack cannot read"),
            }),
        ]);
    });

    it("the role's own managedPolicyArns: an AWS managed policy is refused, the reviewed one passes (negative control)", () => {
        expect(fired(taskRole({ managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] }))).toEqual(["iam-policies-readable"]);
        expect(fired(taskRole({ managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"] }))).toEqual([]);
    });

    it("a customer managed policy that is not in the plan is refused, one in the plan is read", () => {
        const attach = resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", {
            role: TASK_ROLE,
            policyArn: "arn:aws:iam::000000000000:policy/elsewhere",
        });
        expect(fired(taskRole(), attach)).toEqual(["iam-policies-readable"]);
        expect(fired(taskRole({ managedPolicyArns: [OWN_POLICY_ARN] }), ownPolicy(deleteBackups))).toEqual([
            "backup-task-no-delete-actions",
            "no-destructive-grants-on-data",
        ]);
        expect(
            fired(taskRole({ managedPolicyArns: [OWN_POLICY_ARN] }), ownPolicy({ Effect: "Allow", Action: "s3:GetObject", Resource: `${BACKUPS}/*` })),
        ).toEqual([]);
    });

    it.each([
        ["inlinePolicies", () => [taskRole({ inlinePolicies: [{ name: "x", policy: document(deleteBackups) }] })]],
        [
            "PolicyAttachment by the role's name",
            () => [
                taskRole(),
                ownPolicy(deleteBackups),
                resource("aws:iam/policyAttachment:PolicyAttachment", "a", { roles: [TASK_ROLE], policyArn: OWN_POLICY_ARN }),
            ],
        ],
        [
            "a RolePolicy naming the role by its id",
            () => [taskRole(), resource("aws:iam/rolePolicy:RolePolicy", "p", { role: "job-task-role-id", policy: document(deleteBackups) })],
        ],
    ])("the task role gets a delete through %s", (_label, added) => {
        expect(fired(...added())).toEqual(["backup-task-no-delete-actions", "no-destructive-grants-on-data"]);
    });

    it("another principal gets deletes on the backups: a user's own policy, and a group's attached policy reaching its member", () => {
        const user = resource("aws:iam/user:User", "ops-user", { name: "ops" });
        expect(fired(user, resource("aws:iam/userPolicy:UserPolicy", "up", { user: "ops", policy: document(deleteBackups) }))).toEqual([
            "no-destructive-grants-on-data",
        ]);
        const group = resource("aws:iam/group:Group", "ops-group", { name: "ops-group" });
        const membership = resource("aws:iam/groupMembership:GroupMembership", "m", { group: "ops-group", users: ["ops"] });
        const attach = resource("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "ga", { group: "ops-group", policyArn: OWN_POLICY_ARN });
        const found = violations(user, group, membership, attach, ownPolicy({ Effect: "Allow", Action: "s3:Put*", Resource: BACKUPS }));
        expect(found.map((violation) => violation.message)).toEqual([
            expect.stringContaining(
                "lets aws:iam/user:User ops-user destroy backups, archives or their keys: s3:Put* (s3:PutLifecycleConfiguration, s3:PutBucketPolicy)",
            ),
            expect.stringContaining("lets aws:iam/group:Group ops-group destroy"),
        ]);
    });

    it("a user's delete rights on a bucket outside the stack are not the pack's business (negative control)", () => {
        const user = resource("aws:iam/user:User", "ops-user", { name: "ops" });
        const policy = document({ Effect: "Allow", Action: "s3:DeleteObject", Resource: "arn:aws:s3:::elsewhere/*" });
        expect(fired(user, resource("aws:iam/userPolicy:UserPolicy", "up", { user: "ops", policy }))).toEqual([]);
    });

    it.each([
        ["the bucket's own BucketPolicy", "backups-policy", "policy"],
        ["the bucket resource's legacy policy input", "backups-bucket", "policy"],
    ])("%s allows another account to delete", (_label, name, input) => {
        const plan = prodPlanWith((resources) => {
            const target = named(resources, name);
            const existing = target.inputs[input] === undefined ? [] : JSON.parse(target.inputs[input] as string).Statement;
            target.inputs[input] = document(...existing, { ...deleteBackups, Principal: { AWS: "arn:aws:iam::111111111111:root" } });
        });
        expect(firedPolicies(plan)).toEqual(["no-destructive-grants-on-data"]);
    });

    it("an access point policy that allows deletes through the access point (its ARNs are not the bucket's)", () => {
        const objects = "arn:aws:s3:eu-west-3:000000000000:accesspoint/side-door/object/*";
        const point = resource("aws:s3/accessPoint:AccessPoint", "ap", {
            bucket: "hotelgenius-ops-prod-backups",
            name: "side-door",
            policy: document({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: objects }),
        });
        expect(fired(point)).toEqual([]);
        point.inputs["policy"] = document({ ...deleteBackups, Principal: "*", Resource: objects });
        expect(fired(point)).toEqual(["no-destructive-grants-on-data"]);
    });

    it("a key policy that lets a role schedule the deletion, or drops the guard", () => {
        const plan = (edit: (statements: Record<string, unknown>[]) => Record<string, unknown>[]) =>
            prodPlanWith((resources) => {
                const key = named(resources, "backups-key");
                key.inputs["policy"] = JSON.stringify({ Version: "2012-10-17", Statement: edit(JSON.parse(key.inputs["policy"] as string).Statement) });
            });
        const grant = {
            Sid: "Ops",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::000000000000:role/ops" },
            Action: "kms:ScheduleKeyDeletion",
            Resource: "arn:aws:kms:eu-west-3:000000000000:key/backups-key",
        };
        expect(planViolations(plan((statements) => [...statements, grant])).map((violation) => violation.message)).toEqual([
            "key backups-key: statement Ops allows kms:ScheduleKeyDeletion (kms:ScheduleKeyDeletion)",
        ]);
        expect(planViolations(plan((statements) => statements.slice(0, 1))).map((violation) => violation.message)).toEqual([
            "key backups-key: no Deny of kms:ScheduleKeyDeletion to everyone under a minimum kms:ScheduleKeyDeletionPendingWindowInDays",
            "key backups-key: no Deny of kms:DisableKey and kms:PutKeyPolicy to everyone but the break-glass role (aws:PrincipalArn)",
        ]);
        // Negative control: the guarded policy as planned, whose one kms:* Allow is the delegation to the account's IAM.
        expect(planViolations(plan((statements) => statements))).toEqual([]);
    });

    it("a KMS grant on a key, and an ACL on a bucket", () => {
        expect(
            fired(
                resource("aws:kms/grant:Grant", "g", { keyId: "backups-key-id", granteePrincipal: "arn:aws:iam::111111111111:root", operations: ["Decrypt"] }),
            ),
        ).toEqual(["no-destructive-grants-on-data"]);
        expect(fired(resource("aws:s3/bucketAclV2:BucketAclV2", "acl", { bucket: "hotelgenius-ops-prod-backups", acl: "public-read-write" }))).toEqual([
            "no-destructive-grants-on-data",
        ]);
    });

    it.each(["logs-archive-policy", "logs-archive-lifecycle", "backup-job-repository"])("prod-data-protected: %s not protected in prod", (name) => {
        const unprotect = (resources: PlannedResource[]) => {
            named(resources, name).protect = false;
        };
        expect(firedPolicies(prodPlanWith(unprotect))).toEqual(["prod-data-protected"]);
    });

    it("prod-data-protected: prod's repository force-deletable", () => {
        const forceDeletable = (resources: PlannedResource[]) => {
            named(resources, "backup-job-repository").inputs["forceDelete"] = true;
        };
        expect(firedPolicies(prodPlanWith(forceDeletable))).toEqual(["prod-data-protected"]);
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

describe("the reviewed key administrators", () => {
    it("are the account program's break-glass and deploy roles, by the names stacks/shared/account.ts fixes", async () => {
        const { REVIEWED_KEY_ADMINISTRATORS } = await import("./policies.js");
        const account = await import("../stacks/shared/account.js");
        expect(Object.keys(REVIEWED_KEY_ADMINISTRATORS).sort()).toEqual(
            [account.BREAK_GLASS_ROLE_NAME, ...account.DEPLOY_ENVIRONMENTS.map(account.deployRoleName)].sort(),
        );
    });
});
