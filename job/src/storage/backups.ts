import { ExitCode, JobError, errorMessage } from "../errors.js";
import type { Folder } from "./folder.js";
import { isDamaged, parseManifest, type Manifest } from "./manifest.js";
import { dumpPath, idFromDumpName, idFromManifestName, manifestPath } from "./target.js";

/** A manifest that exists but cannot be used: not JSON, invalid, or naming another backup. */
export interface DamagedManifest {
    /** The id its key names (`manifests/<id>.json`). */
    id: string;
    /** Relative to the target root. */
    key: string;
    reason: string;
}

export interface ListResult {
    manifests: Manifest[];
    damaged: DamagedManifest[];
    /** Problems worth a warning: dumps without a manifest, manifests deleted while listing. */
    warnings: { message: string; context: Record<string, unknown> }[];
}

/** Manifests are small: fetch several at once so a year of daily backups lists in seconds. */
const MANIFEST_FETCH_CONCURRENCY = 16;

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const index = next++;
            results[index] = await fn(items[index]!);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/** The manifest of backup `id`: exit 6 (context.notFound) when there is none, exit 7 when it is damaged. */
export async function readManifest(folder: Folder, id: string): Promise<Manifest> {
    const text = await folder.readObject(manifestPath(id));
    if (text === undefined) {
        throw new JobError(ExitCode.Storage, `backup "${id}" not found in ${folder.display} (no ${manifestPath(id)})`, {
            target: folder.display,
            backup: id,
            notFound: true,
        });
    }
    return parseManifest(text, folder.locate(manifestPath(id)), id);
}

/**
 * Every backup of a target: the valid manifests, the damaged ones, and warnings for dumps without a
 * manifest (a failed or running backup, which does not exist for list, restore or verify). A target
 * that cannot be read fails the listing; a manifest deleted meanwhile is skipped.
 */
export async function listBackups(folder: Folder): Promise<ListResult> {
    const result: ListResult = { manifests: [], damaged: [], warnings: [] };
    const ids = (await folder.listNames("manifests")).map(idFromManifestName).filter((id): id is string => id !== undefined);
    const outcomes = await mapLimit(ids, MANIFEST_FETCH_CONCURRENCY, async (id) => {
        try {
            return { id, manifest: await readManifest(folder, id), error: undefined };
        } catch (error) {
            if (!isDamaged(error) && !(error instanceof JobError && error.context["notFound"] === true)) throw error;
            return { id, manifest: undefined, error };
        }
    });
    const manifestIds = new Set<string>();
    for (const outcome of outcomes) {
        if (outcome.manifest !== undefined) {
            result.manifests.push(outcome.manifest);
            manifestIds.add(outcome.id);
        } else if (isDamaged(outcome.error)) {
            result.damaged.push({ id: outcome.id, key: manifestPath(outcome.id), reason: errorMessage(outcome.error) });
        } else {
            result.warnings.push({ message: "ignoring manifest deleted while listing", context: { manifest: manifestPath(outcome.id) } });
        }
    }
    for (const name of await folder.listNames("dumps")) {
        const id = idFromDumpName(name);
        if (id !== undefined && !manifestIds.has(id)) {
            result.warnings.push({ message: "ignoring dump without manifest (incomplete or failed backup)", context: { dump: dumpPath(id) } });
        }
    }
    return result;
}
