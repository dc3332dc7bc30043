import { describe, expect, it } from "vitest";
import { checkRoleArn, replicaProtectionProblem } from "./checks.js";

describe("log drain checks", () => {
    it("IAM role ARNs: one role, with or without a path, never a wildcard, a user or a session", () => {
        for (const good of ["arn:aws:iam::123456789012:role/backup-break-glass", "arn:aws:iam::123456789012:role/security/break-glass/hotelgenius-keys"]) {
            expect(checkRoleArn(good)).toBeUndefined();
        }
        for (const bad of [
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:iam::123456789012:role/admin-?",
            "arn:aws:iam::123456789012:role/ops*/break-glass",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:sts::123456789012:assumed-role/break-glass/alice",
            "arn:aws:iam::12345:role/break-glass",
            "arn:aws:iam::123456789012:root",
            "break-glass",
            "",
        ]) {
            expect([bad, checkRoleArn(bad)]).toEqual([bad, expect.stringMatching(/^must be the ARN of one IAM role/)]);
        }
    });
});

describe("replicaProtectionProblem", () => {
    const nameOf = (setting: string) => `<${setting}>`;

    it("refuses no off-site replica where the data is protected, naming both settings the caller's way", () => {
        expect(replicaProtectionProblem({ offSiteReplica: false, protectData: true }, nameOf)).toEqual({
            setting: "offSiteReplica",
            value: false,
            allowed:
                "must be true while <protectData> is true: a stack whose data is protected is a production stack and keeps its off-site copy; " +
                "set <protectData> to false too for a non-production clone",
        });
    });

    it.each([
        [true, true],
        [true, false],
        [false, false],
        [undefined, true],
        [false, undefined],
    ])("accepts offSiteReplica %s with protectData %s (undefined: already refused)", (offSiteReplica, protectData) => {
        expect(replicaProtectionProblem({ offSiteReplica, protectData }, nameOf)).toBeUndefined();
    });
});
