// Reads a stack settings file (Pulumi.<stack>.yaml) the way the Pulumi CLI hands it to the
// program, minus decryption: the offline plan has no secrets provider and no Pulumi ESC access,
// so encrypted values and ESC-provided secrets become the OFFLINE_SECRET placeholder.
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { requiredSecretKeys } from "../../stacks/settings/registry.js";
import { OFFLINE_SECRET } from "../../stacks/settings/spec.js";

export interface StackFile {
    /** Full config keys to raw strings, as the runtime sees them (structured values as JSON text). */
    values: Record<string, string>;
    /** Keys whose values are secret: `secure:` in the file, or declared secret and left to ESC. */
    secretKeys: ReadonlySet<string>;
    /** Pulumi ESC environments the stack imports (`environment:`). */
    environments: string[];
}

/** Thrown for a file that cannot be read or is not a stack settings file; the message names the file. */
export class StackFileError extends Error {
    constructor(path: string, reason: string) {
        super(`${path}: ${reason}`);
        this.name = "StackFileError";
    }
}

export function readStackFile(path: string, project: string): StackFile {
    let text: string;
    try {
        text = readFileSync(path, "utf8");
    } catch (error) {
        throw new StackFileError(path, `cannot read the stack settings file (${(error as Error).message})`);
    }
    return parseStackFile(text, path, project);
}

/** The pure part of readStackFile; `path` only names the file in errors. */
export function parseStackFile(text: string, path: string, project: string): StackFile {
    const document = parseDocument(text, { uniqueKeys: true });
    if (document.errors.length > 0) {
        throw new StackFileError(path, `invalid YAML: ${document.errors.map((error) => error.message.split("\n")[0]).join("; ")}`);
    }
    const root: unknown = document.toJS() ?? {};
    if (!isPlainObject(root)) throw new StackFileError(path, "must be a YAML mapping with `config:` and optionally `environment:`");

    const config = root["config"] ?? {};
    if (!isPlainObject(config)) throw new StackFileError(path, "`config:` must be a mapping of keys to values");
    const environments = readEnvironments(root["environment"], path);

    const values: Record<string, string> = {};
    const secretKeys = new Set<string>();
    for (const [rawKey, value] of Object.entries(config)) {
        // Pulumi reads a key without a namespace as one of the project's own settings.
        const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
        if (key in values) throw new StackFileError(path, `config key ${key} is set twice (once with and once without the ${project}: namespace)`);
        const flat = flatten(value);
        values[key] = flat.text;
        if (flat.secret) secretKeys.add(key);
    }
    if (environments.length > 0) {
        for (const key of requiredSecretKeys(project)) {
            if (!(key in values)) {
                values[key] = OFFLINE_SECRET;
                secretKeys.add(key);
            }
        }
    }
    return { values, secretKeys, environments };
}

function readEnvironments(value: unknown, path: string): string[] {
    if (value === undefined || value === null) return [];
    // Pulumi also accepts an inline environment definition here; its values would be invisible
    // to the offline plan, so only the list of imported environment names is supported.
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item.trim() === "")) {
        throw new StackFileError(path, "`environment:` must be a list of Pulumi ESC environment names, e.g. [hotelgenius/prod]");
    }
    return value as string[];
}

interface Flat {
    text: string;
    secret: boolean;
}

/** A config value as the runtime receives it: scalars as text, structures as JSON, `secure:` as the placeholder. */
function flatten(value: unknown): Flat {
    if (isSecure(value)) return { text: value.secure === "" ? "" : OFFLINE_SECRET, secret: true };
    if (value === null || value === undefined) return { text: "", secret: false };
    if (typeof value === "string") return { text: value, secret: false };
    if (typeof value === "number" || typeof value === "boolean") return { text: String(value), secret: false };
    let secret = false;
    const reveal = (inner: unknown): unknown => {
        if (isSecure(inner)) {
            secret = true;
            return inner.secure === "" ? "" : OFFLINE_SECRET;
        }
        if (Array.isArray(inner)) return inner.map(reveal);
        if (isPlainObject(inner)) return Object.fromEntries(Object.entries(inner).map(([key, nested]) => [key, reveal(nested)]));
        return inner;
    };
    const text = JSON.stringify(reveal(value));
    return { text, secret };
}

function isSecure(value: unknown): value is { secure: string } {
    return isPlainObject(value) && Object.keys(value).length === 1 && typeof value["secure"] === "string";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}
