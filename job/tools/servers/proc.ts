// Linux /proc readers for tests and the benchmark: find the children the CLI started (pg_dump,
// zstd) to kill them mid-stream, measure the memory of a whole process tree, and list the files
// a process holds open for writing (a streaming backup must hold none besides its pipes).
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface ProcInfo {
    pid: number;
    ppid: number;
    /** Executable name as the kernel reports it (at most 15 characters). */
    comm: string;
    /** User + system CPU time so far, in clock ticks (USER_HZ, 100 per second on Linux). */
    cpuTicks: number;
    /** CPU of its children that have ended and been waited for (cutime + cstime), in clock ticks. */
    childCpuTicks: number;
}

export const CLOCK_TICKS_PER_SECOND = 100;

/** Parses /proc/<pid>/stat; the command name is parenthesised and may itself contain spaces or parentheses. */
export function parseStat(stat: string): ProcInfo {
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    if (open < 0 || close < open) throw new Error(`unparseable /proc stat line: ${JSON.stringify(stat.slice(0, 80))}`);
    // Fields after the command name, counted from field 3 (state): ppid is field 4, utime 14, stime 15.
    const fields = stat.slice(close + 2).split(" ");
    return {
        pid: Number(stat.slice(0, open).trim()),
        comm: stat.slice(open + 1, close),
        ppid: Number(fields[1]),
        cpuTicks: Number(fields[11]) + Number(fields[12]),
        childCpuTicks: Number(fields[13]) + Number(fields[14]),
    };
}

/** Reads one field of /proc/<pid>/status in KiB (e.g. VmHWM, VmRSS); undefined when absent. */
export function parseStatusKiB(status: string, field: string): number | undefined {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
    return match ? Number(match[1]) : undefined;
}

function readProc(pid: number, file: string): string | undefined {
    try {
        return readFileSync(`/proc/${pid}/${file}`, "utf8");
    } catch {
        return undefined; // the process ended between listing and reading
    }
}

export function processInfo(pid: number): ProcInfo | undefined {
    const stat = readProc(pid, "stat");
    return stat === undefined ? undefined : parseStat(stat);
}

function allProcesses(): ProcInfo[] {
    const found: ProcInfo[] = [];
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        const info = processInfo(Number(entry));
        if (info) found.push(info);
    }
    return found;
}

/** Children of `pid` from /proc/<pid>/task/<tid>/children; undefined where the kernel lacks that file. */
function childrenOf(pid: number): number[] | undefined {
    let tasks: string[];
    try {
        tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
        return []; // the process is gone
    }
    const children: number[] = [];
    for (const tid of tasks) {
        const list = readProc(pid, `task/${tid}/children`);
        if (list === undefined) {
            if (!existsSync(`/proc/${pid}/task/${tid}`)) continue; // the thread ended meanwhile
            return undefined;
        }
        for (const child of list.trim().split(/\s+/)) if (child) children.push(Number(child));
    }
    return children;
}

/**
 * CPU seconds used so far by `pid` and everything under it, counting descendants that have already
 * ended (the kernel adds a waited-for child's CPU to its parent's cutime/cstime). Differences of two
 * readings give a server's CPU over an interval, its short-lived sessions included.
 */
export function treeCpuSeconds(pid: number): number | undefined {
    const root = processInfo(pid);
    if (!root) return undefined;
    return [root, ...descendants(pid)].reduce((sum, proc) => sum + proc.cpuTicks + proc.childCpuTicks, 0) / CLOCK_TICKS_PER_SECOND;
}

/** Every live descendant of `pid` (children, grandchildren, ...), breadth first. */
export function descendants(pid: number): ProcInfo[] {
    const result: ProcInfo[] = [];
    const queue = [pid];
    let byParent: Map<number, ProcInfo[]> | undefined;
    while (queue.length) {
        const parent = queue.shift() as number;
        const direct = byParent ? undefined : childrenOf(parent);
        let children: ProcInfo[];
        if (direct) {
            children = direct.map(processInfo).filter((info): info is ProcInfo => info !== undefined);
        } else {
            // No children files (CONFIG_PROC_CHILDREN off): index every process by parent once.
            byParent ??= indexByParent();
            children = byParent.get(parent) ?? [];
        }
        for (const child of children) {
            result.push(child);
            queue.push(child.pid);
        }
    }
    return result;
}

