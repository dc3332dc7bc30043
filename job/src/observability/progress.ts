const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number): string {
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
        value /= 1024;
        unit++;
    }
    return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatDuration(seconds: number): string {
    if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
    const s = Math.round(seconds);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    const mm = String(m).padStart(2, "0");
    const ss = String(sec).padStart(2, "0");
    return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** How old something is, to the unit that matters: `45 s`, `12 min`, `5 h 3 min`, `2 d 4 h`. */
export function formatAge(seconds: number): string {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min`;
    if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

export interface ProgressState {
    bytes: number;
    /** Unknown while dumping: the size is only known at the end. */
    total: number | undefined;
    elapsedSeconds: number;
}

export interface ProgressFigures {
    bytes: number;
    total: number | undefined;
    percent: number | undefined;
    bytesPerSecond: number;
    etaSeconds: number | undefined;
}

export function progressFigures(state: ProgressState): ProgressFigures {
    const rate = state.elapsedSeconds > 0 ? state.bytes / state.elapsedSeconds : 0;
    const total = state.total;
    const percent = total !== undefined && total > 0 ? Math.min(100, (state.bytes / total) * 100) : undefined;
    const eta = total !== undefined && rate > 0 ? Math.max(0, (total - state.bytes) / rate) : undefined;
    return { bytes: state.bytes, total, percent, bytesPerSecond: rate, etaSeconds: eta };
}

/** One terminal line: `restore [#####-----]  42.0%  1.2 GiB / 2.9 GiB  85.3 MiB/s  00:14 elapsed  ETA 00:21`. */
export function renderProgressBar(label: string, state: ProgressState, width = 30): string {
    const f = progressFigures(state);
    const rate = `${formatBytes(Math.round(f.bytesPerSecond))}/s  ${formatDuration(state.elapsedSeconds)} elapsed`;
    if (f.percent === undefined || f.total === undefined) return `${label} ${formatBytes(f.bytes)}  ${rate}`;
    const filled = Math.round((f.percent / 100) * width);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
    return (
        `${label} ${bar} ${f.percent.toFixed(1).padStart(5)}%  ${formatBytes(f.bytes)} / ${formatBytes(f.total)}  ${rate}  ETA ` +
        `${formatDuration(f.etaSeconds ?? NaN)}`
    );
}
