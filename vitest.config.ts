import { defineConfig } from 'vitest/config';

// test/standalone needs no model; test/model uses forged models made once in
// the global setup. Native work is CPU-bound on a 2-core machine, so files run
// in forked processes with limited parallelism and generous timeouts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
