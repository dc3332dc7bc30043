// The alerts' SNS topics: each encrypted under its own key (the AWS-managed SNS key would not let
// EventBridge or CloudWatch publish), with its subscriptions: the alert emails, or the pager.
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { guardedKey } from "../shared/guardedKey.js";
import { topicKeyStatements, topicPolicy } from "./rules.js";

/** How a topic's key is kept: protected where data is, and under the guarded key policy. */
export interface TopicKeyGuard {
    protectData: boolean;
    /** The only principal that may disable the key or change its policy (stacks/shared/guardedKey.ts). */
    breakGlassRoleArn: string;
    deletionWindowDays: number;
}

export interface Subscription {
    /** SNS protocol: `email`, `https` or `sms`. */
    protocol: string;
    endpoint: string;
}

/**
 * A KMS-encrypted topic only this account's EventBridge rules and CloudWatch alarms may publish to,
 * with its subscriptions; its key too, which the tampering rules watch.
 */
export function alertsTopic(
    parent: pulumi.Resource,
    guard: TopicKeyGuard,
    id: string,
    topicName: string,
    subscriptions: readonly Subscription[],
    account: pulumi.Output<string>,
    extra: pulumi.CustomResourceOptions,
): { topic: aws.sns.Topic; key: aws.kms.Key } {
    const child = { ...extra, parent };
    const key = guardedKey({
        id,
        description: `Encrypts the ${topicName} alerts topic`,
        breakGlassRoleArn: guard.breakGlassRoleArn,
        deletionWindowDays: guard.deletionWindowDays,
        // EventBridge's statement as the SNS and EventBridge guides give it, shipped with the guard that freezes it.
        serviceStatements: account.apply(topicKeyStatements),
        keyOptions: { ...child, protect: guard.protectData, retainOnDelete: guard.protectData },
    });
    const topic = new aws.sns.Topic(id, { name: topicName, kmsMasterKeyId: key.arn }, child);
    const policy = pulumi.all([topic.arn, account]).apply(([arn, owner]) => topicPolicy(arn, owner));
    new aws.sns.TopicPolicy(`${id}-policy`, { arn: topic.arn, policy: pulumi.jsonStringify(policy) }, child);
    for (const { protocol, endpoint } of subscriptions) {
        // Named by a hash of the endpoint, so reordering the list does not resubscribe (and re-confirm) anyone.
        const digest = createHash("sha256").update(endpoint.toLowerCase()).digest("hex").slice(0, 8);
        new aws.sns.TopicSubscription(
            `${id}-${protocol}-${digest}`,
            {
                topic: topic.arn,
                protocol,
                endpoint,
                // On-call services confirm their SNS subscriptions themselves; one that does not fails `pulumi up` instead of staying pending.
                ...(protocol === "https" ? { endpointAutoConfirms: true } : {}),
            },
            child,
        );
    }
    return { topic, key };
}
