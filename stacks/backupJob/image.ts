// The backup job's image: built from job/ into the stack's repository, or given by digest. It is
// tagged by its content: the same sources and build arguments give the same tag, so the immutable
// ECR repository gets a new tag exactly when the image would differ.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import type { BackupJobNames } from "../shared/naming.js";
import type { BackupJobSettings } from "./settings.js";

/** The directory job/Dockerfile builds from. */
export const JOB_DIR = path.resolve(__dirname, "..", "..", "job");
/** The same, relative to the project root, where Pulumi runs the program: plans read the same on every machine. */
export const JOB_CONTEXT = "job";

/** What the Dockerfile copies (job/.dockerignore keeps everything else out), plus the Dockerfile itself. */
export function buildContextFiles(jobDir: string): string[] {
    const top = readdirSync(jobDir).filter((name) => ["Dockerfile", "package.json", "package-lock.json"].includes(name) || /^tsconfig.*\.json$/.test(name));
    const sources = readdirSync(path.join(jobDir, "src"), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(jobDir, path.join(entry.parentPath, entry.name)));
    return [...top, ...sources].map((file) => file.split(path.sep).join("/")).sort();
}

/** `job-` and 16 hex digits of a sha256 over the file names, their contents and the build arguments. */
export function contentTag(files: readonly { name: string; content: Buffer | string }[], buildArgs: Readonly<Record<string, string>>): string {
    const hash = createHash("sha256");
    for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        hash.update(`${file.name}\0${Buffer.byteLength(file.content)}\0`).update(file.content);
    }
    for (const name of Object.keys(buildArgs).sort()) hash.update(`arg\0${name}\0${buildArgs[name]}\0`);
    return `job-${hash.digest("hex").slice(0, 16)}`;
}

/** The content tag of the image `jobDir` builds with these build arguments. */
export function jobImageTag(jobDir: string, buildArgs: Readonly<Record<string, string>>): string {
    return contentTag(
        buildContextFiles(jobDir).map((name) => ({ name, content: readFileSync(path.join(jobDir, name)) })),
        buildArgs,
    );
}

/** The ECR repository ARN of an image in ECR, for the pull permission; undefined for another registry. */
export function ecrRepositoryArn(imageUri: string): string | undefined {
    const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/.exec(imageUri);
    return match ? `arn:aws:ecr:${match[2]}:${match[1]}:repository/${match[3]}` : undefined;
}

/**
 * The image from settings, or job/Dockerfile built for the task's architecture and pushed to the
 * stack's repository under its content tag. Not built on preview: a preview (CI's on every pull
 * request) needs no Docker daemon, BuildKit or emulator for ARM64, and shows the image as changing
 * when its tag does; `pulumi up` builds it.
 */
export function jobImage(parent: pulumi.Resource, name: string, names: BackupJobNames, settings: BackupJobSettings) {
    if (settings.imageUri !== undefined) return { image: pulumi.output(settings.imageUri), repositoryArn: pulumi.output(ecrRepositoryArn(settings.imageUri)) };
    const child = { parent };
    const repository = new aws.ecr.Repository(
        `${name}-repository`,
        {
            name: names.repository,
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            // Images are rebuilt from the repository's sources: a stack teardown may delete them.
            forceDelete: true,
        },
        child,
    );
    new aws.ecr.LifecyclePolicy(
        `${name}-repository-lifecycle`,
        {
            repository: repository.name,
            policy: JSON.stringify({
                rules: [
                    {
                        rulePriority: 1,
                        description: `Keep the last ${settings.imagesKept} images`,
                        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: settings.imagesKept },
                        action: { type: "expire" },
                    },
                ],
            }),
        },
        child,
    );
    const buildArgs = { PG_MAJOR: String(settings.postgresMajor) };
    const platform = settings.architecture === "ARM64" ? dockerBuild.Platform.Linux_arm64 : dockerBuild.Platform.Linux_amd64;
    const token = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, child);
    const built = new dockerBuild.Image(
        `${name}-image`,
        {
            context: { location: JOB_CONTEXT },
            dockerfile: { location: `${JOB_CONTEXT}/Dockerfile` },
            platforms: [platform],
            buildArgs,
            buildOnPreview: false,
            push: true,
            tags: [pulumi.interpolate`${repository.repositoryUrl}:${jobImageTag(JOB_DIR, { ...buildArgs, platform })}`],
            registries: [{ address: repository.repositoryUrl, username: token.userName, password: pulumi.secret(token.password) }],
        },
        child,
    );
    return {
        image: pulumi.interpolate`${repository.repositoryUrl}@${built.digest}`,
        repositoryArn: repository.arn.apply((arn): string | undefined => arn),
    };
}
