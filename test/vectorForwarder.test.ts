// The Railway log forwarder's Vector configuration (deploy/vector/vector.yaml), parsed: it must read
// the app's NDJSON and put JSON records into the stream and region the stack outputs name.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type Plan, readCommittedPlan } from "../scripts/offlinePlan/planFormat.js";
import { APP_ERROR_METRICS, LOG_METRIC_NAMESPACE } from "../stacks/shared/logMetrics.js";
import { timeoutPatternSource } from "../stacks/shared/databaseTimeouts.js";

const ROOT = path.resolve(__dirname, "..");
const FOLDER = path.join(ROOT, "deploy", "vector");
const text = readFileSync(path.join(FOLDER, "vector.yaml"), "utf8");

interface VectorConfig {
    schema?: { log_namespace?: boolean };
    sources: Record<string, { type: string; address?: string; framing?: { method: string }; decoding?: { codec: string } }>;
    transforms?: Record<string, unknown>;
    sinks: Record<
        string,
        {
            type: string;
            inputs: string[];
            stream_name?: string;
            region?: string;
            auth?: Record<string, string>;
            encoding?: { codec: string };
            acknowledgements?: { enabled: boolean };
            default_namespace?: string;
        }
    >;
}

const config = parse(text) as VectorConfig;
/** `${NAME}` references in the configuration: what the Railway service must define. */
const referenced = [...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)[^}]*\}/g)].map((match) => match[1]!);

describe("deploy/vector/vector.yaml", () => {
    it("receives the app's log lines as newline-delimited JSON over HTTP on every address of the private network", () => {
        expect(Object.keys(config.sources)).toEqual(["app"]);
        expect(config.sources["app"]).toEqual({
            type: "http_server",
            address: "[::]:9000",
            framing: { method: "newline_delimited" },
            decoding: { codec: "json" },
        });
        expect(config.schema?.log_namespace).toBe(true);
    });

    it("counts the app's error lines, and among them the database timeouts, as the metrics the alarms watch", () => {
        const pattern = timeoutPatternSource();
        expect(config.transforms).toEqual({
            app_errors: { type: "filter", inputs: ["app"], condition: '.level == "error"' },
            database_timeouts: {
                type: "filter",
                inputs: ["app_errors"],
                condition: `match(to_string(.message) ?? "", r'${pattern}') || match(encode_json(.context), r'${pattern}')`,
            },
            error_counts: {
                type: "log_to_metric",
                inputs: ["app_errors"],
                metrics: [{ type: "counter", field: "level", name: APP_ERROR_METRICS.errors, namespace: LOG_METRIC_NAMESPACE }],
            },
            timeout_counts: {
                type: "log_to_metric",
                inputs: ["database_timeouts"],
                metrics: [{ type: "counter", field: "level", name: APP_ERROR_METRICS.databaseTimeouts, namespace: LOG_METRIC_NAMESPACE }],
            },
        });
        expect(config.sinks["error_metrics"]).toEqual({
            type: "aws_cloudwatch_metrics",
            inputs: ["error_counts", "timeout_counts"],
            default_namespace: LOG_METRIC_NAMESPACE,
            region: "${AWS_REGION}",
            auth: { access_key_id: "${AWS_ACCESS_KEY_ID}", secret_access_key: "${AWS_SECRET_ACCESS_KEY}" },
        });
    });

    it("puts them into the Firehose stream and region named by the environment, as JSON, acknowledging only delivered lines", () => {
        expect(Object.keys(config.sinks)).toEqual(["drain", "error_metrics"]);
        expect(config.sinks["drain"]).toEqual({
            type: "aws_kinesis_firehose",
            inputs: ["app"],
            stream_name: "${FIREHOSE_STREAM_NAME}",
            region: "${AWS_REGION}",
            auth: { access_key_id: "${AWS_ACCESS_KEY_ID}", secret_access_key: "${AWS_SECRET_ACCESS_KEY}" },
            encoding: { codec: "json" },
            acknowledgements: { enabled: true },
        });
    });

    it("reads exactly the variables the stack outputs for it (logForwarder plus the ingest key pair)", () => {
        const prod: Plan = readCommittedPlan("prod");
        const forwarder = prod.outputs["logForwarder"] as Record<string, string>;
        expect(forwarder).toEqual({ FIREHOSE_STREAM_NAME: "hotelgenius-ops-prod-logs-railway", AWS_REGION: "eu-west-3" });
        expect(prod.outputs["logForwarderAccessKeyId"]).toBe("[secret]");
        expect(prod.outputs["logForwarderSecretAccessKey"]).toBe("[secret]");
        expect([...new Set(referenced)].sort()).toEqual([...Object.keys(forwarder), "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].sort());
    });

    it("holds no credential, and is the file the Railway image is built with", () => {
        expect(text).not.toMatch(/AKIA[0-9A-Z]{16}/);
        expect(text).not.toMatch(/secret_access_key:\s*"?[A-Za-z0-9/+]{40}/);
        expect(readFileSync(path.join(FOLDER, "Dockerfile"), "utf8")).toMatch(/^COPY vector\.yaml \/etc\/vector\/vector\.yaml$/m);
    });
});

describe("deploy/vector/README.md", () => {
    it("gives `--replace` the URN Pulumi would give the access key in prod: parent types chained, as the engine builds it", () => {
        const prod: Plan = readCommittedPlan("prod");
        const byName = new Map(prod.resources.map((resource) => [resource.name, resource]));
        const qualifiedType = (name: string): string => {
            const resource = byName.get(name)!;
            return resource.component ? `${qualifiedType(resource.component)}$${resource.type}` : resource.type;
        };
        const urns = new Set(prod.resources.map((resource) => `urn:pulumi:${prod.stack}::${prod.project}::${qualifiedType(resource.name)}::${resource.name}`));
        const readme = readFileSync(path.join(FOLDER, "README.md"), "utf8");
        const replaced = [...readme.matchAll(/--replace '([^']+)'/g)].map((match) => match[1]);
        expect(replaced).toEqual(["urn:pulumi:prod::hotelgenius-ops::hotelgenius:ops:LogDrains$aws:iam/accessKey:AccessKey::logs-railway-ingest-key"]);
        expect(urns.has(replaced[0]!)).toBe(true);
        expect(readme).not.toMatch(/--replace` the/);
    });
});
