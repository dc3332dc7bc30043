// CI's access to Pulumi Cloud: GitHub's OIDC issuer registered in the organization, with a policy per
// job that runs Pulumi, so no Pulumi token is stored anywhere in the repository.
import * as pulumi from "@pulumi/pulumi";
import * as pulumiservice from "@pulumi/pulumiservice";
import type { Repository } from "../ciAccess/trust.js";
import { GITHUB_OIDC_ISSUER_URL, PULUMI_TOKEN_SECONDS, pulumiSubjects, pulumiTokenPolicies } from "./policies.js";

export const PULUMI_ACCESS_TYPE = "hotelgenius:account:PulumiCloudAccess";

export interface PulumiCloudAccessArgs {
    organization: string;
    repository: Repository;
}

export class PulumiCloudAccess extends pulumi.ComponentResource {
    constructor(name: string, args: PulumiCloudAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super(PULUMI_ACCESS_TYPE, name, {}, opts);
        new pulumiservice.OidcIssuer(
            `${name}-github`,
            {
                organization: args.organization,
                name: `github-${args.repository.owner}-${args.repository.name}`,
                url: GITHUB_OIDC_ISSUER_URL,
                maxExpirationSeconds: PULUMI_TOKEN_SECONDS,
                policies: pulumiTokenPolicies(args.organization, pulumiSubjects(args.repository)),
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
