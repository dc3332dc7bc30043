// The account program on the mock runtime, with its committed stack file: who can assume which role
// from where (asserted exactly, then judged by AWS's evaluation logic, each check with a control that
// must come out the other way), what the roles may do, the trail, and the workflows' variables.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { MOCK_ACCOUNT, type OfflineRun, onlyResourceNamed, runOffline } from "../scripts/offlinePlan/mockRuntime.js";
import { readStackFile } from "../scripts/offlinePlan/stackFile.js";
import { ACCOUNT_PROJECT, deployBoundaryPolicyArn } from "../stacks/shared/account.js";
import { guardedKeyPolicy } from "../stacks/shared/guardedKey.js";
import { evaluate } from "../test/iamEvaluation.js";
import { DRIFT_LABEL } from "./repository/component.js";

const ROOT = path.resolve(__dirname, "..");
const OWNER = "example-org";
const REPO = "example-repo";
const OIDC = `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
const BREAK_GLASS = `arn:aws:iam::${MOCK_ACCOUNT}:role/security/hotelgenius-break-glass`;
const BOUNDARY = deployBoundaryPolicyArn(MOCK_ACCOUNT);

let run: OfflineRun;
beforeAll(async () => {
    const file = readStackFile(path.join(__dirname, "Pulumi.account.yaml"), ACCOUNT_PROJECT);
    run = await runOffline({
        stack: "account",
        project: ACCOUNT_PROJECT,
        config: file.values,
        secretKeys: [...file.secretKeys],
        load: () => import("./index.js"),
    });
});

const document = (name: string, input: string) => JSON.parse(onlyResourceNamed(run, name).inputs[input] as string);
const trustOf = (role: string) => document(role, "assumeRolePolicy");
const policyOf = (role: string) => document(`${role}-policy`, "policy");
const roleArn = (name: string) => `arn:aws:iam::${MOCK_ACCOUNT}:role/${name}`;

/** What GitHub's token for `sub` gets when it asks to assume `role` (audience sts.amazonaws.com unless given). */
const assumeWithToken = (role: string, roleName: string, sub: string, aud = "sts.amazonaws.com") =>
    evaluate({
        principal: OIDC,
        action: "sts:AssumeRoleWithWebIdentity",
        resource: roleArn(roleName),
        account: MOCK_ACCOUNT,
        context: { "token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": aud },
        resourcePolicy: trustOf(role),
    });

/** KMS grants nothing through IAM unless the key policy delegates to it: the main program's keys carry the guarded policy. */
const keyPolicyFor = (resource: string) => (resource.startsWith("arn:aws:kms:") ? { resourcePolicy: guardedKeyPolicy(BREAK_GLASS, 30) } : {});

const githubTrust = (subjects: string | string[]) => ({
    Version: "2012-10-17",
    Statement: [
        {
            Sid: "GitHubActionsOfThisRepository",
            Effect: "Allow",
            Principal: { Federated: OIDC },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
                StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": subjects },
            },
        },
    ],
});

describe("who can assume CI's roles", () => {
    it("trusts GitHub's OIDC provider for the audience sts.amazonaws.com", () => {
        expect(onlyResourceNamed(run, "ci-github-oidc").inputs).toEqual({
            url: "https://token.actions.githubusercontent.com",
            clientIdLists: ["sts.amazonaws.com"],
        });
    });

    it("preview: this repository's pull requests and main, exactly", () => {
        expect(trustOf("ci-preview")).toEqual(githubTrust([`repo:${OWNER}/${REPO}:pull_request`, `repo:${OWNER}/${REPO}:ref:refs/heads/main`]));
    });

    it("drift: main only, exactly (it reads secret values)", () => {
        expect(trustOf("ci-drift")).toEqual(githubTrust(`repo:${OWNER}/${REPO}:ref:refs/heads/main`));
    });

    it("account-drift: the account-drift environment only, exactly (it holds the GitHub token and admits main only)", () => {
        expect(trustOf("ci-account-drift")).toEqual(githubTrust(`repo:${OWNER}/${REPO}:environment:account-drift`));
    });

    it("account-drift admits its environment's jobs and refuses pull requests, main outside it, other branches, environments and repositories", async () => {
        const name = "hotelgenius-account-ci-account-drift";
        expect(await assumeWithToken("ci-account-drift", name, `repo:${OWNER}/${REPO}:environment:account-drift`)).toBe("Allowed");
        for (const sub of [
            `repo:${OWNER}/${REPO}:pull_request`,
            `repo:${OWNER}/${REPO}:ref:refs/heads/main`,
            `repo:${OWNER}/${REPO}:ref:refs/heads/feature`,
            `repo:${OWNER}/${REPO}:environment:prod`,
            `repo:${OWNER}/${REPO}:environment:staging`,
            `repo:${OWNER}/${REPO}:environment:account-drift-copy`,
            `repo:${OWNER}/other-repo:environment:account-drift`,
            `repo:other-org/${REPO}:environment:account-drift`,
        ]) {
            expect(await assumeWithToken("ci-account-drift", name, sub), sub).toBe("ImplicitlyDenied");
        }
        expect(await assumeWithToken("ci-account-drift", name, `repo:${OWNER}/${REPO}:environment:account-drift`, "https://github.com/example-org")).toBe(
            "ImplicitlyDenied",
        );
    });

    it.each(["staging", "prod"])("deploy-%s: its own environment only, exactly", (environment) => {
        expect(trustOf(`ci-deploy-${environment}`)).toEqual(githubTrust(`repo:${OWNER}/${REPO}:environment:${environment}`));
    });

    it.each(["staging", "prod"])(
        "deploy-%s admits its environment's jobs and refuses pull requests, main, the other environment, other repositories",
        async (environment) => {
            const role = `ci-deploy-${environment}`;
            const name = `hotelgenius-account-ci-deploy-${environment}`;
            const other = environment === "prod" ? "staging" : "prod";
            expect(await assumeWithToken(role, name, `repo:${OWNER}/${REPO}:environment:${environment}`)).toBe("Allowed");
            for (const sub of [
                `repo:${OWNER}/${REPO}:pull_request`,
                `repo:${OWNER}/${REPO}:ref:refs/heads/main`,
                `repo:${OWNER}/${REPO}:ref:refs/heads/feature`,
                `repo:${OWNER}/${REPO}:environment:${other}`,
                `repo:${OWNER}/other-repo:environment:${environment}`,
                `repo:other-org/${REPO}:environment:${environment}`,
                `repo:${OWNER}/${REPO}:environment:${environment}-copy`,
            ]) {
                expect(await assumeWithToken(role, name, sub), sub).toBe("ImplicitlyDenied");
            }
            expect(await assumeWithToken(role, name, `repo:${OWNER}/${REPO}:environment:${environment}`, "https://github.com/example-org")).toBe(
                "ImplicitlyDenied",
            );
        },
    );

    it("preview admits pull requests and main, not an environment's jobs, not another repository's pull requests", async () => {
        const name = "hotelgenius-account-ci-preview";
        expect(await assumeWithToken("ci-preview", name, `repo:${OWNER}/${REPO}:pull_request`)).toBe("Allowed");
        expect(await assumeWithToken("ci-preview", name, `repo:${OWNER}/${REPO}:ref:refs/heads/main`)).toBe("Allowed");
        for (const sub of [`repo:${OWNER}/other-repo:pull_request`, `repo:${OWNER}/${REPO}:environment:prod`, `repo:${OWNER}/${REPO}:ref:refs/heads/dev`]) {
            expect(await assumeWithToken("ci-preview", name, sub), sub).toBe("ImplicitlyDenied");
        }
    });

    it("deploy roles carry the boundary; preview and drift are not deploy roles and need none", () => {
        for (const environment of ["staging", "prod"]) expect(onlyResourceNamed(run, `ci-deploy-${environment}`).inputs["permissionsBoundary"]).toBe(BOUNDARY);
        for (const role of ["ci-preview", "ci-drift", "ci-account-drift"])
            expect(onlyResourceNamed(run, role).inputs).not.toHaveProperty("permissionsBoundary");
    });
});

describe("what CI's roles may do", () => {
    const asRole = (role: string, action: string, resource: string, context: Record<string, string | string[]> = {}, boundary?: unknown) =>
        evaluate({
            principal: roleArn(role),
            action,
            resource,
            account: MOCK_ACCOUNT,
            context: { "aws:PrincipalArn": roleArn(role), ...context },
            identityPolicies: [policyOf(role.replace("hotelgenius-account-ci-", "ci-"))],
            ...(boundary === undefined ? {} : { permissionsBoundary: boundary }),
            ...keyPolicyFor(resource),
        });
    const prodKey = `arn:aws:kms:eu-west-3:${MOCK_ACCOUNT}:key/backups-key`;
    const prodKeyTags = { "aws:ResourceTag/project": "hotelgenius-ops", "aws:ResourceTag/stack": "prod" };
    const prodSecret = `arn:aws:secretsmanager:eu-west-3:${MOCK_ACCOUNT}:secret:hotelgenius-ops-prod/backup-job/database-url-AbCdEf`;
    const boundary = () => document("ci-deploy-boundary", "policy");

    it("preview reads configuration (control) but never a secret value, a dump, a log file or a decryption", async () => {
        const preview = "hotelgenius-account-ci-preview";
        expect(await asRole(preview, "kms:DescribeKey", prodKey)).toBe("Allowed");
        expect(await asRole(preview, "s3:GetBucketPolicy", "arn:aws:s3:::hotelgenius-ops-prod-backups")).toBe("Allowed");
        expect(await asRole(preview, "secretsmanager:DescribeSecret", prodSecret)).toBe("Allowed");
        expect(await asRole(preview, "secretsmanager:GetSecretValue", prodSecret)).toBe("ExplicitlyDenied");
        expect(await asRole(preview, "s3:GetObject", "arn:aws:s3:::hotelgenius-ops-prod-backups/postgres/dumps/x.dump")).toBe("ExplicitlyDenied");
        expect(await asRole(preview, "s3:GetObject", "arn:aws:s3:::hotelgenius-ops-prod-logs/logs/railway/x.gz")).toBe("ExplicitlyDenied");
        expect(await asRole(preview, "kms:Decrypt", prodKey, prodKeyTags)).toBe("ExplicitlyDenied");
        expect(await asRole(preview, "s3:PutObject", "arn:aws:s3:::hotelgenius-ops-prod-backups/x")).toBe("ImplicitlyDenied");
    });

    it("drift reads prod's secret values (its reason to exist) but not staging's, and decrypts only through Secrets Manager", async () => {
        const drift = "hotelgenius-account-ci-drift";
        expect(await asRole(drift, "secretsmanager:GetSecretValue", prodSecret)).toBe("Allowed");
        expect(await asRole(drift, "secretsmanager:GetSecretValue", prodSecret.replace("-prod/", "-staging/"))).toBe("ImplicitlyDenied");
        expect(await asRole(drift, "kms:Decrypt", prodKey, { ...prodKeyTags, "kms:ViaService": "secretsmanager.eu-west-3.amazonaws.com" })).toBe("Allowed");
        expect(await asRole(drift, "kms:Decrypt", prodKey, prodKeyTags)).toBe("ImplicitlyDenied");
        expect(await asRole(drift, "s3:GetObject", "arn:aws:s3:::hotelgenius-ops-prod-backups/postgres/dumps/x.dump")).toBe("ImplicitlyDenied");
    });

    it("account-drift reads the account program's configuration (control) but never the main program's, a log file, a secret or a decryption", async () => {
        const accountDrift = "hotelgenius-account-ci-account-drift";
        const trailKey = `arn:aws:kms:eu-west-3:${MOCK_ACCOUNT}:key/account-trail-key`;
        const accountTags = { "aws:ResourceTag/project": "hotelgenius-account" };
        const trailBucket = "arn:aws:s3:::hotelgenius-account-account-trail-logs";
        expect(await asRole(accountDrift, "iam:GetRolePolicy", roleArn("hotelgenius-account-ci-deploy-prod"))).toBe("Allowed");
        expect(await asRole(accountDrift, "iam:GetRole", BREAK_GLASS)).toBe("Allowed");
        expect(await asRole(accountDrift, "kms:GetKeyPolicy", trailKey, accountTags)).toBe("Allowed");
        expect(await asRole(accountDrift, "s3:GetBucketPolicy", trailBucket)).toBe("Allowed");
        expect(await asRole(accountDrift, "iam:GetRolePolicy", roleArn("hotelgenius-ops-prod-backup-task"))).toBe("ImplicitlyDenied");
        expect(await asRole(accountDrift, "kms:GetKeyPolicy", prodKey, prodKeyTags)).toBe("ImplicitlyDenied");
        expect(await asRole(accountDrift, "s3:GetBucketPolicy", "arn:aws:s3:::hotelgenius-ops-prod-backups")).toBe("ImplicitlyDenied");
        expect(await asRole(accountDrift, "s3:GetObject", `${trailBucket}/AWSLogs/${MOCK_ACCOUNT}/CloudTrail/eu-west-3/2026/12/06/x.json.gz`)).toBe(
            "ExplicitlyDenied",
        );
        expect(await asRole(accountDrift, "kms:Decrypt", trailKey, accountTags)).toBe("ExplicitlyDenied");
        expect(await asRole(accountDrift, "secretsmanager:GetSecretValue", prodSecret)).toBe("ExplicitlyDenied");
    });

    it("account-drift changes nothing: not its own trust, not a role, a policy, the trail, the bucket or the key", async () => {
        const accountDrift = "hotelgenius-account-ci-account-drift";
        const trailKey = `arn:aws:kms:eu-west-3:${MOCK_ACCOUNT}:key/account-trail-key`;
        for (const [action, resource] of [
            ["iam:UpdateAssumeRolePolicy", roleArn(accountDrift)],
            ["iam:PutRolePolicy", roleArn("hotelgenius-account-ci-deploy-prod")],
            ["iam:CreatePolicyVersion", BOUNDARY],
            ["iam:UpdateOpenIDConnectProviderThumbprint", OIDC],
            ["cloudtrail:StopLogging", `arn:aws:cloudtrail:eu-west-3:${MOCK_ACCOUNT}:trail/hotelgenius-account-trail`],
            ["s3:PutBucketPolicy", "arn:aws:s3:::hotelgenius-account-account-trail-logs"],
            ["kms:CreateGrant", trailKey],
        ] as const) {
            expect(await asRole(accountDrift, action, resource, { "aws:ResourceTag/project": "hotelgenius-account" }), action).toBe("ImplicitlyDenied");
        }
    });

    it("no deploy role can touch the account drift role (the boundary's deny)", async () => {
        expect(
            await asRole("hotelgenius-account-ci-deploy-prod", "iam:UpdateAssumeRolePolicy", roleArn("hotelgenius-account-ci-account-drift"), {}, boundary()),
        ).toBe("ExplicitlyDenied");
    });

    it("deploy-prod manages its stack's keys (control) but can never change a key policy or disable a key", async () => {
        const deploy = "hotelgenius-account-ci-deploy-prod";
        expect(await asRole(deploy, "kms:EnableKeyRotation", prodKey, prodKeyTags, boundary())).toBe("Allowed");
        expect(await asRole(deploy, "kms:PutKeyPolicy", prodKey, prodKeyTags, boundary())).toBe("ExplicitlyDenied");
        expect(await asRole(deploy, "kms:DisableKey", prodKey, prodKeyTags, boundary())).toBe("ExplicitlyDenied");
        expect(await asRole(deploy, "kms:EnableKeyRotation", prodKey, { ...prodKeyTags, "aws:ResourceTag/stack": "staging" }, boundary())).toBe(
            "ImplicitlyDenied",
        );
    });

    it("a deploy role tags a key it creates with its own stack, and cannot claim another stack's key by retagging it", async () => {
        const staging = "hotelgenius-account-ci-deploy-staging";
        const request = { "aws:RequestTag/project": "hotelgenius-ops", "aws:RequestTag/stack": "staging" };
        expect(await asRole(staging, "kms:CreateKey", "*", request, boundary())).toBe("Allowed");
        expect(await asRole(staging, "kms:CreateKey", "*", { ...request, "aws:RequestTag/stack": "prod" }, boundary())).toBe("ImplicitlyDenied");
        expect(await asRole(staging, "kms:TagResource", prodKey, request, boundary())).toBe("Allowed");
        expect(await asRole(staging, "kms:TagResource", prodKey, { ...request, ...prodKeyTags }, boundary())).toBe("ImplicitlyDenied");
        const group = `arn:aws:ec2:eu-west-3:${MOCK_ACCOUNT}:security-group/sg-backup-job`;
        expect(await asRole(staging, "ec2:CreateTags", group, request, boundary())).toBe("Allowed");
        expect(await asRole(staging, "ec2:CreateTags", group, { ...request, ...prodKeyTags }, boundary())).toBe("ImplicitlyDenied");
    });

    it("deploy-prod creates its stack's roles only with the boundary on them", async () => {
        const deploy = "hotelgenius-account-ci-deploy-prod";
        const role = roleArn("hotelgenius-ops-prod-backup-task");
        expect(await asRole(deploy, "iam:CreateRole", role, { "iam:PermissionsBoundary": BOUNDARY }, boundary())).toBe("Allowed");
        expect(await asRole(deploy, "iam:CreateRole", role, {}, boundary())).toBe("ExplicitlyDenied");
        expect(
            await asRole(deploy, "iam:CreateRole", role, { "iam:PermissionsBoundary": `arn:aws:iam::${MOCK_ACCOUNT}:policy/AdministratorAccess` }, boundary()),
        ).toBe("ExplicitlyDenied");
        expect(
            await asRole(deploy, "iam:CreateRole", roleArn("hotelgenius-ops-staging-backup-task"), { "iam:PermissionsBoundary": BOUNDARY }, boundary()),
        ).toBe("ImplicitlyDenied");
        expect(await asRole(deploy, "iam:DeleteRolePermissionsBoundary", role, {}, boundary())).toBe("ExplicitlyDenied");
        expect(await asRole(deploy, "iam:UpdateAssumeRolePolicy", BREAK_GLASS, {}, boundary())).toBe("ExplicitlyDenied");
    });

    it("deploy roles manage their own stack's names only: per service, never another stack's or another project's", async () => {
        const prod = "hotelgenius-account-ci-deploy-prod";
        expect(await asRole(prod, "s3:CreateBucket", "arn:aws:s3:::hotelgenius-ops-prod-backups", {}, boundary())).toBe("Allowed");
        expect(await asRole(prod, "s3:CreateBucket", "arn:aws:s3:::hotelgenius-ops-staging-backups", {}, boundary())).toBe("ImplicitlyDenied");
        expect(await asRole(prod, "s3:CreateBucket", "arn:aws:s3:::someone-elses-bucket", {}, boundary())).toBe("ImplicitlyDenied");
        expect(await asRole(prod, "sns:CreateTopic", `arn:aws:sns:eu-west-3:${MOCK_ACCOUNT}:hotelgenius-ops-prod-alerts`, {}, boundary())).toBe("Allowed");
        expect(await asRole(prod, "sns:CreateTopic", `arn:aws:sns:eu-west-3:${MOCK_ACCOUNT}:billing-alerts`, {}, boundary())).toBe("ImplicitlyDenied");
        expect(
            await asRole(prod, "cloudtrail:StopLogging", `arn:aws:cloudtrail:eu-west-3:${MOCK_ACCOUNT}:trail/hotelgenius-account-trail`, {}, boundary()),
        ).not.toBe("Allowed");
    });

    it("prod's locked objects are never deleted by a deploy; staging's GOVERNANCE teardown is allowed to staging's deploy", async () => {
        const object = (stack: string) => `arn:aws:s3:::hotelgenius-ops-${stack}-backups/postgres/dumps/x.dump`;
        expect(await asRole("hotelgenius-account-ci-deploy-prod", "s3:BypassGovernanceRetention", object("prod"), {}, boundary())).toBe("ExplicitlyDenied");
        expect(await asRole("hotelgenius-account-ci-deploy-prod", "s3:DeleteObjectVersion", object("prod"), {}, boundary())).toBe("ExplicitlyDenied");
        expect(await asRole("hotelgenius-account-ci-deploy-staging", "s3:BypassGovernanceRetention", object("staging"), {}, boundary())).toBe("Allowed");
        expect(await asRole("hotelgenius-account-ci-deploy-staging", "s3:DeleteObjectVersion", object("staging"), {}, boundary())).toBe("Allowed");
        expect(await asRole("hotelgenius-account-ci-deploy-staging", "s3:DeleteObjectVersion", object("prod"), {}, boundary())).not.toBe("Allowed");
    });

    it("no CI policy grants every action of a service on everything, let alone *:*", () => {
        for (const name of ["ci-preview", "ci-drift", "ci-account-drift", "ci-deploy-staging", "ci-deploy-prod"]) {
            for (const statement of policyOf(name).Statement as { Effect: string; Action: string | string[]; Resource?: string | string[] }[]) {
                if (statement.Effect !== "Allow") continue;
                const actions = ([] as string[]).concat(statement.Action);
                const everything = ([] as string[]).concat(statement.Resource ?? []).includes("*");
                expect(
                    actions.filter((action) => action === "*" || (everything && action.endsWith(":*"))),
                    `${name} ${JSON.stringify(statement)}`,
                ).toEqual([]);
            }
        }
    });
});

describe("the break-glass role", () => {
    const admins = [`arn:aws:iam::${MOCK_ACCOUNT}:user/admin-one`, `arn:aws:iam::${MOCK_ACCOUNT}:user/admin-two`];
    const assume = (principal: string, context: Record<string, string>) =>
        evaluate({ principal, action: "sts:AssumeRole", resource: BREAK_GLASS, account: MOCK_ACCOUNT, context, resourcePolicy: trustOf("break-glass-role") });

    it("is the role the guarded key policies exempt, trusting the named administrators with MFA, exactly", () => {
        const role = onlyResourceNamed(run, "break-glass-role");
        expect([role.inputs["path"], role.inputs["name"], role.inputs["maxSessionDuration"], role.protect]).toEqual([
            "/security/",
            "hotelgenius-break-glass",
            3600,
            true,
        ]);
        expect(run.outputs["breakGlassRoleArn"]).toBe(BREAK_GLASS);
        expect(trustOf("break-glass-role")).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "NamedAdministratorsWithMfa",
                    Effect: "Allow",
                    Principal: { AWS: admins },
                    Action: "sts:AssumeRole",
                    Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" }, NumericLessThan: { "aws:MultiFactorAuthAge": "3600" } },
                },
            ],
        });
    });

    it("admits a named administrator with fresh MFA only", async () => {
        const mfa = { "aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60" };
        expect(await assume(admins[0]!, mfa)).toBe("Allowed");
        expect(await assume(admins[0]!, { "aws:MultiFactorAuthPresent": "false" })).toBe("ImplicitlyDenied");
        expect(await assume(admins[0]!, { "aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "7200" })).toBe("ImplicitlyDenied");
        expect(await assume(`arn:aws:iam::${MOCK_ACCOUNT}:user/someone-else`, mfa)).toBe("ImplicitlyDenied");
    });

    it("may change the project's key policies and nothing else", async () => {
        const asBreakGlass = (action: string, resource: string, context: Record<string, string> = {}) =>
            evaluate({
                principal: BREAK_GLASS,
                action,
                resource,
                account: MOCK_ACCOUNT,
                context: { "aws:PrincipalArn": BREAK_GLASS, ...context },
                identityPolicies: [policyOf("break-glass")],
                ...keyPolicyFor(resource),
            });
        const key = `arn:aws:kms:eu-west-3:${MOCK_ACCOUNT}:key/backups-key`;
        expect(await asBreakGlass("kms:PutKeyPolicy", key, { "aws:ResourceTag/project": "hotelgenius-ops" })).toBe("Allowed");
        expect(await asBreakGlass("kms:PutKeyPolicy", key, { "aws:ResourceTag/project": "another-project" })).toBe("ImplicitlyDenied");
        expect(await asBreakGlass("kms:Decrypt", key, { "aws:ResourceTag/project": "hotelgenius-ops" })).toBe("ImplicitlyDenied");
        expect(await asBreakGlass("iam:CreateRole", roleArn("anything"))).toBe("ImplicitlyDenied");
    });
});

describe("the trail", () => {
    const trailArn = `arn:aws:cloudtrail:eu-west-3:${MOCK_ACCOUNT}:trail/hotelgenius-account-trail`;

    it("logs write management events of every region, validated, under its guarded key, into its locked EU bucket", () => {
        expect(onlyResourceNamed(run, "account-trail-trail").inputs).toEqual({
            name: "hotelgenius-account-trail",
            s3BucketName: "hotelgenius-account-account-trail-logs",
            isMultiRegionTrail: true,
            includeGlobalServiceEvents: true,
            enableLogFileValidation: true,
            enableLogging: true,
            kmsKeyId: `arn:aws:kms:eu-west-3:${MOCK_ACCOUNT}:key/account-trail-key`,
            eventSelectors: [{ readWriteType: "WriteOnly", includeManagementEvents: true }],
        });
        expect(onlyResourceNamed(run, "account-trail-logs-object-lock").inputs["rule"]).toEqual({ defaultRetention: { mode: "COMPLIANCE", days: 365 } });
        expect(onlyResourceNamed(run, "aws-account").inputs["region"]).toBe("eu-west-3");
        expect(run.outputs["trailName"]).toBe("hotelgenius-account-trail");
    });

    it("lets CloudTrail write to the bucket for this trail only (aws:SourceArn), after the hardening's denies", () => {
        const statements = document("account-trail-logs-policy", "policy").Statement as { Sid: string }[];
        expect(statements.map((statement) => statement.Sid)).toEqual([
            "DenyInsecureTransport",
            "DenyEncryptionOtherThanKms",
            "DenyKmsWithoutKeyId",
            "DenyOtherKmsKeys",
            "AllowCloudTrailAclCheck",
            "AllowCloudTrailWrite",
        ]);
        expect(statements[5]).toEqual({
            Sid: "AllowCloudTrailWrite",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: `arn:aws:s3:::hotelgenius-account-account-trail-logs/AWSLogs/${MOCK_ACCOUNT}/*`,
            Condition: { StringEquals: { "aws:SourceArn": trailArn, "s3:x-amz-acl": "bucket-owner-full-control" } },
        });
    });

    it("CloudTrail may write and make data keys for this trail only (AWS evaluation, another trail as the control)", async () => {
        const other = `arn:aws:cloudtrail:eu-west-3:${MOCK_ACCOUNT}:trail/someone-elses-trail`;
        const key = `arn:aws:kms:eu-west-3:${MOCK_ACCOUNT}:key/account-trail-key`;
        const asCloudTrail = (action: string, resource: string, resourcePolicy: unknown, context: Record<string, string>) =>
            evaluate({ principal: "cloudtrail.amazonaws.com", action, resource, account: MOCK_ACCOUNT, context, resourcePolicy });
        const bucketPolicy = document("account-trail-logs-policy", "policy");
        const object = `arn:aws:s3:::hotelgenius-account-account-trail-logs/AWSLogs/${MOCK_ACCOUNT}/CloudTrail/eu-west-3/2026/12/06/x.json.gz`;
        const write = (sourceArn: string) =>
            asCloudTrail("s3:PutObject", object, bucketPolicy, {
                "aws:SourceArn": sourceArn,
                "aws:SecureTransport": "true",
                "s3:x-amz-acl": "bucket-owner-full-control",
                "s3:x-amz-server-side-encryption": "aws:kms",
                "s3:x-amz-server-side-encryption-aws-kms-key-id": key,
            });
        expect(await write(trailArn)).toBe("Allowed");
        expect(await write(other)).toBe("ImplicitlyDenied");
        const keyPolicy = document("account-trail-key", "policy");
        const dataKey = (sourceArn: string, context: string) =>
            asCloudTrail("kms:GenerateDataKey", key, keyPolicy, { "aws:SourceArn": sourceArn, "kms:EncryptionContext:aws:cloudtrail:arn": context });
        expect(await dataKey(trailArn, trailArn)).toBe("Allowed");
        expect(await dataKey(other, other)).toBe("ImplicitlyDenied");
        expect(await dataKey(trailArn, other)).toBe("ImplicitlyDenied");
    });

    it("guards its key like the backup keys (break-glass only for policy changes) and lets CloudTrail encrypt for this trail only", async () => {
        const policy = document("account-trail-key", "policy");
        expect(policy.Statement.map((statement: { Sid: string }) => statement.Sid)).toEqual([
            "DelegateToIam",
            "DenyShortDeletionWindow",
            "DenyDisableAndPolicyChanges",
            "AllowCloudTrailEncrypt",
            "AllowCloudTrailDescribeKey",
        ]);
        expect(policy.Statement[2].Condition).toEqual({ ArnNotEquals: { "aws:PrincipalArn": BREAK_GLASS } });
        const key = `arn:aws:kms:eu-west-3:${MOCK_ACCOUNT}:key/account-trail-key`;
        const putKeyPolicy = (principal: string) =>
            evaluate({
                principal,
                action: "kms:PutKeyPolicy",
                resource: key,
                account: MOCK_ACCOUNT,
                context: { "aws:PrincipalArn": principal },
                identityPolicies: [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] }],
                resourcePolicy: policy,
            });
        expect(await putKeyPolicy(BREAK_GLASS)).toBe("Allowed");
        expect(await putKeyPolicy(roleArn("an-administrator"))).toBe("ExplicitlyDenied");
    });
});

describe("who can get a Pulumi token", () => {
    const issuer = () => onlyResourceNamed(run, "pulumi-cloud-github");
    const subjectsOf = (policy: { rules: { sub: string } }) => policy.rules.sub;
    const trusted = (role: string) => ([] as string[]).concat(trustOf(role).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]);

    it("registers GitHub's issuer in the organization: organization tokens, for an hour at most, to this repository's exact sub claims", () => {
        const allow = (sub: string, permission = "standard") => ({
            decision: "allow",
            tokenType: "organization",
            authorizedPermissions: [permission],
            rules: { aud: `urn:pulumi:org:${OWNER}`, sub },
        });
        expect(issuer().type).toBe("pulumiservice:index:OidcIssuer");
        expect(issuer().inputs).toEqual({
            organization: OWNER,
            name: `github-${OWNER}-${REPO}`,
            url: "https://token.actions.githubusercontent.com",
            maxExpirationSeconds: 3600,
            policies: [
                allow(`repo:${OWNER}/${REPO}:pull_request`),
                allow(`repo:${OWNER}/${REPO}:ref:refs/heads/main`),
                allow(`repo:${OWNER}/${REPO}:environment:staging`),
                allow(`repo:${OWNER}/${REPO}:environment:prod`),
                allow(`repo:${OWNER}/${REPO}:environment:account-drift`, "admin"),
            ],
        });
    });

    it("admits exactly the jobs CI's AWS roles trust, no more", () => {
        const roles = ["ci-preview", "ci-drift", "ci-account-drift", "ci-deploy-staging", "ci-deploy-prod"];
        const policies = issuer().inputs["policies"] as { rules: { sub: string } }[];
        expect(policies.map(subjectsOf).sort()).toEqual([...new Set(roles.flatMap(trusted))].sort());
    });

    it("every job that exchanges a token runs under one of its sub claims, asks for an admin's only where its claim grants one, and every claim is a job's", () => {
        const policies = issuer().inputs["policies"] as { rules: { sub: string }; authorizedPermissions: string[] }[];
        const used = new Set<string>();
        const askingAdmin = new Set<string>();
        for (const file of readdirSync(WORKFLOWS).filter((name) => name.endsWith(".yml"))) {
            const workflow = parseWorkflow(file);
            for (const job of Object.values(workflow.jobs)) {
                const exchange = (job.steps ?? []).find((step) => step.uses?.startsWith("pulumi/auth-actions@"));
                if (exchange === undefined) continue;
                // GitHub's sub claim: the job's environment if it has one, else the event's (pull requests) or the ref's.
                const environment = typeof job.environment === "string" ? job.environment : job.environment?.name;
                const triggers = Object.keys(workflow.on);
                if (environment === undefined && triggers.includes("pull_request")) expect(triggers, file).toEqual(["pull_request"]);
                const context =
                    environment !== undefined ? `environment:${environment}` : triggers.includes("pull_request") ? "pull_request" : "ref:refs/heads/main";
                used.add(`repo:${OWNER}/${REPO}:${context}`);
                if (exchange.with?.["scope"] === "admin") askingAdmin.add(`repo:${OWNER}/${REPO}:${context}`);
            }
        }
        expect([...used].sort()).toEqual(policies.map(subjectsOf).sort());
        expect([...askingAdmin]).toEqual(policies.filter((policy) => policy.authorizedPermissions.includes("admin")).map(subjectsOf));
    });

    it("the workflows name the organization through the repository variable this program sets", () => {
        expect(onlyResourceNamed(run, "repository-PULUMI_ORGANIZATION").inputs).toMatchObject({ variableName: "PULUMI_ORGANIZATION", value: OWNER });
    });
});

describe("the repository's settings", () => {
    const ofType = (type: string) => run.resources.filter((resource) => resource.type === type);

    it("prod waits for the named reviewers; every environment deploys from main only", () => {
        const byEnvironment = (rows: unknown[][]) => rows.sort((x, y) => String(x[0]).localeCompare(String(y[0])));
        const environments = ofType("github:index/repositoryEnvironment:RepositoryEnvironment").map((resource) => resource.inputs);
        expect(byEnvironment(environments.map((inputs) => [inputs["environment"], inputs["reviewers"] ?? null, inputs["deploymentBranchPolicy"]]))).toEqual([
            ["account-drift", null, { protectedBranches: false, customBranchPolicies: true }],
            ["prod", [{ users: [1000001], teams: [] }], { protectedBranches: false, customBranchPolicies: true }],
            ["staging", null, { protectedBranches: false, customBranchPolicies: true }],
        ]);
        const policies = ofType("github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy");
        expect(byEnvironment(policies.map((resource) => [resource.inputs["environment"], resource.inputs["branchPattern"]]))).toEqual([
            ["account-drift", "main"],
            ["prod", "main"],
            ["staging", "main"],
        ]);
    });

    it("main requires every job of the test workflow and a review", () => {
        const protection = onlyResourceNamed(run, "repository-main").inputs;
        const jobs = Object.entries(parseWorkflow("test.yml").jobs).map(([id, job]) => job.name ?? id);
        expect(jobs).toContain("test");
        expect(protection["requiredStatusChecks"]).toEqual([{ strict: true, contexts: jobs }]);
        expect(protection["requiredPullRequestReviews"]).toEqual([
            { requiredApprovingReviewCount: 1, dismissStaleReviews: true, requireLastPushApproval: true },
        ]);
    });

    it("the drift label is the one the drift workflow files its issues under", () => {
        expect(onlyResourceNamed(run, "repository-drift-label").inputs).toEqual({ repository: REPO, ...DRIFT_LABEL });
        expect(readFileSync(path.join(WORKFLOWS, "drift.yml"), "utf8")).toContain(
            `gh label create ${DRIFT_LABEL.name} --color ${DRIFT_LABEL.color} --description "${DRIFT_LABEL.description}" --force`,
        );
    });

    it("the workflows read exactly the variables this program creates, each where it exists (repository or environment)", () => {
        const created = [
            ...ofType("github:index/actionsVariable:ActionsVariable").map((resource) => `${resource.inputs["variableName"]}`),
            ...ofType("github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable").map(
                (resource) => `${resource.inputs["variableName"]}@${resource.inputs["environment"]}`,
            ),
        ].sort();
        const read = new Set<string>();
        for (const file of readdirSync(WORKFLOWS).filter((name) => name.endsWith(".yml"))) {
            for (const job of Object.values(parseWorkflow(file).jobs)) {
                const environment = typeof job.environment === "string" ? job.environment : job.environment?.name;
                for (const [, name] of JSON.stringify(job).matchAll(/vars\.([A-Z0-9_]+)/g)) {
                    read.add(created.includes(`${name}@${environment}`) ? `${name}@${environment}` : name!);
                }
            }
        }
        expect(created).toContain("AWS_ACCOUNT_DRIFT_ROLE_ARN@account-drift");
        expect([...read].sort()).toEqual(created);
    });
});

const WORKFLOWS = path.join(ROOT, ".github", "workflows");

interface Workflow {
    on: Record<string, unknown>;
    jobs: Record<string, { name?: string; environment?: string | { name: string }; steps?: { uses?: string; with?: Record<string, unknown> }[] }>;
}

function parseWorkflow(file: string): Workflow {
    return parse(readFileSync(path.join(WORKFLOWS, file), "utf8")) as Workflow;
}
