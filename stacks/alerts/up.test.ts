// `pulumi up` (not a preview) refuses placeholder recipients and health URLs before creating any alert.
import { describe, expect, it } from "vitest";
import { runOffline } from "../../scripts/offlinePlan/mockRuntime.js";
import { alertsArgs, prodSettings } from "../../test/fixtures.js";
import { Alerts } from "./component.js";
import { createProviders } from "../shared/providers.js";

describe("Alerts on pulumi up", () => {
    it("refuses recipients and a health URL on reserved example domains, naming each", async () => {
        const settings = prodSettings({ alerts: { ...prodSettings().alerts, healthCheckUrl: "https://app.hotelgenius.example/health" } });
        const attempt = runOffline({
            stack: "prod",
            preview: false,
            config: { "aws:region": settings.region },
            load: async () => {
                const providers = createProviders(settings);
                new Alerts("alerts", alertsArgs(settings, providers, ["oncall@hotelgenius.eu", "ops@hotelgenius.example"]), { provider: providers.primary });
                return {};
            },
        });
        await expect(attempt).rejects.toThrow(
            [
                "Alerts refuse to deploy with placeholders:",
                "  - alertEmails: ops@hotelgenius.example is on a reserved example domain; alerts sent there reach nobody. Allowed: real addresses (pulumi " +
                    "config set --path 'alertEmails[0]' oncall@your-domain)",
                "  - healthCheckUrl: https://app.hotelgenius.example/health is on a reserved example domain; the uptime check would watch nothing. Allowed: " +
                    "the app's real https health URL",
            ].join("\n"),
        );
    });

    it("deploys with real recipients and health URL", async () => {
        const settings = prodSettings();
        const run = await runOffline({
            stack: "prod",
            preview: false,
            config: { "aws:region": settings.region },
            load: async () => {
                const providers = createProviders(settings);
                const alerts = new Alerts("alerts", alertsArgs(settings, providers, ["oncall@hotelgenius.eu"]), { provider: providers.primary });
                return { topicArn: alerts.topicArn };
            },
        });
        expect(run.resources.filter((resource) => resource.type === "aws:cloudwatch/metricAlarm:MetricAlarm")).toHaveLength(9);
    });
});
