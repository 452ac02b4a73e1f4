import { defineConfig } from 'vitest/config';

// Tests share one machine with real Postgres, real browsers and real processes:
// run files one at a time when CI asks, with generous timeouts for process-level tests.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: process.env.CI ? 2 : undefined,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
