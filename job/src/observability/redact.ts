/**
 * Secrets must never reach logs, Sentry or error messages. Two layers: any URL userinfo password is
 * masked wherever it appears, and values registered at start (the passwords we were given) are
 * masked literally, which also covers libpq and pg_dump messages that quote them differently.
 */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@/?#\s]+)@/gi;
const KEYWORD_PASSWORD = /(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)/gi;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Shorter values are not masked literally: masking every "ab" would garble the whole log. A short
 * password is still masked where it stands as a password (URL userinfo, `password=`, `sslpassword=`), the only
 * places the job or PostgreSQL's tools ever print one.
 */
export const MIN_LITERAL_SECRET_LENGTH = 4;

const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
    if (!value || value.length < MIN_LITERAL_SECRET_LENGTH) return;
    secrets.add(value);
    // Log lines are JSON: a quote, backslash or control character in a secret appears escaped there.
    secrets.add(JSON.stringify(value).slice(1, -1));
}

export function redact(text: string): string {
    let out = text.replace(URL_PASSWORD, "$1***@").replace(KEYWORD_PASSWORD, "$1***");
    // Longest first, so a secret that contains another is masked whole.
    for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join("***");
    return out;
}

/**
 * Where a password may stand in a URL as the user typed it, however badly: from the first ":" after
 * "scheme://" to the last "@" (as WHATWG URL reads it) or to the first "@" (as libpq reads it).
 * Registering every reading keeps each fragment out of the logs even when the URL is then refused.
 */
export function passwordCandidates(raw: string): string[] {
    const candidates: string[] = [];
    const scheme = SCHEME.exec(raw);
    if (scheme !== null) {
        const rest = raw.slice(scheme[0].length);
        const colon = rest.indexOf(":");
        const lastAt = rest.lastIndexOf("@");
        if (colon !== -1 && colon < lastAt) {
            candidates.push(rest.slice(colon + 1, lastAt));
            candidates.push(rest.slice(colon + 1, rest.indexOf("@", colon)));
        }
    }
    for (const m of raw.matchAll(/(?:^|[?&\s])(?:ssl)?password=([^&\s]*)/gi)) candidates.push(m[1]!);
    return candidates.flatMap((c) => [c, safeDecode(c)]).filter((c): c is string => c !== undefined && c !== "");
}

function safeDecode(text: string): string | undefined {
    try {
        return decodeURIComponent(text);
    } catch {
        return undefined;
    }
}

/**
 * A database URL with its password masked, for messages and logs. The password is found by position
 * (between the user's ":" and the last "@"), not by its characters, so a raw "@", "/" or space in it
 * cannot leave a fragment behind.
 */
export function redactUrl(url: string): string {
    const scheme = SCHEME.exec(url);
    let out = url;
    if (scheme !== null) {
        const rest = url.slice(scheme[0].length);
        const colon = rest.indexOf(":");
        const lastAt = rest.lastIndexOf("@");
        if (colon !== -1 && colon < lastAt) out = `${scheme[0]}${rest.slice(0, colon + 1)}***${rest.slice(lastAt)}`;
    }
    return redact(out);
}
