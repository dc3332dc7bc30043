// The tampering patterns held against CloudTrail events shaped as AWS documents them (CloudTrail
// record contents, the userIdentity element, "AWS API Call via CloudTrail" events on EventBridge):
// the deploy role's calls must not match, everyone else's must.
import { describe, expect, it } from "vitest";
import { deployRoleArn, deployRoleName } from "../shared/account.js";

const DEPLOY_ROLE_NAME = deployRoleName("prod");
import { matchesPattern } from "./eventPattern.js";
import {
    ACCOUNT_PUBLIC_ACCESS_EVENTS,
    ALARM_TAMPERING_EVENTS,
    BUCKET_TAMPERING_EVENTS,
    bucketTamperingPattern,
    KEY_TAMPERING_EVENTS,
    keyTamperingPattern,
    ROLE_TAMPERING_EVENTS,
    RULE_TAMPERING_EVENTS,
    roleTamperingPattern,
    SCHEDULE_TAMPERING_EVENTS,
    TARGET_TAMPERING_EVENTS,
    TOPIC_TAMPERING_EVENTS,
    TRAIL_TAMPERING_EVENTS,
    tamperingInputTemplate,
    watcherTamperingPattern,
} from "./tampering.js";

const ACCOUNT = "123456789012";
const REGION = "eu-west-3";
const DEPLOY = deployRoleArn(ACCOUNT, "prod");
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const BUCKET = "hotelgenius-ops-prod-backups";
const STEM = "hotelgenius-ops-prod";
const TOPIC_PREFIX = `arn:aws:sns:${REGION}:${ACCOUNT}:${STEM}-`;

/** A role session as CloudTrail records it: the session issuer is the role (its ARN with path). */
function roleSession(role: string, session: string, issuerArn = `arn:aws:iam::${ACCOUNT}:role/${role}`) {
    return {
        type: "AssumedRole",
        principalId: `AROAEXAMPLEROLEID:${session}`,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
        accountId: ACCOUNT,
        accessKeyId: "ASIAEXAMPLEKEYID",
        sessionContext: {
            sessionIssuer: { type: "Role", principalId: "AROAEXAMPLEROLEID", arn: issuerArn, accountId: ACCOUNT, userName: role },
            webIdFederationData: {},
            attributes: { creationDate: "2026-12-06T21:00:00Z", mfaAuthenticated: "false" },
        },
    };
}

const IDENTITIES = {
    deploy: roleSession(DEPLOY_ROLE_NAME, "GitHubActions"),
    anotherRole: roleSession("AdministratorAccess-sso", "mallory@example.com"),
    lookAlikeRole: roleSession(`${DEPLOY_ROLE_NAME}-2`, "GitHubActions"),
    iamUser: {
        type: "IAMUser",
        principalId: "AIDAEXAMPLEUSERID",
        arn: `arn:aws:iam::${ACCOUNT}:user/mallory`,
        accountId: ACCOUNT,
        accessKeyId: "AKIAEXAMPLEKEYID",
        userName: "mallory",
    },
    rootConsole: {
        type: "Root",
        principalId: ACCOUNT,
        arn: `arn:aws:iam::${ACCOUNT}:root`,
        accountId: ACCOUNT,
        accessKeyId: "ASIAEXAMPLEKEYID",
        sessionContext: { attributes: { creationDate: "2026-12-06T21:00:00Z", mfaAuthenticated: "true" } },
    },
};
type Who = keyof typeof IDENTITIES;
const ATTACKERS = (Object.keys(IDENTITIES) as Who[]).filter((who) => who !== "deploy");

interface Call {
    service: string;
    eventName: string;
    requestParameters?: Record<string, unknown>;
    resources?: { type: string; ARN: string }[];
    region?: string;
}

/** The EventBridge event of one CloudTrail management call. */
function cloudTrailEvent(call: Call, who: Who) {
    const region = call.region ?? REGION;
    return {
        version: "0",
        id: "6f87d04b-9f74-4f04-a780-7acf4b0a9b38",
        "detail-type": "AWS API Call via CloudTrail",
        source: `aws.${call.service}`,
        account: ACCOUNT,
        time: "2026-12-06T21:10:00Z",
        region,
        resources: [],
        detail: {
            eventVersion: "1.09",
            userIdentity: IDENTITIES[who],
            eventTime: "2026-12-06T21:10:00Z",
            eventSource: `${call.service}.amazonaws.com`,
            eventName: call.eventName,
            awsRegion: region,
            sourceIPAddress: "203.0.113.7",
            userAgent: "aws-cli/2.22.0",
            requestParameters: call.requestParameters ?? null,
            responseElements: null,
            requestID: "c1c6b8f0-1111-2222-3333-444455556666",
            eventID: "0b4ab8e5-7777-8888-9999-aaaabbbbcccc",
            readOnly: false,
            ...(call.resources === undefined ? {} : { resources: call.resources.map((resource) => ({ accountId: ACCOUNT, ...resource })) }),
            eventType: "AwsApiCall",
            managementEvent: true,
            recipientAccountId: ACCOUNT,
            eventCategory: "Management",
        },
    };
}

