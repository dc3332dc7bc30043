// Dynamic providers over Neon's HTTP API v2: the project, a branch with its read-write compute, an
// API role, and the backup job's SQL role. Why dynamic providers: docs/neon.md, The provider.
//
// Pulumi serializes each provider object into the state. So the API key is never a field, an input
// or a captured variable: `configure` reads it from the stack's decrypted configuration when the
// provider runs (`hotelgenius-ops:neonApiKey`), and it lives only in that process's memory.
// Passwords are outputs the resources mark secret, so the state holds them encrypted.
import type * as pulumi from "@pulumi/pulumi";
import {
    defaultBranchOf,
    directConnectionUrl,
    directRoleUri,
    type NeonBranchState,
    type NeonConnection,
    type NeonEndpointState,
    type NeonProjectState,
    type NeonRoleState,
    neonRequest,
    neonRequestOrMissing,
} from "./api.js";
import { applyBackupRole, backupRoleExists, dropBackupRole } from "./backupRole.js";

type DynamicProvider = pulumi.dynamic.ResourceProvider;

/** The stack setting `configure` reads; the same name stacks/neon/settings.ts declares. */
export const API_KEY_CONFIG = "hotelgenius-ops:neonApiKey";

/** What every provider shares: its connection, made by `configure` in the provider's own process. */
abstract class NeonProvider implements Pick<DynamicProvider, "configure"> {
    private readonly baseUrl: string;
    private apiKey: string | undefined;

    constructor(baseUrl: string) {
        this.baseUrl = baseUrl;
    }

    async configure(request: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.apiKey = request.config.get(API_KEY_CONFIG);
    }

    protected get connection(): NeonConnection {
        if (this.apiKey === undefined || this.apiKey === "") {
            throw new Error(
                `${API_KEY_CONFIG} is not set: the Neon resources need the API key (pulumi config set --secret neonApiKey, or the ESC environment)`,
            );
        }
        return { baseUrl: this.baseUrl, apiKey: this.apiKey };
    }
}

/** Which inputs changed, and which of those force a replacement. */
function changed(
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
    keys: readonly string[],
    replacing: readonly string[],
): pulumi.dynamic.DiffResult {
    const differs = keys.filter((key) => JSON.stringify(olds[key]) !== JSON.stringify(news[key]));
    return { changes: differs.length > 0, replaces: differs.filter((key) => replacing.includes(key)), deleteBeforeReplace: false };
}

export interface ProjectInputs {
    name: string;
    regionId: string;
    pgVersion: number;
    historyRetentionSeconds: number;
    /** An existing project to take over instead of creating one (dynamic resources cannot be `pulumi import`ed). */
    adoptProjectId?: string;
    /**
     * The stack whose anonymized data scripts/neon-refresh.sh loads into this project (neonRefreshFrom): not
     * sent to Neon, kept so the plan and the state say what the project is for. A refresh replaces the
     * whole database, so such a project is always one the stack created, never an adopted one.
     */
    refreshFrom?: string;
}

export interface ProjectOutputs extends ProjectInputs {
    projectId: string;
    defaultBranchId: string;
}

export class ProjectProvider extends NeonProvider {
    async create(inputs: ProjectInputs): Promise<pulumi.dynamic.CreateResult<ProjectOutputs>> {
        const connection = this.connection;
        if (inputs.adoptProjectId !== undefined) {
            if (inputs.refreshFrom !== undefined) {
                throw new Error(
                    `Neon project ${inputs.adoptProjectId} cannot be adopted as the target of ${inputs.refreshFrom}'s refresh: a refresh replaces the ` +
                        "whole database, so its target is a project the stack creates (unset neonProjectId or neonRefreshFrom)",
                );
            }
            const found = await neonRequestOrMissing<{ project: NeonProjectState }>(connection, "GET", `/projects/${inputs.adoptProjectId}`);
            if (found === undefined) {
                throw new Error(
                    `Neon project ${inputs.adoptProjectId} (neonProjectId) was not found with this stack's neonApiKey: check the id in the console ` +
                        "(Settings > General) and that the key belongs to the project's organization",
                );
            }
            const { project } = found;
            // Neither can change without a new project: adopting one that differs would hide that the settings are wrong.
            if (project.region_id !== inputs.regionId || project.pg_version !== inputs.pgVersion) {
                throw new Error(
                    `Neon project ${project.id} runs PostgreSQL ${project.pg_version} in ${project.region_id}; the stack declares ${inputs.pgVersion} in ` +
                        `${inputs.regionId}: set neonRegion and neonPostgresMajor to the project's, or adopt another project`,
                );
            }
            await this.patch(project.id, inputs);
            const branch = await defaultBranchOf(connection, project.id);
            return { id: project.id, outs: { ...inputs, projectId: project.id, defaultBranchId: branch.id } };
        }
        const created = await neonRequest<{ project: NeonProjectState; branch: NeonBranchState }>(connection, "POST", "/projects", {
            project: { name: inputs.name, region_id: inputs.regionId, pg_version: inputs.pgVersion, history_retention_seconds: inputs.historyRetentionSeconds },
        });
        return { id: created.project.id, outs: { ...inputs, projectId: created.project.id, defaultBranchId: created.branch.id } };
    }

