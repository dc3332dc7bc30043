// The backups' layout in the bucket: the storage area derives it from its settings and filters its
// lifecycle and replication rules on it, the backup job writes under it and its roles are scoped to it.
/** Where the backup job writes inside the bucket; the lifecycle rules filter on these prefixes. */
export interface BackupLayout {
    /** Target the job is given: s3://<bucket>/<root>. */
    root: string;
    /** `${root}/dumps/` — one `<id>.pgdump.zst` per backup. */
    dumpPrefix: string;
    /** `${root}/manifests/` — one `<id>.json` per backup, written last. */
    manifestPrefix: string;
}
