// The offline plan cannot call AWS, so it must say what preview and up check in the account; a plan
// with rules that need a trail (or keys that trust a break-glass role) but without that check fails.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { runOffline } from "../scripts/offlinePlan/mockRuntime.js";
import type { Plan } from "../scripts/offlinePlan/planFormat.js";
import { accountCheckPlan, accountChecks, type AccountClients } from "../stacks/shared/accountChecks.js";

const ROOT = path.resolve(__dirname, "..");
const committedPlan = (stack: string): Plan => JSON.parse(readFileSync(path.join(ROOT, "plans", `${stack}.json`), "utf8"));

function parsed(value: unknown): any {
    return typeof value === "string" ? JSON.parse(value) : value;
}

/** What the plan needs checked that its accountChecks output does not cover. */
function accountCheckGaps(plan: Plan): string[] {
    const regionOf = (providerName: string | undefined) =>
        String(
            plan.resources.find((resource) => resource.type === "pulumi:providers:aws" && resource.name === (providerName ?? "aws-primary"))?.inputs["region"],
        );
    const checks = plan.outputs["accountChecks"] as { trailLoggingIn?: string[]; breakGlassRoleExists?: string } | undefined;
    const gaps: string[] = [];
    for (const rule of plan.resources.filter((resource) => resource.type === "aws:cloudwatch/eventRule:EventRule")) {
        if (!JSON.stringify(parsed(rule.inputs["eventPattern"])?.["detail-type"] ?? []).includes("AWS API Call via CloudTrail")) continue;
        const region = regionOf(rule.provider);
        if (!checks?.trailLoggingIn?.includes(region)) gaps.push(`rule ${rule.name} needs a trail logging in ${region}, which the plan does not check`);
    }
    for (const key of plan.resources.filter((resource) => resource.type === "aws:kms/key:Key")) {
        const exempt = JSON.stringify(parsed(key.inputs["policy"])).match(/"aws:PrincipalArn":"([^"]+)"/)?.[1];
        if (exempt !== undefined && checks?.breakGlassRoleExists !== exempt)
            gaps.push(`key ${key.name} exempts ${exempt}, whose existence the plan does not check`);
    }
    return gaps;
}

describe("the committed plans say what preview and up check in the account", () => {
    it.each(["prod", "staging"])("%s: every CloudTrail rule's region and the keys' break-glass role are checked", (stack) => {
        const plan = committedPlan(stack);
        expect(plan.resources.some((resource) => JSON.stringify(resource.inputs["eventPattern"] ?? "").includes("AWS API Call via CloudTrail"))).toBe(true);
        expect(accountCheckGaps(plan)).toEqual([]);
        expect(plan.outputs["accountChecks"]).toEqual(
            accountCheckPlan(
                stack === "prod" ? ["eu-west-3", "eu-central-1", "us-east-1"] : ["eu-west-3", "us-east-1"],
                "arn:aws:iam::000000000000:role/security/hotelgenius-break-glass",
            ),
        );
    });

    it("a plan with tampering rules but without the check fails", () => {
        const plan = committedPlan("prod");
        delete plan.outputs["accountChecks"];
        expect(accountCheckGaps(plan)).toEqual([
            "rule alerts-replica-tampering-alerting needs a trail logging in eu-central-1, which the plan does not check",
            "rule alerts-replica-tampering-buckets needs a trail logging in eu-central-1, which the plan does not check",
            "rule alerts-replica-tampering-keys needs a trail logging in eu-central-1, which the plan does not check",
            "rule alerts-tampering-alerting needs a trail logging in eu-west-3, which the plan does not check",
            "rule alerts-tampering-buckets needs a trail logging in eu-west-3, which the plan does not check",
            "rule alerts-tampering-keys needs a trail logging in eu-west-3, which the plan does not check",
            "rule alerts-tampering-roles needs a trail logging in us-east-1, which the plan does not check",
            ...[
                "alerts-iam-topic-key",
                "alerts-pager-topic-key",
                "alerts-replica-pager-topic-key",
                "alerts-replica-topic-key",
                "alerts-topic-key",
                "alerts-uptime-topic-key",
                "alerts-us-east-1-pager-topic-key",
                "backup-job-key",
                "backups-key",
                "backups-replica-key",
                "logs-key",
            ].map((key) => `key ${key} exempts arn:aws:iam::000000000000:role/security/hotelgenius-break-glass, whose existence the plan does not check`),
        ]);
    });

    it("a plan whose check leaves out a region with tampering rules fails", () => {
        const plan = committedPlan("prod");
        const checks = plan.outputs["accountChecks"] as { trailLoggingIn: string[] };
        checks.trailLoggingIn = checks.trailLoggingIn.filter((region) => region !== "eu-central-1" && region !== "us-east-1");
        expect(accountCheckGaps(plan)).toEqual([
            "rule alerts-replica-tampering-alerting needs a trail logging in eu-central-1, which the plan does not check",
            "rule alerts-replica-tampering-buckets needs a trail logging in eu-central-1, which the plan does not check",
            "rule alerts-replica-tampering-keys needs a trail logging in eu-central-1, which the plan does not check",
            "rule alerts-tampering-roles needs a trail logging in us-east-1, which the plan does not check",
        ]);
    });
});

describe("accountChecks under the mock runtime", () => {
    it("calls no AWS API and resolves to what preview and up check", async () => {
        const called: string[] = [];
        const refuse = (what: string) => {
            called.push(what);
            throw new Error(`${what} must not be called under the mock runtime`);
        };
        const clients: AccountClients = { cloudTrail: (region) => refuse(`CloudTrail ${region}`), iam: () => refuse("IAM") };
        const expected = accountCheckPlan(["eu-west-3"], "arn:aws:iam::000000000000:role/security/hotelgenius-break-glass");
        const run = await runOffline({
            stack: "prod",
            config: { "aws:region": "eu-west-3" },
            load: async () => ({ checks: accountChecks(expected, clients) as pulumi.Output<unknown> }),
        });
        expect(run.outputs["checks"]).toEqual(expected);
        expect(called).toEqual([]);
    });
});