    async read(id: string, props: ProjectOutputs): Promise<pulumi.dynamic.ReadResult<ProjectOutputs>> {
        const connection = this.connection;
        const found = await neonRequestOrMissing<{ project: NeonProjectState }>(connection, "GET", `/projects/${id}`);
        if (found === undefined) return {};
        const { project } = found;
        const branch = await defaultBranchOf(connection, id);
        return {
            id,
            props: {
                ...props,
                name: project.name,
                regionId: project.region_id,
                pgVersion: project.pg_version,
                historyRetentionSeconds: project.history_retention_seconds,
                projectId: id,
                defaultBranchId: branch.id,
            },
        };
    }

    async diff(_id: string, olds: ProjectOutputs, news: ProjectInputs): Promise<pulumi.dynamic.DiffResult> {
        return changed(olds as never, news as never, ["name", "regionId", "pgVersion", "historyRetentionSeconds"], ["regionId", "pgVersion"]);
    }

    async update(id: string, olds: ProjectOutputs, news: ProjectInputs): Promise<pulumi.dynamic.UpdateResult<ProjectOutputs>> {
        await this.patch(id, news);
        return { outs: { ...news, projectId: id, defaultBranchId: olds.defaultBranchId } };
    }

    async delete(id: string): Promise<void> {
        await neonRequest(this.connection, "DELETE", `/projects/${id}`);
    }

    private async patch(id: string, inputs: ProjectInputs): Promise<void> {
        await neonRequest(this.connection, "PATCH", `/projects/${id}`, {
            project: { name: inputs.name, history_retention_seconds: inputs.historyRetentionSeconds },
        });
    }
}

export interface ComputeInputs {
    minCu: number;
    maxCu: number;
    /** Seconds idle before the compute suspends; 0 means Neon's default (5 minutes). */
    suspendTimeoutSeconds: number;
}

export interface BranchInputs {
    projectId: string;
    name: string;
    /** Undefined: the project's default branch. */
    parentId?: string;
    /** Copies the parent's schema and none of its rows (Neon's schema-only branches). */
    schemaOnly?: boolean;
    /** Takes the project's existing default branch and its compute over; nothing is created or deleted. */
    adoptDefault?: boolean;
    /** The read-write compute created with the branch; undefined for an adopted branch, whose compute the app already uses. */
    compute?: ComputeInputs;
}

export interface BranchOutputs extends BranchInputs {
    branchId: string;
    endpointId: string;
    /** The compute's direct host (never the `-pooler` one). */
    host: string;
}

async function readWriteEndpointOf(connection: NeonConnection, projectId: string, branchId: string): Promise<NeonEndpointState> {
    const { endpoints } = await neonRequest<{ endpoints: NeonEndpointState[] }>(connection, "GET", `/projects/${projectId}/branches/${branchId}/endpoints`);
    const found = endpoints.find((endpoint) => endpoint.type === "read_write");
    if (found === undefined) throw new Error(`Neon branch ${branchId} of project ${projectId} has no read-write compute`);
    return found;
}

function endpointSettings(compute: ComputeInputs) {
    return {
        autoscaling_limit_min_cu: compute.minCu,
        autoscaling_limit_max_cu: compute.maxCu,
        suspend_timeout_seconds: compute.suspendTimeoutSeconds,
    };
}

