// How a stack's settings and the components' outputs become the log drains component's arguments: written
// once for index.ts and for the mock-runtime programs the tests run, so both wire it alike.
import type * as pulumi from "@pulumi/pulumi";
import { stackPlacement } from "../shared/account.js";
import type { StackProtection } from "../shared/guardedKey.js";
import type { CoreSettings } from "../settings/core.js";
import type { LogDrainSettings } from "./settings.js";
import type { LogDrainsArgs } from "./component.js";

/** The archive follows the backups' protection and key rules; the job's log group is drained when given. */
export function logDrainsArgs(
    settings: CoreSettings & { storage: StackProtection; logDrains: LogDrainSettings },
    backupJobLogGroupName?: pulumi.Input<string>,
): LogDrainsArgs {
    return {
        ...stackPlacement(settings),
        settings: settings.logDrains,
        protectData: settings.storage.protectData,
        kmsDeletionWindowDays: settings.storage.kmsDeletionWindowDays,
        breakGlassRoleArn: settings.storage.breakGlassRoleArn,
        ...(backupJobLogGroupName === undefined ? {} : { backupJobLogGroupName }),
    };
}
