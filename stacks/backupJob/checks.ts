// The backup job's own settings checks: the database URL (by the job's own parser), the network ids
// and the drill's scratch server.
import { parseDatabaseUrl, refusePoolerHost } from "../../job/src/postgres/dburl.js";

/**
 * Why the backup job would refuse a database URL, or undefined: the job's own parser decides, so a
 * URL the stack accepts is one the nightly run can use (raw "@", "#", "/", "%" in a password, a
 * `-pooler` host, ...). Its messages never quote the URL.
 */
export function checkDatabaseUrl(value: string): string | undefined {
    try {
        refusePoolerHost(parseDatabaseUrl(value, "the URL"), "the URL");
        return undefined;
    } catch (error) {
        return `must be a postgres:// URL of the database's direct endpoint that the backup job accepts: ${(error as Error).message}`;
    }
}

export function checkSubnetId(value: string): string | undefined {
    return /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(value) ? undefined : "is not a subnet id (subnet- followed by 8 or 17 hex digits)";
}

export function checkVpcId(value: string): string | undefined {
    return /^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(value) ? undefined : "must be a VPC id (vpc- followed by 8 or 17 hex digits)";
}

function serverOf(value: string): string | undefined {
    try {
        const url = new URL(value);
        return `${url.hostname.toLowerCase()}:${url.port || "5432"}`;
    } catch {
        return undefined;
    }
}

export function checkScratchServer(scratchUrl: string, databaseUrl: string): string | undefined {
    const scratch = serverOf(scratchUrl);
    if (scratch === undefined || scratch !== serverOf(databaseUrl)) return undefined;
    return (
        "must point at another server than databaseUrl: the drill creates and fills a database next to it, " +
        "which on the production server copies guests' data there and loads it"
    );
}
