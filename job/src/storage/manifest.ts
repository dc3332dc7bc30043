import { ExitCode, JobError } from "../errors.js";
import type { DatabaseGrant } from "../postgres/database-state.js";
import { isBackupId, parseBackupId } from "./ids.js";
import { idFromDumpName } from "./target.js";

export interface TableCount {
    schema: string;
    name: string;
    rows: number;
}

/**
 * The manifest format this job writes, and the formats it reads. A field an older job may safely ignore
 * (context, an optional check) can be added without a new version; anything a job must understand to
 * restore correctly (another dump format, state a restore must re-apply) needs a new version, which
 * older jobs then refuse (exit 7) instead of restoring part of it. Every version ever written stays
 * readable: job/test/fixtures holds a backup of each, restored by the tests.
 */
export const MANIFEST_VERSION = 1;
export const READABLE_MANIFEST_VERSIONS: readonly number[] = [1];

export interface Manifest {
    manifestVersion: typeof MANIFEST_VERSION;
    id: string;
    name: string;
    database: string;
    serverVersion: string;
    serverMajor: string;
    pgDumpVersion: string;
    pgDumpMajor: string;
    format: "custom";
    compression: { algorithm: "zstd"; level: number };
    /** Relative to the target root. */
    dump: string;
    /**
     * S3: the version of the dump object the backup created, in a versioned bucket; restores read
     * exactly that version. Absent from file backups, unversioned buckets and older manifests, which an
     * older job reads as before: it restores the same object, only not pinned to its version.
     */
    dumpVersionId?: string;
    bytes: number;
    sha256: string;
    startedAt: string;
    finishedAt: string;
    durationSeconds: number;
    tables: TableCount[];
    largeObjects: number;
    tool: { name: string; version: string };
    /** `ALTER DATABASE ... SET` settings ("name=value"); absent from manifests written before they were recorded. */
    databaseSettings?: string[];
    /** Grants on the database itself, but the owner's; absent from older manifests. */
    databaseGrants?: DatabaseGrant[];
}

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === "string" && v.length > 0;
const isCount: Check = (v) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isNumber: Check = (v) => typeof v === "number" && Number.isFinite(v) && v >= 0;
const isIso: Check = (v) => typeof v === "string" && !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}T/.test(v);

/**
 * Why a manifest's format version cannot be read, when it is newer than every version this job reads
 * (a newer job wrote it): its other fields are then not judged, as that version may define them otherwise.
 */
export function unreadableVersion(value: unknown): string | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    const { manifestVersion: version, tool } = value as { manifestVersion?: unknown; tool?: { name?: unknown; version?: unknown } };
    if (!Number.isSafeInteger(version) || (version as number) <= Math.max(...READABLE_MANIFEST_VERSIONS)) return undefined;
    const writer = typeof tool?.name === "string" && typeof tool.version === "string" ? ` (written by ${tool.name} ${tool.version})` : "";
    return (
        `manifestVersion ${String(version)}${writer} is a manifest format this job does not read: it reads ${READABLE_MANIFEST_VERSIONS.join(", ")}. ` +
        "Use a backup job at least as new as the one that wrote it"
    );
}

