// How a stack's settings and the components' outputs become the backup storage component's arguments: written
// once for index.ts and for the mock-runtime programs the tests run, so both wire it alike.
import type { Providers } from "../shared/providers.js";
import { deployBoundaryPolicyArn } from "../shared/account.js";
import { roleAccount } from "../shared/guardedKey.js";
import type { CoreSettings } from "../settings/core.js";
import type { BackupStorageSettings } from "./settings.js";
import type { BackupStorageArgs } from "./component.js";

export function backupStorageArgs(settings: CoreSettings & { storage: BackupStorageSettings }, providers: Providers): BackupStorageArgs {
    return {
        project: settings.project,
        stack: settings.stack,
        permissionsBoundary: deployBoundaryPolicyArn(roleAccount(settings.storage.breakGlassRoleArn)),
        region: settings.region,
        settings: settings.storage,
        replicaProvider: providers.replica,
    };
}