export class BranchProvider extends NeonProvider {
    async create(inputs: BranchInputs): Promise<pulumi.dynamic.CreateResult<BranchOutputs>> {
        const connection = this.connection;
        if (inputs.adoptDefault === true) {
            const branch = await defaultBranchOf(connection, inputs.projectId);
            const endpoint = await readWriteEndpointOf(connection, inputs.projectId, branch.id);
            return { id: branch.id, outs: { ...inputs, name: branch.name, branchId: branch.id, endpointId: endpoint.id, host: endpoint.host } };
        }
        const created = await neonRequest<{ branch: NeonBranchState; endpoints: NeonEndpointState[] }>(
            connection,
            "POST",
            `/projects/${inputs.projectId}/branches`,
            {
                branch: {
                    name: inputs.name,
                    ...(inputs.parentId === undefined ? {} : { parent_id: inputs.parentId }),
                    ...(inputs.schemaOnly === true ? { init_source: "schema-only" } : {}),
                },
                endpoints: [{ type: "read_write", ...(inputs.compute === undefined ? {} : endpointSettings(inputs.compute)) }],
            },
        );
        const endpoint = created.endpoints.find((candidate) => candidate.type === "read_write");
        if (endpoint === undefined) throw new Error(`Neon created branch ${created.branch.id} without the read-write compute it was asked for`);
        return { id: created.branch.id, outs: { ...inputs, branchId: created.branch.id, endpointId: endpoint.id, host: endpoint.host } };
    }

    async read(id: string, props: BranchOutputs): Promise<pulumi.dynamic.ReadResult<BranchOutputs>> {
        const connection = this.connection;
        const found = await neonRequestOrMissing<{ branch: NeonBranchState }>(connection, "GET", `/projects/${props.projectId}/branches/${id}`);
        if (found === undefined) return {};
        const endpoint = await readWriteEndpointOf(connection, props.projectId, id);
        const compute =
            props.compute === undefined
                ? undefined
                : {
                      minCu: endpoint.autoscaling_limit_min_cu,
                      maxCu: endpoint.autoscaling_limit_max_cu,
                      suspendTimeoutSeconds: endpoint.suspend_timeout_seconds,
                  };
        return {
            id,
            props: {
                ...props,
                name: found.branch.name,
                ...(compute === undefined ? {} : { compute }),
                branchId: id,
                endpointId: endpoint.id,
                host: endpoint.host,
            },
        };
    }

    async diff(_id: string, olds: BranchOutputs, news: BranchInputs): Promise<pulumi.dynamic.DiffResult> {
        // An adopted branch keeps its own name: only what the stack created is renamed.
        const keys = news.adoptDefault === true ? ["projectId", "adoptDefault"] : ["projectId", "name", "parentId", "schemaOnly", "adoptDefault", "compute"];
        return changed(olds as never, news as never, keys, ["projectId", "parentId", "schemaOnly", "adoptDefault"]);
    }

    async update(id: string, olds: BranchOutputs, news: BranchInputs): Promise<pulumi.dynamic.UpdateResult<BranchOutputs>> {
        const connection = this.connection;
        if (news.name !== olds.name) await neonRequest(connection, "PATCH", `/projects/${news.projectId}/branches/${id}`, { branch: { name: news.name } });
        if (news.compute !== undefined && JSON.stringify(news.compute) !== JSON.stringify(olds.compute)) {
            await neonRequest(connection, "PATCH", `/projects/${news.projectId}/endpoints/${olds.endpointId}`, { endpoint: endpointSettings(news.compute) });
        }
        return { outs: { ...news, branchId: id, endpointId: olds.endpointId, host: olds.host } };
    }

    async delete(id: string, props: BranchOutputs): Promise<void> {
        // The default branch goes with its project, never on its own (Neon refuses it anyway).
        if (props.adoptDefault === true) return;
        await neonRequest(this.connection, "DELETE", `/projects/${props.projectId}/branches/${id}`);
    }
}

export interface RoleInputs {
    projectId: string;
    branchId: string;
    name: string;
    /** The compute host and database the connection URL output names. */
    host: string;
    database: string;
}

export interface RoleOutputs extends RoleInputs {
    password: string;
    connectionUrl: string;
}

const roleId = (inputs: RoleInputs) => `${inputs.projectId}/${inputs.branchId}/${inputs.name}`;
const ROLE_KEYS = ["projectId", "branchId", "name", "host", "database"] as const;

/** A role made through Neon's API (a member of neon_superuser, with CREATEDB): the restore drill's, on its scratch branch only. */
export class ApiRoleProvider extends NeonProvider {
    async create(inputs: RoleInputs): Promise<pulumi.dynamic.CreateResult<RoleOutputs>> {
        const { role } = await neonRequest<{ role: NeonRoleState }>(
            this.connection,
            "POST",
            `/projects/${inputs.projectId}/branches/${inputs.branchId}/roles`,
            {
                role: { name: inputs.name },
            },
        );
        if (role.password === undefined) throw new Error(`Neon created role ${inputs.name} without returning its password`);
        return { id: roleId(inputs), outs: withUrl(inputs, role.password) };
    }

