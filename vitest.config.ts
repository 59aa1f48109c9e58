import { defineConfig } from "vitest/config";

// One pool of forked workers, one per core: simulation suites are CPU-bound and the machine has two.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/wire_verify.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
