// The pack as the Pulumi CLI runs it: @pulumi/pulumi's own `run-policy-pack` compiles policy/index.ts
// (type-checked) and serves the analyzer over gRPC; the test is the engine's side of that protocol.
// This proves the entry file loads and registers every policy, which the policies' own tests cannot.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb.js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policies } from "./policies.js";

// The gRPC and protobuf runtimes the Pulumi SDK itself uses, wherever npm placed them.
const fromPulumi = createRequire(require.resolve("@pulumi/pulumi"));
const grpc = fromPulumi("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb.js");
const { Empty } = fromPulumi("google-protobuf/google/protobuf/empty_pb.js");

const ROOT = path.resolve(__dirname, "..");
let server: ChildProcess;
let client: InstanceType<typeof AnalyzerClient>;

function call<Response>(invoke: (callback: (error: Error | null, response: Response) => void) => unknown): Promise<Response> {
    return new Promise((resolve, reject) => invoke((error, response) => (error ? reject(error) : resolve(response))));
}

beforeAll(async () => {
    const runner = path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
    // The engine address is only used for logging; nothing listens there and nothing is logged here.
    server = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: path.join(ROOT, "policy"), stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    server.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const port = await new Promise<string>((resolve, reject) => {
        server.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
        server.once("exit", (code) => reject(new Error(`run-policy-pack exited ${code}: ${stderr}`)));
    });
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(() => {
    client?.close();
    server?.kill();
});

function logGroupRequest(retentionInDays?: number): analyzer.AnalyzeRequest {
    const request = new analyzer.AnalyzeRequest();
    request.setType("aws:cloudwatch/logGroup:LogGroup");
    request.setName("job-logs");
    request.setUrn("urn:pulumi:prod::hotelgenius-ops::aws:cloudwatch/logGroup:LogGroup::job-logs");
    request.setProperties(Struct.fromJavaScript({ name: "/hotelgenius/backup", ...(retentionInDays ? { retentionInDays } : {}) }));
    request.setOptions(new analyzer.AnalyzerResourceOptions());
    const provider = new analyzer.AnalyzerProviderResource();
    provider.setType("pulumi:providers:aws");
    provider.setName("aws-primary");
    provider.setUrn("urn:pulumi:prod::hotelgenius-ops::pulumi:providers:aws::aws-primary");
    // As the engine sends provider config: nested values as JSON text.
    const tags = { project: "hotelgenius-ops", stack: "prod", owner: "platform-team", "managed-by": "pulumi" };
    provider.setProperties(Struct.fromJavaScript({ region: "eu-west-3", defaultTags: JSON.stringify({ tags }) }));
    request.setProvider(provider);
    return request;
}

describe("the policy pack served by Pulumi's run-policy-pack", () => {
    it("registers every policy of policies.ts as mandatory", async () => {
        const info = await call<analyzer.AnalyzerInfo>((callback) => client.getAnalyzerInfo(new Empty(), callback));
        expect(info.getName()).toBe("hotelgenius-ops");
        const served = info.getPoliciesList().map((policy) => [policy.getName(), policy.getEnforcementlevel()]);
        expect(served).toEqual(policies.map((policy) => [policy.name, analyzer.EnforcementLevel.MANDATORY]));
    });

    it("reports a log group without retention, and nothing for one with it", async () => {
        const bad = await call<analyzer.AnalyzeResponse>((callback) => client.analyze(logGroupRequest(), callback));
        // The server puts the policy's description before the message.
        expect(bad.getDiagnosticsList().map((diagnostic) => [diagnostic.getPolicyname(), diagnostic.getMessage().split("\n").pop()])).toEqual([
            ["log-group-retention", "log group job-logs has retentionInDays undefined; allowed: a positive number of days"],
        ]);
        const good = await call<analyzer.AnalyzeResponse>((callback) => client.analyze(logGroupRequest(90), callback));
        expect(good.getDiagnosticsList()).toEqual([]);
    });
});
