import path from "node:path";
import { usageError } from "../errors.js";
import type { Variables } from "../environment.js";

export type Target = { kind: "file"; dir: string; url: string } | { kind: "s3"; bucket: string; prefix: string; url: string };

export const DEFAULT_TARGET = "file://./backups";

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Where relative `file://` targets resolve: the caller's directory. `npm run` starts the job in the
 * repository root and records where the user stood in INIT_CWD.
 */
export function callerDirectory(env: Variables, cwd: string): string {
    const initCwd = env["INIT_CWD"];
    return initCwd !== undefined && path.isAbsolute(initCwd) ? initCwd : cwd;
}

/**
 * `s3://bucket/prefix` or `file://dir` (relative dirs resolve against `cwd`, the caller's directory; `file:///abs` is absolute).
 * The prefix is kept without leading/trailing slashes so keys join predictably.
 */
export function parseTarget(raw: string, option: string, cwd: string): Target {
    const value = raw.trim();
    if (value.startsWith("file://")) {
        let rest: string;
        try {
            rest = decodeURIComponent(value.slice("file://".length));
        } catch {
            throw usageError(
                `${option} "${raw}" has a "%" that is not a valid percent escape: write % itself as %25 (an escape is % and two hex digits, e.g. %20 for a ` +
                    `space)`,
            );
        }
        if (rest === "") throw usageError(`${option} "${raw}" has no directory: use file://DIR, e.g. file://./backups or file:///var/backups`);
        return { kind: "file", dir: path.resolve(cwd, rest), url: value };
    }
    if (value.startsWith("s3://")) {
        const rest = value.slice("s3://".length);
        const slash = rest.indexOf("/");
        const bucket = slash === -1 ? rest : rest.slice(0, slash);
        const prefix = slash === -1 ? "" : rest.slice(slash + 1).replace(/^\/+|\/+$/g, "");
        if (!BUCKET.test(bucket) || bucket.includes("..")) {
            throw usageError(`${option} "${raw}" has an invalid bucket name "${bucket}": allowed are 3-63 lowercase letters, digits, "." and "-"`);
        }
        if (prefix.split("/").some((part) => part === "." || part === "..")) {
            throw usageError(`${option} "${raw}" has "." or ".." in its prefix: use a plain path such as s3://bucket/prod`);
        }
        return { kind: "s3", bucket, prefix, url: value };
    }
    throw usageError(`${option} "${raw}" is not a supported target: ${pathSuggestion(value)}use s3://BUCKET[/PREFIX] or file://DIR`);
}

/** A bare path (`/var/backups`, `./backups`, `backups`) was most likely meant as a file:// target: say which. */
function pathSuggestion(value: string): string {
    if (value === "" || /^[a-z][a-z0-9+.-]*:/i.test(value)) return "";
    return `did you mean "file://${value}"? `;
}

/**
 * Object key (s3) or relative path (file) of a dump, relative to the target root. On S3 each run adds
 * a token of 8 hex digits (see runToken), so that two runs with the same id never write one object.
 */
export function dumpPath(id: string, runToken?: string): string {
    return `dumps/${id}${runToken === undefined ? "" : `.${runToken}`}.pgdump.zst`;
}

export function manifestPath(id: string): string {
    return `manifests/${id}.json`;
}

export function s3Key(target: { prefix: string }, relative: string): string {
    return target.prefix === "" ? relative : `${target.prefix}/${relative}`;
}

/** `manifests/<id>.json` -> id; anything else (temp files, other objects) -> undefined. */
export function idFromManifestName(fileName: string): string | undefined {
    const m = /^([^/]+)\.json$/.exec(fileName);
    return m ? m[1] : undefined;
}

export function idFromDumpName(fileName: string): string | undefined {
    const m = /^([^/]+?)(?:\.[0-9a-f]{8})?\.pgdump\.zst$/.exec(fileName);
    return m ? m[1] : undefined;
}
