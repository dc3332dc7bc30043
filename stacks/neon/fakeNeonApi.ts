// For tests only: an in-memory stand-in for the part of Neon's HTTP API v2 the providers call, on a
// free 127.0.0.1 port, shaped as Neon documents it (api-docs.neon.tech). It checks the bearer key,
// answers 404 for what does not exist, and records every request so tests can assert what was sent.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { NeonBranchState, NeonEndpointState, NeonProjectState } from "./api.js";

export interface RecordedRequest {
    method: string;
    path: string;
    // biome-ignore lint/suspicious/noExplicitAny: a request body is Neon's JSON, which tests read field by field.
    body: any;
    authorization: string | undefined;
}

export interface FakeNeonApi {
    readonly baseUrl: string;
    readonly requests: RecordedRequest[];
    readonly projects: Map<string, NeonProjectState>;
    readonly branches: Map<string, NeonBranchState & { project_id: string }>;
    readonly endpoints: Map<string, NeonEndpointState & { project_id: string }>;
    readonly roles: Map<string, { project_id: string; branch_id: string; name: string; password: string }>;
    /** Adds a project as if made in the console, with its default branch and compute. */
    seedProject(project: Omit<NeonProjectState, "id"> & { id?: string }): { projectId: string; branchId: string; endpointId: string };
    stop(): Promise<void>;
}

/** An answer a test forces instead of the fake's own: an error status, headers such as Retry-After, a delay. */
export interface FakeFault {
    status?: number;
    headers?: Record<string, string>;
    message?: string;
    /** Milliseconds before answering (a slow API); with no status, the fake's own answer follows. */
    delayMs?: number;
}

export interface FakeNeonOptions {
    /** The key that may act on every project (an organization key). */
    apiKey: string;
    /**
     * Project-scoped keys: key -> the one project it may act on. Another project answers 404 as if it
     * did not exist (modelled on Neon's project-scoped API keys; how Neon words that answer is not verified here).
     */
    projectKeys?: Record<string, string>;
    /** What GET /projects/{id}/connection_uri answers (tests point it at a real PostgreSQL). */
    connectionUri?: (query: URLSearchParams, projectId: string) => string;
    /** Called before a created branch is reported (tests copy a real database, as copy-on-write would give). */
    onBranchCreated?: (branch: { id: string; project_id: string; parent_id: string }) => Promise<void>;
    /** Called before a deleted branch is reported gone. */
    onBranchDeleted?: (branch: { id: string; project_id: string }) => Promise<void>;
    /** Branches per page of GET /projects/{id}/branches (Neon paginates with a `pagination.next` cursor); all on one page when unset. */
    branchPageSize?: number;
    /** Consulted for every request; an answer given replaces (or, with only delayMs, delays) the fake's own. */
    fault?: (method: string, path: string) => FakeFault | undefined;
}

const id = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;

