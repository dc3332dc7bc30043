// IAM policy documents as plain data, the shape every area's pure policy builders return.

export interface PolicyStatement {
    Sid: string;
    Effect: "Allow" | "Deny";
    Principal?: "*" | { Service: string | string[] } | { AWS: string };
    Action: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/** One AWS service may assume the role, under `condition` (whom it acts for: no confused deputy). */
export function serviceTrustPolicy(sid: string, service: string, condition?: PolicyStatement["Condition"]): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: sid,
                Effect: "Allow",
                Principal: { Service: service },
                Action: "sts:AssumeRole",
                ...(condition === undefined ? {} : { Condition: condition }),
            },
        ],
    };
}

/** The account id in an ARN (`arn:partition:service:region:account:resource`). */
export function accountOf(arn: string): string {
    const account = arn.split(":")[4];
    if (account === undefined || !/^\d{12}$/.test(account)) {
        throw new Error(
            `cannot read an account id from ARN "${arn}": it is not an ARN with an account id; allowed: arn:aws:<service>:<region>:<12 digits>:<resource>`,
        );
    }
    return account;
}
