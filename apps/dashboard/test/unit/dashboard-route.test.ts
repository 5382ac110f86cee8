import { describe, expect, it } from 'vitest';
import { isReservedPath } from '../../../api/src/routes/dashboard.js';

describe('dashboard SPA fallback', () => {
  it('never answers API paths with index.html', () => {
    for (const path of [
      '/api',
      '/api/v1/models',
      '/trpc/models.list?batch=1',
      '/v1/chat/completions',
      '/healthz',
      '/metrics',
      '/metrics?x=1',
    ]) {
      expect(isReservedPath(path), path).toBe(true);
    }
  });

  it('answers client routes and look-alike paths', () => {
    for (const path of ['/', '/apps/app_1', '/apikeys', '/v12', '/trpcx', '/healthzz?x=/api/']) {
      expect(isReservedPath(path), path).toBe(false);
    }
  });
});
