import type { ListOptions } from "../args.js";
import { parseBackupId } from "../storage/ids.js";
import { sortNewestFirst, type Manifest } from "../storage/manifest.js";
import { openStorage } from "../storage/open.js";
import { formatBytes } from "../observability/progress.js";
import type { Runtime } from "../runtime.js";
import { listBackups, type DamagedManifest } from "../storage/backups.js";
import { couldBeOfName } from "../storage/resolve-backup.js";

/** One `list --json` entry: a manifest, or a damaged one with only its id, key and `damaged` (the reason). */
export type ListEntry = Manifest | { id: string; key: string; damaged: string };

/**
 * Newest first. A damaged manifest stands where its id's start time puts it; one whose key is no
 * backup id stands first, as it could be the newest (which is why "latest" refuses to guess then).
 */
export function listEntries(manifests: Manifest[], damaged: DamagedManifest[]): ListEntry[] {
    const time = (entry: ListEntry) => ("damaged" in entry ? (parseBackupId(entry.id)?.startedAt.getTime() ?? Infinity) : Date.parse(entry.startedAt));
    const entries: ListEntry[] = [...sortNewestFirst(manifests), ...damaged.map((d) => ({ id: d.id, key: d.key, damaged: d.reason }))];
    return entries.sort((a, b) => time(b) - time(a) || b.id.localeCompare(a.id));
}

export function formatListTable(entries: ListEntry[]): string {
    const header = ["ID", "STARTED (UTC)", "SIZE", "TABLES", "ROWS", "DURATION", "PG_DUMP"];
    const rows = entries.map((m) => {
        if ("damaged" in m) {
            const started =
                parseBackupId(m.id)
                    ?.startedAt.toISOString()
                    .replace(/\.\d{3}Z$/, "Z") ?? "?";
            return [m.id, started, "DAMAGED", m.damaged];
        }
        return [
            m.id,
            m.startedAt.replace(/\.\d{3}Z$/, "Z"),
            formatBytes(m.bytes),
            String(m.tables.length),
            String(m.tables.reduce((n, t) => n + t.rows, 0)),
            `${m.durationSeconds.toFixed(1)}s`,
            m.pgDumpMajor,
        ];
    });
    // A damaged row's reason is one long last cell: it must not widen the columns of the valid rows.
    const widths = header.map((h, i) => Math.max(h.length, ...rows.filter((r) => i < r.length - 1 || r.length === header.length).map((r) => r[i]!.length)));
    const line = (cells: string[]) =>
        cells
            .map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c))
            .join("  ")
            .trimEnd();
    return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

export async function runList(opts: ListOptions, rt: Runtime): Promise<ListEntry[]> {
    const storage = await openStorage(opts.from, { requestTimeoutSeconds: opts.requestTimeoutSeconds, logger: rt.logger, environment: rt.environment });
    const { manifests, damaged, warnings } = await listBackups(storage);
    for (const w of warnings) rt.logger.warn(w.message, { target: storage.display, ...w.context });
    const { name } = opts;
    const entries =
        name === undefined
            ? listEntries(manifests, damaged)
            : listEntries(
                  manifests.filter((m) => m.name === name),
                  damaged.filter((d) => couldBeOfName(d, name)),
              );
    for (const d of entries) if ("damaged" in d) rt.logger.warn("damaged manifest", { target: storage.display, id: d.id, key: d.key, reason: d.damaged });
    if (opts.json) rt.out(`${JSON.stringify(entries)}\n`);
    else rt.out(entries.length === 0 ? `no backups${name === undefined ? "" : ` named "${name}"`} in ${storage.display}\n` : formatListTable(entries));
    return entries;
}
