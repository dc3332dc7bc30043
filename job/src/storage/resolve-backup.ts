import { ExitCode, JobError } from "../errors.js";
import { parseBackupId } from "./ids.js";
import { sortNewestFirst, type Manifest } from "./manifest.js";
import type { Runtime } from "../runtime.js";
import { listBackups, readManifest, type DamagedManifest } from "./backups.js";
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

/**
 * A backup id names exactly that backup (its manifest must say so, or exit 7). "latest" is the newest
 * valid manifest by start time (never by key order, which breaks past 1000 keys), and only when no
 * damaged manifest could be newer: restoring an older backup must be a decision, not a fallback.
 */
export async function resolveBackup(storage: Storage, ref: string, rt: Runtime): Promise<Manifest> {
    if (ref !== "latest") return readManifest(storage, ref);
    const { manifests, damaged, warnings } = await listBackups(storage);
    for (const w of warnings) rt.logger.warn(w.message, w.context);
    const newest = sortNewestFirst(manifests)[0];
    const suspects = damaged.filter((d) => couldBeNewer(d, newest));
    if (suspects.length > 0) {
        const than = newest === undefined ? "there is no valid backup to fall back to" : `it may be newer than the newest valid backup "${newest.id}"`;
        const keys = suspects.map((d) => d.key).join(", ");
        throw new JobError(
            ExitCode.Verification,
            `"latest" is not decidable in ${storage.display}: manifest ${keys} is damaged and ${than} (${suspects[0]!.reason}). ` +
                `Repair or remove it, or pass --backup ID to choose an older backup on purpose (see "list")`,
            { target: storage.display, damaged: suspects, newestValid: newest?.id },
        );
    }
    for (const d of damaged) rt.logger.warn("ignoring a damaged manifest older than the latest backup", { target: storage.display, ...d });
    if (newest === undefined) throw new JobError(ExitCode.Storage, `no backups (manifests) found in ${storage.display}`, { target: storage.display });
    return newest;
}
