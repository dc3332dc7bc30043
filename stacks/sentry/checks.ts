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
