// A directory of PostgreSQL client stand-ins that claim an older major version, for the version
// guard test (`--pg-bin DIR`). They answer --version like the real tools and otherwise fail the way
// an old pg_dump fails against a newer server, so a job that skipped its guard would still fail,
// but with the vague message users of other tools got, not the guard's.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface FakeBinDir {
    dir: string;
    remove(): void;
}

export function olderClientBinDir(major: number, serverVersion: string): FakeBinDir {
    const dir = mkdtempSync(join(tmpdir(), "old-pg-bin-"));
    for (const tool of ["pg_dump", "pg_restore", "psql"]) {
        const script = `#!/bin/sh
case "$1" in
    --version|-V) echo "${tool} (PostgreSQL) ${major}.13"; exit 0 ;;
esac
echo "${tool}: error: aborting because of server version mismatch" >&2
echo "${tool}: detail: server version: ${serverVersion}; ${tool} version: ${major}.13" >&2
exit 1
`;
        const path = join(dir, tool);
        writeFileSync(path, script);
        chmodSync(path, 0o755);
    }
    return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
