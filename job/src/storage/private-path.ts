// Whether anyone but root or the job's own user could change a local dump: the rule OpenSSH's
// StrictModes applies to a user's authorized_keys (the file and every directory above it owned by
// root or the user, none writable by group or others), with sticky directories such as /tmp allowed.
import fs from "node:fs/promises";
import path from "node:path";

/** One component of a path, as lstat sees it. */
export interface PathEntry {
    path: string;
    uid: number;
    /** st_mode: file type and permission bits. */
    mode: number;
}

const FILE_TYPE = 0o170000;
const REGULAR_FILE = 0o100000;
const DIRECTORY = 0o040000;
const GROUP_WRITE = 0o020;
const OTHER_WRITE = 0o002;
const STICKY = 0o1000;

/**
 * Why someone other than root or `uid` could replace or change the file chain[0], whose directories
 * follow up to "/" (chain[1] holds chain[0], chain[2] holds chain[1], ...); undefined when nobody can.
 * - Every component is owned by root or `uid`: an owner may change a file's bytes or modes, and rename
 *   or replace what a directory holds.
 * - No component is writable by group or others, but a sticky directory (mode 1777 like /tmp): there
 *   only an entry's owner (or the directory's) may rename or remove the entry, and the entry below it is
 *   owned by root or `uid` (the first rule), so nobody else can swap it.
 * The group bits also show a POSIX ACL's grants to named users and groups (they are then its mask).
 */
export function otherWriter(chain: readonly PathEntry[], uid: number): string | undefined {
    for (const [index, entry] of chain.entries()) {
        const what = index === 0 ? `dump ${entry.path}` : `folder ${entry.path}`;
        const type = entry.mode & FILE_TYPE;
        if (index === 0 && type !== REGULAR_FILE) return `${what} is not a regular file`;
        if (index > 0 && type !== DIRECTORY) return `${what} is not a directory (it changed while it was checked)`;
        if (entry.uid !== 0 && entry.uid !== uid) return `${what} is owned by uid ${entry.uid}, neither root nor this job's uid ${uid}`;
        const writers = [entry.mode & GROUP_WRITE ? "group" : "", entry.mode & OTHER_WRITE ? "others" : ""].filter(Boolean);
        if (writers.length === 0 || (index > 0 && (entry.mode & STICKY) !== 0)) continue;
        return `${what} is writable by ${writers.join(" and ")}`;
    }
    return undefined;
}

/**
 * Judges the file's real path (every symbolic link resolved), component by component up to "/": a link
 * anywhere is followed, and only where it leads is judged, so the caller must then read `real`, never
 * the name it asked about (a link in a directory others can write to could be repointed meanwhile).
 */
export async function judgeRealPath(file: string, uid: number): Promise<{ real: string; otherWriter: string | undefined }> {
    const real = await fs.realpath(file);
    const chain: PathEntry[] = [];
    for (let current = real; ; current = path.dirname(current)) {
        const stat = await fs.lstat(current);
        chain.push({ path: current, uid: stat.uid, mode: stat.mode });
        if (path.dirname(current) === current) break;
    }
    return { real, otherWriter: otherWriter(chain, uid) };
}
