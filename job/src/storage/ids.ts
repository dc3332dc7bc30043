import { isValidBackupName } from "../contract.js";
import { usageError } from "../errors.js";

const ID = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,99})_(\d{8}T\d{6}Z)$/;

/** 2026-11-24T09:57:43.123Z -> 20261124T095743Z */
export function formatCompactUtc(date: Date): string {
    return date
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z")
        .replace(/[-:]/g, "");
}

export function parseCompactUtc(stamp: string): Date {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
    if (!m) throw new Error(`not a compact UTC timestamp: ${stamp}`);
    return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

export function validateName(name: string, source: string): string {
    if (!isValidBackupName(name)) {
        throw usageError(
            `${source} "${name}" cannot be used as a backup name: allowed are 1-100 characters of letters, digits, "_", "." and "-", starting with a letter ` +
                `or digit (pass --name to choose one)`,
        );
    }
    return name;
}

export function formatBackupId(name: string, startedAt: Date): string {
    return `${name}_${formatCompactUtc(startedAt)}`;
}

/** A time that does not exist (month 13, 25 o'clock) is no id: it would sort as some other, real time. */
export function parseBackupId(id: string): { name: string; startedAt: Date } | undefined {
    const m = ID.exec(id);
    if (!m) return undefined;
    const startedAt = parseCompactUtc(m[2]!);
    return formatCompactUtc(startedAt) === m[2] ? { name: m[1]!, startedAt } : undefined;
}

export function isBackupId(id: string): boolean {
    return parseBackupId(id) !== undefined;
}
