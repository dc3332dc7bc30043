// Turns what the mock runtime recorded into the offline plan: a stable JSON document for
// plans/<stack>.json and a grouped text view for people reading a pull request.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { OfflineRun, RecordedResource } from "./mockRuntime.js";

export interface PlannedResource {
    type: string;
    name: string;
    /** Logical name of the component this resource belongs to; absent at the top level. */
    component?: string;
    /** Logical name of the explicit provider; absent when the resource uses its parent's or the default. */
    provider?: string;
    protect: boolean;
    retainOnDelete: boolean;
    inputs: Record<string, unknown>;
}

export interface Plan {
    project: string;
    stack: string;
    resources: PlannedResource[];
    outputs: Record<string, unknown>;
}

/** Stacks are the Pulumi.<name>.yaml files beside Pulumi.yaml. */
export function stackNames(root: string): string[] {
    return readdirSync(root)
        .map((file) => /^Pulumi\.([^.]+)\.yaml$/.exec(file)?.[1])
        .filter((name): name is string => name !== undefined)
        .sort();
}

const STACK_TYPE = "pulumi:pulumi:Stack";

/** The last `::`-separated part of a URN is the logical name. */
function logicalName(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
        );
    }
    return value;
}

/**
 * A dynamic resource's `__provider` input is its provider's serialized code (kilobytes, stored in the
 * state); the plan shows a marker instead. stacks/neon/component.test.ts checks what that code holds.
 */
export const DYNAMIC_PROVIDER_CODE = "[dynamic provider code]";

function plannedResource(resource: RecordedResource, byUrn: Map<string, RecordedResource>): PlannedResource {
    const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
    const inputs = "__provider" in resource.inputs ? { ...resource.inputs, __provider: DYNAMIC_PROVIDER_CODE } : resource.inputs;
    const planned: PlannedResource = {
        type: resource.type,
        name: resource.name,
        protect: resource.protect,
        retainOnDelete: resource.retainOnDelete,
        inputs: sortKeys(inputs) as Record<string, unknown>,
    };
    if (parent && parent.type !== STACK_TYPE) planned.component = parent.name;
    // A provider reference is "<provider urn>::<provider id>": the logical name sits before the id.
    if (resource.provider) planned.provider = logicalName(resource.provider.slice(0, resource.provider.lastIndexOf("::")));
    return planned;
}

/** "type::name" of the resource and each of its ancestors, outermost first. */
function lineage(resource: RecordedResource, byUrn: Map<string, RecordedResource>): string[] {
    const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
    const own = `${resource.type}::${resource.name}`;
    return parent && parent.type !== STACK_TYPE ? [...lineage(parent, byUrn), own] : [own];
}

function compareLineage(a: string[], b: string[]): number {
    for (let index = 0; index < Math.min(a.length, b.length); index++) {
        if (a[index] !== b[index]) return a[index] < b[index] ? -1 : 1;
    }
    return a.length - b.length;
}

/** Registration order depends on promise timing, so the plan orders resources by lineage: each component, then its children. */
export function buildPlan(project: string, stack: string, run: OfflineRun): Plan {
    const byUrn = new Map(run.resources.map((resource) => [resource.urn, resource]));
    const resources = run.resources
        .filter((resource) => resource.type !== STACK_TYPE)
        .map((resource) => ({ resource, key: lineage(resource, byUrn) }))
        .sort((a, b) => compareLineage(a.key, b.key))
        .map(({ resource }) => plannedResource(resource, byUrn));
    return { project, stack, resources, outputs: sortKeys(run.outputs) as Record<string, unknown> };
}

/**
 * Inputs the providers take as JSON text (IAM and KMS policies, container definitions, dashboards,
 * event patterns). The committed plan shows them as JSON structure, so a git diff points at the
 * statement that changed; the program's inputs stay text (parsePlan gives them back as such).
 */
export const JSON_TEXT_INPUTS: readonly string[] = ["assumeRolePolicy", "containerDefinitions", "dashboardBody", "eventPattern", "policy"];

