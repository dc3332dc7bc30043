import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["stacks/**/*.test.ts", "bootstrap/**/*.test.ts", "test/**/*.test.ts", "job/test/**/*.test.ts", "policy/**/*.test.ts", "scripts/**/*.test.ts"],
        // Real PostgreSQL and S3 servers start per test file; two cores cannot run many at once.
        fileParallelism: true,
        maxWorkers: 2,
        testTimeout: 60_000,
        hookTimeout: 120_000,
    },
});
