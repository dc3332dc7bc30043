import type { Readable } from "node:stream";
import type { Folder } from "./folder.js";
import type { Manifest } from "./manifest.js";

/** Where writeDump stored a dump, for the manifest. */
export interface WrittenDump {
    /** The dump's path relative to the target root (the manifest's `dump`). */
    dump: string;
    /**
     * S3: the object version the upload created, when the bucket is versioned (the manifest's
     * `dumpVersionId`); restores then read exactly that version. Undefined for a file.
     */
    versionId?: string;
}

/** Whether the dump a manifest names could change while its manifest stays as it is, and why (see restore-stream.ts, checksumPass). */
export interface DumpStability {
    /** true: nobody but root or this job's user can change the bytes openDump reads (file), or they are an immutable S3 version. */
    fixed: boolean;
    /** Said in the log line that tells whether the checksum pass runs. */
    reason: string;
}

/** How a dump is read: into reused buffers (a local file), or as the chunks of a stream (S3). */
export type DumpSource = { reader: DumpReader } | { stream: Readable };

/** A dump read into the caller's own buffers: no stream machinery, no fresh buffer per read. */
export interface DumpReader {
    /** Fills `into` from its start; resolves with the number of bytes read, 0 at the end of the dump. */
    read(into: Buffer): Promise<number>;
    close(): Promise<void>;
}

export interface WriteOptions {
    /** Aborting makes writeDump reject after removing or aborting what it wrote. */
    signal: AbortSignal;
}

/** A dump file being written by another process: see FileStorage.createDumpFile. */
export interface DumpFile {
    /** Open for writing only; handed to the writer as its stdout. */
    readonly fd: number;
    /** The file's path now, to read back what was written so far. */
    readonly path: string;
    /** Flushes what was written so far to disk (so that commit's final sync has little left to wait for). */
    datasync(): Promise<void>;
    /** Syncs the file and gives it its final name; resolves with its path relative to the target root. */
    commit(): Promise<string>;
    /** Removes the file: the run failed. */
    discard(): Promise<void>;
}

/**
 * A backup target: the byte-level Folder that backups.ts lists, plus the streaming dump transfers.
 * writeDump is all-or-nothing: when it rejects, nothing of the dump is visible.
 * Manifests are written in one atomic step, after the dump, and never replace another run's
 * manifest: of two runs with the same backup id, exactly one can write it.
 * Nothing here deletes from S3 (a versioned, locked bucket would only gain a delete marker, and the
 * task role has no s3:DeleteObject): a dump without a manifest is ignored and expires by lifecycle.
 */
export interface Storage extends Folder {
    /** The largest dump writeDump can store (S3: 10,000 multipart parts); undefined = no limit of its own. */
    readonly maxDumpBytes: number | undefined;
    /** Fails fast (exit 6) when the target cannot be reached, before any dump starts. */
    check(): Promise<void>;
    writeDump(id: string, body: Readable, options: WriteOptions): Promise<WrittenDump>;
    /** Only where the dump is a local file that a child process can write directly (file://). */
    createDumpFile?(id: string): Promise<DumpFile>;
    /** Only where removing a run's own dump is free and allowed (a local directory); S3 storage has none. */
    removeDump?(dump: string): Promise<void>;
    putManifest(manifest: Manifest): Promise<void>;
    manifestExists(id: string): Promise<boolean>;
    /**
     * Judged before the restore reads the dump. When fixed, every later openDump of this manifest reads
     * exactly what was judged (file: the real path checked, not a name that could be repointed since).
     */
    dumpStability(manifest: Manifest): Promise<DumpStability>;
    /** The dump as this storage reads it best: a local file into the caller's reused buffers, S3 as a stream. */
    openDump(manifest: Manifest): Promise<DumpSource>;
}
