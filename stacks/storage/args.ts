// How a stack's settings and the components' outputs become the backup storage component's arguments: written
// once for index.ts and for the mock-runtime programs the tests run, so both wire it alike.
import type { Providers } from "../shared/providers.js";
import type { Settings } from "../settings/registry.js";
import type { BackupStorageArgs } from "./component.js";

export function backupStorageArgs(settings: Settings, providers: Providers): BackupStorageArgs {
    return {
        project: settings.project,
        stack: settings.stack,
        region: settings.region,
        settings: settings.storage,
        replicaProvider: providers.replica,
    };
}
