// Neon's HTTP API v2 (https://api-docs.neon.tech), the calls the dynamic providers make. Plain
// functions over the global fetch with no imports, because the providers' code is serialized into the
// state: everything it references is copied there, so nothing here may hold the API key.

export const NEON_API_URL = "https://console.neon.tech/api/v2";

export interface NeonConnection {
    /** The API's base URL, NEON_API_URL except in tests. */
    baseUrl: string;
    /** Read from the stack's configuration when the provider runs; never an input, never serialized. */
    apiKey: string;
}

export interface NeonProjectState {
    id: string;
    name: string;
    region_id: string;
    pg_version: number;
    history_retention_seconds: number;
}

export interface NeonBranchState {
    id: string;
    name: string;
    parent_id?: string;
    default?: boolean;
    protected?: boolean;
    init_source?: string;
}

export interface NeonEndpointState {
    id: string;
    host: string;
    branch_id: string;
    type: "read_write" | "read_only";
    autoscaling_limit_min_cu: number;
    autoscaling_limit_max_cu: number;
    suspend_timeout_seconds: number;
}

export interface NeonRoleState {
    name: string;
    password?: string;
    branch_id: string;
}

export class NeonApiError extends Error {
    readonly status: number;

    constructor(method: string, path: string, status: number, detail: string) {
        super(`Neon API ${method} ${path} answered ${status}: ${detail}`);
        this.name = "NeonApiError";
        this.status = status;
    }
}

/**
 * One call. Neon answers 423 Locked while an earlier operation on the project is still running, so
 * those are retried for a bounded time. An error never quotes the request's headers (the key).
 */
export async function neonRequest<T>(connection: NeonConnection, method: string, path: string, body?: unknown, lockedRetries = 30): Promise<T> {
    for (let attempt = 0; ; attempt++) {
        const response = await fetch(`${connection.baseUrl}${path}`, {
            method,
            headers: { authorization: `Bearer ${connection.apiKey}`, accept: "application/json", "content-type": "application/json" },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        if (response.status === 423 && attempt < lockedRetries) {
            await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 5000)));
            continue;
        }
        const text = await response.text();
        if (!response.ok) {
            let detail = text.slice(0, 300);
            try {
                detail = (JSON.parse(text) as { message?: string }).message ?? detail;
            } catch {
                // not JSON: the raw text says more than nothing
            }
            throw new NeonApiError(method, path, response.status, detail);
        }
        return (text === "" ? {} : JSON.parse(text)) as T;
    }
}

/** Undefined when Neon answers 404: the object is gone, which `read` reports as an empty id. */
export async function neonRequestOrMissing<T>(connection: NeonConnection, method: string, path: string): Promise<T | undefined> {
    try {
        return await neonRequest<T>(connection, method, path);
    } catch (error) {
        if (error instanceof NeonApiError && error.status === 404) return undefined;
        throw error;
    }
}

export async function defaultBranchOf(connection: NeonConnection, projectId: string): Promise<NeonBranchState> {
    const { branches } = await neonRequest<{ branches: NeonBranchState[] }>(connection, "GET", `/projects/${projectId}/branches`);
    const found = branches.find((branch) => branch.default === true);
    if (found === undefined) throw new Error(`Neon project ${projectId} has no default branch`);
    return found;
}

/** A role's URL on a branch's direct endpoint, as Neon gives it (password included): used at once, never stored. */
export async function directRoleUri(connection: NeonConnection, projectId: string, branchId: string, database: string, role: string): Promise<string> {
    const query = new URLSearchParams({ branch_id: branchId, database_name: database, role_name: role, pooled: "false" });
    const { uri } = await neonRequest<{ uri: string }>(connection, "GET", `/projects/${projectId}/connection_uri?${query}`);
    return uri;
}

/** The direct (not `-pooler`) connection URL of a role on an endpoint: pg_dump's session settings break a transaction-mode pooler. */
export function directConnectionUrl(host: string, role: string, password: string, database: string): string {
    if (/-pooler\./.test(host)) throw new Error(`Neon endpoint host ${host} is the pooled one; the backup needs the direct host`);
    return `postgresql://${encodeURIComponent(role)}:${encodeURIComponent(password)}@${host}/${encodeURIComponent(database)}?sslmode=require`;
}