/** Returns every problem found, so a damaged manifest is described in one message. */
export function manifestProblems(value: unknown): string[] {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return ["manifest is not a JSON object"];
    const unreadable = unreadableVersion(value);
    if (unreadable !== undefined) return [unreadable];
    const m = value as Record<string, unknown>;
    const problems: string[] = [];
    const need = (key: string, check: Check, what: string) => {
        if (!check(m[key])) problems.push(`${key} must be ${what} (got ${JSON.stringify(m[key])})`);
    };
    need("manifestVersion", (v) => READABLE_MANIFEST_VERSIONS.includes(v as number), `one of ${READABLE_MANIFEST_VERSIONS.join(", ")}`);
    need("id", (v) => typeof v === "string" && isBackupId(v), "a backup id NAME_YYYYMMDDTHHMMSSZ");
    need("name", isString, "a non-empty string");
    need("database", isString, "a non-empty string");
    need("serverVersion", isString, "a non-empty string");
    need("serverMajor", isString, "a non-empty string");
    need("pgDumpVersion", isString, "a non-empty string");
    need("pgDumpMajor", isString, "a non-empty string");
    need("format", (v) => v === "custom", '"custom"');
    need(
        "compression",
        (v) => {
            const c = v as { algorithm?: unknown; level?: unknown } | null;
            return typeof c === "object" && c !== null && c.algorithm === "zstd" && isCount(c.level);
        },
        '{ algorithm: "zstd", level: N }',
    );
    need("dump", (v) => typeof v === "string" && /^dumps\/[^/]+\.pgdump\.zst$/.test(v), "dumps/<id>[.<run token>].pgdump.zst");
    need("bytes", isCount, "a byte count");
    need("sha256", (v) => typeof v === "string" && /^[0-9a-f]{64}$/.test(v), "64 lowercase hex digits");
    need("startedAt", isIso, "an ISO 8601 time");
    need("finishedAt", isIso, "an ISO 8601 time");
    need("durationSeconds", isNumber, "a number of seconds");
    need("largeObjects", isCount, "a count");
    need(
        "tables",
        (v) =>
            Array.isArray(v) &&
            v.every(
                (t) =>
                    typeof t === "object" &&
                    t !== null &&
                    isString((t as TableCount).schema) &&
                    isString((t as TableCount).name) &&
                    isCount((t as TableCount).rows),
            ),
        "an array of { schema, name, rows }",
    );
    need(
        "tool",
        (v) => typeof v === "object" && v !== null && isString((v as Manifest["tool"]).name) && isString((v as Manifest["tool"]).version),
        "{ name, version }",
    );
    const optional = (key: string, check: Check, what: string) => {
        if (m[key] !== undefined) need(key, check, what);
    };
    optional("dumpVersionId", isString, "a non-empty string (the dump's S3 version id)");
    optional("databaseSettings", (v) => Array.isArray(v) && v.every((s) => typeof s === "string" && /^[^=]+=/.test(s)), 'an array of "name=value"');
    optional(
        "databaseGrants",
        (v) =>
            Array.isArray(v) &&
            v.every(
                (g: Partial<DatabaseGrant>) =>
                    isString(g?.grantee) && /^(CREATE|CONNECT|TEMPORARY)$/.test(String(g?.privilege)) && typeof g?.grantable === "boolean",
            ),
        "an array of { grantee, privilege: CREATE|CONNECT|TEMPORARY, grantable }",
    );
    if (problems.length > 0) return problems;
    // Manifests written before run tokens existed name dumps/<id>.pgdump.zst; newer S3 ones add .<8 hex digits>.
    if (idFromDumpName(String(m["dump"]).slice("dumps/".length)) !== m["id"])
        problems.push(`dump "${String(m["dump"])}" does not match id "${String(m["id"])}"`);
    // The id is NAME_<start second>: "latest" selects by name and orders by startedAt, so neither may say otherwise.
    const id = parseBackupId(m["id"] as string)!;
    if (m["name"] !== id.name) problems.push(`name "${String(m["name"])}" does not match id "${String(m["id"])}" (its name is "${id.name}")`);
    const startSecond = Math.floor(Date.parse(m["startedAt"] as string) / 1000) * 1000;
    if (startSecond !== id.startedAt.getTime()) {
        problems.push(`startedAt ${String(m["startedAt"])} does not match id "${String(m["id"])}" (started ${id.startedAt.toISOString()}, to the second)`);
    }
    return problems;
}

/** `expectedId`: the id the manifest's key names; a manifest copied or renamed to another backup's key is refused. */
export function parseManifest(text: string, where: string, expectedId: string): Manifest {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (error) {
        throw new JobError(ExitCode.Verification, `manifest ${where} is not valid JSON: ${(error as Error).message}`, { manifest: where });
    }
    const unreadable = unreadableVersion(value);
    if (unreadable !== undefined) {
        throw new JobError(ExitCode.Verification, `manifest ${where} cannot be read: ${unreadable}`, {
            manifest: where,
            manifestVersion: (value as { manifestVersion: number }).manifestVersion,
            readable: READABLE_MANIFEST_VERSIONS,
        });
    }
    const problems = manifestProblems(value);
    if (problems.length > 0) {
        throw new JobError(ExitCode.Verification, `manifest ${where} is invalid: ${problems.join("; ")}`, { manifest: where, problems });
    }
    const manifest = value as Manifest;
    if (manifest.id !== expectedId) {
        throw new JobError(
            ExitCode.Verification,
            `manifest ${where} is stored as backup "${expectedId}" but its own id is "${manifest.id}": it was copied or renamed, so it does not describe ` +
                `"${expectedId}"`,
            { manifest: where, backup: expectedId, manifestId: manifest.id },
        );
    }
    return manifest;
}

/** Whether a readManifest failure means the manifest is there but unusable (not that storage failed). */
export function isDamaged(error: unknown): boolean {
    return error instanceof JobError && error.exitCode === ExitCode.Verification;
}

export function serializeManifest(manifest: Manifest): string {
    return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Newest first by start time, id as a stable tie-break. */
export function sortNewestFirst(manifests: Manifest[]): Manifest[] {
    return [...manifests].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || b.id.localeCompare(a.id));
}
