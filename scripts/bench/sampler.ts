// Samples a process tree (the CLI and the pg_dump/zstd it starts) while it runs: peak memory,
// bytes written to storage, and regular files held open for writing.
import { CLOCK_TICKS_PER_SECOND, descendants, filesOpenForWriting, ioWriteBytes, peakRssBytes, processInfo, rssBytes } from "../../job/tools/servers/proc.js";

export interface TreeUsage {
    /** Largest sum of VmRSS over the whole tree at one sample. */
    treePeakRss: number;
    /** Per command name: the largest VmHWM seen. */
    peakRssByCommand: Record<string, number>;
    /** Per command name: write_bytes summed over its processes (last value seen for each). */
    writeBytesByCommand: Record<string, number>;
    /** Per command name: CPU seconds summed over its processes (last value seen for each). */
    cpuSecondsByCommand: Record<string, number>;
    /** Regular files any process of the tree held open for writing. */
    filesOpenForWriting: string[];
    samples: number;
}

export interface TreeSampler {
    stop(): TreeUsage;
}

export function sampleTree(rootPid: number, intervalMs = 50): TreeSampler {
    const peakByPid = new Map<number, { comm: string; hwm: number }>();
    const writesByPid = new Map<number, { comm: string; bytes: number }>();
    const cpuByPid = new Map<number, { comm: string; ticks: number }>();
    const files = new Set<string>();
    let treePeak = 0;
    let samples = 0;
    const sample = () => {
        const root = processInfo(rootPid);
        if (!root) return;
        const tree = [root, ...descendants(rootPid)];
        let sum = 0;
        for (const proc of tree) {
            sum += rssBytes(proc.pid) ?? 0;
            cpuByPid.set(proc.pid, { comm: proc.comm, ticks: proc.cpuTicks });
            const hwm = peakRssBytes(proc.pid);
            if (hwm !== undefined) peakByPid.set(proc.pid, { comm: proc.comm, hwm: Math.max(hwm, peakByPid.get(proc.pid)?.hwm ?? 0) });
            const written = ioWriteBytes(proc.pid);
            if (written !== undefined) writesByPid.set(proc.pid, { comm: proc.comm, bytes: written });
            for (const file of filesOpenForWriting(proc.pid)) files.add(file);
        }
        treePeak = Math.max(treePeak, sum);
        samples += 1;
    };
    sample();
    const timer = setInterval(sample, intervalMs);
    return {
        stop() {
            clearInterval(timer);
            sample();
            const peakRssByCommand: Record<string, number> = {};
            for (const { comm, hwm } of peakByPid.values()) peakRssByCommand[comm] = Math.max(peakRssByCommand[comm] ?? 0, hwm);
            const writeBytesByCommand: Record<string, number> = {};
            for (const { comm, bytes } of writesByPid.values()) writeBytesByCommand[comm] = (writeBytesByCommand[comm] ?? 0) + bytes;
            const cpuSecondsByCommand: Record<string, number> = {};
            for (const { comm, ticks } of cpuByPid.values()) cpuSecondsByCommand[comm] = (cpuSecondsByCommand[comm] ?? 0) + ticks / CLOCK_TICKS_PER_SECOND;
            return {
                cpuSecondsByCommand,
                treePeakRss: treePeak,
                peakRssByCommand,
                writeBytesByCommand,
                filesOpenForWriting: [...files].sort(),
                samples,
            };
        },
    };
}
