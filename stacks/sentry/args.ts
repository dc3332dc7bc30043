// How a stack's settings become the Sentry monitoring component's arguments, for index.ts.
import type { CoreSettings } from "../settings/core.js";
import type { MonitoringSettings } from "./settings.js";
import type { MonitoringArgs } from "./component.js";

export function monitoringArgs(settings: CoreSettings & { monitoring: MonitoringSettings; alerts: { runbookBaseUrl: string } }): MonitoringArgs {
    return {
        project: settings.project,
        stack: settings.stack,
        settings: settings.monitoring,
        runbookBaseUrl: settings.alerts.runbookBaseUrl,
    };
}
