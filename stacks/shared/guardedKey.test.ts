import { readCommittedPlan } from "../../scripts/offlinePlan/planFormat.js";
import { describe, expect, it } from "vitest";
import { roleAccount } from "./account.js";
import { guardedKeyPolicy } from "./guardedKey.js";
import committedBeforeEveryKeyWasGuarded from "./guardedKey.committed.json";

const BREAK_GLASS = "arn:aws:iam::123456789012:role/security/break-glass";
const policy = guardedKeyPolicy(BREAK_GLASS, 30);
const statement = (sid: string) => policy.Statement.find((candidate) => candidate.Sid === sid);

describe("guardedKeyPolicy", () => {
    it("has exactly the IAM delegation and the two denies, in this order", () => {
        expect(policy.Version).toBe("2012-10-17");
        expect(policy.Statement.map((candidate) => [candidate.Sid, candidate.Effect])).toEqual([
            ["DelegateToIam", "Allow"],
            ["DenyShortDeletionWindow", "Deny"],
            ["DenyDisableAndPolicyChanges", "Deny"],
        ]);
    });

    it("keeps the default policy's delegation to IAM in the break-glass role's account, so IAM-granted use and administration keep working", () => {
        expect(statement("DelegateToIam")).toEqual({
            Sid: "DelegateToIam",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::123456789012:root" },
            Action: "kms:*",
            Resource: "*",
        });
    });

    it("refuses to everyone a deletion window shorter than the stack's own", () => {
        expect(statement("DenyShortDeletionWindow")).toEqual({
            Sid: "DenyShortDeletionWindow",
            Effect: "Deny",
            Principal: "*",
            Action: "kms:ScheduleKeyDeletion",
            Resource: "*",
            Condition: { NumericLessThan: { "kms:ScheduleKeyDeletionPendingWindowInDays": "30" } },
        });
        expect(guardedKeyPolicy(BREAK_GLASS, 7).Statement[1]!.Condition).toEqual({ NumericLessThan: { "kms:ScheduleKeyDeletionPendingWindowInDays": "7" } });
    });

    it("refuses disabling the key and changing its policy to every principal but the break-glass role", () => {
        expect(statement("DenyDisableAndPolicyChanges")).toEqual({
            Sid: "DenyDisableAndPolicyChanges",
            Effect: "Deny",
            Principal: "*",
            Action: ["kms:DisableKey", "kms:PutKeyPolicy"],
            Resource: "*",
            Condition: { ArnNotEquals: { "aws:PrincipalArn": BREAK_GLASS } },
        });
    });

    it("adds a key's service statements after the delegation and before the denies, and refuses a Deny or a guard Sid among them", () => {
        const logs = {
            Sid: "LogsUseIt",
            Effect: "Allow" as const,
            Principal: { Service: "logs.eu-west-3.amazonaws.com" },
            Action: "kms:Decrypt*",
            Resource: "*",
        };
        expect(guardedKeyPolicy(BREAK_GLASS, 30, [logs]).Statement.map((candidate) => candidate.Sid)).toEqual([
            "DelegateToIam",
            "LogsUseIt",
            "DenyShortDeletionWindow",
            "DenyDisableAndPolicyChanges",
        ]);
        expect(() => guardedKeyPolicy(BREAK_GLASS, 30, [{ ...logs, Effect: "Deny" }])).toThrow(
            "service statement LogsUseIt (Deny) is refused; allowed: Allow statements whose Sid is not one of the guard's own",
        );
        expect(() => guardedKeyPolicy(BREAK_GLASS, 30, [{ ...logs, Sid: "DenyShortDeletionWindow" }])).toThrow(/DenyShortDeletionWindow \(Allow\) is refused/);
    });

    it("denies nothing the backups need: no deny names encryption, decryption, data keys or grants", () => {
        const denied = policy.Statement.filter((candidate) => candidate.Effect === "Deny").flatMap((candidate) => [candidate.Action].flat());
        expect(denied.sort()).toEqual(["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]);
    });
});

describe("roleAccount", () => {
    it("reads the account of a role ARN, path or not", () => {
        expect(roleAccount(BREAK_GLASS)).toBe("123456789012");
        expect(roleAccount("arn:aws:iam::000000000000:role/ops")).toBe("000000000000");
    });

    it("refuses what is not a role ARN, naming it", () => {
        expect(() => roleAccount("arn:aws:iam::123456789012:user/alice")).toThrow(
            '"arn:aws:iam::123456789012:user/alice" is not an IAM role ARN; allowed: arn:aws:iam::<12-digit account>:role/<name>',
        );
    });
});

// The guard denies kms:PutKeyPolicy to the deploy itself: a policy that once shipped guarded can only
// change through the break-glass procedure (docs/settings.md). So the keys guarded before every key
// was (both backup keys, the log archive key) must keep their policies to the byte; the documents
// below are what the committed plans held then.
describe("the keys guarded before every key was", () => {
    const BEFORE = committedBeforeEveryKeyWasGuarded as Record<string, Record<string, string>>;
    const ROLE = "arn:aws:iam::000000000000:role/security/hotelgenius-break-glass";

    it.each(Object.entries(BEFORE).flatMap(([stack, keys]) => Object.keys(keys).map((key) => [stack, key])))(
        "%s %s: the builder writes the same bytes",
        (stack, key) => {
            expect(JSON.stringify(guardedKeyPolicy(ROLE, 30))).toBe(BEFORE[stack]![key]);
        },
    );

    it.each(Object.keys(BEFORE))("%s: the committed plan still holds those bytes", (stack) => {
        // readCommittedPlan gives back the documents' exact text, which the plan file stores as JSON structure.
        const plan = readCommittedPlan(stack);
        const policies = Object.fromEntries(
            plan.resources.filter((resource) => resource.name in BEFORE[stack]!).map((resource) => [resource.name, resource.inputs["policy"]]),
        );
        expect(policies).toEqual(BEFORE[stack]);
    });
});
