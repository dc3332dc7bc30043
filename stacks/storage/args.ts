// How a stack's settings and the components' outputs become the backup storage component's arguments: written
// once for index.ts and for the mock-runtime programs the tests run, so both wire it alike.
import type { Providers } from "../shared/providers.js";
import { stackPlacement } from "../shared/account.js";
import type { CoreSettings } from "../settings/core.js";
import type { BackupStorageSettings } from "./settings.js";
import type { BackupStorageArgs } from "./component.js";

export function backupStorageArgs(settings: CoreSettings & { storage: BackupStorageSettings }, providers: Providers): BackupStorageArgs {
    return {
        ...stackPlacement(settings),
        settings: settings.storage,
        replicaProvider: providers.replica,
    };
}
