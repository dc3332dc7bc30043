// The backup job's image is tagged by its content: the same sources and build arguments give the same
// tag, so the immutable ECR repository gets a new tag exactly when the image would differ.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

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
