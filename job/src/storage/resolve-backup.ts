import { ExitCode, JobError, usageError } from "../errors.js";
import { parseBackupId } from "./ids.js";
import { sortNewestFirst, type Manifest } from "./manifest.js";
import type { Runtime } from "../runtime.js";
import { listBackups, readManifest, type DamagedManifest, type ListResult } from "./backups.js";
import type { Storage } from "./storage.js";

/**
 * Whether a damaged manifest may belong to a backup newer than `newest`. Its key's id embeds the start
 * time to the second; a key that is no backup id, or the same second, cannot be ruled out.
 */
export function couldBeNewer(damaged: DamagedManifest, newest: Manifest | undefined): boolean {
    const parsed = parseBackupId(damaged.id);
    if (newest === undefined || parsed === undefined) return true;
    return parsed.startedAt.getTime() >= Math.floor(Date.parse(newest.startedAt) / 1000) * 1000;
}

/** Whether a damaged manifest may be one of backup name `name`'s: its key names that name, or no name at all. */
export function couldBeOfName(damaged: DamagedManifest, name: string | undefined): boolean {
    const parsed = parseBackupId(damaged.id);
    return parsed === undefined || parsed.name === name;
}

/** The backup names a target holds, sorted: those of its valid manifests and those its damaged manifests' keys name. */
export function backupNames(manifests: readonly Manifest[], damaged: readonly DamagedManifest[]): string[] {
    const names = new Set(manifests.map((m) => m.name));
    for (const d of damaged) {
        const parsed = parseBackupId(d.id);
        if (parsed !== undefined) names.add(parsed.name);
    }
    return [...names].sort();
}

/**
 * The backup name "latest" is taken from: `--name`, else the target's only name. A target holding
 * several names is refused (exit 2): the newest backup of whatever it holds may be another database's.
 */
export function latestName(requested: string | undefined, names: readonly string[], display: string): string | undefined {
    if (requested !== undefined || names.length <= 1) return requested ?? names[0];
    throw usageError(
        `"latest" is ambiguous in ${display}: it holds backups of ${names.length} names (${names.join(", ")}); ` +
            `pass --name NAME to restore the newest backup of one of them, or --backup ID (see "list")`,
        { target: display, names },
    );
}

/**
 * "latest" of one backup name: the newest valid manifest of that name by start time (never by key
 * order, which breaks past 1000 keys), and only when no damaged manifest that could be of that name
 * could be newer: restoring an older backup must be a decision, not a fallback.
 */
export function chooseLatest(listing: Pick<ListResult, "manifests" | "damaged">, requested: string | undefined, display: string, rt: Runtime): Manifest {
    const names = backupNames(listing.manifests, listing.damaged);
    const name = latestName(requested, names, display);
    const newest = sortNewestFirst(listing.manifests.filter((m) => m.name === name))[0];
    // With no name at all, no damaged key names one either (it would be in `names`): every one could be "latest".
    const damaged = listing.damaged.filter((d) => couldBeOfName(d, name));
    const suspects = damaged.filter((d) => couldBeNewer(d, newest));
    if (suspects.length > 0) {
        const than = newest === undefined ? "there is no valid backup to fall back to" : `it may be newer than the newest valid backup "${newest.id}"`;
        const keys = suspects.map((d) => d.key).join(", ");
        throw new JobError(
            ExitCode.Verification,
            `"latest" is not decidable in ${display}: manifest ${keys} is damaged and ${than} (${suspects[0]!.reason}). ` +
                `Repair or remove it, or pass --backup ID to choose an older backup on purpose (see "list")`,
            { target: display, damaged: suspects, newestValid: newest?.id },
        );
    }
    for (const d of damaged) rt.logger.warn("ignoring a damaged manifest older than the latest backup", { target: display, ...d });
    if (newest === undefined) {
        const found = names.length === 0 ? "" : `; names found: ${names.join(", ")}`;
        throw new JobError(ExitCode.Storage, `no backups (manifests)${name === undefined ? "" : ` named "${name}"`} found in ${display}${found}`, {
            target: display,
            name,
            names,
        });
    }
    return newest;
}

/** A backup id names exactly that backup (its manifest must say so, or exit 7); "latest" is chooseLatest's. */
export async function resolveBackup(storage: Storage, ref: string, name: string | undefined, rt: Runtime): Promise<Manifest> {
    if (ref !== "latest") return readManifest(storage, ref);
    const listing = await listBackups(storage);
    for (const w of listing.warnings) rt.logger.warn(w.message, w.context);
    return chooseLatest(listing, name, storage.display, rt);
}
