import { defineConfig } from 'vitest/config';

// Two projects, as the design asks: `standalone` needs no model; `model` uses
// forged models made once in its global setup. Native work is CPU-bound on a
// 2-core machine, so files run in forked processes with generous timeouts.
const shared = { pool: 'forks' as const, testTimeout: 120_000, hookTimeout: 300_000 };

export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      { test: { ...shared, name: 'standalone', include: ['test/standalone/**/*.test.ts'] } },
      {
        test: {
          ...shared,
          name: 'model',
          include: ['test/model/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
