/**
 * Secrets must never reach logs, Sentry or error messages. Two layers: any URL userinfo password is
 * masked wherever it appears, and values registered at start (the passwords we were given) are
 * masked literally, which also covers libpq and pg_dump messages that quote them differently.
 */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^@/?#\s]+)@/gi;
const KEYWORD_PASSWORD = /(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)/gi;

const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
    // Very short values would mask ordinary words all over the log.
    if (value && value.length >= 4) secrets.add(value);
}

export function redact(text: string): string {
    let out = text.replace(URL_PASSWORD, "$1***@").replace(KEYWORD_PASSWORD, "$1***");
    for (const secret of secrets) out = out.split(secret).join("***");
    return out;
}

/** A database URL with its password masked, for messages and logs. */
export function redactUrl(url: string): string {
    return redact(url);
}