/** Each call matches for every caller but the deploy role. */
function expectPagesForAllButDeploy(pattern: Record<string, unknown>, call: Call): void {
    expect(matchesPattern(pattern, cloudTrailEvent(call, "deploy")), `${call.eventName} by the deploy role`).toBe(false);
    for (const who of ATTACKERS) expect(matchesPattern(pattern, cloudTrailEvent(call, who)), `${call.eventName} by ${who}`).toBe(true);
}

function expectNeverPages(pattern: Record<string, unknown>, call: Call): void {
    for (const who of ATTACKERS) expect(matchesPattern(pattern, cloudTrailEvent(call, who)), `${call.eventName} by ${who}`).toBe(false);
}

describe("key tampering", () => {
    const pattern = keyTamperingPattern([KEY], DEPLOY);
    const onKey = (eventName: string, requestParameters: Record<string, unknown> = { keyId: "alias/hotelgenius-ops-prod-backups" }) => ({
        service: "kms",
        eventName,
        requestParameters,
        resources: [{ type: "AWS::KMS::Key", ARN: KEY }],
    });

    it.each(KEY_TAMPERING_EVENTS)("%s on a watched key pages, unless the deploy role made it", (eventName) => {
        expectPagesForAllButDeploy(pattern, onKey(eventName));
    });

    it("matches DeleteAlias, whose resources list the alias and the key it pointed to", () => {
        expectPagesForAllButDeploy(pattern, {
            ...onKey("DeleteAlias", { aliasName: "alias/hotelgenius-ops-prod-backups" }),
            resources: [
                { type: "AWS::KMS::Key", ARN: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/hotelgenius-ops-prod-backups` },
                { type: "AWS::KMS::Key", ARN: KEY },
            ],
        });
    });

    it("ignores other keys and harmless calls", () => {
        expectNeverPages(pattern, { ...onKey("DisableKey"), resources: [{ type: "AWS::KMS::Key", ARN: `arn:aws:kms:${REGION}:${ACCOUNT}:key/other` }] });
        expectNeverPages(pattern, onKey("EnableKeyRotation"));
    });
});

describe("bucket tampering", () => {
    const pattern = bucketTamperingPattern([BUCKET], DEPLOY);

    it.each(BUCKET_TAMPERING_EVENTS)("%s on a watched bucket pages, unless the deploy role made it", (eventName) => {
        expectPagesForAllButDeploy(pattern, {
            service: "s3",
            eventName,
            requestParameters: { bucketName: BUCKET, Host: `${BUCKET}.s3.${REGION}.amazonaws.com` },
        });
    });

    it("pages on suspending versioning, the call that stops replication", () => {
        expectPagesForAllButDeploy(pattern, {
            service: "s3",
            eventName: "PutBucketVersioning",
            requestParameters: { bucketName: BUCKET, VersioningConfiguration: { Status: "Suspended" }, versioning: "" },
        });
    });

    it.each(ACCOUNT_PUBLIC_ACCESS_EVENTS)("%s on the account (no bucket) pages, unless the deploy role made it", (eventName) => {
        expectPagesForAllButDeploy(pattern, { service: "s3", eventName, requestParameters: { accountId: ACCOUNT } });
    });

    it("ignores other buckets", () => {
        expectNeverPages(pattern, { service: "s3", eventName: "DeleteBucketPolicy", requestParameters: { bucketName: "someone-elses-bucket" } });
    });
});

describe("watcher tampering (trail, rules, topics, alarms, schedules)", () => {
    const pattern = watcherTamperingPattern({ namePrefix: `${STEM}-`, topicArnPrefix: TOPIC_PREFIX }, DEPLOY);
    const trail = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/organization-trail`;

    it.each(TRAIL_TAMPERING_EVENTS)("CloudTrail %s on any trail pages, unless the deploy role made it", (eventName) => {
        expectPagesForAllButDeploy(pattern, { service: "cloudtrail", eventName, requestParameters: { name: trail, trailName: trail } });
    });

    it.each(RULE_TAMPERING_EVENTS)("EventBridge %s on one of the stack's rules pages", (eventName) => {
        expectPagesForAllButDeploy(pattern, { service: "events", eventName, requestParameters: { name: `${STEM}-tampering-keys` } });
    });

    it.each(TARGET_TAMPERING_EVENTS)("EventBridge %s on one of the stack's rules (named in `rule`) pages", (eventName) => {
        expectPagesForAllButDeploy(pattern, { service: "events", eventName, requestParameters: { rule: `${STEM}-backup-task-failed`, ids: ["1"] } });
    });

    it.each(TOPIC_TAMPERING_EVENTS)("SNS %s on one of the stack's topics pages", (eventName) => {
        expectPagesForAllButDeploy(pattern, { service: "sns", eventName, requestParameters: { topicArn: `${TOPIC_PREFIX}alerts` } });
    });

    it("SNS Unsubscribe from one of the stack's topics pages (the subscription ARN starts with the topic's)", () => {
        expectPagesForAllButDeploy(pattern, {
            service: "sns",
            eventName: "Unsubscribe",
            requestParameters: { subscriptionArn: `${TOPIC_PREFIX}pager:0b7f6b2c-2f1e-4b8e-9d4c-2c1f0e9d8a7b` },
        });
    });

    it.each(ALARM_TAMPERING_EVENTS)("CloudWatch %s of a list holding one of the stack's alarms pages", (eventName) => {
        expectPagesForAllButDeploy(pattern, { service: "monitoring", eventName, requestParameters: { alarmNames: ["unrelated", `${STEM}-backup-missing`] } });
    });

    it("CloudWatch PutMetricAlarm rewriting one of the stack's alarms pages", () => {
        expectPagesForAllButDeploy(pattern, { service: "monitoring", eventName: "PutMetricAlarm", requestParameters: { alarmName: `${STEM}-site-down` } });
    });

    it.each(SCHEDULE_TAMPERING_EVENTS)("Scheduler %s of any schedule of the region pages, whatever field names it", (eventName) => {
        expectPagesForAllButDeploy(pattern, { service: "scheduler", eventName, requestParameters: { name: `${STEM}-backup`, groupName: "default" } });
        expectPagesForAllButDeploy(pattern, { service: "scheduler", eventName, requestParameters: { Name: "another-schedule", GroupName: "default" } });
    });

    it("ignores other stacks' and apps' rules, topics and alarms, reading a schedule, and a service's fields under another service", () => {
        expectNeverPages(pattern, { service: "events", eventName: "DeleteRule", requestParameters: { name: "other-app-rule" } });
        expectNeverPages(pattern, {
            service: "sns",
            eventName: "DeleteTopic",
            requestParameters: { topicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:other-topic` },
        });
        expectNeverPages(pattern, { service: "monitoring", eventName: "DeleteAlarms", requestParameters: { alarmNames: ["other-alarm"] } });
        expectNeverPages(pattern, { service: "scheduler", eventName: "GetSchedule", requestParameters: { name: `${STEM}-backup` } });
        expectNeverPages(pattern, { service: "sns", eventName: "DeleteRule", requestParameters: { name: `${STEM}-tampering-keys` } });
        expectNeverPages(pattern, { service: "cloudtrail", eventName: "LookupEvents" });
    });

    it("ignores custom events dressed as CloudTrail calls: only AWS services send aws.* sources", () => {
        const forged = { ...cloudTrailEvent({ service: "cloudtrail", eventName: "StopLogging" }, "iamUser"), source: "hotelgenius.forged" };
        expect(matchesPattern(pattern, forged)).toBe(false);
    });
});

describe("role tampering (us-east-1)", () => {
    const roles = [`${STEM}-backup-task`, `${STEM}-backup-replication`, "break-glass"];
    const pattern = roleTamperingPattern(roles, DEPLOY);

    it.each(ROLE_TAMPERING_EVENTS)("IAM %s on a watched role pages, unless the deploy role made it", (eventName) => {
        expectPagesForAllButDeploy(pattern, { service: "iam", eventName, requestParameters: { roleName: `${STEM}-backup-task` }, region: "us-east-1" });
    });

    it("pages when anyone creates a role by the break-glass name, which the key policies trust", () => {
        expectPagesForAllButDeploy(pattern, {
            service: "iam",
            eventName: "CreateRole",
            requestParameters: { roleName: "break-glass", path: "/", assumeRolePolicyDocument: "{}" },
            region: "us-east-1",
        });
    });

    it("ignores other roles", () => {
        expectNeverPages(pattern, { service: "iam", eventName: "CreateRole", requestParameters: { roleName: "someone-elses-role" }, region: "us-east-1" });
    });
});

describe("tampering input template", () => {
    it("tells who did what, says the deploy role is excluded, and ends with the runbook", () => {
        const text = JSON.parse(tamperingInputTemplate("Alerting changed", "https://runbooks.test/alert-tampering.md")) as string;
        expect(text).toBe(
            "Alerting changed: <event> at <time> in <region> by <who> from <from> (error code, if refused: <error>). Not the deploy role: if nobody " +
                "on the team did this, treat it as an incident now. Runbook: https://runbooks.test/alert-tampering.md",
        );
    });
});
