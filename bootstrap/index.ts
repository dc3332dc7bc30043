// The account-level program, run once per AWS account by an administrator (never by CI, which
// would then widen its own trust): the CloudTrail trail, the break-glass role, CI's OIDC access
// and the repository's delivery settings. Settings are validated before anything is registered.
import * as aws from "@pulumi/aws";
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import * as pulumiservice from "@pulumi/pulumiservice";
import { ACCOUNT_PROJECT, TRAIL_NAME } from "../stacks/shared/account.js";
import { defaultTags, nameStem } from "../stacks/shared/naming.js";
import { ciUpdateRefusal } from "./administratorOnly.js";
import { BreakGlass } from "./breakGlass/component.js";
import { ACCOUNT_DRIFT_ENVIRONMENT, CiAccess } from "./ciAccess/component.js";
import { RepositorySettings } from "./repository/component.js";
import { testWorkflowChecks } from "./repository/requiredChecks.js";
import { PulumiCloudAccess } from "./pulumiAccess/component.js";
import { loadAccountSettings } from "./settings.js";
import { AccountTrail } from "./trail/component.js";
import { stateObjectsOf } from "./ciAccess/backend.js";

const refusal = ciUpdateRefusal(process.env, pulumi.runtime.isDryRun());
if (refusal !== undefined) throw new Error(refusal);
const settings = loadAccountSettings();
const { ciAccess } = settings;
const tags = defaultTags({ project: settings.project, stack: settings.stack, owner: settings.account.owner });
const provider = new aws.Provider("aws-account", { region: settings.region, defaultTags: { tags } });
// The token comes from GITHUB_TOKEN in the administrator's shell, never from the stack file.
const githubProvider = new github.Provider("github", { owner: ciAccess.githubOwner });
const account = aws.getCallerIdentityOutput({}, { provider }).accountId;

const breakGlass = new BreakGlass(
    "break-glass",
    { account, administrators: settings.breakGlass.breakGlassAdministrators, projects: [settings.account.mainProject, ACCOUNT_PROJECT] },
    { provider },
);

const trail =
    settings.trail.organizationTrailArn === undefined
        ? new AccountTrail(
              "account-trail",
              {
                  account,
                  region: settings.region,
                  bucketName: `${nameStem(settings)}-trail-logs`,
                  breakGlassRoleArn: breakGlass.roleArn,
                  objectLockDays: settings.trail.trailObjectLockDays,
                  expirationDays: settings.trail.trailLogExpirationDays,
                  protect: settings.trail.protectTrail,
              },
              { provider },
          )
        : undefined;

const repository = {
    owner: ciAccess.githubOwner,
    name: ciAccess.githubRepository,
    format: ciAccess.githubSubjectFormat,
    ...(ciAccess.githubOwnerId === undefined ? {} : { ownerId: ciAccess.githubOwnerId }),
    ...(ciAccess.githubRepositoryId === undefined ? {} : { repositoryId: ciAccess.githubRepositoryId }),
};

const ci = new CiAccess(
    "ci",
    {
        account,
        repository,
        mainProject: settings.account.mainProject,
        breakGlassRoleArn: breakGlass.roleArn,
        ...stateObjectsOf(ciAccess.pulumiBackendUrl),
    },
    { provider },
);

// With Pulumi Cloud, CI's Pulumi tokens are exchanged for GitHub's OIDC tokens of the same jobs the AWS roles trust. The
// provider signs in with the administrator's PULUMI_ACCESS_TOKEN; the workflows read the organization's name.
const pulumiOrganization = ciAccess.pulumiBackendUrl.startsWith("https://") ? ciAccess.pulumiOrganization : undefined;
if (pulumiOrganization !== undefined) {
    const pulumiProvider = new pulumiservice.Provider("pulumi-cloud", { apiUrl: ciAccess.pulumiBackendUrl });
    new PulumiCloudAccess("pulumi-cloud", { organization: pulumiOrganization, repository }, { provider: pulumiProvider });
}

new RepositorySettings(
    "repository",
    {
        repository: ciAccess.githubRepository,
        environments: {
            staging: { variables: { AWS_DEPLOY_ROLE_ARN: ci.deployRoleArns.staging } },
            prod: {
                reviewers: { users: (ciAccess.prodReviewerUserIds ?? []).map(Number), teams: (ciAccess.prodReviewerTeamIds ?? []).map(Number) },
                variables: { AWS_DEPLOY_ROLE_ARN: ci.deployRoleArns.prod },
            },
            [ACCOUNT_DRIFT_ENVIRONMENT]: { variables: { AWS_ACCOUNT_DRIFT_ROLE_ARN: ci.accountDriftRoleArn } },
        },
        variables: {
            AWS_PREVIEW_ROLE_ARN: ci.previewRoleArn,
            AWS_DRIFT_ROLE_ARN: ci.driftRoleArn,
            ...(pulumiOrganization === undefined ? {} : { PULUMI_ORGANIZATION: pulumiOrganization }),
        },
        requiredChecks: testWorkflowChecks(),
    },
    { provider: githubProvider },
);

/** What the main program's stacks check at preview: the trail that must be logging, and the break-glass role that must exist. */
export const trailName = settings.trail.organizationTrailArn ?? TRAIL_NAME;
export const trailArn = trail?.trailArn ?? settings.trail.organizationTrailArn;
export const trailBucketName = trail?.bucketName;
export const breakGlassRoleArn = breakGlass.roleArn;
export const previewRoleArn = ci.previewRoleArn;
export const driftRoleArn = ci.driftRoleArn;
export const accountDriftRoleArn = ci.accountDriftRoleArn;
export const deployRoleArns = ci.deployRoleArns;
export const deployBoundaryArn = ci.boundaryArn;
