/**
 * PostgreSQL major versions: "9.6" style before 10, a single number since. pg_dump must be at least
 * the server's major version, and pg_restore at least the major of the pg_dump that wrote the archive.
 */
export interface PgVersion {
    major: number;
    /** 9.6 -> 906, 15 -> 1500: a single comparable number across both numbering schemes. */
    majorKey: number;
    /** The version number alone, e.g. "15.18". */
    number: string;
    /** What the tool or server printed. */
    text: string;
}

/** Parses `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` and similar tool banners. */
export function parseToolVersion(banner: string): PgVersion {
    const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(banner) ?? /\b(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(banner);
    if (!m) throw new Error(`cannot read a PostgreSQL version from "${banner.trim()}"`);
    const number = [m[1], m[2], m[3]].filter((part) => part !== undefined).join(".");
    return fromParts(Number(m[1]), m[2] === undefined ? undefined : Number(m[2]), number, banner.trim());
}

/** server_version_num: 150018 -> 15, 90624 -> 9.6 */
export function parseServerVersionNum(num: number, text: string): PgVersion {
    if (!Number.isInteger(num) || num < 90000) throw new Error(`unexpected server_version_num ${num}`);
    const major = Math.floor(num / 10000);
    if (num >= 100000) return { major, majorKey: major * 100, number: `${major}.${num % 10000}`, text };
    const minor = Math.floor((num % 10000) / 100);
    return { major, majorKey: major * 100 + minor, number: `${major}.${minor}.${num % 100}`, text };
}

function fromParts(first: number, second: number | undefined, number: string, text: string): PgVersion {
    if (first >= 10) return { major: first, majorKey: first * 100, number, text };
    return { major: first, majorKey: first * 100 + (second ?? 0), number, text };
}

export function majorLabel(v: PgVersion): string {
    return v.major >= 10 ? String(v.major) : `${v.major}.${v.majorKey % 100}`;
}

export function isToolNewEnough(tool: PgVersion, server: PgVersion): boolean {
    return tool.majorKey >= server.majorKey;
}