function indexByParent(): Map<number, ProcInfo[]> {
    const byParent = new Map<number, ProcInfo[]>();
    for (const info of allProcesses()) byParent.set(info.ppid, [...(byParent.get(info.ppid) ?? []), info]);
    return byParent;
}

/** The command lines of `pid`'s live descendants (arguments joined by spaces), as any local user can read them. */
export function descendantCommandLines(pid: number): { pid: number; line: string }[] {
    return descendants(pid).flatMap((p) => {
        const cmdline = readProc(p.pid, "cmdline");
        return cmdline === undefined ? [] : [{ pid: p.pid, line: cmdline.split("\0").join(" ").trim() }];
    });
}

/** Waits until a descendant of `pid` runs a command line matching `pattern` (not just a program name: `psql --version` is not the restore's psql). */
export async function waitForCommandLine(pid: number, pattern: RegExp, timeoutMs = 30_000): Promise<{ pid: number; line: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const found = descendantCommandLines(pid).find((c) => pattern.test(c.line));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no descendant of ${pid} runs ${pattern}; running: ${JSON.stringify(descendantCommandLines(pid))}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

/** Waits until a descendant of `pid` named `comm` exists (e.g. "pg_dump"), polling every 20 ms. */
export async function waitForDescendant(pid: number, comm: string, timeoutMs = 30_000): Promise<ProcInfo> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        const found = descendants(pid).find((info) => info.comm === comm);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no descendant process named ${comm} under pid ${pid} after ${timeoutMs} ms`);
}

/** Peak resident set size (VmHWM) of one process, in bytes. */
export function peakRssBytes(pid: number): number | undefined {
    const status = readProc(pid, "status");
    const kib = status === undefined ? undefined : parseStatusKiB(status, "VmHWM");
    return kib === undefined ? undefined : kib * 1024;
}

/** Current resident set size (VmRSS) of one process, in bytes. */
export function rssBytes(pid: number): number | undefined {
    const status = readProc(pid, "status");
    const kib = status === undefined ? undefined : parseStatusKiB(status, "VmRSS");
    return kib === undefined ? undefined : kib * 1024;
}

const O_ACCMODE = 0o3;

/** Whether an fdinfo `flags:` value (octal) opens for writing (O_WRONLY or O_RDWR). */
export function isWriteMode(octalFlags: string): boolean {
    return (parseInt(octalFlags, 8) & O_ACCMODE) !== 0;
}

/**
 * Regular files (not pipes, sockets, devices or anonymous inodes) that `pid` holds open for writing.
 * A backup that streams end to end has none; a temporary dump file would show up here.
 */
export function filesOpenForWriting(pid: number): string[] {
    let fds: string[];
    try {
        fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
        return [];
    }
    const files: string[] = [];
    for (const fd of fds) {
        let target: string;
        try {
            target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
            continue;
        }
        if (!target.startsWith("/") || target.startsWith("/dev/") || target.startsWith("/proc/")) continue;
        const flags = /^flags:\s+(\d+)$/m.exec(readProc(pid, `fdinfo/${fd}`) ?? "")?.[1];
        if (flags !== undefined && isWriteMode(flags)) files.push(target);
    }
    return files;
}

/** Bytes this process caused to be sent to storage (/proc/<pid>/io write_bytes); pipes and sockets do not count. */
export function ioWriteBytes(pid: number): number | undefined {
    const io = readProc(pid, "io");
    const match = io === undefined ? null : /^write_bytes:\s+(\d+)$/m.exec(io);
    return match ? Number(match[1]) : undefined;
}
