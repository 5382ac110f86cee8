import { defineConfig } from 'vitest/config';

// Separate from the root config (which excludes apps/dashboard): unit tests run in node, the e2e
// test builds the dashboard and drives Debian's chromium against a real API server.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
  },
});
