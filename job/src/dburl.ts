import { usageError } from "./errors.js";
import { redactUrl, registerSecret } from "./redact.js";

export interface DatabaseUrl {
    /** The URL with the password removed: safe to pass on a command line (visible in ps). */
    withoutPassword: string;
    password: string | undefined;
    host: string;
    database: string;
}

/**
 * Parses a postgres:// URL. The password travels to child processes in PGPASSWORD instead of argv,
 * where any local user could read it, and is registered for redaction here so that no caller can
 * forget to keep it out of the logs.
 */
export function parseDatabaseUrl(raw: string, option: string): DatabaseUrl {
    let url: URL;
    try {
        url = new URL(raw);
    } catch {
        throw usageError(`${option} "${redactUrl(raw)}" is not a URL: use one such as postgresql://app@db.example.com:5432/hotel (a password may follow the user name after a colon)`);
    }
    if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
        throw usageError(`${option} "${redactUrl(raw)}" has scheme "${url.protocol}": allowed are postgres:// and postgresql://`);
    }
    const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
    if (database === "") throw usageError(`${option} "${redactUrl(raw)}" names no database: add /DATABASE to the URL`);
    if (url.hostname === "") throw usageError(`${option} "${redactUrl(raw)}" names no host`);
    const password = url.password !== "" ? decodeURIComponent(url.password) : (url.searchParams.get("password") ?? undefined);
    registerSecret(password);
    url.password = "";
    url.searchParams.delete("password");
    return { withoutPassword: url.toString(), password, host: url.hostname, database };
}

/** Same server and credentials, another database (the verify scratch database). */
export function withDatabase(raw: string, database: string): string {
    const url = new URL(raw);
    url.pathname = `/${encodeURIComponent(database)}`;
    return url.toString();
}

/**
 * Neon's `-pooler` endpoints run PgBouncer in transaction mode, which breaks pg_dump's session
 * settings and snapshot export. The direct endpoint is the same host name without `-pooler`.
 */
export function directEndpointFor(host: string): string | undefined {
    const [first, ...rest] = host.split(".");
    if (first === undefined || !first.endsWith("-pooler")) return undefined;
    return [first.slice(0, -"-pooler".length), ...rest].join(".");
}

export function refusePoolerHost(db: DatabaseUrl, option: string): void {
    const direct = directEndpointFor(db.host);
    if (direct !== undefined) {
        throw usageError(
            `${option} points at the connection pooler host "${db.host}": pg_dump and pg_restore need a session, which a transaction-mode pooler breaks. Use the direct endpoint "${direct}" instead`,
            { host: db.host, directHost: direct },
        );
    }
}
