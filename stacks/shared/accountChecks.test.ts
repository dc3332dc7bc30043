// The account checks against the SDK's own mock (aws-sdk-client-mock): the real clients, the real
// commands, no AWS account. One client per region, as the checks create them.
import { CloudTrailClient, DescribeTrailsCommand, GetTrailStatusCommand, type Trail } from "@aws-sdk/client-cloudtrail";
import { GetRoleCommand, IAMClient, NoSuchEntityException } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { TRAIL_NAME, BREAK_GLASS_ROLE_NAME, breakGlassRoleArn } from "./account.js";
import { type AccountClients, accountCheckPlan, checkAccount } from "./accountChecks.js";

const ACCOUNT = "123456789012";
const ROLE_ARN = breakGlassRoleArn(ACCOUNT);
const REGIONS = ["eu-west-3", "eu-central-1", "us-east-1"];
const plan = accountCheckPlan(REGIONS, ROLE_ARN);
const trailArn = (region: string, name: string) => `arn:aws:cloudtrail:${region}:${ACCOUNT}:trail/${name}`;
const ACCOUNT_TRAIL: Trail = {
    Name: TRAIL_NAME,
    TrailARN: trailArn("eu-west-3", TRAIL_NAME),
    IsMultiRegionTrail: true,
    HomeRegion: "eu-west-3",
};

interface Account {
    /** Trails DescribeTrails answers with (shadow trails included): the same list in every region. */
    trails: Trail[];
    /** Trail ARNs GetTrailStatus reports as logging. */
    logging: string[];
    /** The role GetRole answers with; undefined: NoSuchEntity. */
    roleArn?: string;
}

const stubs: { restore(): void }[] = [];
afterEach(() => {
    for (const stub of stubs.splice(0)) stub.restore();
});

/** One mocked client per region and one for IAM, answering as `account` would; the stubs record the calls. */
function clientsFor(account: Account) {
    const trailStubs = new Map<string, ReturnType<typeof mockClient<any, any, any>>>();
    const cloudTrails = new Map<string, CloudTrailClient>();
    for (const region of REGIONS) {
        const client = new CloudTrailClient({ region });
        const stub = mockClient(client);
        stub.on(DescribeTrailsCommand).resolves({ trailList: account.trails });
        stub.on(GetTrailStatusCommand).callsFake(async (input: { Name: string }) => ({ IsLogging: account.logging.includes(input.Name) }));
        trailStubs.set(region, stub);
        cloudTrails.set(region, client);
        stubs.push(stub);
    }
    const iam = new IAMClient({ region: "us-east-1" });
    const iamStub = mockClient(iam);
    stubs.push(iamStub);
    if (account.roleArn === undefined) {
        iamStub
            .on(GetRoleCommand)
            .rejects(new NoSuchEntityException({ message: `The role with name ${BREAK_GLASS_ROLE_NAME} cannot be found.`, $metadata: {} }));
    } else {
        iamStub.on(GetRoleCommand).resolves({
            Role: { Arn: account.roleArn, RoleName: BREAK_GLASS_ROLE_NAME, Path: "/security/", RoleId: "AROAEXAMPLE", CreateDate: new Date(0) },
        });
    }
    const clients: AccountClients = { cloudTrail: (region) => cloudTrails.get(region)!, iam: () => iam };
    return { clients, trailStubs, iamStub };
}

const failure = async (account: Account): Promise<string> => {
    const rejection = await checkAccount(plan, clientsFor(account).clients).then(
        () => undefined,
        (error: Error) => error.message,
    );
    if (rejection === undefined) throw new Error("the checks passed");
    return rejection;
};

