// What a change does to a stack, offline: the plan the program makes now against a committed plan,
// per resource, the way `pulumi preview --diff` shows it. Policies are compared as documents,
// statement by statement. Whether an update replaces a resource is the provider's schema's call, which
// is not available offline: a curated list names the properties known to force a replacement.
import type { Plan, PlannedResource } from "./planFormat.js";
import { renderedPlan } from "./planFormat.js";

/** Properties whose change makes the AWS provider replace the resource (its ForceNew fields), for the types this program creates. */
export const REPLACING_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
    "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
    "aws:kms/key:Key": ["customerMasterKeySpec", "keyUsage", "multiRegion"],
    "aws:kms/alias:Alias": ["name", "namePrefix"],
    "aws:ecs/taskDefinition:TaskDefinition": [
        "family",
        "containerDefinitions",
        "cpu",
        "memory",
        "executionRoleArn",
        "taskRoleArn",
        "networkMode",
        "requiresCompatibilities",
        "runtimePlatform",
        "volumes",
        "ephemeralStorage",
    ],
    "aws:ecs/cluster:Cluster": ["name"],
    "aws:ecr/repository:Repository": ["name"],
    "aws:iam/role:Role": ["name", "namePrefix", "path"],
    "aws:iam/accessKey:AccessKey": ["user", "pgpKey"],
    "aws:iam/rolePolicy:RolePolicy": ["name", "role"],
    "aws:iam/userPolicy:UserPolicy": ["name", "user"],
    "aws:sns/topic:Topic": ["name", "namePrefix", "fifoTopic"],
    "aws:sqs/queue:Queue": ["name", "namePrefix", "fifoQueue"],
    "aws:cloudwatch/logGroup:LogGroup": ["name", "namePrefix"],
    "aws:cloudwatch/eventRule:EventRule": ["name", "namePrefix", "eventBusName"],
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": ["name", "logGroup"],
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": ["logGroupName"],
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": ["name", "destination"],
    "aws:scheduler/schedule:Schedule": ["name", "namePrefix", "groupName"],
    "aws:secretsmanager/secret:Secret": ["name", "namePrefix"],
    "aws:route53/healthCheck:HealthCheck": ["type", "referenceName"],
    "aws:ec2/securityGroup:SecurityGroup": ["name", "namePrefix", "vpcId", "description"],
};

export type Change = { path: string; old?: unknown; new?: unknown };

export interface ResourceDiff {
    op: "create" | "update" | "replace" | "delete";
    type: string;
    name: string;
    component?: string;
    /** For updates and replacements: each changed property path, old -> new. */
    changes: Change[];
    /** The properties that force the replacement (from REPLACING_PROPERTIES). */
    replacedBy: string[];
}

export interface PlanDiff {
    stack: string;
    resources: ResourceDiff[];
}

const keyOf = (resource: PlannedResource) => `${resource.type}::${resource.name}`;
const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A policy document's statements by Sid (by position when a statement has none). */
function statements(document: unknown): Map<string, unknown> | undefined {
    if (!isObject(document) || !Array.isArray(document["Statement"])) return undefined;
    return new Map(
        document["Statement"].map((statement, index) => [
            isObject(statement) && typeof statement["Sid"] === "string" ? statement["Sid"] : `#${index}`,
            statement,
        ]),
    );
}

/** Leaf-level changes between two values; policy documents statement by statement. */
function changesOf(path: string, old: unknown, now: unknown): Change[] {
    if (same(old, now)) return [];
    const [before, after] = [statements(old), statements(now)];
    if (before && after) {
        const rest = (document: unknown) => ({ ...(document as Record<string, unknown>), Statement: undefined });
        const changes = changesOf(path, rest(old), rest(now));
        for (const sid of new Set([...before.keys(), ...after.keys()])) {
            const [a, b] = [before.get(sid), after.get(sid)];
            if (!same(a, b))
                changes.push({ path: `${path}.Statement[${sid}]`, ...(a === undefined ? {} : { old: a }), ...(b === undefined ? {} : { new: b }) });
        }
        return changes;
    }
    if (isObject(old) && isObject(now)) {
        return [...new Set([...Object.keys(old), ...Object.keys(now)])].flatMap((key) => changesOf(path ? `${path}.${key}` : key, old[key], now[key]));
    }
    if (Array.isArray(old) && Array.isArray(now) && old.length === now.length) {
        return old.flatMap((item, index) => changesOf(`${path}[${index}]`, item, now[index]));
    }
    return [{ path, ...(old === undefined ? {} : { old }), ...(now === undefined ? {} : { new: now }) }];
}

