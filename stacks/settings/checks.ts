// Checks of the settings every area shares: the region and data residency, email addresses, https URLs.
import { Region } from "@pulumi/aws/types/enums/index.js";
import { suggestion } from "./spec.js";

export const AWS_REGIONS: readonly string[] = Object.values(Region);

/** Whether an address is usable as an SNS email endpoint (a pragmatic subset of RFC 5321). */
export function isEmail(value: string): boolean {
    const match = /^([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64})@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$/.exec(value);
    if (match === null) return false;
    const local = match[1]!;
    return !local.startsWith(".") && !local.endsWith(".") && !local.includes("..");
}

/**
 * Where guests' personal data may be stored. HotelGenius serves European hotels: backups, replicas
 * and log archives stay in AWS regions inside the EU unless `dataResidency` says otherwise.
 */
export const EU_REGIONS: readonly string[] = ["eu-west-3", "eu-west-1", "eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2"];
export const DATA_RESIDENCIES = ["eu", "unrestricted"] as const;
export type DataResidency = (typeof DATA_RESIDENCIES)[number];

/** Why a region is not an AWS region, or may not hold data under `residency`; undefined when it may. */
export function checkDataRegion(region: string, residency: DataResidency | undefined): string | undefined {
    if (!AWS_REGIONS.includes(region)) return `must be an AWS region code${suggestion(region, AWS_REGIONS)}`;
    if (residency === "eu" && !EU_REGIONS.includes(region)) {
        return (
            `must be an EU region (${EU_REGIONS.join(", ")}): it holds guests' personal data and dataResidency is "eu"; set dataResidency to ` +
            `"unrestricted" only with the data protection officer's approval`
        );
    }
    return undefined;
}

/** Why a list of alert recipients is unusable (duplicates would make SNS send each alert twice). */
export function checkEmailList(emails: string[]): string | undefined {
    if (emails.length === 0) return "must list at least one email address: alerts that reach nobody are not alerts";
    const duplicates = emails.filter((email, index) => emails.findIndex((other) => other.toLowerCase() === email.toLowerCase()) !== index);
    if (duplicates.length > 0) return `must not repeat an address (${duplicates.join(", ")}): SNS would send each alert twice`;
    return undefined;
}

export function checkEmail(value: string): string | undefined {
    return isEmail(value) ? undefined : "is not an email address; each item must look like name@example.com";
}

export function checkHttpsUrl(value: string): string | undefined {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return "must be an https:// URL such as https://app.hotelgenius.eu/health";
    }
    if (url.protocol !== "https:") return `must use https://, not ${url.protocol}//: the check must prove the certificate and TLS work too`;
    if (url.username !== "" || url.password !== "") return "must not carry a user name or password";
    return undefined;
}

/** The backup job's Sentry DSN (backupSentryDsn). */
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
