// EventBridge's event-pattern matching, as its user guide documents it ("Event patterns",
// "Comparison operators"), for the operators these rules use: exact values, prefix, suffix,
// equals-ignore-case, anything-but (values, prefix, suffix), exists and $or. The tests hold real
// CloudTrail event samples against the rules' patterns with it; it runs nowhere else.
//
// Documented behaviour it follows:
// - every value in a pattern is an array of alternatives; one match is enough;
// - a field the pattern names must be in the event, except under `{ "exists": false }`;
// - when the event holds an array, the pattern matches if any of its elements does (arrays of
//   objects are matched element by element, which is the documented flattening for one field);
// - `exists` and every other comparison only apply to leaves (strings, numbers, booleans, null);
// - `$or` holds alternative patterns at its level.
// An operator it does not know is an error, so a misspelt pattern fails its test instead of matching nothing.

type Leaf = string | number | boolean | null;

function isLeaf(value: unknown): value is Leaf {
    return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether `event` matches `pattern`. Throws on a pattern EventBridge would refuse. */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
    if (!isObject(pattern)) throw new Error(`an event pattern must be an object, not ${JSON.stringify(pattern)}`);
    return Object.entries(pattern).every(([field, expected]) => {
        if (field === "$or") {
            if (!Array.isArray(expected) || expected.length < 2) throw new Error(`"$or" must hold at least two patterns, not ${JSON.stringify(expected)}`);
            return expected.some((alternative) => matchesPattern(alternative as Record<string, unknown>, event));
        }
        const value = isObject(event) ? event[field] : undefined;
        if (Array.isArray(expected)) return matchesLeaf(field, expected, value);
        if (isObject(expected)) {
            if (Array.isArray(value)) return value.some((element) => matchesPattern(expected, element));
            return matchesPattern(expected, isObject(value) ? value : undefined);
        }
        throw new Error(`pattern field "${field}" must be an array of values or an object, not ${JSON.stringify(expected)}`);
    });
}

function matchesLeaf(field: string, alternatives: unknown[], value: unknown): boolean {
    if (alternatives.length === 0) throw new Error(`pattern field "${field}" has an empty array, which EventBridge refuses`);
    const values = Array.isArray(value) ? value : [value];
    const leaves = values.filter(isLeaf);
    return alternatives.some((alternative) => {
        if (isObject(alternative) && "exists" in alternative) {
            const exists = alternative.exists;
            if (typeof exists !== "boolean") throw new Error(`"exists" in "${field}" must be true or false`);
            return exists === leaves.length > 0;
        }
        return leaves.some((leaf) => matchesOne(field, alternative, leaf));
    });
}

function matchesOne(field: string, alternative: unknown, leaf: Leaf): boolean {
    if (isLeaf(alternative)) return alternative === leaf;
    if (!isObject(alternative) || Object.keys(alternative).length !== 1) {
        throw new Error(`pattern field "${field}" holds ${JSON.stringify(alternative)}; allowed: a value or one operator object`);
    }
    const [operator, operand] = Object.entries(alternative)[0]!;
    switch (operator) {
        case "prefix":
            return typeof leaf === "string" && leaf.startsWith(stringOperand(field, operator, operand));
        case "suffix":
            return typeof leaf === "string" && leaf.endsWith(stringOperand(field, operator, operand));
        case "equals-ignore-case":
            return typeof leaf === "string" && leaf.toLowerCase() === stringOperand(field, operator, operand).toLowerCase();
        case "anything-but":
            if (isObject(operand)) return !matchesOne(field, operand, leaf);
            return !(Array.isArray(operand) ? operand : [operand]).some((excluded) => excluded === leaf);
        default:
            throw new Error(`pattern field "${field}" uses "${operator}", which this matcher does not implement`);
    }
}

function stringOperand(field: string, operator: string, operand: unknown): string {
    if (typeof operand !== "string") throw new Error(`"${operator}" in "${field}" must be a string, not ${JSON.stringify(operand)}`);
    return operand;
}