export async function startFakeNeonApi(options: FakeNeonOptions): Promise<FakeNeonApi> {
    const requests: RecordedRequest[] = [];
    const projects = new Map<string, NeonProjectState>();
    const branches = new Map<string, NeonBranchState & { project_id: string }>();
    const endpoints = new Map<string, NeonEndpointState & { project_id: string }>();
    const roles = new Map<string, { project_id: string; branch_id: string; name: string; password: string }>();

    const addEndpoint = (projectId: string, branchId: string, settings: Partial<NeonEndpointState> = {}) => {
        const endpointId = id("ep");
        const endpoint = {
            id: endpointId,
            host: `${endpointId}.eu-central-1.aws.neon.tech`,
            branch_id: branchId,
            project_id: projectId,
            type: "read_write" as const,
            autoscaling_limit_min_cu: settings.autoscaling_limit_min_cu ?? 0.25,
            autoscaling_limit_max_cu: settings.autoscaling_limit_max_cu ?? 0.25,
            suspend_timeout_seconds: settings.suspend_timeout_seconds ?? 0,
        };
        endpoints.set(endpointId, endpoint);
        return endpoint;
    };
    const seedProject: FakeNeonApi["seedProject"] = (project) => {
        const projectId = project.id ?? id("project");
        projects.set(projectId, { ...project, id: projectId });
        const branchId = id("br");
        branches.set(branchId, { id: branchId, name: "main", default: true, project_id: projectId });
        const endpoint = addEndpoint(projectId, branchId);
        return { projectId, branchId, endpointId: endpoint.id };
    };

    // biome-ignore lint/suspicious/noExplicitAny: a request body is Neon's JSON, read field by field as Neon documents it.
    const handle = async (method: string, url: URL, body: any, scope: string | undefined): Promise<[number, unknown]> => {
        const parts = url.pathname
            .replace(/^\/api\/v2/, "")
            .split("/")
            .filter(Boolean)
            .map(decodeURIComponent);
        if (parts[0] !== "projects") return [404, { message: "not found" }];
        if (parts.length === 1 && method === "POST") {
            const created = seedProject({
                name: body.project.name,
                region_id: body.project.region_id,
                pg_version: body.project.pg_version,
                history_retention_seconds: body.project.history_retention_seconds ?? 86_400,
            });
            return [201, { project: projects.get(created.projectId), branch: branches.get(created.branchId), endpoints: [endpoints.get(created.endpointId)] }];
        }
        const project = projects.get(parts[1] ?? "");
        if (project === undefined || (scope !== undefined && scope !== project.id)) return [404, { message: "project not found" }];
        const [, , collection, itemId, sub, subId, action] = parts;
        if (collection === undefined) {
            if (method === "GET") return [200, { project }];
            if (method === "PATCH") {
                Object.assign(project, body.project);
                return [200, { project }];
            }
            if (method === "DELETE") {
                projects.delete(project.id);
                return [200, { project }];
            }
        }
        if (collection === "connection_uri" && method === "GET") {
            if (options.connectionUri === undefined) return [500, { message: "no connection_uri in this fake" }];
            return [200, { uri: options.connectionUri(url.searchParams, project.id) }];
        }
        if (collection === "branches" && itemId === undefined) {
            const inProject = [...branches.values()].filter((branch) => branch.project_id === project.id);
            if (method === "GET") {
                const search = url.searchParams.get("search");
                const matching = inProject.filter((branch) => search === null || branch.name.includes(search) || branch.id.includes(search));
                const start = Number(url.searchParams.get("cursor") ?? "0");
                const size = options.branchPageSize ?? matching.length;
                const next = start + size < matching.length ? { next: String(start + size) } : {};
                return [200, { branches: matching.slice(start, start + size), pagination: next }];
            }
            if (method === "POST") {
                const parentId = body.branch?.parent_id ?? inProject.find((branch) => branch.default)?.id;
                if (!branches.has(parentId)) return [404, { message: "parent branch not found" }];
                const branchId = id("br");
                const branch = {
                    id: branchId,
                    name: body.branch?.name ?? branchId,
                    parent_id: parentId,
                    default: false,
                    project_id: project.id,
                    init_source: body.branch?.init_source ?? "parent-data",
                };
                branches.set(branchId, branch);
                await options.onBranchCreated?.({ id: branchId, project_id: project.id, parent_id: parentId });
                const made = (body.endpoints ?? []).map((settings: Partial<NeonEndpointState>) => addEndpoint(project.id, branchId, settings));
                return [201, { branch, endpoints: made }];
            }
        }
        if (collection === "branches" && itemId !== undefined) {
            const branch = branches.get(itemId);
            if (branch === undefined || branch.project_id !== project.id) return [404, { message: "branch not found" }];
            if (sub === undefined) {
                if (method === "GET") return [200, { branch }];
                if (method === "PATCH") {
                    Object.assign(branch, body.branch);
                    return [200, { branch }];
                }
                if (method === "DELETE") {
                    if (branch.default) return [422, { message: "cannot delete the default branch" }];
                    branches.delete(itemId);
                    for (const [key, endpoint] of endpoints) if (endpoint.branch_id === itemId) endpoints.delete(key);
                    await options.onBranchDeleted?.({ id: itemId, project_id: project.id });
                    return [200, { branch }];
                }
            }
            if (sub === "endpoints" && method === "GET")
                return [200, { endpoints: [...endpoints.values()].filter((endpoint) => endpoint.branch_id === itemId) }];
            if (sub === "roles") {
                if (subId === undefined && method === "POST") {
                    const role = { project_id: project.id, branch_id: itemId, name: body.role.name, password: randomBytes(12).toString("base64url") };
                    roles.set(`${itemId}/${role.name}`, role);
                    return [201, { role: { name: role.name, password: role.password, branch_id: itemId } }];
                }
                const role = roles.get(`${itemId}/${subId}`);
                if (role === undefined) return [404, { message: "role not found" }];
                if (action === "reveal_password" && method === "GET") return [200, { password: role.password }];
                if (action === undefined && method === "GET") return [200, { role: { name: role.name, branch_id: itemId } }];
                if (action === undefined && method === "DELETE") {
                    roles.delete(`${itemId}/${subId}`);
                    return [200, { role: { name: role.name, branch_id: itemId } }];
                }
            }
        }
        if (collection === "endpoints" && itemId !== undefined && method === "PATCH") {
            const endpoint = endpoints.get(itemId);
            if (endpoint === undefined) return [404, { message: "endpoint not found" }];
            Object.assign(endpoint, body.endpoint);
            return [200, { endpoint }];
        }
        return [405, { message: `${method} ${url.pathname} is not in this fake` }];
    };

    const server: Server = createServer((request: IncomingMessage, response) => {
        let text = "";
        request.setEncoding("utf8");
        request.on("data", (chunk: string) => {
            text += chunk;
        });
        request.on("end", () => {
            const url = new URL(request.url ?? "/", "http://127.0.0.1");
            const body = text === "" ? undefined : JSON.parse(text);
            const method = request.method ?? "GET";
            requests.push({ method, path: `${url.pathname}${url.search}`, body, authorization: request.headers.authorization });
            const key = (request.headers.authorization ?? "").replace(/^Bearer /, "");
            const scope = options.projectKeys?.[key];
            const answer = async (): Promise<[number, unknown, Record<string, string>]> => {
                const fault = options.fault?.(method, `${url.pathname}${url.search}`);
                if (fault?.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
                if (fault?.status !== undefined) return [fault.status, { message: fault.message ?? "injected by the test" }, fault.headers ?? {}];
                if (key !== options.apiKey && scope === undefined) return [401, { message: "authentication required" }, {}];
                return [...(await handle(method, url, body, scope)), {}];
            };
            answer().then(
                ([status, payload, headers]) => {
                    response.writeHead(status, { "content-type": "application/json", ...headers });
                    response.end(JSON.stringify(payload));
                },
                (error: Error) => {
                    response.writeHead(500, { "content-type": "application/json" });
                    response.end(JSON.stringify({ message: `the fake failed: ${error.message}` }));
                },
            );
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        baseUrl: `http://127.0.0.1:${port}/api/v2`,
        requests,
        projects,
        branches,
        endpoints,
        roles,
        seedProject,
        stop: () =>
            new Promise<void>((resolve, reject) => {
                server.closeAllConnections();
                server.close((error) => (error ? reject(error) : resolve()));
            }),
    };
}
