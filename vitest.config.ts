import { defineConfig } from 'vitest/config';

// One PGlite (about 5 s to start) or one fresh PostgreSQL database per test file, shared by its tests.
export default defineConfig({
  test: {
    include: ['apps/*/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'packages/*/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'apps/dashboard/**'],
    testTimeout: 90_000,
    hookTimeout: 180_000,
    setupFiles: ['./vitest.setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
