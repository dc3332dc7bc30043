// Who may assume a role the stacks create: always one AWS service, and only on behalf of this
// account (no confused deputy: another customer's resource cannot make the service act with our
// role). Every trust policy of the stacks comes from here, so none can forget the guard.
import type { PolicyDocument } from "./iam.js";

export interface ServiceTrust {
    /** The statement's Sid, saying who assumes the role and why. */
    sid: string;
    /** The service principal, e.g. "s3.amazonaws.com". */
    service: string;
    /** The account whose resources alone may make the service assume the role (aws:SourceAccount). */
    account: string;
    /**
     * The resources (ARN pattern) that may, as aws:SourceArn; given for the services whose guides document
     * that key for this role (ECS tasks, CloudWatch Logs subscriptions, S3 replication, EventBridge
     * Scheduler's schedule group). A service that does not send it would then be refused, so it is left out
     * where the service documents only aws:SourceAccount (Firehose's delivery role).
     */
    sourceArn?: string;
}

/** A trust policy letting `service` assume the role only for `account` (and `sourceArn` when given). */
export function serviceTrustPolicy(trust: ServiceTrust): PolicyDocument {
    if (!/^\d{12}$/.test(trust.account)) throw new Error(`trust ${trust.sid}: account "${trust.account}" is not a 12-digit AWS account id`);
    if (!/^[a-z0-9.-]+\.amazonaws\.com$/.test(trust.service)) {
        throw new Error(`trust ${trust.sid}: "${trust.service}" is not a service principal; allowed: <service>.amazonaws.com`);
    }
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: trust.sid,
                Effect: "Allow",
                Principal: { Service: trust.service },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: { "aws:SourceAccount": trust.account },
                    ...(trust.sourceArn === undefined ? {} : { ArnLike: { "aws:SourceArn": trust.sourceArn } }),
                },
            },
        ],
    };
}
