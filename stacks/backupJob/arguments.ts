// The BackupJob component's arguments and their check, run before any resource is registered: the
// same checks as the settings layer's (Fargate sizes, image URI, backup name), so a component built
// without it refuses the same values.
import type * as pulumi from "@pulumi/pulumi";
import { isValidBackupName } from "../../job/src/contract.js";
import { backupJobNames, type BackupJobNames } from "../shared/naming.js";
import type { BackupLayout } from "../shared/backupLayout.js";
import type { BackupJobSettings } from "./settings.js";
import { checkFargateSize, checkImageUri } from "./task.js";

export interface BackupJobArgs {
    project: string;
    stack: string;
    /** The deploy roles' permissions boundary (bootstrap/), which every role and user they create must carry. */
    permissionsBoundary?: string;
    /** Protect and retain the key of the job's logs and secrets (prod): without it they cannot be read. */
    protectData: boolean;
    /** The only principal that may disable the job's key or change its policy (stacks/shared/guardedKey.ts). */
    breakGlassRoleArn: string;
    /** The job key's deletion window, and the shortest anyone may schedule (7-30 days). */
    kmsDeletionWindowDays: number;
    /** Region of the provider the component is given: the task's, the bucket's and the logs'. */
    region: string;
    settings: BackupJobSettings;
    /** The database to back up; stored in Secrets Manager, never in the task definition. */
    databaseUrl: pulumi.Input<string>;
    /** The restore drill's scratch server (a database whose role may CREATEDB); stored like the database URL. */
    scratchDatabaseUrl: pulumi.Input<string>;
    /** The backups' name (the database named in databaseUrl): the backup writes it, the drill verifies its newest backup. */
    backupName: string;
    /**
     * The backup's Sentry check-ins; undefined: none. index.ts passes the `backupSentryDsn` setting; a DSN
     * of a Sentry key the stack itself creates can be passed instead. Stored like the database URL.
     */
    sentryDsn?: pulumi.Input<string> | undefined;
    /** The backup bucket, its KMS key and the prefixes the job writes (BackupStorage's outputs). */
    bucketName: pulumi.Input<string>;
    bucketArn: pulumi.Input<string>;
    backupKeyArn: pulumi.Input<string>;
    layout: BackupLayout;
}

/** Every problem with the arguments, found before any resource is registered. */
export function checkArgs(args: BackupJobArgs): BackupJobNames {
    const { settings } = args;
    const problems: string[] = [];
    const size = checkFargateSize(settings.cpu, settings.memory);
    if (size !== undefined) problems.push(`settings.memory ${settings.memory} ${size}`);
    if (settings.network === undefined && !settings.assignPublicIp) {
        problems.push("settings.assignPublicIp is false in the default VPC; allowed: true, or settings.network with subnets behind a NAT gateway");
    }
    if (settings.network !== undefined && settings.network.subnetIds.length === 0)
        problems.push("settings.network.subnetIds is empty; allowed: at least one subnet id");
    if (!isValidBackupName(args.backupName))
        problems.push(
            `backupName "${args.backupName}" is not a backup name; allowed: 1-100 letters, digits, "_", "." and "-", starting with a letter or digit`,
        );
    const image = settings.imageUri === undefined ? undefined : checkImageUri(settings.imageUri);
    if (image !== undefined) problems.push(`settings.imageUri "${settings.imageUri}" ${image}`);
    if (!args.layout.dumpPrefix.startsWith(`${args.layout.root}/`) || !args.layout.manifestPrefix.startsWith(`${args.layout.root}/`)) {
        problems.push(`layout prefixes "${args.layout.dumpPrefix}" and "${args.layout.manifestPrefix}" must both be under the root "${args.layout.root}/"`);
    }
    let names: BackupJobNames | undefined;
    try {
        names = backupJobNames({ project: args.project, stack: args.stack });
    } catch (error) {
        problems.push((error as Error).message);
    }
    if (names === undefined || problems.length > 0) throw new Error(`BackupJob arguments are invalid:\n  - ${problems.join("\n  - ")}`);
    return names;
}
