import { defineConfig } from "vitest/config";

// The fast tests that hold the job's promises about backups' names, manifests, references and redaction:
// what `npm run mutate` (StrykerJS) runs for each mutant. No servers: a mutant must be judged in milliseconds.
export default defineConfig({
    test: {
        include: [
            "test/args.test.ts",
            "test/commands/list.test.ts",
            "test/commands/verify.test.ts",
            "test/observability/redact.test.ts",
            "test/storage/backups.test.ts",
            "test/storage/hashing.test.ts",
            "test/storage/ids.test.ts",
            "test/storage/manifest.test.ts",
            "test/storage/resolve-backup.test.ts",
            "test/storage/target.test.ts",
        ],
    },
});
