import { defineConfig } from "vitest/config";

// The job's own tests, runnable alone (`npm test --workspace job`); the root config runs them too.
export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // Real PostgreSQL and S3 servers start per test file; two cores cannot run many at once.
        maxWorkers: 2,
        testTimeout: 60_000,
        hookTimeout: 120_000,
    },
});
