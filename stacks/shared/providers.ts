import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { defaultTags } from "./naming.js";

export interface Providers {
    /** The stack's own region (aws:region): everything but the off-site copy. */
    primary: aws.Provider;
    /** The off-site region of the backup replica; none when the stack keeps no off-site copy (offSiteReplica false). */
    replica?: aws.Provider;
    /**
     * us-east-1, for what AWS offers only there: Route 53 health-check metrics, so the uptime alarm
     * and its topic. It holds no data, so data residency does not apply to it.
     */
    usEast1: aws.Provider;
}

/**
 * Explicit providers for the primary and replica regions. Tags ride on the providers' defaultTags
 * rather than a stack transform: transforms do not run under the mock runtime, so the offline plan
 * and the tests would not show them. `ready`: the providers (and so every AWS resource) wait for it,
 * and none is registered when it fails (the account checks, stacks/shared/accountChecks.ts).
 */
export function createProviders(
    settings: { project: string; stack: string; owner: string; region: string; storage: { replicaRegion: string; offSiteReplica: boolean } },
    ready?: pulumi.Output<unknown>,
): Providers {
    if (settings.storage.replicaRegion === settings.region) {
        throw new Error(
            `storage.replicaRegion is "${settings.storage.replicaRegion}", the primary region; allowed: any other region, or the copy is not off-site`,
        );
    }
    const tags = defaultTags({ project: settings.project, stack: settings.stack, owner: settings.owner });
    const region = (name: string): pulumi.Input<string> => (ready === undefined ? name : ready.apply(() => name));
    return {
        primary: new aws.Provider("aws-primary", { region: region(settings.region), defaultTags: { tags } }),
        ...(settings.storage.offSiteReplica
            ? { replica: new aws.Provider("aws-replica", { region: region(settings.storage.replicaRegion), defaultTags: { tags } }) }
            : {}),
        usEast1: new aws.Provider("aws-us-east-1", { region: region("us-east-1"), defaultTags: { tags } }),
    };
}
