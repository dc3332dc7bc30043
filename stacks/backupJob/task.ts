// The backup job's Fargate task definitions, and what Fargate accepts for them: cpu and memory sizes,
// an image pinned by digest.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BackupJobSettings } from "./settings.js";

export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
    256: [512, 1024, 2048],
    512: [1024, 2048, 3072, 4096],
    1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
    2048: Array.from({ length: 13 }, (_, index) => 4096 + index * 1024),
    4096: Array.from({ length: 23 }, (_, index) => 8192 + index * 1024),
    8192: Array.from({ length: 12 }, (_, index) => 16_384 + index * 4096),
    16384: Array.from({ length: 12 }, (_, index) => 32_768 + index * 8192),
};

export function checkFargateSize(cpu: number, memory: number): string | undefined {
    const allowed = FARGATE_SIZES[cpu];
    if (allowed === undefined) return checkFargateCpu(cpu);
    if (allowed.includes(memory)) return undefined;
    const low = allowed[0]!;
    const sizes = cpu === 256 ? allowed.join(", ") : `${low}-${allowed[allowed.length - 1]} in steps of ${allowed[1]! - low}`;
    return `is not a memory size Fargate accepts with cpu ${cpu}; allowed: ${sizes} MiB`;
}

export function checkImageUri(value: string): string | undefined {
    if (!/^[a-z0-9][a-z0-9.-]*(:\d+)?\/[a-z0-9._/-]+(:[\w][\w.-]{0,127})?@sha256:[0-9a-f]{64}$/.test(value)) {
        return "must be REGISTRY/REPOSITORY[:TAG]@sha256:<64 hex digits>, pinned by digest so that the task runs exactly the image reviewed";
    }
    return undefined;
}

export function checkFargateCpu(cpu: number): string | undefined {
    return FARGATE_SIZES[cpu] === undefined ? `must be a Fargate cpu size: ${Object.keys(FARGATE_SIZES).join(", ")}` : undefined;
}

/** The container's name in both task definitions. */
export const CONTAINER_NAME = "backup-job";
/** Fargate's longest stop timeout: the job needs about 20 s to abort its upload and report after SIGTERM. */
export const STOP_TIMEOUT_SECONDS = 120;

export interface TaskSpec {
    family: string;
    /** Stream prefix in the log group: backup/… or restore-drill/…. */
    streamPrefix: string;
    command: string[];
    environment: Record<string, pulumi.Input<string>>;
    /** Variable name to Secrets Manager secret ARN. */
    secrets: Record<string, pulumi.Input<string>>;
}

/** One of the job's Fargate task definitions: the image as an unprivileged user on a read-only root, logs to the job's group. */
export function taskDefinition(
    parent: pulumi.Resource,
    name: string,
    id: string,
    settings: BackupJobSettings,
    image: pulumi.Input<string>,
    logGroupName: pulumi.Input<string>,
    region: string,
    executionRoleArn: pulumi.Input<string>,
    taskRoleArn: pulumi.Input<string>,
    spec: TaskSpec,
): aws.ecs.TaskDefinition {
    const environment = Object.entries(spec.environment)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([variable, value]) => ({ name: variable, value }));
    const secrets = Object.entries(spec.secrets).map(([variable, valueFrom]) => ({ name: variable, valueFrom }));
    return new aws.ecs.TaskDefinition(
        `${name}-${id}`,
        {
            family: spec.family,
            requiresCompatibilities: ["FARGATE"],
            networkMode: "awsvpc",
            cpu: String(settings.cpu),
            memory: String(settings.memory),
            runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: settings.architecture },
            executionRoleArn,
            taskRoleArn,
            containerDefinitions: pulumi.jsonStringify([
                {
                    name: CONTAINER_NAME,
                    image,
                    essential: true,
                    command: spec.command,
                    // The image's unprivileged user, stated here too so no image can run the task as root.
                    user: "node",
                    // Nothing is writable and nothing needs to be: the job, pg_dump, psql and zstd stream between the
                    // database and S3 (job/test/cli/read-only-root.test.ts runs them as nobody with read-only /tmp,
                    // cwd and HOME). A /tmp volume would not help anyway: Fargate mounts it root-owned.
                    readonlyRootFilesystem: true,
                    stopTimeout: STOP_TIMEOUT_SECONDS,
                    environment,
                    secrets,
                    logConfiguration: {
                        logDriver: "awslogs",
                        options: { "awslogs-group": logGroupName, "awslogs-region": region, "awslogs-stream-prefix": spec.streamPrefix },
                    },
                },
            ]),
        },
        { parent },
    );
}
