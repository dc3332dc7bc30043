import type { ClientConfig } from "pg";
import { parseIntoClientConfig } from "pg-connection-string";
import { usageError } from "../errors.js";
import { passwordCandidates, redactUrl, registerSecret } from "../observability/redact.js";
import type { Variables } from "../environment.js";

export interface DatabaseUrl {
    /** The URL with the password removed: safe to pass on a command line (visible in ps). */
    withoutPassword: string;
    password: string | undefined;
    host: string;
    database: string;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const EXAMPLE = "postgresql://app:PASSWORD@db.example.com:5432/hotel";
const NOT_SHOWN = "(the value is not shown: it may hold a password)";
const ENCODE_HINT = "percent-encode these characters in the user name, password and database name: @ as %40, / as %2F, ? as %3F, # as %23, % as %25";

/** Decodes one part of the URL; a "%" that starts no valid escape is refused, never guessed at. */
function decodePart(text: string, part: string, option: string): string {
    const bad = () =>
        usageError(
            `${option} has a "%" in the ${part} that is not a valid percent escape: write % itself as %25; an escape is % and two hex digits, e.g. %40 for @ ` +
                `${NOT_SHOWN}`,
        );
    if (/%(?![0-9A-Fa-f]{2})/.test(text)) throw bad();
    try {
        return decodeURIComponent(text);
    } catch {
        throw bad();
    }
}

/**
 * Query parameters that libpq (pg_dump, pg_restore, psql) and node-postgres (the job's own checks and
 * counts) both read the same way, or that only change how the connection is secured or timed, never
 * where it goes. `password` is taken out and handed over in PGPASSWORD. Anything else (dbname, host,
 * hostaddr, port, user, service, options, target_session_attrs...) could make pg_dump or psql reach
 * another database, server or role than the one the job checked, or is read by only one of the two.
 */
export const ALLOWED_URL_PARAMETERS: readonly string[] = ["password", "sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"];

function checkUrlParameters(url: URL, shown: string, option: string): void {
    const seen = new Set<string>();
    for (const name of url.searchParams.keys()) {
        if (seen.has(name)) throw usageError(`${option} "${shown}" sets the parameter "${name}" twice: give it once`);
        seen.add(name);
        if (name === "sslpassword") {
            throw usageError(
                `${option} "${shown}" has the parameter "sslpassword": the job cannot hand a client key's passphrase to pg_dump and psql without putting it ` +
                    "on their command line, and its own checks cannot use it; give the job a client key without a passphrase (sslkey=PATH, readable only by " +
                    `the job's user) ${NOT_SHOWN}`,
            );
        }
        if (!ALLOWED_URL_PARAMETERS.includes(name)) {
            throw usageError(
                `${option} "${shown}" has the parameter "${name}", which pg_dump/psql and the job's own checks could read differently (or which could aim ` +
                    `them at another database, server or role): put the host, port, user and database in the URL itself; allowed parameters are ` +
                    `${ALLOWED_URL_PARAMETERS.join(", ")}`,
                { parameter: name },
            );
        }
    }
}

/**
 * Parses a postgres:// URL. Every reading of the password is registered for redaction from the text
 * as typed, before anything is parsed or any message is built, so no error can quote a fragment of
 * it. The password travels to child processes in PGPASSWORD instead of argv, where any local user
 * could read it. A URL that libpq (pg_dump, psql) and this job could read differently is refused:
 * a raw "@", "/", "?" or "#" in the password makes the host ambiguous.
 */
export function parseDatabaseUrl(raw: string, option: string): DatabaseUrl {
    for (const candidate of passwordCandidates(raw)) registerSecret(candidate);
    const scheme = SCHEME.exec(raw);
    if (scheme === null) throw usageError(`${option} is not a URL: use one such as ${EXAMPLE} ${NOT_SHOWN}`);
    if (scheme[1] !== "postgres" && scheme[1] !== "postgresql") {
        throw usageError(`${option} has scheme "${scheme[1]}:": allowed are postgres:// and postgresql:// ${NOT_SHOWN}`);
    }
    const rest = raw.slice(scheme[0].length);
    const authorityEnd = rest.search(/[/?#]/);
    const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
    if (authorityEnd !== -1 && rest.indexOf("@", authorityEnd) !== -1) {
        throw usageError(`${option} cannot be read unambiguously: it has an "@" after a "/", "?" or "#"; ${ENCODE_HINT} ${NOT_SHOWN}`);
    }
    const at = authority.lastIndexOf("@");
    if (authority.indexOf("@") !== at) {
        throw usageError(
            `${option} has more than one "@" before the host: @ in the password (or user name) must be written %40, as libpq reads up to the first @ ` +
                `${NOT_SHOWN}`,
        );
    }
    const userinfo = at === -1 ? "" : authority.slice(0, at);
    const colon = userinfo.indexOf(":");
    const userinfoPassword = colon === -1 ? undefined : decodePart(userinfo.slice(colon + 1), "password", option);
    decodePart(colon === -1 ? userinfo : userinfo.slice(0, colon), "user name", option);
    const path = authorityEnd === -1 ? "" : rest.slice(authorityEnd).replace(/[?#].*$/s, "");
    const database = decodePart(path.replace(/^\//, ""), "database name", option);
    decodePart(rest.slice(authorityEnd === -1 ? rest.length : authorityEnd).replace(/^[^?#]*/, ""), "parameters", option);

    // From here on the password's position is known, so redactUrl masks all of it.
    const shown = redactUrl(raw);
    let url: URL;
    try {
        url = new URL(raw);
    } catch {
        throw usageError(`${option} "${shown}" is not a valid URL: check the host and port; use one such as ${EXAMPLE}`);
    }
    if (database === "") throw usageError(`${option} "${shown}" names no database: add /DATABASE to the URL`);
    if (url.hostname === "") throw usageError(`${option} "${shown}" names no host`);
    if (url.hostname.includes(",")) {
        throw usageError(`${option} "${shown}" names several hosts: the job and its checks must reach one server; name only one host`);
    }
    checkUrlParameters(url, shown, option);
    const password = userinfoPassword ?? url.searchParams.get("password") ?? undefined;
    url.password = "";
    if (url.searchParams.has("password")) url.searchParams.delete("password");
    return { withoutPassword: url.toString(), password, host: url.hostname, database };
}

/**
 * node-postgres settings for a database URL. Its own parser decodes the database name with decodeURI,
 * which leaves %2F, %23 and %3F encoded (the database "a/b" would be looked up as "a%2Fb"), so the
 * name and password come from parseDatabaseUrl and only the rest (host, port, ssl) from node-postgres.
 */
export function pgClientConfig(raw: string): ClientConfig {
    const db = parseDatabaseUrl(raw, "the database URL");
    return { ...parseIntoClientConfig(db.withoutPassword), database: db.database, password: db.password };
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
            `${option} points at the connection pooler host "${db.host}": pg_dump and pg_restore need a session, which a transaction-mode pooler breaks. Use ` +
                `the direct endpoint "${direct}" instead`,
            { host: db.host, directHost: direct },
        );
    }
}

/**
 * libpq's environment variables that say where or how to connect. pg_dump and psql would obey them
 * where the URL is silent (and PGOPTIONS, PGSERVICE and PGHOSTADDR even where it is not), while the
 * job's checks follow the URL: so they are refused, never quietly dropped. Only the credentials are
 * honoured, by libpq and node-postgres alike: PGPASSWORD and PGPASSFILE (default ~/.pgpass).
 */
export const REFUSED_PG_VARIABLES: readonly string[] = [
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGOPTIONS",
    "PGTARGETSESSIONATTRS",
    "PGLOADBALANCEHOSTS",
    "PGREQUIREAUTH",
    "PGCHANNELBINDING",
    "PGSSLMODE",
    "PGREQUIRESSL",
    "PGSSLNEGOTIATION",
    "PGSSLCOMPRESSION",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGSSLCERTMODE",
    "PGSSLROOTCERT",
    "PGSSLCRL",
    "PGSSLCRLDIR",
    "PGSSLSNI",
    "PGREQUIREPEER",
    "PGSSLMINPROTOCOLVERSION",
    "PGSSLMAXPROTOCOLVERSION",
    "PGGSSENCMODE",
    "PGKRBSRVNAME",
    "PGGSSLIB",
    "PGGSSDELEGATION",
    "PGCONNECT_TIMEOUT",
    "PGCLIENTENCODING",
    "PGDATESTYLE",
    "PGTZ",
    "PGGEQO",
];

export function refuseAmbientConnectionSettings(env: Variables): void {
    const set = REFUSED_PG_VARIABLES.filter((name) => env[name] !== undefined);
    if (set.length === 0) return;
    throw usageError(
        `${set.join(", ")} ${set.length === 1 ? "is" : "are"} set in the environment: pg_dump and psql would follow ${set.length === 1 ? "it" : "them"} ` +
            "where the job's own checks follow the URL. Unset " +
            `${set.length === 1 ? "it" : "them"} and put the host, port, user, database and SSL settings (?sslmode=...) in the URL; only PGPASSWORD and ` +
            "PGPASSFILE (or ~/.pgpass) are read from the environment",
        { variables: set },
    );
}
