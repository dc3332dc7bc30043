// Neon's HTTP API v2 (https://api-docs.neon.tech), the calls the dynamic providers make. Plain
// functions over the global fetch with no imports, because the providers' code is serialized into the
// state: everything it references is copied there, so nothing here may hold the API key.

export const NEON_API_URL = "https://console.neon.tech/api/v2";

export interface NeonConnection {
    /** The API's base URL, NEON_API_URL except in tests. */
    baseUrl: string;
    /** Read from the stack's configuration when the provider runs; never an input, never serialized. */
    apiKey: string;
    /** How long one call may take before it is abandoned; NEON_REQUEST_TIMEOUT_MS unless a test says otherwise. */
    timeoutMs?: number;
}

/** A call Neon has not answered in a minute is not coming back: the run stops with an error instead of hanging. */
export const NEON_REQUEST_TIMEOUT_MS = 60_000;

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
    /** Neon's HTTP status; 0 when no answer came (timeout, network). */
    readonly status: number;

    constructor(method: string, path: string, status: number, detail: string) {
        super(status === 0 ? `Neon API ${method} ${path}: ${detail}` : `Neon API ${method} ${path} answered ${status}: ${detail}`);
        this.name = "NeonApiError";
        this.status = status;
    }
}

/**
 * How long to wait before trying a call again, or undefined when its answer is final. Neon answers 423
 * while an earlier operation on the project still runs, and 429 with Retry-After when rate limited
 * (api-docs.neon.tech); a 5xx is retried only for a GET or DELETE, which are safe to repeat: a
 * repeated POST could create a second branch.
 */
function retryDelayMs(response: Response, method: string, attempt: number): number | undefined {
    const backoff = Math.min(500 * 2 ** attempt, 5000);
    if (response.status === 423) return attempt < 30 ? backoff : undefined;
    if (response.status === 429) {
        if (attempt >= 10) return undefined;
        const header = response.headers.get("retry-after");
        const seconds = header === null ? Number.NaN : /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
        return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0) * 1000, 60_000) : backoff;
    }
    if (response.status >= 500 && (method === "GET" || method === "DELETE")) return attempt < 4 ? backoff : undefined;
    return undefined;
}

/** One call, retried while Neon says to try again (retryDelayMs). No error quotes the request's headers or the key. */
export async function neonRequest<T>(connection: NeonConnection, method: string, path: string, body?: unknown): Promise<T> {
    const timeoutMs = connection.timeoutMs ?? NEON_REQUEST_TIMEOUT_MS;
    const redact = (text: string) => (connection.apiKey === "" ? text : text.split(connection.apiKey).join("[neonApiKey]"));
    for (let attempt = 0; ; attempt++) {
        let response: Response;
        try {
            response = await fetch(`${connection.baseUrl}${path}`, {
                method,
                headers: { authorization: `Bearer ${connection.apiKey}`, accept: "application/json", "content-type": "application/json" },
                signal: AbortSignal.timeout(timeoutMs),
                ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            });
        } catch (error) {
            const cause = (error as { cause?: { code?: string; message?: string } }).cause;
            const detail =
                (error as Error).name === "TimeoutError"
                    ? `no answer within ${timeoutMs / 1000} s; not retried, and the call may still take effect at Neon`
                    : `could not reach ${connection.baseUrl} (${cause?.code ?? cause?.message ?? (error as Error).message})`;
            throw new NeonApiError(method, path, 0, redact(detail));
        }
        const text = await response.text();
        const wait = retryDelayMs(response, method, attempt);
        if (wait !== undefined) {
            await new Promise((resolve) => setTimeout(resolve, wait));
            continue;
        }
        if (!response.ok) {
            let detail = text.slice(0, 300);
            try {
                detail = (JSON.parse(text) as { message?: string }).message ?? detail;
            } catch {
                // not JSON: the raw text says more than nothing
            }
            const tries = attempt > 0 ? ` (after ${attempt + 1} attempts)` : "";
            throw new NeonApiError(method, path, response.status, `${redact(detail)}${tries}`);
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

/**
 * The project's branches whose name or id contains `search` (all without it), every page: Neon's list is
 * paginated (`pagination.next`, a cursor), and a branch on the second page must not be missed.
 */
export async function listBranches(connection: NeonConnection, projectId: string, search?: string): Promise<NeonBranchState[]> {
    const found: NeonBranchState[] = [];
    const seen = new Set<string>();
    for (let cursor: string | undefined; ; ) {
        const query = new URLSearchParams({ ...(search === undefined ? {} : { search }), ...(cursor === undefined ? {} : { cursor }) }).toString();
        const page = await neonRequest<{ branches: NeonBranchState[]; pagination?: { next?: string } }>(
            connection,
            "GET",
            `/projects/${projectId}/branches${query === "" ? "" : `?${query}`}`,
        );
        found.push(...page.branches);
        cursor = page.pagination?.next;
        if (cursor === undefined || cursor === "" || page.branches.length === 0 || seen.has(cursor)) return found;
        seen.add(cursor);
    }
}

export async function defaultBranchOf(connection: NeonConnection, projectId: string): Promise<NeonBranchState> {
    const found = (await listBranches(connection, projectId)).find((branch) => branch.default === true);
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
