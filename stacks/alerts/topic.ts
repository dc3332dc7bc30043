// The alerts' SNS topics: each encrypted under its own key (the AWS-managed SNS key would not let
// EventBridge or CloudWatch publish), with one email subscription per recipient.
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { topicKeyPolicy, topicPolicy } from "./rules.js";

/** A KMS-encrypted topic only this account's EventBridge rules and CloudWatch alarms may publish to, with one email subscription per recipient. */
export function alertsTopic(
    parent: pulumi.Resource,
    protectData: boolean,
    id: string,
    topicName: string,
    emails: readonly string[],
    account: pulumi.Output<string>,
    extra: pulumi.CustomResourceOptions,
): aws.sns.Topic {
    const child = { ...extra, parent };
    const key = new aws.kms.Key(
        `${id}-key`,
        {
            description: `Encrypts the ${topicName} alerts topic`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: pulumi.jsonStringify(account.apply(topicKeyPolicy)),
        },
        { ...child, protect: protectData, retainOnDelete: protectData },
    );
    const topic = new aws.sns.Topic(id, { name: topicName, kmsMasterKeyId: key.arn }, child);
    const policy = pulumi.all([topic.arn, account]).apply(([arn, owner]) => topicPolicy(arn, owner));
    new aws.sns.TopicPolicy(`${id}-policy`, { arn: topic.arn, policy: pulumi.jsonStringify(policy) }, child);
    for (const email of emails) {
        // Named by a hash of the address, so reordering the list does not resubscribe (and re-confirm) anyone.
        const digest = createHash("sha256").update(email.toLowerCase()).digest("hex").slice(0, 8);
        new aws.sns.TopicSubscription(`${id}-email-${digest}`, { topic: topic.arn, protocol: "email", endpoint: email }, child);
    }
    return topic;
}
