// The Alerts component of prod's settings (backup job and log groups wired) under the mock runtime, as
// its component tests read it: each test file that calls registerAlertsRun() runs it once.
import { beforeAll, expect } from "vitest";
import { MOCK_ACCOUNT, onlyResourceNamed, runOffline, type OfflineRun, type RecordedResource } from "../scripts/offlinePlan/mockRuntime.js";
import { Alerts } from "../stacks/alerts/component.js";
import { createProviders } from "../stacks/shared/providers.js";
import { alertsArgs, prodSettings } from "./fixtures.js";

export const settings = prodSettings();
export const BASE = settings.alerts.runbookBaseUrl;
export const TOPIC = `arn:aws:sns:eu-west-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-alerts`;
export const REPLICA_TOPIC = `arn:aws:sns:eu-central-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-alerts`;
export const UPTIME_TOPIC = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-uptime`;
export const IAM_TOPIC = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-iam`;
export const PAGER = `arn:aws:sns:eu-west-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-pager`;
export const REPLICA_PAGER = `arn:aws:sns:eu-central-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-pager`;
export const US_EAST_1_PAGER = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT}:hotelgenius-ops-prod-pager`;
/** A count that must stay 0: any occurrence in 5 minutes fires. */
export const ANY_IN_5_MINUTES = {
    statistic: "Sum",
    period: 300,
    evaluationPeriods: 1,
    comparisonOperator: "GreaterThanThreshold",
    threshold: 0,
    treatMissingData: "notBreaching",
};
// The prod stack is deployed by prod's deploy role (the account program names it).
export const DEPLOY_ROLE = `arn:aws:iam::${MOCK_ACCOUNT}:role/hotelgenius-account-ci-deploy-prod`;
export const CLUSTER = `arn:aws:ecs:eu-west-1:${MOCK_ACCOUNT}:cluster/hotelgenius-ops-prod-backups`;
export const KEY = `arn:aws:kms:eu-west-1:${MOCK_ACCOUNT}:key/backups-key`;
export const REPLICA_KEY = `arn:aws:kms:eu-central-1:${MOCK_ACCOUNT}:key/backups-replica-key`;

let run: OfflineRun;

/** Runs the program once before the file's tests (after whatever the file set up at load, such as a spy). */
export function registerAlertsRun(): void {
    beforeAll(async () => {
        run = await runOffline({
            stack: "prod",
            config: { "aws:region": settings.region },
            load: async () => {
                const providers = createProviders(settings);
                const alerts = new Alerts("alerts", alertsArgs(settings, providers, ["oncall@hotelgenius.eu", "ops@hotelgenius.example"]), {
                    provider: providers.primary,
                });
                return {
                    topicArn: alerts.topicArn,
                    uptimeTopicArn: alerts.uptimeTopicArn,
                    pagerTopicArn: alerts.pagerTopicArn,
                    iamTopicArn: alerts.iamTopicArn,
                    dashboardName: alerts.dashboardName,
                    drill: alerts.drill,
                };
            },
        });
    });
}

/** The run, once registerAlertsRun's beforeAll has filled it. */
export const alertsRun = (): OfflineRun => run;
export const named = (name: string): RecordedResource => onlyResourceNamed(run, name);
export const ofType = (type: string) => run.resources.filter((resource) => resource.type === type);
export const providerOf = (resource: RecordedResource) => resource.provider?.split("::")[3];

/** What every alarm shares: its name, its actions on its topics, its runbook link at the end of its description. */
export function expectAlarm(id: string, runbook: string, topics: string[], exact: Record<string, unknown>): void {
    const { alarmDescription, ...inputs } = named(`alerts-${id}`).inputs;
    expect(inputs).toEqual({ name: `hotelgenius-ops-prod-${id}`, alarmActions: topics, okActions: topics, ...exact });
    expect(alarmDescription).toMatch(new RegExp(` Runbook: ${BASE}/${runbook}\\.md$`));
    expect((alarmDescription as string).length).toBeLessThanOrEqual(1024);
}
