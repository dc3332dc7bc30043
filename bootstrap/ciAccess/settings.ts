// The repository whose workflows may assume CI's roles, and how its OIDC tokens name it.
import { defineArea, list, oneOf, text } from "../../stacks/settings/spec.js";

export const SUBJECT_FORMATS = ["name", "immutable"] as const;
export type SubjectFormat = (typeof SUBJECT_FORMATS)[number];

/** GitHub allows at most six required reviewers (users and teams together) on an environment. */
export const MAX_REVIEWERS = 6;

const GITHUB_ID = /^[1-9]\d{0,15}$/;

const id = (what: string) =>
    text({
        optional: true,
        check: (value) => (GITHUB_ID.test(value) ? undefined : `must be the ${what}'s numeric GitHub id, digits only`),
        allowed: `the ${what}'s numeric GitHub id`,
        description: `The ${what}'s immutable numeric id (GitHub API \`id\`), for githubSubjectFormat immutable.`,
        why: "Only needed for the immutable subject format; GitHub never reuses an id, while a freed name can be claimed by anyone.",
    });

const numericIds = (what: string) =>
    list({
        optional: true,
        item: (value) => (GITHUB_ID.test(value) ? undefined : `is not a GitHub ${what} id; each item must be the numeric id (GitHub API \`id\`)`),
        allowed: `numeric GitHub ${what} ids`,
        description: `GitHub ${what} ids (numbers) whose approval the prod environment requires; with the other list, one to six reviewers.`,
        why: "No default: who approves production deploys is a decision, reviewed where it is made.",
    });

export const ciAccessArea = defineArea({
    name: "ciAccess",
    settings: {
        githubOwner: text({
            check: (value) =>
                /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/.test(value)
                    ? undefined
                    : "must be a GitHub user or organization name (1-39 letters, digits, single hyphens)",
            allowed: "a GitHub organization or user name",
            description: "The GitHub organization (or user) that owns this repository; the only one CI's roles trust.",
            why: "No default: trusting a guessed owner would trust whoever holds that name.",
        }),
        githubRepository: text({
            check: (value) =>
                /^[A-Za-z0-9._-]{1,100}$/.test(value) && value !== "." && value !== ".."
                    ? undefined
                    : "must be a repository name (1-100 letters, digits, . _ -)",
            allowed: "a GitHub repository name, without the owner",
            description: "This repository's name; the only repository whose workflows CI's roles trust.",
            why: "No default, as githubOwner.",
        }),
        githubSubjectFormat: oneOf(SUBJECT_FORMATS, {
            default: "name" as SubjectFormat,
            description:
                "How the repository's OIDC tokens spell their sub claim: name (repo:OWNER/REPO:...) or immutable (repo:OWNER@OWNER_ID/REPO@REPO_ID:..., repositories created or renamed since 2026-07-15).",
            why: "Existing repositories keep the name format unless an administrator opts in; the trust must match what the tokens carry, exactly.",
        }),
        githubOwnerId: id("owner"),
        githubRepositoryId: id("repository"),
        prodReviewerUserIds: numericIds("user"),
        prodReviewerTeamIds: numericIds("team"),
        pulumiBackendUrl: text({
            default: "https://api.pulumi.com",
            check: (value) =>
                /^https:\/\/[a-z0-9.-]+(:\d+)?\/?$/.test(value) || /^s3:\/\/[a-z0-9][a-z0-9-]{1,61}[a-z0-9](\/[\w./-]*)?$/.test(value)
                    ? undefined
                    : "must be a Pulumi Cloud URL (https://host) or an s3://bucket[/prefix] backend",
            allowed: "https://api.pulumi.com, a self-hosted https:// URL, or s3://bucket[/prefix]",
            description: "Where the main program's state lives; an s3:// backend gives CI's roles access to that bucket prefix only.",
            why: "Pulumi Cloud, as the workflows use (a token exchanged for GitHub's OIDC token); its state needs no AWS rights.",
        }),
        pulumiOrganization: text({
            optional: true,
            check: (value) =>
                /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(value) ? undefined : "must be a Pulumi organization name (1-100 letters, digits, . _ -)",
            allowed: "the Pulumi Cloud organization that holds the main program's stacks",
            description:
                "The Pulumi Cloud organization of the main program's stacks: where GitHub's OIDC issuer is registered, with a policy per sub claim CI runs under.",
            why: "No default: the issuer and its trust are declared in the organization named on purpose; required with a Pulumi Cloud backend.",
        }),
    },
    relations: (values, context) => {
        const problems = [];
        if (values.githubSubjectFormat === "immutable") {
            for (const setting of ["githubOwnerId", "githubRepositoryId"] as const) {
                if (values[setting] === undefined) {
                    problems.push({
                        setting,
                        value: undefined,
                        allowed: "required when githubSubjectFormat is immutable: the ids are part of every sub claim",
                    });
                }
            }
        }
        if (values.pulumiBackendUrl?.startsWith("https://") && values.pulumiOrganization === undefined && !context.isSet("pulumiOrganization")) {
            problems.push({
                setting: "pulumiOrganization",
                value: undefined,
                allowed: "required when pulumiBackendUrl is a Pulumi Cloud URL: CI's Pulumi tokens are exchanged in that organization",
            });
        }
        const refused = (["prodReviewerUserIds", "prodReviewerTeamIds"] as const).some((name) => context.isSet(name) && values[name] === undefined);
        const reviewers = (values.prodReviewerUserIds?.length ?? 0) + (values.prodReviewerTeamIds?.length ?? 0);
        if (!refused && (reviewers === 0 || reviewers > MAX_REVIEWERS)) {
            problems.push({
                setting: "prodReviewerUserIds",
                value: JSON.stringify(values.prodReviewerUserIds ?? []),
                allowed: `prodReviewerUserIds and prodReviewerTeamIds together must name 1 to ${MAX_REVIEWERS} reviewers (${reviewers} given): prod deploys wait for one of them`,
            });
        }
        return problems;
    },
});
