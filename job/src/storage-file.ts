import { createReadStream, createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { ExitCode, JobError, errorMessage } from "./errors.js";
import { isDamaged, parseManifest, serializeManifest, type Manifest } from "./manifest.js";
import { dumpPath, idFromDumpName, idFromManifestName, manifestPath } from "./target.js";
import type { ListResult, Storage, WriteOptions } from "./storage.js";

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

    async writeDump(id: string, body: Readable, options: WriteOptions): Promise<void> {
        const final = this.abs(dumpPath(id));
        const partial = `${final}.partial`;
        try {
            // "wx": never clobber another run's partial file.
            await pipeline(body, createWriteStream(partial, { flags: "wx" }), { signal: options.signal });
            await fsyncPath(partial);
            await fs.rename(partial, final);
            await fsyncPath(path.dirname(final));
        } catch (error) {
            await fs.rm(partial, { force: true }).catch(() => undefined);
            if (options.signal.aborted) throw options.signal.reason ?? error;
            if (error instanceof JobError) throw error;
            throw storageError(`writing ${partial} failed`, error, { target: this.display });
        }
    }

    async deleteDump(id: string): Promise<void> {
        await fs.rm(this.abs(dumpPath(id)), { force: true });
    }

    async putManifest(manifest: Manifest): Promise<void> {
        const final = this.abs(manifestPath(manifest.id));
        const partial = `${final}.partial`;
        try {
            const handle = await fs.open(partial, "wx");
            try {
                await handle.writeFile(serializeManifest(manifest));
                await handle.sync();
            } finally {
                await handle.close();
            }
            await fs.rename(partial, final);
            await fsyncPath(path.dirname(final));
        } catch (error) {
            await fs.rm(partial, { force: true }).catch(() => undefined);
            throw storageError(`writing manifest ${final} failed`, error, { target: this.display });
        }
    }

    async manifestExists(id: string): Promise<boolean> {
        return fs.access(this.abs(manifestPath(id))).then(
            () => true,
            () => false,
        );
    }

    async getManifest(id: string): Promise<Manifest> {
        const file = this.abs(manifestPath(id));
        let text: string;
        try {
            text = await fs.readFile(file, "utf8");
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") {
                throw new JobError(ExitCode.Storage, `backup "${id}" not found in ${this.display} (no ${manifestPath(id)})`, { target: this.display, backup: id, notFound: true });
            }
            throw storageError(`reading ${file} failed`, error, { target: this.display });
        }
        return parseManifest(text, file, id);
    }

    async list(): Promise<ListResult> {
        const result: ListResult = { manifests: [], damaged: [], warnings: [] };
        const manifestIds = new Set<string>();
        for (const name of await this.readdir("manifests")) {
            const id = idFromManifestName(name);
            if (id === undefined) continue;
            try {
                result.manifests.push(await this.getManifest(id));
                manifestIds.add(id);
            } catch (error) {
                if (isDamaged(error)) result.damaged.push({ id, key: manifestPath(id), reason: errorMessage(error) });
                else if (error instanceof JobError && error.context["notFound"] === true) {
                    result.warnings.push({ message: "ignoring manifest deleted while listing", context: { manifest: manifestPath(id) } });
                } else throw error;
            }
        }
        for (const name of await this.readdir("dumps")) {
            const id = idFromDumpName(name);
            if (id !== undefined && !manifestIds.has(id)) {
                result.warnings.push({ message: "ignoring dump without manifest (incomplete or failed backup)", context: { dump: dumpPath(id) } });
            }
        }
        return result;
    }

    private async readdir(sub: string): Promise<string[]> {
        try {
            return await fs.readdir(this.abs(sub));
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
            throw storageError(`listing ${this.abs(sub)} failed`, error, { target: this.display });
        }
    }

    async openDump(manifest: Manifest): Promise<Readable> {
        const file = this.abs(manifest.dump);
        try {
            await fs.access(file, fs.constants.R_OK);
        } catch (error) {
            throw storageError(`dump ${file} of backup "${manifest.id}" cannot be read`, error, { target: this.display, backup: manifest.id });
        }
        return createReadStream(file, { highWaterMark: 1024 * 1024 });
    }
}
