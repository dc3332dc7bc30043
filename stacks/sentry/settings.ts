// Sentry's settings: the organization, the environment the app reports, client keys and alert thresholds.
// The provider's own token is `sentry:token` (a secret from the stack's ESC environment), not a setting here.
import { defineArea, integer, text, type RelationProblem, type Values } from "../settings/spec.js";
import { checkSentryEnvironment, checkSentrySlug } from "./checks.js";

/** The Sentry projects the stack creates, by role, with their platform. */
export const SENTRY_PLATFORMS = { server: "node-express", client: "javascript-react" } as const;

export const monitoringArea = defineArea({
    name: "monitoring",
    settings: {
        sentryOrganization: text({
            check: checkSentrySlug,
            allowed: "a Sentry organization slug",
            description: "Slug of the Sentry organization that holds the team, projects and alert rules.",
            why: "No default: the organization is the account's, not something to guess.",
        }),
        sentryEnvironment: text({
            default: "production",
            check: checkSentryEnvironment,
            allowed: "1–32 letters, digits, `_`, `.`, `-`: what the app sends as its environment",
            description: "Environment the app reports to Sentry (its NODE_ENV / Vite mode); the alert rules fire for it only.",
            why: "The server's NODE_ENV and the client's Vite mode in prod. A rule filtered on another name than the app sends would never fire.",
        }),
        sentryResolveAgeHours: integer({
            default: 720,
            min: 0,
            max: 8760,
            description: "Hours without a new event after which Sentry resolves an issue on its own (0: never).",
            why: "Thirty days: an issue that comes back after that is a regression, and regressions alert.",
        }),
        sentryKeyRateLimitPerMinute: integer({
            default: 600,
            min: 1,
            max: 1_000_000,
            description: "Events per minute each client key (DSN) may send; beyond it Sentry drops them.",
            why: "An error loop in every open browser must not spend the month's event quota in an hour. 600 a minute is ten a second, far above a normal day.",
        }),
        sentryErrorBurstCount: integer({
            default: 100,
            min: 2,
            max: 1_000_000,
            description: "Events of one issue in one hour that trigger the error-burst issue alert.",
            why: "A hundred occurrences of one error in an hour is an outage for some guests, even if the issue is old.",
        }),
        sentryErrorSpikeCount: integer({
            default: 200,
            min: 1,
            max: 10_000_000,
            description: "Server errors in one hour that trigger the error-spike metric alert.",
            why: "Well above a normal hour of the server's errors; tune it from the project's stats after a few weeks.",
        }),
        sentryP95Ms: integer({
            default: 2000,
            min: 50,
            max: 600_000,
            description: "p95 server transaction duration in milliseconds, over one hour, that triggers the slow-server metric alert.",
            why: "Two seconds at the 95th percentile: front-desk staff notice, and guests on the booking page leave.",
        }),
        sentrySlackWorkspaceId: text({
            optional: true,
            check: (value) => (/^\d+$/.test(value) ? undefined : "must be the numeric id of Sentry's Slack integration"),
            allowed: "the numeric id of the organization's Slack integration in Sentry (Settings → Integrations → Slack); set with `sentrySlackChannel`",
            description: "Id of Sentry's Slack integration; with sentrySlackChannel, the issue alerts also post there.",
            why: "Unset: alerts go by email to the team. Set both Slack settings to post them to a channel too.",
        }),
        sentrySlackChannel: text({
            optional: true,
            check: (value) => (/^#[a-z0-9_-]{1,80}$/.test(value) ? undefined : "must be a Slack channel name such as #ops-alerts"),
            allowed: "a Slack channel name such as `#ops-alerts`; set with `sentrySlackWorkspaceId`",
            description: "Slack channel Sentry's issue alerts post to, with sentrySlackWorkspaceId.",
            why: "Unset: no Slack. Alerts still go by email.",
        }),
    },
    relations: (values) => {
        const problems: RelationProblem[] = [];
        const { sentrySlackWorkspaceId: workspace, sentrySlackChannel: channel } = values;
        if ((workspace === undefined) !== (channel === undefined)) {
            const [setting, value, other] =
                workspace === undefined
                    ? ["sentrySlackChannel", channel, "sentrySlackWorkspaceId"]
                    : ["sentrySlackWorkspaceId", workspace, "sentrySlackChannel"];
            problems.push({ setting, value, allowed: `must be set together with ${other}: Sentry needs both the integration and the channel to post` });
        }
        return problems;
    },
});

type SlackSetting = "sentrySlackWorkspaceId" | "sentrySlackChannel";

/** The parsed settings; the Slack ones are undefined when unset (text() does not carry `optional` into Values). */
export type MonitoringSettings = Omit<Values<typeof monitoringArea.settings>, SlackSetting> & Record<SlackSetting, string | undefined>;
