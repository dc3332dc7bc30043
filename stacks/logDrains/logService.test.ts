// The log drains of a staging-like stack that delivers to a log service over HTTPS, under the mock
// runtime: the HTTP endpoint destination, the key in Secrets Manager, every record backed up.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { logDrainsProgram, stagingSettings } from "../../test/fixtures.js";
import { MOCK_ACCOUNT, onlyResourceNamed, runOffline, type OfflineRun, type RecordedResource } from "../../scripts/offlinePlan/mockRuntime.js";
import { deliveryPermissions } from "./rules.js";

const ENDPOINT = "https://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input";
// Not a real key: an obviously fake placeholder.
const settings = stagingSettings({
    logDrains: { logService: { endpoint: ENDPOINT, accessKey: pulumi.secret("not-a-real-api-key") }, logServiceRetrySeconds: 7200 },
});
const BUCKET_ARN = "arn:aws:s3:::hotelgenius-ops-staging-logs";
const KEY_ARN = `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT}:key/logs-key`;
const ROLE_ARN = `arn:aws:iam::${MOCK_ACCOUNT}:role/hotelgenius-ops-staging-log-delivery`;
const SECRET_ARN = `arn:aws:secretsmanager:eu-west-1:${MOCK_ACCOUNT}:secret:hotelgenius-ops-staging/log-service-api-key-AbCdEf`;
const ERROR_LOG_GROUP = "/aws/kinesisfirehose/hotelgenius-ops-staging-logs";

let run: OfflineRun;

beforeAll(async () => {
    run = await runOffline({ stack: "staging", config: { "aws:region": settings.region }, load: logDrainsProgram(settings) });
});

const named = (name: string): RecordedResource => onlyResourceNamed(run, name);

describe("LogDrains with a log service (staging settings)", () => {
    it("stores the service key in Secrets Manager under the archive key, as Firehose reads it, never in plain text", () => {
        expect(named("logs-service-key").inputs).toEqual({
            name: "hotelgenius-ops-staging/log-service-api-key",
            description: "API key of the log service the Firehose log drain delivers to",
            kmsKeyId: KEY_ARN,
        });
        expect(named("logs-service-key-value").inputs).toEqual({ secretId: "logs-service-key-id", secretString: "[secret]" });
        expect(JSON.stringify(run.resources)).not.toContain("not-a-real-api-key");
    });

    it("delivers both streams to the service over HTTPS with GZIP, buffering and retries from settings, backing up every record", () => {
        const service = (source: string) => ({
            url: ENDPOINT,
            name: "aws-kinesis-http-intake.logs.datadoghq.eu",
            roleArn: ROLE_ARN,
            secretsManagerConfiguration: { enabled: true, secretArn: SECRET_ARN, roleArn: ROLE_ARN },
            bufferingSize: 1,
            bufferingInterval: 60,
            retryDuration: 7200,
            requestConfiguration: { contentEncoding: "GZIP" },
            cloudwatchLoggingOptions: { enabled: true, logGroupName: ERROR_LOG_GROUP, logStreamName: `hotelgenius-ops-staging-logs-${source}-service` },
            s3BackupMode: "AllData",
            s3Configuration: {
                roleArn: ROLE_ARN,
                bucketArn: BUCKET_ARN,
                prefix: `logs/${source}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`,
                errorOutputPrefix: `errors/${source}/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`,
                compressionFormat: "GZIP",
                kmsKeyArn: KEY_ARN,
                cloudwatchLoggingOptions: { enabled: true, logGroupName: ERROR_LOG_GROUP, logStreamName: `hotelgenius-ops-staging-logs-${source}-archive` },
            },
        });
        expect(named("logs-cloudwatch").inputs).toEqual({
            name: "hotelgenius-ops-staging-logs-cloudwatch",
            serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
            destination: "http_endpoint",
            httpEndpointConfiguration: {
                ...service("cloudwatch"),
                processingConfiguration: {
                    enabled: true,
                    processors: [
                        { type: "Decompression", parameters: [{ parameterName: "CompressionFormat", parameterValue: "GZIP" }] },
                        { type: "CloudWatchLogProcessing", parameters: [{ parameterName: "DataMessageExtraction", parameterValue: "true" }] },
                    ],
                },
            },
        });
        // The forwarder's lines are already plain JSON: no processor between them and the service.
        expect(named("logs-railway").inputs).toEqual({
            name: "hotelgenius-ops-staging-logs-railway",
            serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
            destination: "http_endpoint",
            httpEndpointConfiguration: service("railway"),
        });
    });

    it("lets the delivery role read the service key and decrypt it through Secrets Manager only", () => {
        const policy = JSON.parse(named("logs-delivery-policy").inputs["policy"] as string);
        expect(policy).toEqual(
            deliveryPermissions({
                region: "eu-west-1",
                bucketArn: BUCKET_ARN,
                keyArn: KEY_ARN,
                errorLogGroupArn: `arn:aws:logs:eu-west-1:${MOCK_ACCOUNT}:log-group:${ERROR_LOG_GROUP}`,
                serviceKeySecretArn: SECRET_ARN,
            }),
        );
        expect(policy.Statement.map((statement: { Sid: string }) => statement.Sid)).toEqual([
            "WriteArchive",
            "EncryptArchive",
            "LogDeliveryErrors",
            "ReadServiceKey",
            "DecryptServiceKey",
        ]);
    });

    it("writes one error log stream per destination and backup of each stream", () => {
        const streams = run.resources.filter((resource) => resource.type === "aws:cloudwatch/logStream:LogStream").map((resource) => resource.inputs["name"]);
        expect(streams.sort()).toEqual([
            "hotelgenius-ops-staging-logs-cloudwatch-archive",
            "hotelgenius-ops-staging-logs-cloudwatch-service",
            "hotelgenius-ops-staging-logs-railway-archive",
            "hotelgenius-ops-staging-logs-railway-service",
        ]);
    });

    it("drains no log group when neither the backup job's nor an app's is given, and protects nothing in staging", () => {
        expect(
            run.resources.filter(
                (resource) => resource.type.startsWith("aws:cloudwatch/logSubscriptionFilter") || resource.type.startsWith("aws:cloudwatch/logMetricFilter"),
            ),
        ).toEqual([]);
        expect(run.resources.filter((resource) => resource.protect || resource.retainOnDelete)).toEqual([]);
    });
});
