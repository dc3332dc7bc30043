import { progressFigures, renderProgressBar } from "./progress.js";
import type { Runtime } from "../runtime.js";

export interface ProgressSource {
    bytes(): number;
    total: number | undefined;
}

/** Progress line on a terminal (stderr, redrawn in place, log lines printed above it), else a JSON log line every `intervalSeconds`. Returns stop(). */
export function startProgress(label: string, source: ProgressSource, rt: Runtime, intervalSeconds: number): () => void {
    const started = performance.now();
    const state = () => ({ bytes: source.bytes(), total: source.total, elapsedSeconds: (performance.now() - started) / 1000 });
    const status = rt.status;
    if (status) {
        const timer = setInterval(() => status.show(renderProgressBar(label, state())), 250);
        timer.unref();
        return () => {
            clearInterval(timer);
            status.done(renderProgressBar(label, state()));
        };
    }
    const timer = setInterval(() => {
        const f = progressFigures(state());
        rt.logger.info(`${label} progress`, {
            bytes: f.bytes,
            totalBytes: f.total,
            percent: f.percent === undefined ? undefined : Math.round(f.percent * 10) / 10,
            bytesPerSecond: Math.round(f.bytesPerSecond),
            etaSeconds: f.etaSeconds === undefined ? undefined : Math.round(f.etaSeconds),
        });
    }, intervalSeconds * 1000);
    timer.unref();
    return () => clearInterval(timer);
}
