/**
 * Byte-level access to a backup target, like wal-g's storage.Folder: all that the backup listing
 * (backups.ts) needs from a backend. Paths are relative to the target root, e.g. "manifests/<id>.json".
 */
export interface Folder {
    /** The target as the user names it (file://DIR, s3://BUCKET/PREFIX), for messages. */
    readonly display: string;
    /** The names of every object directly under `sub`, all pages of them; [] when there are none. */
    listNames(sub: string): Promise<string[]>;
    /** A small object's whole text (a manifest); undefined when it does not exist. */
    readObject(relative: string): Promise<string | undefined>;
    /** Where an object is, for messages: a file path or an s3:// URL. */
    locate(relative: string): string;
}
