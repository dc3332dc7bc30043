// The Alerts component's alarms under the mock runtime: the exact inputs of each, from the alert table.
import { describe, expect, it } from "vitest";
import {
    alertsRun,
    ANY_IN_5_MINUTES,
    expectAlarm,
    named,
    PAGER,
    providerOf,
    registerAlertsRun,
    TOPIC,
    UPTIME_TOPIC,
    US_EAST_1_PAGER,
} from "../../test/alertsRun.js";

registerAlertsRun();

describe("Alerts (prod settings, backup job and log groups wired)", () => {
    it("backup missing: hourly sums of BackupSuccess, all of the last 25 hours below 1, missing data breaching", () => {
        expectAlarm("backup-missing", "backup-missing", [TOPIC, PAGER], {
            namespace: "HotelGenius/Backup",
            metricName: "BackupSuccess",
            dimensions: { Database: "hotelgenius" },
            statistic: "Sum",
            period: 3600,
            evaluationPeriods: 25,
            datapointsToAlarm: 25,
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
            treatMissingData: "breaching",
        });
    });

    it("backup size anomaly: the daily BackupBytes under its 2-deviation anomaly band", () => {
        expectAlarm("backup-size-anomaly", "backup-size-anomaly", [TOPIC], {
            comparisonOperator: "LessThanLowerThreshold",
            evaluationPeriods: 1,
            thresholdMetricId: "band",
            treatMissingData: "notBreaching",
            metricQueries: [
                {
                    id: "size",
                    returnData: true,
                    metric: {
                        namespace: "HotelGenius/Backup",
                        metricName: "BackupBytes",
                        dimensions: { Database: "hotelgenius" },
                        stat: "Maximum",
                        period: 86400,
                    },
                },
                { id: "band", returnData: true, expression: "ANOMALY_DETECTION_BAND(size, 2)", label: "expected size" },
            ],
        });
    });

    it("restore drill failed (a 0 within the hour) and missing (no pass in 7 days, missing data breaching)", () => {
        const verify = {
            namespace: "HotelGenius/Backup",
            metricName: "VerifySuccess",
            dimensions: { Database: "hotelgenius" },
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
        };
        expectAlarm("restore-drill-failed", "restore-drill-failed", [TOPIC], {
            ...verify,
            statistic: "Minimum",
            period: 3600,
            evaluationPeriods: 1,
            treatMissingData: "notBreaching",
        });
        expectAlarm("restore-drill-missing", "restore-drill-missing", [TOPIC], {
            ...verify,
            statistic: "Sum",
            period: 86400,
            evaluationPeriods: 7,
            datapointsToAlarm: 7,
            treatMissingData: "breaching",
        });
    });

    it("replication: any failed operation, and latency above 60 minutes for 15 minutes, missing data ignored", () => {
        const dimensions = {
            SourceBucket: "hotelgenius-ops-prod-backups",
            DestinationBucket: "hotelgenius-ops-prod-backups-replica-eu-central-1",
            RuleId: "dumps-off-site",
        };
        expectAlarm("replication-failed-dumps-off-site", "replication-failed", [TOPIC], {
            namespace: "AWS/S3",
            metricName: "OperationsFailedReplication",
            dimensions,
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanThreshold",
            threshold: 0,
            treatMissingData: "ignore",
        });
        expectAlarm("replication-latency-dumps-off-site", "replication-latency", [TOPIC], {
            namespace: "AWS/S3",
            metricName: "ReplicationLatency",
            dimensions,
            statistic: "Maximum",
            period: 300,
            evaluationPeriods: 3,
            comparisonOperator: "GreaterThanThreshold",
            threshold: 3600,
            treatMissingData: "ignore",
        });
    });

    it("error-log rate: 10 error lines in 5 minutes across the drained log groups, on the log-drains area's dimensionless metric", () => {
        expectAlarm("error-log-rate", "error-log-rate", [TOPIC, PAGER], {
            namespace: "HotelGenius/Logs",
            metricName: "ErrorLogLines",
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 10,
            treatMissingData: "notBreaching",
        });
    });

    it("scheduler dead letters: any message sent to the queue in 5 minutes (not messages visible, which stay for 14 days), paging both channels", () => {
        expectAlarm("scheduler-dead-letters", "scheduler-dead-letters", [TOPIC, PAGER], {
            namespace: "AWS/SQS",
            metricName: "NumberOfMessagesSent",
            dimensions: { QueueName: "hotelgenius-ops-prod-scheduler-dlq" },
            ...ANY_IN_5_MINUTES,
        });
    });

    it("site down: the HTTPS string-match health check from 3 regions, its alarm and topic in us-east-1", () => {
        const check = named("alerts-health-check");
        expect(check.inputs).toEqual({
            type: "HTTPS_STR_MATCH",
            fqdn: "app.hotelgenius.eu",
            port: 443,
            resourcePath: "/health",
            searchString: "ok",
            enableSni: true,
            requestInterval: 30,
            failureThreshold: 3,
            regions: ["eu-west-1", "us-east-1", "us-west-2"],
            tags: { Name: "hotelgenius-ops-prod-uptime" },
        });
        expectAlarm("site-down", "site-down", [UPTIME_TOPIC, US_EAST_1_PAGER], {
            namespace: "AWS/Route53",
            metricName: "HealthCheckStatus",
            dimensions: { HealthCheckId: "alerts-health-check-id" },
            statistic: "Minimum",
            period: 60,
            evaluationPeriods: 1,
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
            treatMissingData: "breaching",
        });
        expect(providerOf(named("alerts-site-down"))).toBe("aws-us-east-1");
        expect(providerOf(check)).toBe("aws-us-east-1");
        // Nothing else lives in us-east-1 but the IAM rule, the channels and their watchers.
        const inUsEast1 = alertsRun()
            .resources.filter((resource) => providerOf(resource) === "aws-us-east-1")
            .map((resource) => resource.name);
        expect(inUsEast1.filter((name) => !/^alerts-(uptime-topic|us-east-1-pager-topic|iam-topic|tampering-roles|us-east-1-)/.test(name))).toEqual([
            "alerts-health-check",
            "alerts-site-down",
        ]);
    });

    it("restore time: the drill's VerifyDuration above 80% of the 60-minute budget warns, above it alarms; each verdict holds until the next drill", () => {
        const duration = {
            namespace: "HotelGenius/Backup",
            metricName: "VerifyDuration",
            dimensions: { Database: "hotelgenius" },
            statistic: "Maximum",
            period: 3600,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "ignore",
        };
        expectAlarm("restore-time-warning", "restore-time-budget", [TOPIC], { ...duration, threshold: 2880 });
        expectAlarm("restore-time-exceeded", "restore-time-budget", [TOPIC], { ...duration, threshold: 3600 });
    });

    it("app errors: the forwarder's AppErrorLines at 10 in 5 minutes, and its DatabaseTimeoutLines at 3, both paging", () => {
        const lines = {
            namespace: "HotelGenius/Logs",
            statistic: "Sum",
            period: 300,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "notBreaching",
        };
        expectAlarm("app-error-rate", "app-error-rate", [TOPIC, PAGER], { ...lines, metricName: "AppErrorLines", threshold: 10 });
        expectAlarm("database-connection-timeout", "database-connection-timeout", [TOPIC, PAGER], {
            ...lines,
            metricName: "DatabaseTimeoutLines",
            threshold: 3,
        });
    });
});
