import { readFileSync } from 'node:fs';
import { appRouter } from '@maas/api';
import { adminProcedure, authedProcedure, developerProcedure } from '@maas/api/testing';

/**
 * The operations of the REST face, read off the OpenAPI document, and who may call each one,
 * read off the router itself (the procedure builder it was made with). The authorisation matrix
 * is generated from these two, so a new endpoint cannot escape it.
 */

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Who the router lets in, before any service-level ownership rule. */
export type Access = 'public' | 'authed' | 'developer' | 'admin';

export interface Operation {
  /** `METHOD /path` as in the document, e.g. `PATCH /applications/{app_id}`. */
  key: string;
  method: HttpMethod;
  path: string;
  operationId: string;
  pathParams: string[];
  queryParams: string[];
  hasBody: boolean;
}

interface OpenApiParameter {
  name: string;
  in: string;
}

interface OpenApiOperation {
  operationId?: string;
  parameters?: OpenApiParameter[];
  requestBody?: unknown;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

function isHttpMethod(value: string): value is HttpMethod {
  return HTTP_METHODS.some((method) => method === value);
}

export function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, byMethod] of Object.entries(document.paths)) {
    for (const [lowerMethod, operation] of Object.entries(byMethod)) {
      const method = lowerMethod.toUpperCase();
      if (!isHttpMethod(method)) continue;
      const parameters = operation.parameters ?? [];
      operations.push({
        key: `${method} ${path}`,
        method,
        path,
        operationId: operation.operationId ?? `${method} ${path}`,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        hasBody: operation.requestBody !== undefined,
      });
    }
  }
  return operations;
}

/** docs/openapi.json as committed; the suite checks that the served document has the same operations. */
export function committedDocument(): OpenApiDocument {
  return JSON.parse(readFileSync(new URL('../../../../docs/openapi.json', import.meta.url), 'utf8'));
}

// ---- The router's own notion of access ------------------------------------------------------

// A built procedure is a function with a `_def`; its meta and the builder's parts are objects.
function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function procedureDef(value: unknown): object {
  if (isObject(value) && '_def' in value && isObject(value._def)) return value._def;
  throw new Error('not a tRPC procedure');
}

/** The middleware functions a procedure (or a procedure builder) runs, in order. */
function middlewaresOf(value: unknown): readonly unknown[] {
  const def = procedureDef(value);
  if ('middlewares' in def && Array.isArray(def.middlewares)) return def.middlewares;
  throw new Error('a tRPC procedure without middlewares');
}

function openApiRouteOf(value: unknown): { method: string; path: string } | null {
  const def = procedureDef(value);
  if (!('meta' in def) || !isObject(def.meta) || !('openapi' in def.meta) || !isObject(def.meta.openapi)) return null;
  const openapi = def.meta.openapi;
  if (!('method' in openapi) || !('path' in openapi) || typeof openapi.method !== 'string' || typeof openapi.path !== 'string') return null;
  return { method: openapi.method, path: openapi.path };
}

/** True when `procedure` was built on `builder`: it runs every middleware the builder added. */
function builtOn(procedure: unknown, builder: unknown): boolean {
  const own = middlewaresOf(procedure);
  return middlewaresOf(builder).every((middleware) => own.includes(middleware));
}

export function accessOfProcedure(procedure: unknown): Access {
  if (builtOn(procedure, adminProcedure)) return 'admin';
  if (builtOn(procedure, developerProcedure)) return 'developer';
  if (builtOn(procedure, authedProcedure)) return 'authed';
  return 'public';
}

export interface RouterProcedure {
  name: string;
  access: Access;
  /** `METHOD /path` of its OpenAPI face, or null for a tRPC-only procedure. */
  restKey: string | null;
}

export function routerProcedures(): RouterProcedure[] {
  const procedures: Record<string, unknown> = appRouter._def.procedures;
  return Object.entries(procedures).map(([name, procedure]) => {
    const route = openApiRouteOf(procedure);
    return { name, access: accessOfProcedure(procedure), restKey: route ? `${route.method.toUpperCase()} ${route.path}` : null };
  });
}

/** Access of every REST operation, keyed by `METHOD /path`. */
export function accessByOperation(): Map<string, Access> {
  const byKey = new Map<string, Access>();
  for (const procedure of routerProcedures()) if (procedure.restKey) byKey.set(procedure.restKey, procedure.access);
  return byKey;
}

/**
 * The document-level rule the team states for admin-only endpoints: everything under `/admin/`
 * and the upstream providers. The suite checks it against the router, so an admin procedure
 * placed elsewhere (or an `/admin` path left on a weaker builder) fails the matrix.
 */
export function isAdminPathByConvention(path: string): boolean {
  return path.startsWith('/admin/') || path === '/providers' || path.startsWith('/providers/');
}
