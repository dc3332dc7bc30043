// How a setting is declared, once: its type, schema, default, secrecy, what is allowed and why.
// The parser, the TypeScript types, the Pulumi.yaml `config:` schema check and the table in
// docs/settings.md are all derived from these declarations (see registry.ts).
import { z } from "zod";

/** Value types as Pulumi.yaml declares them (`array` is always an array of strings here). */
export type SettingType = "string" | "integer" | "boolean" | "array";

/**
 * What the offline plan passes for a `secure:` value it cannot decrypt. Only presence is
 * checked for it; the real value is checked by `pulumi preview`/`up`, which can decrypt.
 */
export const OFFLINE_SECRET = "[secret]";

export interface Setting<T> {
    type: SettingType;
    /** Checks the typed value; each issue's message says what is allowed. */
    schema: z.ZodType<T>;
    /** The prod default; none means the setting is required, unless `optional`. */
    default?: T;
    /** Unset is allowed and means "off"; the value is then undefined. */
    optional?: boolean;
    /** Must be stored encrypted (`pulumi config set --secret`) or come from a Pulumi ESC environment. */
    secret?: boolean;
    /** What is allowed, for docs/settings.md and for values of the wrong type. */
    allowed: string;
    /** One line for Pulumi.yaml's `config:` schema. */
    description: string;
    /** Why the default is what it is (or why there is none), for docs/settings.md. */
    why: string;
}

/** Settings as parsed: required and defaulted ones always have a value, optional ones may not. */
export type Values<S extends Record<string, Setting<unknown>>> = {
    [K in keyof S]: S[K] extends Setting<infer T> ? (S[K]["optional"] extends true ? T | undefined : T) : never;
};

export interface RelationProblem {
    setting: string;
    value: unknown;
    allowed: string;
}

export interface AreaContext {
    project: string;
    stack: string;
    /** The primary AWS region (aws:region), or undefined when it was itself invalid. */
    region: string | undefined;
    /** The full config key of a setting, e.g. `hotelgenius-ops:objectLockDays`. */
    keyOf(name: string): string;
}

/**
 * One ops area's settings, declared next to its component. `relations` checks what no single
 * schema can see (order between settings, settings of other areas); it receives every setting
 * that parsed, and skips a relation whose inputs are missing, which were already reported.
 */
export interface Area<S extends Record<string, Setting<unknown>>> {
    name: string;
    settings: S;
    relations?: (values: Partial<Values<S>> & Record<string, unknown>, context: AreaContext) => RelationProblem[];
}

export function defineArea<S extends Record<string, Setting<unknown>>>(area: Area<S>): Area<S> {
    return area;
}

type Doc = Pick<Setting<unknown>, "description" | "why"> & { allowed?: string };
type Options<T> = Doc & { default?: T; optional?: boolean; secret?: boolean };

/** A string checked by `check`, which returns why a value is refused or undefined. */
export function text(options: Options<string> & { allowed: string; check?: (value: string) => string | undefined }): Setting<string> {
    const { check, ...rest } = options;
    const schema = z.string().superRefine((value, ctx) => {
        const reason = check?.(value);
        if (reason !== undefined) ctx.addIssue({ code: "custom", message: reason });
    });
    return { type: "string", schema, ...rest };
}

/**
 * A whole number in [min, max]; `rangeReason` is appended to the range in errors (e.g. an AWS rule);
 * `check` refuses values inside the range that are still not allowed.
 */
export function integer(options: Options<number> & { min: number; max: number; rangeReason?: string; check?: (value: number) => string | undefined }): Setting<number> {
    const { min, max, rangeReason = "", check, ...rest } = options;
    const allowed = options.allowed ?? `a whole number from ${min} to ${max}${rangeReason}`;
    const message = `must be a whole number from ${min} to ${max}${rangeReason}`;
    const schema = z
        .number({ error: message })
        .int({ error: message })
        .min(min, { error: message })
        .max(max, { error: message })
        .superRefine((value, ctx) => {
            const reason = check?.(value);
            if (reason !== undefined) ctx.addIssue({ code: "custom", message: reason });
        });
    return { type: "integer", schema, ...rest, allowed };
}

export function flag(options: Options<boolean>): Setting<boolean> {
    return { type: "boolean", schema: z.boolean({ error: "must be true or false" }), ...options, allowed: options.allowed ?? "`true`, `false`" };
}

export function oneOf<const T extends string>(values: readonly T[], options: Options<T>): Setting<T> {
    const message = `must be one of ${values.join(", ")}`;
    return {
        type: "string",
        schema: z.enum(values as unknown as [T, ...T[]], { error: (issue) => `${message}${suggestion(String(issue.input), values)}` }),
        ...options,
        allowed: options.allowed ?? values.map((value) => `\`${value}\``).join(", "),
    };
}

/** A list of strings, each item checked by `item`; the whole list by `check`. */
export function list(
    options: Options<string[]> & { allowed: string; item?: (value: string) => string | undefined; check?: (values: string[]) => string | undefined },
): Setting<string[]> {
    const { item, check, ...rest } = options;
    const schema = z.array(z.string(), { error: `must be a list: ${options.allowed}` }).superRefine((values, ctx) => {
        const bad = item === undefined ? [] : values.map((value) => [value, item(value)] as const).filter(([, reason]) => reason !== undefined);
        if (bad.length > 0) {
            ctx.addIssue({ code: "custom", message: bad.map(([value, reason]) => `${JSON.stringify(value)} ${reason}`).join("; ") });
            return;
        }
        const reason = check?.(values);
        if (reason !== undefined) ctx.addIssue({ code: "custom", message: reason });
    });
    return { type: "array", schema, ...rest };
}

/** ` (did you mean X?)` for the closest candidate, or "" when none is close. */
export function suggestion(value: string, candidates: readonly string[]): string {
    const nearest = nearestOf(value, candidates);
    return nearest === undefined ? "" : ` (did you mean ${nearest}?)`;
}

export function nearestOf(value: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const candidate of candidates) {
        const distance = editDistance(value.toLowerCase(), candidate.toLowerCase());
        if (distance < bestDistance) {
            best = candidate;
            bestDistance = distance;
        }
    }
    if (best === undefined) return undefined;
    const tolerance = Math.max(2, Math.floor(Math.max(value.length, best.length) / 3));
    return bestDistance <= tolerance ? best : undefined;
}

function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length]!;
}
