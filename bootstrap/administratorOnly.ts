// The account program declares CI's own trust: an update run from CI could widen it. CI may preview
// it (a drift check), never apply it.

/** Why this run must stop, or undefined when it may go on: updates are refused inside GitHub Actions. */
export function ciUpdateRefusal(env: Readonly<Record<string, string | undefined>>, isDryRun: boolean): string | undefined {
    if (isDryRun || env["GITHUB_ACTIONS"] !== "true") return undefined;
    return (
        "the account program declares CI's own roles and trust: it is applied by an administrator, never from GitHub Actions " +
        "(GITHUB_ACTIONS=true); allowed in CI: pulumi preview, the offline plan (docs/account.md)"
    );
}
