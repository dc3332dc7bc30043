import { describe, expect, it } from "vitest";
import { githubTrustPolicy, type Repository, subjectPrefix, subjects } from "./trust.js";

const byName: Repository = { owner: "example-org", name: "example-repo", format: "name" };
const immutable: Repository = { ...byName, format: "immutable", ownerId: "123456", repositoryId: "456789" };
const PROVIDER = "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com";

describe("sub claims", () => {
    it("spell the repository by name, or by name and immutable id as GitHub's newer tokens do", () => {
        expect(subjects.environment(byName, "prod")).toBe("repo:example-org/example-repo:environment:prod");
        expect(subjects.pullRequest(byName)).toBe("repo:example-org/example-repo:pull_request");
        expect(subjects.mainBranch(immutable)).toBe("repo:example-org@123456/example-repo@456789:ref:refs/heads/main");
    });

    it("refuse the immutable format without both ids", () => {
        expect(() => subjectPrefix({ ...immutable, repositoryId: undefined } as Repository)).toThrow(/needs githubOwnerId and githubRepositoryId/);
    });
});

describe("githubTrustPolicy", () => {
    it("matches audience and subjects with StringEquals: one subject as a string, several as a list", () => {
        const condition = (policy: ReturnType<typeof githubTrustPolicy>) => policy.Statement[0]!.Condition;
        expect(condition(githubTrustPolicy(PROVIDER, ["repo:o/r:environment:prod"]))).toEqual({
            StringEquals: {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:o/r:environment:prod",
            },
        });
        expect(
            condition(githubTrustPolicy(PROVIDER, ["repo:o/r:pull_request", "repo:o/r:ref:refs/heads/main"]))?.["StringEquals"]?.[
                "token.actions.githubusercontent.com:sub"
            ],
        ).toEqual(["repo:o/r:pull_request", "repo:o/r:ref:refs/heads/main"]);
    });

    it.each(["repo:o/r:*", "repo:o/*:environment:prod", "repo:*", "repo:o/r:environment:pro?"])("refuses the wildcard subject %s", (subject) => {
        expect(() => githubTrustPolicy(PROVIDER, [subject])).toThrow(/has a wildcard; allowed: exact claims only/);
    });

    it("refuses a trust without subjects", () => {
        expect(() => githubTrustPolicy(PROVIDER, [])).toThrow(/at least one sub claim/);
    });
});
