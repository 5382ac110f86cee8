// Writes the committed OpenAPI document (docs/openapi.json) from the router. CI fails when the
// router and the file disagree (apps/api/test/http/openapi-snapshot.test.ts).
import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from '@maas/api';

export const OPENAPI_PATH = new URL('../../../docs/openapi.json', import.meta.url);

writeFileSync(OPENAPI_PATH, `${JSON.stringify(buildOpenApiDocument('/api/v1'), null, 2)}\n`);
console.log(`wrote ${OPENAPI_PATH.pathname}`);
