import { generateOpenApiDocument } from 'trpc-to-openapi';
import type { AnyProcedure } from '@trpc/server';

function isCreatedMeta(meta: unknown): meta is ProcedureMeta {
  return typeof meta === 'object' && meta !== null && 'created' in meta && meta.created === true;
}

function isProcedure(value: unknown): value is AnyProcedure {
  return typeof value === 'function' && '_def' in value;
}
import { ERROR_STATUS } from './core/errors.js';
import { appRouter } from './root.js';
import type { ProcedureMeta } from './trpc.js';

export const API_VERSION = '1.0.0';

/** The OpenAPI 3.1 document of /api/v1, generated from the router. */
export function buildOpenApiDocument(baseUrl = '/api/v1') {
  const document = generateOpenApiDocument(appRouter, {
    title: 'MaaS Platform API',
    description: 'Model-as-a-Service platform: models, applications, chat, tools marketplace and community.',
    version: API_VERSION,
    baseUrl,
    securitySchemes: {
      Authorization: { type: 'http', scheme: 'bearer', description: 'Access token (JWT) or an sk-… API key' },
    },
  });
  // The generator documents every success as 200; creates answer 201.
  for (const { method, path } of createdOperations()) {
    const operation = document.paths?.[path]?.[method];
    const ok = operation?.responses?.['200'];
    if (operation?.responses && ok) {
      operation.responses['201'] = ok;
      delete operation.responses['200'];
    }
  }
  useErrorEnvelope(document);
  return document;
}

type OpenApiDocument = ReturnType<typeof generateOpenApiDocument>;
type SchemaObject = NonNullable<NonNullable<OpenApiDocument['components']>['schemas']>[string];

const RATE_LIMITED_DESCRIPTION = 'Rate limit exceeded (X-RateLimit-* and Retry-After headers)';

/** The contract's error envelope for one status, listing the codes answered with it. */
function envelopeSchema(status: number): SchemaObject {
  const codes = Object.entries(ERROR_STATUS)
    .filter(([, codeStatus]) => codeStatus === status)
    .map(([code]) => code);
  return {
    type: 'object' as const,
    required: ['error'],
    properties: {
      error: {
        type: 'object' as const,
        required: ['code', 'message', 'details', 'request_id'],
        properties: {
          code: { type: 'string' as const, enum: codes.length > 0 ? codes : ['INVALID_REQUEST'] },
          message: { type: 'string' as const, description: 'In the language of Accept-Language (zh-CN by default, en)' },
          details: { type: ['object' as const, 'null' as const], additionalProperties: true },
          request_id: { type: 'string' as const, description: 'Also in the X-Request-Id header', example: 'req_123456789' },
        },
      },
    },
  };
}

/**
 * trpc-to-openapi documents errors in its own shape; every error the API answers is the contract's
 * envelope, so the error responses point at it instead, and every operation documents the 429 of
 * the rate limits.
 */
function useErrorEnvelope(document: OpenApiDocument): void {
  const schemas = (document.components ??= {}).schemas ??= {};
  for (const name of Object.keys(schemas)) if (name.startsWith('error.')) delete schemas[name];
  const refFor = (status: number) => {
    const name = `Error${status}`;
    schemas[name] ??= envelopeSchema(status);
    return { $ref: `#/components/schemas/${name}` };
  };
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item ?? {})) {
      const responses = (operation as { responses?: Record<string, { description?: string; content?: unknown }> }).responses;
      if (!responses) continue;
      responses['429'] = { description: RATE_LIMITED_DESCRIPTION };
      for (const [key, response] of Object.entries(responses)) {
        const status = Number(key);
        if (status < 400) continue;
        responses[key] = { description: response.description ?? `HTTP ${status}`, content: { 'application/json': { schema: refFor(status) } } };
      }
    }
  }
}

const HTTP_METHOD = { POST: 'post', PUT: 'put', PATCH: 'patch', GET: 'get', DELETE: 'delete' } as const;

function createdOperations(): { method: 'post' | 'put' | 'patch' | 'get' | 'delete'; path: string }[] {
  const operations: { method: 'post' | 'put' | 'patch' | 'get' | 'delete'; path: string }[] = [];
  const visit = (record: object) => {
    for (const value of Object.values(record)) {
      if (isProcedure(value)) {
        const meta = value._def.meta;
        if (isCreatedMeta(meta) && meta.openapi) {
          operations.push({ method: HTTP_METHOD[meta.openapi.method], path: meta.openapi.path });
        }
      } else if (value && typeof value === 'object') {
        visit(value);
      }
    }
  };
  visit(appRouter._def.record);
  return operations;
}

/** Paths of procedures whose success is 201 Created, read once from their meta. */
export function createdProcedurePaths(): Set<string> {
  const created = new Set<string>();
  const visit = (record: object, prefix: string) => {
    for (const [key, value] of Object.entries(record)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (isProcedure(value)) {
        const meta = value._def.meta;
        if (isCreatedMeta(meta)) created.add(path);
      } else if (value && typeof value === 'object') {
        visit(value, path);
      }
    }
  };
  visit(appRouter._def.record, '');
  return created;
}
