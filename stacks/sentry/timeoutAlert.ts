// The Sentry issue alert for the one incident the team's handbook has a runbook for: the server
// cannot reach its database (runbooks/database-connection-timeout.md). Pure: tested without mocks.
import { DATABASE_TIMEOUT_SIGNATURES } from "../shared/databaseTimeouts.js";

/** Where a driver's text lands in a Sentry event: a thrown Error's value, or a captured message. */
const ATTRIBUTES = ["exception.value", "message"] as const;

/**
 * When: a new timeout issue, one that comes back, or one seen more than twice in five minutes (an
 * old issue whose outage starts again). Any of them, with the filters below.
 */
export const TIMEOUT_CONDITIONS: Record<string, string>[] = [
    { id: "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition" },
    { id: "sentry.rules.conditions.regression_event.RegressionEventCondition" },
    { id: "sentry.rules.conditions.event_frequency.EventFrequencyCondition", value: "2", comparisonType: "count", interval: "5m" },
];

/** If: the event's exception value or message contains one of the drivers' timeout texts ("co" is Sentry's "contains"); with filterMatch "any". */
export function timeoutFilters(): Record<string, string>[] {
    return DATABASE_TIMEOUT_SIGNATURES.flatMap(({ text }) =>
        ATTRIBUTES.map((attribute) => ({ id: "sentry.rules.filters.event_attribute.EventAttributeFilter", attribute, match: "co", value: text })),
    );
}
