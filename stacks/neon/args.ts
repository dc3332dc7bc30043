// How a stack's settings become the Neon component's arguments, once for index.ts and the tests.
import type { CoreSettings } from "../settings/core.js";
import type { StackProtection } from "../shared/guardedKey.js";
import type { NeonSettings } from "./settings.js";
import type { NeonDatabaseArgs } from "./component.js";

/** Undefined when the stack does not manage a Neon project. */
export function neonDatabaseArgs(
    settings: CoreSettings & { neon: NeonSettings | undefined; storage: Pick<StackProtection, "protectData">; alerts: { backupDatabaseName: string } },
): NeonDatabaseArgs | undefined {
    if (settings.neon === undefined) return undefined;
    return {
        project: settings.project,
        stack: settings.stack,
        settings: settings.neon,
        protectData: settings.storage.protectData,
        database: settings.alerts.backupDatabaseName,
    };
}
