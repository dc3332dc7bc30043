import type { ListOptions } from "./args.js";
import { sortNewestFirst, type Manifest } from "./manifest.js";
import { openStorage } from "./open-storage.js";
import { formatBytes } from "./progress.js";
import type { Runtime } from "./runtime.js";

export function formatListTable(manifests: Manifest[]): string {
    const header = ["ID", "STARTED (UTC)", "SIZE", "TABLES", "ROWS", "DURATION", "PG_DUMP"];
    const rows = manifests.map((m) => [
        m.id,
        m.startedAt.replace(/\.\d{3}Z$/, "Z"),
        formatBytes(m.bytes),
        String(m.tables.length),
        String(m.tables.reduce((n, t) => n + t.rows, 0)),
        `${m.durationSeconds.toFixed(1)}s`,
        m.pgDumpMajor,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
    return [line(header), ...rows.map(line)].join("\n") + "\n";
}

export async function runList(opts: ListOptions, rt: Runtime): Promise<Manifest[]> {
    const storage = openStorage(opts.from, { requestTimeoutSeconds: opts.requestTimeoutSeconds, logger: rt.logger });
    const { manifests, warnings } = await storage.list();
    for (const w of warnings) rt.logger.warn(w.message, { target: storage.display, ...w.context });
    const sorted = sortNewestFirst(manifests);
    if (opts.json) rt.out(`${JSON.stringify(sorted)}\n`);
    else rt.out(sorted.length === 0 ? `no backups in ${storage.display}\n` : formatListTable(sorted));
    return sorted;
}
