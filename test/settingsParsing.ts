// What the settings registry's tests share: a parse of the minimal valid settings with some keys
// replaced, and the checks of the problems it reports.
import { expect } from "vitest";
import { parseSettings, SETTINGS, SettingsError, type SettingsProblem } from "../stacks/settings/registry.js";
import { OFFLINE_SECRET } from "../stacks/settings/spec.js";
import { FAKE_PASSWORD, REQUIRED_RAW_SETTINGS, REQUIRED_SECRET_KEYS } from "./fixtures.js";

export const DEFAULTS = Object.fromEntries(
    Object.entries(SETTINGS).flatMap(([name, setting]) => (setting.default === undefined ? [] : [[name, setting.default]])),
);
export const REQUIRED_SETTINGS = Object.keys(SETTINGS).filter((name) => SETTINGS[name]!.default === undefined && !SETTINGS[name]!.optional);

export const PROJECT = "hotelgenius-ops";
export const DB_KEY = `${PROJECT}:databaseUrl`;
export const SCRATCH_KEY = `${PROJECT}:scratchDatabaseUrl`;
export const PASSWORD = FAKE_PASSWORD;
export const minimal = REQUIRED_RAW_SETTINGS;

export function parse(overrides: Record<string, string | undefined> = {}, secretKeys: Iterable<string> = REQUIRED_SECRET_KEYS) {
    const values: Record<string, string> = { ...minimal };
    for (const [key, value] of Object.entries(overrides)) {
        if (value === undefined) delete values[key];
        else values[key] = value;
    }
    return parseSettings({ project: PROJECT, stack: "prod", values, secretKeys: new Set(secretKeys) });
}

export function problemsOf(overrides: Record<string, string | undefined>, secretKeys?: Iterable<string>): SettingsError {
    try {
        parse(overrides, secretKeys);
    } catch (error) {
        if (error instanceof SettingsError) return error;
        throw error;
    }
    throw new Error("expected a SettingsError");
}

/** Asserts exactly one problem, for `key`, showing `value` and an `allowed` text matching the pattern. */
export function expectOnlyProblem(
    overrides: Record<string, string | undefined>,
    key: string,
    value: string | undefined,
    allowed: RegExp,
    secretKeys?: Iterable<string>,
): SettingsProblem {
    const error = problemsOf(overrides, secretKeys);
    expect(error.problems).toHaveLength(1);
    const [problem] = error.problems;
    expect(problem!.key).toBe(key);
    expect(problem!.value).toBe(value);
    expect(problem!.allowed).toMatch(allowed);
    expect(error.message).toContain(key);
    if (value !== undefined) expect(error.message).toContain(value === OFFLINE_SECRET ? value : JSON.stringify(value));
    return problem!;
}

export const key = (name: string) => `${PROJECT}:${name}`;