    async read(id: string, props: RoleOutputs): Promise<pulumi.dynamic.ReadResult<RoleOutputs>> {
        const path = `/projects/${props.projectId}/branches/${props.branchId}/roles/${encodeURIComponent(props.name)}`;
        const found = await neonRequestOrMissing<{ role: NeonRoleState }>(this.connection, "GET", path);
        if (found === undefined) return {};
        const { password } = await neonRequest<{ password: string }>(this.connection, "GET", `${path}/reveal_password`);
        return { id, props: withUrl(props, password) };
    }

    async diff(_id: string, olds: RoleOutputs, news: RoleInputs): Promise<pulumi.dynamic.DiffResult> {
        return changed(olds as never, news as never, ROLE_KEYS, ["projectId", "branchId", "name"]);
    }

    async update(_id: string, olds: RoleOutputs, news: RoleInputs): Promise<pulumi.dynamic.UpdateResult<RoleOutputs>> {
        return { outs: withUrl(news, olds.password) };
    }

    async delete(_id: string, props: RoleOutputs): Promise<void> {
        await neonRequestOrMissing(
            this.connection,
            "DELETE",
            `/projects/${props.projectId}/branches/${props.branchId}/roles/${encodeURIComponent(props.name)}`,
        );
    }
}

function withUrl(inputs: RoleInputs, password: string): RoleOutputs {
    return {
        ...Object.fromEntries(ROLE_KEYS.map((key) => [key, inputs[key]])),
        password,
        connectionUrl: directConnectionUrl(inputs.host, inputs.name, password, inputs.database),
    } as RoleOutputs;
}

export interface SqlRoleInputs extends RoleInputs {
    /** The branch's owner role, whose connection creates the role; its password is asked of Neon when needed and never stored. */
    ownerRole: string;
}

export type SqlRoleOutputs = SqlRoleInputs & RoleOutputs;

/** The backup job's read-only role, made with SQL (stacks/neon/backupRole.ts says why). */
export class BackupRoleProvider extends NeonProvider {
    async create(inputs: SqlRoleInputs): Promise<pulumi.dynamic.CreateResult<SqlRoleOutputs>> {
        // 32 random bytes as hex: nothing in it needs quoting in a URL or in SQL.
        const password = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))).toString("hex");
        await this.withOwner(inputs, (client) => applyBackupRole(client, { name: inputs.name, password }));
        return { id: roleId(inputs), outs: { ...inputs, ...withUrl(inputs, password) } };
    }

    async read(id: string, props: SqlRoleOutputs): Promise<pulumi.dynamic.ReadResult<SqlRoleOutputs>> {
        const exists = await this.withOwner(props, (client) => backupRoleExists(client, props.name));
        return exists ? { id, props } : {};
    }

    async diff(_id: string, olds: SqlRoleOutputs, news: SqlRoleInputs): Promise<pulumi.dynamic.DiffResult> {
        return changed(olds as never, news as never, [...ROLE_KEYS, "ownerRole"], ["projectId", "branchId", "name"]);
    }

    /** Applies the grants again: a change made by hand since (a write grant, a lost attribute) is undone. */
    async update(_id: string, olds: SqlRoleOutputs, news: SqlRoleInputs): Promise<pulumi.dynamic.UpdateResult<SqlRoleOutputs>> {
        await this.withOwner(news, (client) => applyBackupRole(client, { name: news.name, password: olds.password }));
        return { outs: { ...news, ...withUrl(news, olds.password) } };
    }

    async delete(_id: string, props: SqlRoleOutputs): Promise<void> {
        await this.withOwner(props, (client) => dropBackupRole(client, props.name));
    }

    private async withOwner<T>(inputs: SqlRoleInputs, run: (client: import("pg").Client) => Promise<T>): Promise<T> {
        const uri = await directRoleUri(this.connection, inputs.projectId, inputs.branchId, inputs.database, inputs.ownerRole);
        // require, not import(): Pulumi's closure serializer cannot follow a dynamic import, and it
        // serializes a require of an installed package as the same require in the provider's process.
        const pg: typeof import("pg") = require("pg");
        const client = new pg.Client({ connectionString: uri, connectionTimeoutMillis: 30_000 });
        await client.connect();
        try {
            return await run(client);
        } finally {
            await client.end();
        }
    }
}
