// What of a secret shows in some output: the secret itself, or any fragment of it long enough to
// matter (MIN_LITERAL_SECRET_LENGTH characters, the shortest value the job masks literally).
import { MIN_LITERAL_SECRET_LENGTH } from "../../src/observability/redact.js";

/** Every fragment of `secret` (or the whole of a shorter one) found in `output`. */
export function leakedFragments(output: string, secret: string, length = MIN_LITERAL_SECRET_LENGTH): string[] {
    if (secret.length <= length) return output.includes(secret) ? [secret] : [];
    const found = new Set<string>();
    for (let i = 0; i + length <= secret.length; i++) {
        const fragment = secret.slice(i, i + length);
        if (output.includes(fragment)) found.add(fragment);
    }
    return [...found];
}
