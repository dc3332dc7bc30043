import fs, { type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { ExitCode, JobError, errorMessage } from "../errors.js";
import { serializeManifest, type Manifest } from "./manifest.js";
import { dumpPath, manifestPath } from "./target.js";
import type { DumpFile, DumpSource, DumpStability, Storage, WrittenDump, WriteOptions } from "./storage.js";
import { judgeRealPath } from "./private-path.js";
import { whenAborted } from "../process/abort.js";
import { writeCoalesced } from "./file-writes.js";

function storageError(message: string, error: unknown, context: Record<string, unknown> = {}): JobError {
    return new JobError(ExitCode.Storage, `${message}: ${errorMessage(error)}`, context, { cause: error });
}

async function fsyncPath(p: string): Promise<void> {
    const handle = await fs.open(p, "r");
    try {
        await handle.sync();
    } finally {
        await handle.close();
    }
}

/** file:// target: `.partial` files are invisible to list/restore and renamed into place only when complete and synced. */
export class FileStorage implements Storage {
    readonly display: string;
    readonly maxDumpBytes = undefined;
    /** Dumps judged fixed (dumpStability), by manifest `dump`: the real path judged, which openDump then reads. */
    private readonly judged = new Map<string, string>();
    /** Whose files count as the job's own, besides root's. */
    private readonly uid = process.geteuid?.() ?? -1;

    constructor(private readonly dir: string) {
        this.display = `file://${dir}`;
    }

    private abs(relative: string): string {
        return path.join(this.dir, relative);
    }

    async check(): Promise<void> {
        try {
            await fs.mkdir(this.abs("dumps"), { recursive: true });
            await fs.mkdir(this.abs("manifests"), { recursive: true });
            await fs.access(this.abs("dumps"), fs.constants.W_OK);
            await fs.access(this.abs("manifests"), fs.constants.W_OK);
        } catch (error) {
            throw storageError(`backup directory ${this.dir} is not writable`, error, { target: this.display });
        }
    }

    async writeDump(id: string, body: Readable, options: WriteOptions): Promise<WrittenDump> {
        const relative = dumpPath(id);
        const final = this.abs(relative);
        const partial = `${final}.partial`;
        // A stop that comes while the partial file is still being opened destroys the body before the
        // loop below reads it: without a listener that 'error' would crash the process (exit 1, not 143).
        body.on("error", () => undefined);
        const onAbort = () => body.destroy(options.signal.reason as Error);
        const stopWatching = whenAborted(options.signal, onAbort);
        try {
            await this.writeExclusive(id, partial, final, async (handle) => {
                await writeCoalesced(handle, body as AsyncIterable<Buffer>);
                await handle.sync();
            });
        } catch (error) {
            // Stops the producer too, also when this run failed before reading a byte.
            if (!body.destroyed) body.destroy();
            if (options.signal.aborted) throw options.signal.reason ?? error;
            throw error;
        } finally {
            stopWatching();
        }
        return { dump: relative };
    }

    async removeDump(dump: string): Promise<void> {
        await fs.rm(this.abs(dump), { force: true });
    }

    async putManifest(manifest: Manifest): Promise<void> {
        const final = this.abs(manifestPath(manifest.id));
        await this.writeExclusive(manifest.id, `${final}.partial`, final, async (handle) => {
            await handle.writeFile(serializeManifest(manifest));
            await handle.sync();
        });
    }

    /**
     * The dump's `.partial` file, created for this run only, for zstd to write into directly (its
     * stdout): the compressed bytes then do not pass through this process. commit() syncs it and links
     * it to its final name (failing when that exists); discard() removes it. Either ends it.
     */
    async createDumpFile(id: string): Promise<DumpFile> {
        const relative = dumpPath(id);
        const final = this.abs(relative);
        const partial = `${final}.partial`;
        const handle = await this.createPartial(id, partial);
        return {
            fd: handle.fd,
            path: partial,
            datasync: () => handle.datasync(),
            commit: async () => {
                await this.publish(id, handle, partial, final, () => handle.sync());
                return relative;
            },
            discard: async () => {
                await handle.close().catch(() => undefined);
                await fs.rm(partial, { force: true }).catch(() => undefined);
            },
        };
    }

    /**
     * Writes `partial` (created exclusively: another run writing the same id makes this one fail,
     * not share or delete its file), then links it to `final`, which fails when `final` exists, so a
     * finished file is never replaced. On failure only what this run created is removed.
     */
    private async writeExclusive(id: string, partial: string, final: string, write: (handle: FileHandle) => Promise<void>): Promise<void> {
        const handle = await this.createPartial(id, partial);
        await this.publish(id, handle, partial, final, () => write(handle));
    }

    private async createPartial(id: string, partial: string): Promise<FileHandle> {
        try {
            return await fs.open(partial, "wx");
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "EEXIST") throw this.taken(id, partial);
            throw storageError(`creating ${partial} failed`, error, { target: this.display });
        }
    }

    /** Runs `write`, closes, links `partial` to `final` and syncs the directory; on failure removes `partial`. */
    private async publish(id: string, handle: FileHandle, partial: string, final: string, write: () => Promise<void>): Promise<void> {
        try {
            try {
                await write();
            } finally {
                await handle.close();
            }
            await fs.link(partial, final).catch((error: unknown) => {
                throw (error as NodeJS.ErrnoException).code === "EEXIST" ? this.taken(id, final) : error;
            });
            await fsyncPath(path.dirname(final));
        } catch (error) {
            await fs.rm(partial, { force: true }).catch(() => undefined);
            if (error instanceof JobError) throw error;
            throw storageError(`writing ${partial} failed`, error, { target: this.display });
        }
        // The link was the commit point: a leftover .partial name is harmless (list ignores it).
        await fs.rm(partial, { force: true }).catch(() => undefined);
    }

    private taken(id: string, file: string): JobError {
        return new JobError(
            ExitCode.Storage,
            `backup "${id}" is already being written or exists in ${this.display} (${path.relative(this.dir, file)}): another run with the same --name ` +
                `started in the same second; this run wrote nothing (pass another --name or run again)`,
            { target: this.display, id },
        );
    }

    async manifestExists(id: string): Promise<boolean> {
        return fs.access(this.abs(manifestPath(id))).then(
            () => true,
            () => false,
        );
    }

    locate(relative: string): string {
        return this.abs(relative);
    }

    async readObject(relative: string): Promise<string | undefined> {
        const file = this.abs(relative);
        try {
            return await fs.readFile(file, "utf8");
        } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === "ENOENT") return undefined;
            // A directory where an object should be is damaged content, not an unreadable target: it must not hide every other backup.
            if (code === "EISDIR") throw new JobError(ExitCode.Verification, `${file} is a directory, not a file`, { target: this.display, path: file });
            throw storageError(`reading ${file} failed`, error, { target: this.display });
        }
    }

    async listNames(sub: string): Promise<string[]> {
        try {
            return await fs.readdir(this.abs(sub));
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
            throw storageError(`listing ${this.abs(sub)} failed`, error, { target: this.display });
        }
    }

    async dumpStability(manifest: Manifest): Promise<DumpStability> {
        const file = this.abs(manifest.dump);
        let judged: Awaited<ReturnType<typeof judgeRealPath>>;
        try {
            judged = await judgeRealPath(file, this.uid);
        } catch (error) {
            return { fixed: false, reason: `the dump ${file} could not be checked (${errorMessage(error)})` };
        }
        if (judged.otherWriter !== undefined) return { fixed: false, reason: judged.otherWriter };
        this.judged.set(manifest.dump, judged.real);
        const owners = this.uid === 0 ? "uid 0" : `uid 0 or ${this.uid}`;
        return {
            fixed: true,
            reason: `the dump ${judged.real} is in a private folder: it and every folder above it are owned by ${owners}, and none is writable by group or others (sticky folders such as /tmp aside)`,
        };
    }

    /** The dump's file: the real path dumpStability judged, when it judged this one fixed. */
    private dumpFile(manifest: Manifest): string {
        return this.judged.get(manifest.dump) ?? this.abs(manifest.dump);
    }

    /** Read into the caller's reused buffers (DumpFeed), not as a stream: no fresh buffer per read. */
    async openDump(manifest: Manifest): Promise<DumpSource> {
        const file = this.dumpFile(manifest);
        let handle: FileHandle;
        try {
            handle = await fs.open(file, "r");
        } catch (error) {
            throw storageError(`dump ${file} of backup "${manifest.id}" cannot be read`, error, { target: this.display, backup: manifest.id });
        }
        return {
            reader: {
                read: async (into) => (await handle.read(into, 0, into.length, null)).bytesRead,
                close: () => handle.close(),
            },
        };
    }
}
