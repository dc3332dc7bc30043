// Where the job's tasks run: the VPC and subnets from the settings (or the account's default ones)
// and a security group with no inbound rule, outbound HTTPS and PostgreSQL only.
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { BackupJobSettings } from "./settings.js";

export function jobNetwork(
    parent: pulumi.Resource,
    name: string,
    securityGroupName: string,
    args: { project: string; stack: string; settings: BackupJobSettings },
): { subnetIds: pulumi.Input<string[]>; securityGroup: aws.ec2.SecurityGroup } {
    const { settings } = args;
    const child = { parent };
    const vpcId = settings.network?.vpcId ?? aws.ec2.getVpcOutput({ default: true }, child).id;
    const subnetIds =
        settings.network === undefined
            ? aws.ec2.getSubnetsOutput(
                  {
                      filters: [
                          { name: "vpc-id", values: [vpcId] },
                          { name: "default-for-az", values: ["true"] },
                      ],
                  },
                  child,
              ).ids
            : [...settings.network.subnetIds];
    const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-security-group`,
        {
            name: securityGroupName,
            description: `Backup job of ${args.project} ${args.stack}: no inbound; outbound HTTPS (ECR, S3, Secrets Manager, logs, Sentry) and PostgreSQL`,
            vpcId,
            ingress: [],
            egress: [
                {
                    description: "HTTPS: ECR, S3, Secrets Manager, CloudWatch Logs, Sentry",
                    protocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    cidrBlocks: ["0.0.0.0/0"],
                },
                {
                    description: "PostgreSQL: the database and the scratch server",
                    protocol: "tcp",
                    fromPort: 5432,
                    toPort: 5432,
                    cidrBlocks: ["0.0.0.0/0"],
                },
            ],
        },
        child,
    );
    return { subnetIds, securityGroup };
}
