// The Neon resources as Pulumi dynamic resources: typed arguments in, typed outputs out. Each
// provider object is created once here with Neon's public API URL and nothing else: it is what
// Pulumi serializes into the state (stacks/neon/provider.ts says where the API key comes from).
import * as pulumi from "@pulumi/pulumi";
import { NEON_API_URL } from "./api.js";
import {
    ApiRoleProvider,
    BackupRoleProvider,
    type BranchInputs,
    BranchProvider,
    type ComputeInputs,
    type ProjectInputs,
    ProjectProvider,
    type RoleInputs,
    type SqlRoleInputs,
} from "./provider.js";

type Args<T> = { [K in keyof T]: pulumi.Input<T[K]> };

const projectProvider = new ProjectProvider(NEON_API_URL);
const branchProvider = new BranchProvider(NEON_API_URL);
const apiRoleProvider = new ApiRoleProvider(NEON_API_URL);
const backupRoleProvider = new BackupRoleProvider(NEON_API_URL);

export class NeonProject extends pulumi.dynamic.Resource {
    declare readonly projectId: pulumi.Output<string>;
    declare readonly defaultBranchId: pulumi.Output<string>;
    declare readonly historyRetentionSeconds: pulumi.Output<number>;

    constructor(name: string, args: Args<ProjectInputs>, opts?: pulumi.CustomResourceOptions) {
        super(projectProvider, name, { ...args, projectId: undefined, defaultBranchId: undefined }, opts, "neon", "Project");
    }
}

export class NeonBranch extends pulumi.dynamic.Resource {
    declare readonly branchId: pulumi.Output<string>;
    declare readonly endpointId: pulumi.Output<string>;
    /** The read-write compute's direct host. */
    declare readonly host: pulumi.Output<string>;

    constructor(name: string, args: Args<Omit<BranchInputs, "compute">> & { compute?: ComputeInputs }, opts?: pulumi.CustomResourceOptions) {
        super(branchProvider, name, { ...args, branchId: undefined, endpointId: undefined, host: undefined }, opts, "neon", "Branch");
    }
}

const SECRET_OUTPUTS = { additionalSecretOutputs: ["password", "connectionUrl"] };

/** A role made through Neon's API (member of neon_superuser): for the drill's scratch branch, never prod's. */
export class NeonApiRole extends pulumi.dynamic.Resource {
    declare readonly connectionUrl: pulumi.Output<string>;

    constructor(name: string, args: Args<RoleInputs>, opts?: pulumi.CustomResourceOptions) {
        super(apiRoleProvider, name, { ...args, password: undefined, connectionUrl: undefined }, { ...opts, ...SECRET_OUTPUTS }, "neon", "Role");
    }
}

/** The backup job's read-only role, made with SQL (stacks/neon/backupRole.ts). */
export class NeonBackupRole extends pulumi.dynamic.Resource {
    declare readonly connectionUrl: pulumi.Output<string>;

    constructor(name: string, args: Args<SqlRoleInputs>, opts?: pulumi.CustomResourceOptions) {
        super(backupRoleProvider, name, { ...args, password: undefined, connectionUrl: undefined }, { ...opts, ...SECRET_OUTPUTS }, "neon", "BackupRole");
    }
}