/** The text as structure when it is JSON that re-serializes to exactly the same text (so parsePlan restores it byte for byte). */
function asDocument(value: unknown): unknown {
    if (typeof value !== "string" || !/^[[{]/.test(value)) return value;
    try {
        const document: unknown = JSON.parse(value);
        return JSON.stringify(document) === value ? document : value;
    } catch {
        return value;
    }
}

function mapJsonTextInputs(plan: Plan, map: (value: unknown) => unknown): Plan {
    const resources = plan.resources.map((resource) => {
        const inputs = { ...resource.inputs };
        for (const key of JSON_TEXT_INPUTS) if (key in inputs) inputs[key] = map(inputs[key]);
        return { ...resource, inputs };
    });
    return { ...plan, resources };
}

/** The plan as a reviewer reads it: JSON-text inputs as structure. */
export function renderedPlan(plan: Plan): Plan {
    return mapJsonTextInputs(plan, asDocument);
}

export function planToJson(plan: Plan): string {
    return `${JSON.stringify(renderedPlan(plan), null, 2)}\n`;
}

/** A committed plan (planToJson's output) with its inputs as the program gives them: JSON-text inputs as text again. */
export function parsePlan(text: string): Plan {
    return mapJsonTextInputs(JSON.parse(text) as Plan, (value) => (typeof value === "string" ? value : JSON.stringify(value)));
}

/** plans/<name>.json as committed, through parsePlan: what every reader of a committed plan needs. */
export function readCommittedPlan(name: string): Plan {
    return parsePlan(readFileSync(path.resolve(__dirname, "..", "..", "plans", `${name}.json`), "utf8"));
}

/** Policy documents arrive as JSON text; reviewers read them better as structure. */
function parsedIfJson(value: unknown): unknown {
    if (typeof value !== "string" || !/^\s*[[{]/.test(value)) return value;
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

function renderValue(value: unknown, indent: string): string[] {
    const parsed = parsedIfJson(value);
    if (parsed === null || typeof parsed !== "object") return [JSON.stringify(parsed)];
    if (Array.isArray(parsed) && parsed.every((item) => item === null || typeof item !== "object")) return [JSON.stringify(parsed)];
    const entries = Array.isArray(parsed) ? parsed.map((item, index) => [`- [${index}]`, item] as const) : Object.entries(parsed);
    if (entries.length === 0) return [Array.isArray(parsed) ? "[]" : "{}"];
    const lines = [""];
    for (const [key, inner] of entries) {
        const [first, ...rest] = renderValue(inner, `${indent}    `);
        lines.push(`${indent}${key}:${first === "" ? "" : ` ${first}`}`, ...rest);
    }
    return lines;
}

function renderInputs(inputs: Record<string, unknown>, indent: string): string[] {
    return Object.entries(inputs).flatMap(([key, value]) => {
        const [first, ...rest] = renderValue(value, `${indent}    `);
        return [`${indent}${key}:${first === "" ? "" : ` ${first}`}`, ...rest];
    });
}

function resourceHeading(resource: PlannedResource): string {
    const flags = [
        resource.protect ? "protected" : "",
        resource.retainOnDelete ? "retained on delete" : "",
        resource.provider ? `provider ${resource.provider}` : "",
    ].filter(Boolean);
    return `+ ${resource.type} "${resource.name}"${flags.length ? `  [${flags.join(", ")}]` : ""}`;
}

/** The text plan: resources grouped under the component that owns them. */
export function planToText(plan: Plan): string {
    const lines = [`Plan for ${plan.project} / ${plan.stack}: ${plan.resources.length} resources to create`, ""];
    const groups = new Map<string, PlannedResource[]>();
    for (const resource of plan.resources) {
        const group = resource.component ?? "";
        groups.set(group, [...(groups.get(group) ?? []), resource]);
    }
    for (const [component, members] of groups) {
        const owner = plan.resources.find((resource) => resource.name === component && resource.inputs && !resource.component);
        lines.push(component ? `${owner?.type ?? "component"} "${component}"` : "(top level)");
        for (const resource of members) {
            lines.push(`  ${resourceHeading(resource)}`, ...renderInputs(resource.inputs, "      "));
        }
        lines.push("");
    }
    lines.push("Outputs:", ...renderInputs(plan.outputs, "  "));
    return `${lines.join("\n")}\n`;
}
