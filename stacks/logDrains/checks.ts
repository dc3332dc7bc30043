// The log drains' settings checks: the log service endpoint, log group names and lists.

/** Why a log service URL cannot be a Firehose HTTP endpoint destination, or undefined. Never echoes credentials. */
export function checkLogServiceEndpoint(value: string): string | undefined {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return "must be an https:// URL such as https://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input";
    }
    if (url.protocol !== "https:") return `must use https:// (Firehose delivers only over TLS); got ${url.protocol.replace(/:$/, "")}://`;
    if (url.username !== "" || url.password !== "") return "must not carry credentials: put the key in logServiceAccessKey, which goes to Secrets Manager";
    if (value.length > 1000) return `must be at most 1000 characters (the Firehose limit); got ${value.length}`;
    return undefined;
}

/** Why a CloudWatch Logs log group name is invalid, or undefined. */
export function checkLogGroupName(value: string): string | undefined {
    return /^[.\-_/#A-Za-z0-9]{1,512}$/.test(value) ? undefined : "is not a CloudWatch Logs log group name: 1-512 characters of letters, digits and . - _ / #";
}

/** Why a list of log groups to drain is unusable: each group takes one subscription filter of the two CloudWatch Logs allows. */
export function checkLogGroupList(names: string[]): string | undefined {
    const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
    return duplicates.length > 0 ? `must not repeat a log group (${duplicates.join(", ")}): each group gets exactly one subscription filter` : undefined;
}