/** Every resource created, changed or deleted between `before` (e.g. the committed plan) and `after`. */
export function diffPlans(before: Plan, after: Plan): PlanDiff {
    const [old, now] = [renderedPlan(before), renderedPlan(after)];
    const previous = new Map(old.resources.map((resource) => [keyOf(resource), resource]));
    const current = new Map(now.resources.map((resource) => [keyOf(resource), resource]));
    const resources: ResourceDiff[] = [];
    for (const resource of now.resources) {
        const base = { type: resource.type, name: resource.name, ...(resource.component ? { component: resource.component } : {}) };
        const earlier = previous.get(keyOf(resource));
        if (!earlier) {
            resources.push({ op: "create", ...base, changes: [], replacedBy: [] });
            continue;
        }
        const { inputs: a, ...restA } = earlier;
        const { inputs: b, ...restB } = resource;
        const changes = [...changesOf("", restA, restB), ...changesOf("", a, b)];
        if (changes.length === 0) continue;
        const forcing = REPLACING_PROPERTIES[resource.type] ?? [];
        const replacedBy = forcing.filter((property) => !same(a[property], b[property]));
        resources.push({ op: replacedBy.length > 0 ? "replace" : "update", ...base, changes, replacedBy });
    }
    for (const resource of old.resources) {
        if (!current.has(keyOf(resource))) {
            resources.push({
                op: "delete",
                type: resource.type,
                name: resource.name,
                ...(resource.component ? { component: resource.component } : {}),
                changes: [],
                replacedBy: [],
            });
        }
    }
    return { stack: after.stack, resources };
}

const SIGN = { create: "+", update: "~", replace: "+-", delete: "-" } as const;
const show = (value: unknown) => (value === undefined ? "(none)" : JSON.stringify(value));

/** The diff as a person reads it: a summary per component and type, then each resource with its changed properties. */
export function diffToText(diff: PlanDiff, against: string): string {
    if (diff.resources.length === 0) return `${diff.stack}: no changes against ${against}\n`;
    const rows = new Map<string, { create: number; update: number; delete: number }>();
    for (const resource of diff.resources) {
        const row = `${resource.component ?? "(top level)"}  ${resource.type}`;
        const counts = rows.get(row) ?? { create: 0, update: 0, delete: 0 };
        // A replacement creates the new resource and deletes the old one.
        if (resource.op === "replace") {
            counts.create++;
            counts.delete++;
        } else counts[resource.op]++;
        rows.set(row, counts);
    }
    const lines = [`${diff.stack}: against ${against}`, "", "Summary (component, type: + created ~ changed - deleted):"];
    for (const [row, counts] of [...rows].sort(([a], [b]) => a.localeCompare(b)))
        lines.push(`  ${row}: + ${counts.create} ~ ${counts.update} - ${counts.delete}`);
    lines.push("");
    for (const resource of diff.resources) {
        const note =
            resource.op === "replace"
                ? `  (replaced: ${resource.replacedBy.join(", ")} forces a new resource)`
                : resource.op === "update"
                  ? "  (update; replacement not known offline)"
                  : "";
        lines.push(`${SIGN[resource.op]} ${resource.type} "${resource.name}"${note}`);
        for (const change of resource.changes) {
            if (/\.Statement\[/.test(change.path)) {
                const verb = change.old === undefined ? "added" : change.new === undefined ? "removed" : "changed";
                lines.push(`    ${change.path} ${verb}:`);
                if (change.old !== undefined) lines.push(`      - ${show(change.old)}`);
                if (change.new !== undefined) lines.push(`      + ${show(change.new)}`);
            } else lines.push(`    ${change.path}: ${show(change.old)} → ${show(change.new)}`);
        }
    }
    return `${lines.join("\n")}\n`;
}
