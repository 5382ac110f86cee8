// Writes the committed OpenAPI document (docs/openapi.json) from the router, and the client types
// openapi-typescript generates from it (apps/api/test/http/generated/openapi.d.ts, used by the
// openapi-fetch test). CI fails when the router and either file disagree
// (apps/api/test/http/openapi-snapshot.test.ts).
import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from '@maas/api';
import { generatedClientTypes, OPENAPI_PATH, OPENAPI_TYPES_PATH } from './openapi-types.js';

const document = buildOpenApiDocument('/api/v1');
writeFileSync(OPENAPI_PATH, `${JSON.stringify(document, null, 2)}\n`);
writeFileSync(OPENAPI_TYPES_PATH, await generatedClientTypes(document));
console.log(`wrote ${OPENAPI_PATH.pathname} and ${OPENAPI_TYPES_PATH.pathname}`);
