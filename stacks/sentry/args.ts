// How a stack's settings become the Sentry monitoring component's arguments, for index.ts.
import type { Settings } from "../settings/registry.js";
import type { MonitoringArgs } from "./component.js";

export function monitoringArgs(settings: Settings): MonitoringArgs {
    return {
        project: settings.project,
        stack: settings.stack,
        settings: settings.monitoring,
        runbookBaseUrl: settings.alerts.runbookBaseUrl,
    };
}
