// Sentry's value rules: slugs, environments, DSNs.

export function checkSentrySlug(value: string): string | undefined {
    return /^[a-z0-9][a-z0-9_-]{0,49}$/.test(value)
        ? undefined
        : "must be a Sentry slug: 1-50 lowercase letters, digits, - and _, starting with a letter or digit";
}

export function checkSentryEnvironment(value: string): string | undefined {
    // Sentry allows 64 characters; 32 keeps the rule names, which carry it and a runbook link, under Sentry's 256.
    return /^[A-Za-z0-9_.-]{1,32}$/.test(value) && value !== "None"
        ? undefined
        : "must be 1-32 letters, digits, _ . - (within Sentry's environment rules), the app's NODE_ENV / Vite mode, e.g. production";
}

export function checkSentryDsn(value: string): string | undefined {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return "must be a Sentry DSN like https://PUBLIC_KEY@o0.ingest.de.sentry.io/PROJECT_ID";
    }
    if (url.protocol !== "https:" || url.username === "" || !/^\/\d+$/.test(url.pathname)) {
        return "must be a Sentry DSN like https://PUBLIC_KEY@o0.ingest.de.sentry.io/PROJECT_ID (https, a public key, a numeric project id)";
    }
    return undefined;
}
