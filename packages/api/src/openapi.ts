import { generateOpenApiDocument } from 'trpc-to-openapi';
import type { AnyProcedure } from '@trpc/server';

function isCreatedMeta(meta: unknown): meta is ProcedureMeta {
  return typeof meta === 'object' && meta !== null && 'created' in meta && meta.created === true;
}

function isProcedure(value: unknown): value is AnyProcedure {
  return typeof value === 'function' && '_def' in value;
}
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
  return document;
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
