// What every stack checks in its AWS account at `pulumi preview` and `pulumi up`, before it creates
// anything: the tampering rules receive "AWS API Call via CloudTrail" events only from a trail that
// is logging in their region, and the key policies exempt a break-glass role by ARN, which must
// exist (until it does, anyone allowed to create IAM roles could create it and hold the keys' admin
// rights). Both belong to the account, not to a stack: the bootstrap program creates them
// (stacks/shared/account.ts has their names). Under the offline plan (the mock runtime) nothing is
// called; the plan's `accountChecks` output says what preview and up check.
import { CloudTrailClient, DescribeTrailsCommand, GetTrailStatusCommand } from "@aws-sdk/client-cloudtrail";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks.js";
import { TRAIL_NAME } from "./account.js";

/** What an administrator runs to create the trail and the role (bootstrap/, its stack "account"). */
export const BOOTSTRAP_INSTRUCTIONS = "run the bootstrap program as an administrator (cd bootstrap && pulumi up --stack account)";

/** What a stack checks; the same object is the stack output `accountChecks`. */
export interface AccountCheckPlan {
    /** Regions where a trail must be logging: every region the stack has tampering rules or topics in. */
    trailLoggingIn: string[];
    /** The trail the bootstrap program creates; any other trail logging there (an organization trail) counts too. */
    expectedTrail: string;
    /** The role the key policies exempt (the `breakGlassRoleArn` setting), path included. */
    breakGlassRoleExists: string;
    /** The AWS calls made, for the deploy role's permissions. */
    calls: string[];
}

export interface AccountClients {
    cloudTrail(region: string): CloudTrailClient;
    iam(): IAMClient;
}

/** The SDK's clients, with its default credential chain: the credentials `pulumi preview` and `up` run with. */
export const sdkClients: AccountClients = {
    cloudTrail: (region) => new CloudTrailClient({ region }),
    // IAM is global; its endpoint answers in us-east-1.
    iam: () => new IAMClient({ region: "us-east-1" }),
};

export function accountCheckPlan(regions: readonly string[], breakGlassRoleArn: string): AccountCheckPlan {
    return {
        trailLoggingIn: [...new Set(regions)],
        expectedTrail: TRAIL_NAME,
        breakGlassRoleExists: breakGlassRoleArn,
        calls: ["cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "iam:GetRole"],
    };
}

function errorName(error: unknown): string {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The problem with `region`'s trails, or undefined when one that covers the region is logging. */
async function trailProblem(client: CloudTrailClient, region: string): Promise<string | undefined> {
    let trails: { TrailARN?: string; Name?: string; IsMultiRegionTrail?: boolean; HomeRegion?: string }[];
    try {
        trails = (await client.send(new DescribeTrailsCommand({ includeShadowTrails: true }))).trailList ?? [];
    } catch (error) {
        return `CloudTrail DescribeTrails in ${region} failed (${errorName(error)}); the deploy role needs cloudtrail:DescribeTrails and cloudtrail:GetTrailStatus`;
    }
    const covering = trails.filter((trail) => trail.IsMultiRegionTrail === true || trail.HomeRegion === region);
    const notLogging: string[] = [];
    for (const trail of covering) {
        try {
            const status = await client.send(new GetTrailStatusCommand({ Name: trail.TrailARN ?? trail.Name }));
            if (status.IsLogging === true) return undefined;
            notLogging.push(`${trail.Name ?? trail.TrailARN} (logging off)`);
        } catch (error) {
            notLogging.push(`${trail.Name ?? trail.TrailARN} (GetTrailStatus failed: ${errorName(error)})`);
        }
    }
    const found = notLogging.length > 0 ? `found only ${notLogging.join(", ")}` : "found none";
    return (
        `no CloudTrail trail is logging in ${region} (${found}), so the tampering rules there can never fire; ${BOOTSTRAP_INSTRUCTIONS} to create ` +
        `the trail ${TRAIL_NAME}, or start logging the account's organization trail`
    );
}

async function roleProblem(client: IAMClient, roleArn: string): Promise<string | undefined> {
    const name = roleArn.split("/").pop() ?? roleArn;
    try {
        const role = (await client.send(new GetRoleCommand({ RoleName: name }))).Role;
        if (role?.Arn === roleArn) return undefined;
        return (
            `the break-glass role ${roleArn} does not exist: IAM has a role named ${name} at ${role?.Arn ?? "an unknown ARN"}, which the key policies ` +
            `do not exempt; set breakGlassRoleArn to the bootstrap program's role, or ${BOOTSTRAP_INSTRUCTIONS}`
        );
    } catch (error) {
        if ((error as Error).name === "NoSuchEntityException") {
            return (
                `the break-glass role ${roleArn} does not exist, so nobody can change or disable the keys, and whoever creates a role by that name ` +
                `first holds their admin rights; ${BOOTSTRAP_INSTRUCTIONS} to create it`
            );
        }
        return `IAM GetRole ${name} failed (${errorName(error)}); the deploy role needs iam:GetRole on ${roleArn}`;
    }
}

/** Runs the checks; rejects with every problem, each naming the trail or role and what to do. */
export async function checkAccount(plan: AccountCheckPlan, clients: AccountClients = sdkClients): Promise<void> {
    const problems = await Promise.all([
        ...plan.trailLoggingIn.map((region) => trailProblem(clients.cloudTrail(region), region)),
        roleProblem(clients.iam(), plan.breakGlassRoleExists),
    ]);
    const found = problems.filter((problem): problem is string => problem !== undefined);
    if (found.length > 0) throw new Error(`The AWS account is not ready for this stack:\n  - ${found.join("\n  - ")}`);
}

/** Whether the program runs under Pulumi's mock runtime (unit tests, the offline plan): no AWS account there. */
export function underMockRuntime(): boolean {
    return pulumi.runtime.getMonitor() instanceof MockMonitor;
}

/**
 * The checks as an output that resolves to the plan once they passed: under the mock runtime at once
 * (nothing is called), otherwise after the AWS calls, and never when one fails. index.ts makes the
 * providers wait on it, so a failed check stops preview and up before any resource is touched.
 */
export function accountChecks(plan: AccountCheckPlan, clients: AccountClients = sdkClients): pulumi.Output<AccountCheckPlan> {
    if (underMockRuntime()) return pulumi.output(plan);
    return pulumi.output(checkAccount(plan, clients).then(() => plan));
}
