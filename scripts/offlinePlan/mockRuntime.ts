// The one mock-runtime harness: unit tests and the offline plan (scripts/offlinePlan/plan.ts) both run the
// Pulumi program through it, so what the tests assert is exactly what a reviewer reads in plans/.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as rpc from "@pulumi/pulumi/runtime/rpc.js";
import * as settings from "@pulumi/pulumi/runtime/settings.js";
import { OFFLINE_SECRET } from "../../stacks/settings/spec.js";

// waitForRPCs is marked @internal in the typings but is the runtime's own "all registrations done" barrier.
const waitForRPCs: () => Promise<void> = (settings as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs;

export const PROJECT = "hotelgenius-ops";
export const UNKNOWN = "[unknown]";
/** Account id in every mocked ARN: obviously not a real account. */
export const MOCK_ACCOUNT = "000000000000";

export interface RecordedResource {
    type: string;
    name: string;
    urn: string;
    /** URN of the parent resource; undefined only for the stack itself. */
    parent?: string;
    custom: boolean;
    /** Provider reference ("urn::id") when the resource names an explicit provider. */
    provider?: string;
    /** Inputs as the engine would receive them; secret values are the string "[secret]". */
    inputs: Record<string, unknown>;
    protect: boolean;
    retainOnDelete: boolean;
    dependsOn: string[];
}

export interface OfflineRun {
    resources: RecordedResource[];
    /** The program's stack outputs, resolved; secret outputs are "[secret]". */
    outputs: Record<string, unknown>;
}

export interface OfflineRunOptions {
    stack: string;
    /** Full config keys as Pulumi stores them ("hotelgenius-ops:backupSchedule", "aws:region"). */
    config: Record<string, string>;
    /** Keys of `config` whose values are secrets. */
    secretKeys?: string[];
    /**
     * Whether the program sees a preview (pulumi.runtime.isDryRun()); default true, because the
     * offline plan is a preview. False runs it as `pulumi up` would.
     */
    preview?: boolean;
    /** The Pulumi project the program belongs to; default the main program's. */
    project?: string;
    /** Imports the program; called only after config and mocks are in place. */
    load: () => Promise<Record<string, unknown>>;
}

/** Replaces the wire encodings of secrets, unknowns and resource references with readable values. */
export function reveal(value: unknown): unknown {
    if (value === rpc.unknownValue) return UNKNOWN;
    if (Array.isArray(value)) return value.map(reveal);
    if (value !== null && typeof value === "object") {
        const object = value as Record<string, unknown>;
        switch (object[rpc.specialSigKey]) {
            case rpc.specialSecretSig:
                return OFFLINE_SECRET;
            case rpc.specialResourceSig:
                return object["urn"];
            case rpc.specialOutputValueSig:
                if (object["secret"]) return OFFLINE_SECRET;
                return "value" in object ? reveal(object["value"]) : UNKNOWN;
            case rpc.specialAssetSig:
            case rpc.specialArchiveSig:
                return { asset: object["path"] ?? object["uri"] ?? "[inline]" };
        }
        return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, reveal(inner)]));
    }
    return value;
}

/** The outputs a real provider would compute, so that dependent inputs read like a real plan. */
export function computedState(type: string, name: string, inputs: Record<string, any>, region: string): Record<string, unknown> {
    const physical = inputs["bucket"] ?? inputs["name"] ?? name;
    const service = type.split(":")[1]?.split("/")[0] ?? "unknown";
    const arn =
        service === "s3"
            ? `arn:aws:s3:::${physical}`
            : service === "iam"
              ? `arn:aws:iam::${MOCK_ACCOUNT}:${type.endsWith(":Role") ? "role" : "policy"}/${physical}`
              : service === "kms" && type.endsWith(":Key")
                ? `arn:aws:kms:${region}:${MOCK_ACCOUNT}:key/${name}`
                : type.endsWith(":FirehoseDeliveryStream")
                  ? `arn:aws:firehose:${region}:${MOCK_ACCOUNT}:deliverystream/${physical}`
                  : `arn:aws:${service}:${region}:${MOCK_ACCOUNT}:${physical}`;
    // S3 uses the bucket name as the resource id; other services get a readable fake id.
    const id = type === "aws:s3/bucket:Bucket" ? physical : `${name}-id`;
    if (type.startsWith("sentry:")) {
        const dsnPublic = `https://${name}-public-key@o0.ingest.sentry.io/${name}`;
        return { ...inputs, id, name: physical, teamId: id, internalId: id, projectId: id, ...(type.endsWith(":SentryKey") ? { dsnPublic } : {}) };
    }
    return {
        ...inputs,
        id,
        arn,
        ...(service === "s3" ? { bucket: physical } : {}),
        keyId: id,
        name: physical,
        ...typeSpecificState(type, name, inputs, region, physical),
    };
}

