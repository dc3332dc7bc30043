// The break-glass role the guarded key policies exempt by ARN: declared here, so nobody else can
// create a role by that name and inherit the keys' last resort.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BREAK_GLASS_ROLE_NAME, BREAK_GLASS_ROLE_PATH } from "../../stacks/shared/account.js";
import { breakGlassPolicy, breakGlassTrustPolicy, MAX_SESSION_SECONDS } from "./policies.js";

export const BREAK_GLASS_TYPE = "hotelgenius:account:BreakGlass";

export interface BreakGlassArgs {
    account: pulumi.Input<string>;
    administrators: readonly string[];
    /** Projects whose keys (by their `project` tag) the role administers. */
    projects: readonly string[];
}

export class BreakGlass extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: BreakGlassArgs, opts?: pulumi.ComponentResourceOptions) {
        super(BREAK_GLASS_TYPE, name, {}, opts);
        const child: pulumi.CustomResourceOptions = { parent: this };
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                name: BREAK_GLASS_ROLE_NAME,
                path: BREAK_GLASS_ROLE_PATH,
                description: "Break glass: the only principal that may change the guarded keys' policies or disable them",
                assumeRolePolicy: pulumi.jsonStringify(breakGlassTrustPolicy(args.administrators)),
                maxSessionDuration: MAX_SESSION_SECONDS,
            },
            // Deleting it would leave the guarded keys' policies unchangeable until someone recreated it by name.
            { ...child, protect: true },
        );
        new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.name,
                name: "administer-guarded-keys",
                policy: pulumi.jsonStringify(pulumi.output(args.account).apply((account) => breakGlassPolicy(account, args.projects))),
            },
            { ...child, protect: true },
        );
        this.roleArn = role.arn;
        this.registerOutputs({ roleArn: this.roleArn });
    }
}
