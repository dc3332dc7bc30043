import { checkHttpsUrl, isEmail } from "../settings/checks.js";

export const ROUTE53_CHECKER_REGIONS: readonly string[] = [
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
];

export function checkCheckerRegions(regions: string[]): string | undefined {
    const unknown = regions.filter((region) => !ROUTE53_CHECKER_REGIONS.includes(region));
    if (unknown.length > 0) return `must name Route 53 checker regions only (${ROUTE53_CHECKER_REGIONS.join(", ")}); not: ${unknown.join(", ")}`;
    if (new Set(regions).size !== regions.length) return "must not repeat a region";
    if (regions.length < 3) return `must list at least 3 regions (Route 53's minimum), got ${regions.length}`;
    return undefined;
}

/** How SNS reaches the second channel: an on-call service's HTTPS integration, a phone by SMS, or another mailbox. */
export type PagerProtocol = "https" | "sms" | "email";

/** E.164: a plus sign and 8 to 15 digits, the form SNS takes for SMS. */
const E164 = /^\+[1-9]\d{7,14}$/;

/** The SNS protocol of a pager endpoint, or undefined when it is none of the three forms. */
export function pagerProtocol(endpoint: string): PagerProtocol | undefined {
    if (E164.test(endpoint)) return "sms";
    if (isEmail(endpoint)) return "email";
    if (endpoint.startsWith("https://") && checkHttpsUrl(endpoint) === undefined) return "https";
    return undefined;
}

export function checkPagerEndpoint(endpoint: string): string | undefined {
    if (pagerProtocol(endpoint) !== undefined) return undefined;
    if (/^http:\/\//i.test(endpoint)) return "must use https://: SNS would send alerts to it in clear text";
    return (
        "must be an https:// URL of the on-call service's SNS integration, a phone number in E.164 form such as +33612345678 (SMS), or an email " +
        "address on another domain than alertEmails"
    );
}

/** An email second channel on the primary channel's domain fails with it: same mail system, same outage, same filters. */
export function checkPagerIndependent(endpoint: string, alertEmails: readonly string[]): string | undefined {
    if (pagerProtocol(endpoint) !== "email") return undefined;
    const domainOf = (email: string) => email.slice(email.lastIndexOf("@") + 1).toLowerCase();
    const shared = domainOf(endpoint);
    if (!alertEmails.some((email) => domainOf(email) === shared)) return undefined;
    return (
        `must not be on ${shared}, the domain of alertEmails: the second channel must not fail with the first; use an on-call service's https:// ` +
        `URL, an SMS number, or an address at another mail provider`
    );
}