describe("checkAccount", () => {
    it("passes with a multi-region trail logging and the break-glass role in place, asking each region and IAM", async () => {
        const { clients, trailStubs, iamStub } = clientsFor({ trails: [ACCOUNT_TRAIL], logging: [ACCOUNT_TRAIL.TrailARN!], roleArn: ROLE_ARN });
        await expect(checkAccount(plan, clients)).resolves.toBeUndefined();
        for (const region of REGIONS) {
            expect(
                trailStubs
                    .get(region)!
                    .commandCalls(DescribeTrailsCommand)
                    .map((call) => call.args[0].input),
            ).toEqual([{ includeShadowTrails: true }]);
            expect(
                trailStubs
                    .get(region)!
                    .commandCalls(GetTrailStatusCommand)
                    .map((call) => call.args[0].input),
            ).toEqual([{ Name: ACCOUNT_TRAIL.TrailARN }]);
        }
        expect(iamStub.commandCalls(GetRoleCommand).map((call) => call.args[0].input)).toEqual([{ RoleName: BREAK_GLASS_ROLE_NAME }]);
    });

    it("accepts another trail that is logging (an organization trail), and a single-region trail in its own region only", async () => {
        const organization: Trail = { Name: "org-trail", TrailARN: trailArn("eu-west-1", "org-trail"), IsMultiRegionTrail: true, HomeRegion: "eu-west-1" };
        await expect(
            checkAccount(plan, clientsFor({ trails: [organization], logging: [organization.TrailARN!], roleArn: ROLE_ARN }).clients),
        ).resolves.toBeUndefined();

        const parisOnly: Trail = { Name: "paris", TrailARN: trailArn("eu-west-3", "paris"), IsMultiRegionTrail: false, HomeRegion: "eu-west-3" };
        const message = await failure({ trails: [parisOnly], logging: [parisOnly.TrailARN!], roleArn: ROLE_ARN });
        expect(message).not.toContain("in eu-west-3");
        expect(message).toContain("no CloudTrail trail is logging in eu-central-1 (found none)");
        expect(message).toContain("no CloudTrail trail is logging in us-east-1 (found none)");
    });

    it("fails naming every region without a trail, the trail to create and the bootstrap program", async () => {
        expect(await failure({ trails: [], logging: [], roleArn: ROLE_ARN })).toBe(
            [
                "The AWS account is not ready for this stack:",
                ...REGIONS.map(
                    (region) =>
                        `  - no CloudTrail trail is logging in ${region} (found none), so the tampering rules there can never fire; run the bootstrap program ` +
                        `as an administrator (cd bootstrap && pulumi up --stack account) to create the trail ${TRAIL_NAME}, or start logging the ` +
                        "account's organization trail",
                ),
            ].join("\n"),
        );
    });

    it("does not count a trail whose logging is off", async () => {
        expect(await failure({ trails: [ACCOUNT_TRAIL], logging: [], roleArn: ROLE_ARN })).toContain(
            `no CloudTrail trail is logging in eu-west-3 (found only ${TRAIL_NAME} (logging off))`,
        );
    });

    it("fails when the break-glass role does not exist, or exists at another path, and says what to do", async () => {
        expect(await failure({ trails: [ACCOUNT_TRAIL], logging: [ACCOUNT_TRAIL.TrailARN!] })).toBe(
            "The AWS account is not ready for this stack:\n" +
                `  - the break-glass role ${ROLE_ARN} does not exist, so nobody can change or disable the keys, and whoever creates a role by that name ` +
                "first holds their admin rights; run the bootstrap program as an administrator (cd bootstrap && pulumi up --stack account) to create it",
        );
        const elsewhere = `arn:aws:iam::${ACCOUNT}:role/${BREAK_GLASS_ROLE_NAME}`;
        expect(await failure({ trails: [ACCOUNT_TRAIL], logging: [ACCOUNT_TRAIL.TrailARN!], roleArn: elsewhere })).toContain(
            `the break-glass role ${ROLE_ARN} does not exist: IAM has a role named ${BREAK_GLASS_ROLE_NAME} at ${elsewhere}, which the key policies do not exempt`,
        );
    });

    it("names the permission the deploy role lacks when AWS refuses a call", async () => {
        const { clients, trailStubs, iamStub } = clientsFor({ trails: [ACCOUNT_TRAIL], logging: [ACCOUNT_TRAIL.TrailARN!], roleArn: ROLE_ARN });
        const denied = Object.assign(new Error("not authorized"), { name: "AccessDeniedException" });
        trailStubs.get("eu-central-1")!.on(DescribeTrailsCommand).rejects(denied);
        iamStub.on(GetRoleCommand).rejects(Object.assign(new Error("not authorized"), { name: "AccessDenied" }));
        const message = await checkAccount(plan, clients).catch((error: Error) => error.message);
        expect(message).toContain(
            "CloudTrail DescribeTrails in eu-central-1 failed (AccessDeniedException: not authorized); the deploy role needs cloudtrail:DescribeTrails and " +
                "cloudtrail:GetTrailStatus",
        );
        expect(message).toContain(
            `IAM GetRole ${BREAK_GLASS_ROLE_NAME} failed (AccessDenied: not authorized); the deploy role needs iam:GetRole on ${ROLE_ARN}`,
        );
        expect(message).not.toContain("eu-west-3");
    });
});

describe("accountCheckPlan", () => {
    it("lists each region once, the bootstrap trail, the role and the calls the deploy role needs", () => {
        expect(accountCheckPlan(["eu-west-3", "us-east-1", "eu-west-3"], ROLE_ARN)).toEqual({
            trailLoggingIn: ["eu-west-3", "us-east-1"],
            expectedTrail: TRAIL_NAME,
            breakGlassRoleExists: ROLE_ARN,
            calls: ["cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "iam:GetRole"],
        });
    });
});
