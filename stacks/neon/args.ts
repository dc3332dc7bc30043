// How a stack's settings become the Neon component's arguments, once for index.ts and the tests.
import type { Settings } from "../settings/registry.js";
import type { NeonDatabaseArgs } from "./component.js";

/** Undefined when the stack does not manage a Neon project. */
export function neonDatabaseArgs(settings: Settings): NeonDatabaseArgs | undefined {
    if (settings.neon === undefined) return undefined;
    return {
        project: settings.project,
        stack: settings.stack,
        settings: settings.neon,
        protectData: settings.storage.protectData,
        database: settings.alerts.backupDatabaseName,
    };
}
