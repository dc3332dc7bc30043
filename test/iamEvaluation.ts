// AWS's policy evaluation logic, offline: @cloud-copilot/iam-simulate's core engine over documents
// taken from a plan. Its safe entry point drops request context keys its data does not list for the
// action (GitHub's OIDC claims among them) and 0.1.173's unsafe one crashes on resource policies, so
// the request is built here and handed to the core `authorize` as is. Every check using this
// must have a negative control: an engine that allowed or denied everything would pass a one-sided test.
import { createRequire } from "node:module";
import * as path from "node:path";
import { isWildcardOnlyAction } from "@cloud-copilot/iam-simulate";
import { loadPolicy } from "@cloud-copilot/iam-policy";

const requireFromHere = createRequire(__filename);
// The core engine is not in the package's exports map; its compiled modules sit beside the entry point.
const dist = path.dirname(requireFromHere.resolve("@cloud-copilot/iam-simulate"));
const { authorize } = requireFromHere(path.join(dist, "core_engine", "CoreSimulatorEngine.js"));
const { AwsRequestImpl } = requireFromHere(path.join(dist, "request", "request.js"));
const { RequestContextImpl } = requireFromHere(path.join(dist, "requestContext.js"));
const { DiscoveryContextKeyConstraints } = requireFromHere(path.join(dist, "context_keys", "discoveryContextKeyConstraints.js"));

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export interface IamRequest {
    principal: string;
    action: string;
    resource: string;
    /** The account owning the resource. */
    account: string;
    context?: Record<string, string | string[]>;
    identityPolicies?: unknown[];
    permissionsBoundary?: unknown;
    resourcePolicy?: unknown;
}

/** The decision AWS would make for one request, with the given policies and nothing else (no SCPs). */
export async function evaluate(request: IamRequest): Promise<Decision> {
    const [service, action] = request.action.split(":") as [string, string];
    const wildcardOnly = await isWildcardOnlyAction(service, action);
    const load = (policy: unknown, name: string) => loadPolicy(policy as never, { name });
    const analysis = authorize({
        request: new AwsRequestImpl(
            request.principal,
            { resource: request.resource, accountId: request.account },
            request.action,
            new RequestContextImpl(request.context ?? {}),
            wildcardOnly,
        ),
        sessionPolicy: undefined,
        identityPolicies: (request.identityPolicies ?? []).map((policy, index) => load(policy, `identity-${index}`)),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: request.resourcePolicy === undefined ? undefined : load(request.resourcePolicy, "resource"),
        permissionBoundaries: request.permissionsBoundary === undefined ? undefined : [load(request.permissionsBoundary, "boundary")],
        vpcEndpointPolicies: undefined,
        simulationParameters: { simulationMode: "Strict", discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) },
    });
    return analysis.result as Decision;
}
