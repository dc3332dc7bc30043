// Runs the policy pack (policy/policies.ts) over offline plans, the way the Pulumi engine runs it
// over a preview (resource policies, on inputs) and after an update (stack policies, on outputs).
// No Pulumi CLI needed: a reviewer or a test sees every violation a real `--policy-pack` run would.
//
//   npm run --silent policy:check [-- plans/prod.json ...]     (default: every committed plan)
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { PolicyProviderResource, PolicyResource, PolicyResourceOptions, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { callerDirectory } from "../../job/src/storage/target.js";
import { policies as packPolicies } from "../../policy/policies.js";
import { computedState } from "./mockRuntime.js";
import { type Plan, type PlannedResource, parsePlan } from "./planFormat.js";

export interface Violation {
    policy: string;
    urn?: string;
    message: string;
}

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

/** Thrown by notApplicable(): the policy opts out for this resource, as the real server treats it. */
class NotApplicable extends Error {}

function urnOf(plan: Plan, resource: PlannedResource): string {
    return `urn:pulumi:${plan.stack}::${plan.project}::${resource.type}::${resource.name}`;
}

function optionsOf(resource: PlannedResource, parentUrn: string | undefined): PolicyResourceOptions {
    return {
        protect: resource.protect,
        ignoreChanges: [],
        aliases: [],
        additionalSecretOutputs: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        ...(parentUrn ? { parent: parentUrn } : {}),
    };
}

/** Type checks by the class's type token, as @pulumi/policy does. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
    return (resourceClass as { __pulumiType?: string }).__pulumiType === type;
}

/** Every violation of `policies` (default: the whole pack) in one offline plan; [] when it passes. */
export function planViolations(plan: Plan, policies: AnyPolicy[] = packPolicies): Violation[] {
    const byName = new Map(plan.resources.map((resource) => [resource.name, resource]));
    const providerOf = (resource: PlannedResource): PolicyProviderResource | undefined => {
        const provider = resource.provider ? byName.get(resource.provider) : undefined;
        return provider && { type: provider.type, name: provider.name, urn: urnOf(plan, provider), props: provider.inputs };
    };

    // Stack policies read outputs: the inputs plus what the provider computes (id, arn, name), as the mock runtime fills them.
    const stackResources = new Map<string, PolicyResource>();
    for (const resource of plan.resources) {
        const parentUrn = resource.component ? urnOf(plan, byName.get(resource.component)!) : undefined;
        const provider = providerOf(resource);
        const props = provider ? computedState(resource.type, resource.name, resource.inputs, String(provider.props["region"])) : resource.inputs;
        stackResources.set(resource.name, {
            type: resource.type,
            name: resource.name,
            urn: urnOf(plan, resource),
            props,
            opts: optionsOf(resource, parentUrn),
            provider,
            dependencies: [],
            propertyDependencies: {},
            isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
            asType: (resourceClass) => (isTypeOf(resource.type, resourceClass) ? (props as never) : undefined),
        });
    }
    for (const resource of plan.resources) {
        if (resource.component) stackResources.get(resource.name)!.parent = stackResources.get(resource.component);
    }

    const violations: Violation[] = [];
    const notApplicable = (reason?: string): never => {
        throw new NotApplicable(reason);
    };
    for (const policy of policies) {
        // As the analyzer server does for a pack nobody configured: the policies fall back to their own defaults.
        const getConfig = <T extends object>() => ({}) as T;
        const report = (urn?: string) => (message: string, reportedUrn?: string) => violations.push({ policy: policy.name, urn: reportedUrn ?? urn, message });
        try {
            if ("validateStack" in policy) {
                policy.validateStack({ resources: [...stackResources.values()], stackTags: new Map(), getConfig, notApplicable }, report());
                continue;
            }
            const validations = ([] as unknown[]).concat(policy.validateResource ?? []) as Exclude<
                ResourceValidationPolicy["validateResource"],
                unknown[] | undefined
            >[];
            for (const resource of plan.resources) {
                const urn = urnOf(plan, resource);
                const args = {
                    type: resource.type,
                    name: resource.name,
                    urn,
                    props: resource.inputs,
                    opts: optionsOf(resource, stackResources.get(resource.name)!.opts.parent),
                    provider: providerOf(resource),
                    stackTags: new Map<string, string>(),
                    isType: (resourceClass: unknown) => isTypeOf(resource.type, resourceClass),
                    asType: (resourceClass: unknown) => (isTypeOf(resource.type, resourceClass) ? (resource.inputs as never) : undefined),
                    getConfig,
                    notApplicable,
                };
                for (const validate of validations) {
                    try {
                        validate!(args, report(urn));
                    } catch (error) {
                        if (!(error instanceof NotApplicable)) throw error;
                    }
                }
            }
        } catch (error) {
            if (!(error instanceof NotApplicable)) throw error;
        }
    }
    return violations;
}

export const USAGE = `usage: npm run --silent policy:check [-- PLAN.json ...]
Runs the policy pack (policy/policies.ts) over offline plans, as a real --policy-pack run would.
Without files: every plans/*.json. Relative paths are read from the directory the command was typed in.
Exit codes: 0 no violation, 1 violations found, 2 wrong command line or a file that is no readable plan.`;

/** A file named on the command line that cannot be checked: exit 2, one line, no stack trace. */
class PlanFileError extends Error {}

function readPlan(file: string): Plan {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new PlanFileError(code === "ENOENT" ? `${file} does not exist` : `${file}: cannot read it (${code ?? (error as Error).message})`);
    }
    let plan: Partial<Plan>;
    try {
        plan = JSON.parse(text);
    } catch (error) {
        throw new PlanFileError(`${file}: not JSON (${(error as Error).message}); expected an offline plan (npm run --silent plan -- --stack NAME --json)`);
    }
    if (typeof plan !== "object" || plan === null || typeof plan.stack !== "string" || !Array.isArray(plan.resources)) {
        throw new PlanFileError(
            `${file}: not an offline plan (no "stack" and "resources"); expected the output of npm run --silent plan -- --stack NAME --json`,
        );
    }
    return parsePlan(text);
}

function main(args: string[]): number {
    if (args.some((arg) => arg === "--help" || arg === "-h")) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    const option = args.find((arg) => arg.startsWith("-"));
    if (option !== undefined) throw new PlanFileError(`unknown option ${option}\n${USAGE}`);
    const root = path.resolve(__dirname, "..", "..");
    const caller = callerDirectory(process.env, process.cwd());
    const files =
        args.length > 0
            ? args.map((file) => path.resolve(caller, file))
            : readdirSync(path.join(root, "plans"))
                  .filter((file) => file.endsWith(".json"))
                  .map((file) => path.join(root, "plans", file));
    // Every file is read before any is checked: a typo in the last name must not follow a page of results.
    const plans = files.map(readPlan);
    let failed = 0;
    for (const plan of plans) {
        const violations = planViolations(plan);
        failed += violations.length;
        process.stdout.write(`${plan.stack}: ${plan.resources.length} resources, ${violations.length} policy violations\n`);
        for (const violation of violations) process.stdout.write(`  [${violation.policy}] ${violation.message}${violation.urn ? ` (${violation.urn})` : ""}\n`);
    }
    return failed > 0 ? 1 : 0;
}

if (require.main === module) {
    try {
        process.exit(main(process.argv.slice(2)));
    } catch (error) {
        if (!(error instanceof PlanFileError)) throw error;
        process.stderr.write(`policy:check: ${error.message}\n`);
        process.exit(2);
    }
}
