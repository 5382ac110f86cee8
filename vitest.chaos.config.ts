import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `pnpm test:chaos`: the fault suites only (docs/reliability.md, "Chaos runs"). Each brings its own
// Redis or PostgreSQL to stop, so they can run on a developer's machine as they run in CI.
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'apps/api/test/platform/revocation.test.ts',
      'apps/api/test/platform/redis-stop.test.ts',
      'apps/api/test/platform/postgres-restart.test.ts',
      'apps/api/test/platform/kill-instance.test.ts',
      'apps/api/test/billing/crash-recovery.test.ts',
      'apps/api/test/providers/ssrf.test.ts',
    ],
  },
});
