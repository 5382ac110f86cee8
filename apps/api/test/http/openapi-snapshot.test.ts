import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '@maas/api';

describe('committed docs/openapi.json', () => {
  it('matches the router (run `pnpm openapi:write` after changing a procedure)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../../../docs/openapi.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument('/api/v1'))));
  });
});