/** Outputs whose shape differs by resource type (ARN formats, URLs, image digests). */
function typeSpecificState(type: string, name: string, inputs: Record<string, any>, region: string, physical: string): Record<string, unknown> {
    const at = `${region}:${MOCK_ACCOUNT}`;
    switch (type) {
        case "aws:ecr/repository:Repository":
            return {
                arn: `arn:aws:ecr:${at}:repository/${physical}`,
                registryId: MOCK_ACCOUNT,
                repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${physical}`,
            };
        case "aws:cloudwatch/logGroup:LogGroup":
            return { arn: `arn:aws:logs:${at}:log-group:${physical}` };
        case "aws:ecs/cluster:Cluster":
            return { arn: `arn:aws:ecs:${at}:cluster/${physical}` };
        case "aws:ecs/taskDefinition:TaskDefinition":
            return { arn: `arn:aws:ecs:${at}:task-definition/${inputs["family"]}:1`, revision: 1 };
        case "aws:secretsmanager/secret:Secret":
            return { arn: `arn:aws:secretsmanager:${at}:secret:${inputs["namePrefix"] ?? `${physical}-`}AbCdEf` };
        case "aws:sqs/queue:Queue":
            return { url: `https://sqs.${region}.amazonaws.com/${MOCK_ACCOUNT}/${physical}` };
        case "aws:scheduler/schedule:Schedule":
            return { arn: `arn:aws:scheduler:${at}:schedule/default/${physical}` };
        case "aws:iam/role:Role":
            return { arn: `arn:aws:iam::${MOCK_ACCOUNT}:role${inputs["path"] ?? "/"}${physical}` };
        case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            return { arn: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/${String(inputs["url"]).replace(/^https:\/\//, "")}` };
        case "aws:cloudtrail/trail:Trail":
            return { arn: `arn:aws:cloudtrail:${at}:trail/${physical}` };
        case "aws:ec2/securityGroup:SecurityGroup":
            return { id: `sg-${name}` };
        // The Neon dynamic resources (stacks/neon/resources.ts): ids and hosts shaped like Neon's, in the project's region.
        case "pulumi-nodejs:dynamic/neon:Project": {
            // An adopted project keeps its id; a created one gets an id of its own name, so that one stack's
            // plan cannot be mistaken for holding another's project.
            const projectId = inputs["adoptProjectId"] ?? `mock-project-${inputs["name"]}`;
            return { projectId, defaultBranchId: `br-mock-default-${projectId}` };
        }
        case "pulumi-nodejs:dynamic/neon:Branch": {
            // Named after their project too, so a branch or host of one project never reads as another's.
            const project = inputs["projectId"];
            const branchId = inputs["adoptDefault"] ? `br-mock-default-${project}` : `br-mock-${name}-${project}`;
            return { branchId, endpointId: `ep-mock-${name}-${project}`, host: `ep-mock-${name}-${project}.eu-central-1.aws.neon.tech` };
        }
        case "pulumi-nodejs:dynamic/neon:Role":
        case "pulumi-nodejs:dynamic/neon:BackupRole":
            return {
                password: "mock-password",
                connectionUrl: `postgresql://${inputs["name"]}:mock-password@${inputs["host"]}/${inputs["database"]}?sslmode=require`,
            };
        case "docker-build:index:Image":
            // A stand-in digest that changes with the image's tag, as a real build's would with its content.
            return {
                digest: `sha256:${createHash("sha256")
                    .update(JSON.stringify(inputs["tags"] ?? []))
                    .digest("hex")}`,
            };
        default:
            return {};
    }
}

/** What the read-only lookups (invokes) the program makes answer, in the provider's shape. */
export function invokeResult(token: string, inputs: Record<string, any>, region: string): Record<string, unknown> {
    switch (token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/offline-plan`, userId: "AIDAOFFLINEPLAN", id: MOCK_ACCOUNT };
        case "aws:ec2/getVpc:getVpc":
            return { id: "vpc-default", arn: `arn:aws:ec2:${region}:${MOCK_ACCOUNT}:vpc/vpc-default`, default: true, cidrBlock: "172.31.0.0/16" };
        case "aws:ec2/getSubnets:getSubnets":
            return { id: region, ids: ["a", "b", "c"].map((zone) => `subnet-default-${region}${zone}`), filters: inputs["filters"] };
        case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return {
                id: region,
                userName: "AWS",
                password: "offline-plan-token",
                authorizationToken: "offline-plan-token",
                proxyEndpoint: `https://${MOCK_ACCOUNT}.dkr.ecr.${region}.amazonaws.com`,
            };
        default:
            throw new Error(`the program called ${token}, which the offline plan cannot answer; build documents with pulumi.jsonStringify instead of invokes`);
    }
}

/** Runs the program under Pulumi's mock runtime and returns every resource it registered. */
export async function runOffline(options: OfflineRunOptions): Promise<OfflineRun> {
    pulumi.runtime.setAllConfig(options.config, options.secretKeys ?? []);
    const providerRegions = new Map<string, string>();
    const defaultRegion = options.config["aws:region"] ?? "us-east-1";
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                if (args.type === "pulumi:providers:aws") providerRegions.set(args.name, args.inputs.region ?? defaultRegion);
                const providerName = args.provider?.split("::")[3];
                const region = (providerName && providerRegions.get(providerName)) ?? defaultRegion;
                const state = computedState(args.type, args.name, args.inputs, region);
                return { id: state.id as string, state };
            },
            call: (args) => {
                const providerName = args.provider?.split("::")[3];
                return invokeResult(args.token, args.inputs, (providerName && providerRegions.get(providerName)) ?? defaultRegion);
            },
        },
        options.project ?? PROJECT,
        options.stack,
        options.preview ?? true,
    );

    const recorded: RecordedResource[] = [];
    const monitor = settings.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: unknown, response: any) => void) =>
        register(req, (err: unknown, response: any) => {
            if (!err) {
                recorded.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: response.getUrn(),
                    parent: req.getParent() || undefined,
                    custom: req.getCustom(),
                    provider: req.getProvider() || undefined,
                    inputs: reveal(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
                    protect: Boolean(req.getProtect()),
                    retainOnDelete: Boolean(req.getRetainondelete()),
                    dependsOn: req.getDependenciesList(),
                });
            }
            callback(err, response);
        });

    const program = await options.load();
    await waitForRPCs();
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(program)) {
        outputs[key] = await resolveOutput(value);
    }
    await waitForRPCs();
    return { resources: recorded, outputs };
}

async function resolveOutput(value: unknown): Promise<unknown> {
    const output = pulumi.output(value);
    if (await pulumi.isSecret(output)) return OFFLINE_SECRET;
    return reveal(await outputValue(output));
}

/** The one recorded resource with this logical name; throws when there is none or more than one. */
export function onlyResourceNamed(run: OfflineRun, name: string): RecordedResource {
    const found = run.resources.filter((resource) => resource.name === name);
    if (found.length !== 1) throw new Error(`expected exactly one resource named ${name}, found ${found.length}`);
    return found[0]!;
}

/** Resolves one Output in a test (secrets included, unlike the plan rendering). */
export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((inner) => resolve(inner)));
}
