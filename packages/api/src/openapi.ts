import { generateOpenApiDocument } from 'trpc-to-openapi';
import type { AnyProcedure } from '@trpc/server';
import type { oas31 } from 'zod-openapi';

function isCreatedMeta(meta: unknown): meta is ProcedureMeta {
  return typeof meta === 'object' && meta !== null && 'created' in meta && meta.created === true;
}

function isProcedure(value: unknown): value is AnyProcedure {
  return typeof value === 'function' && '_def' in value;
}
import { ERROR_STATUS, type ErrorCode } from './core/errors.js';
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
  // (openapi3-ts types paths and responses indexed by a string as `any`; these records say what they hold.)
  const paths: Record<string, oas31.PathItemObject | undefined> = document.paths ?? {};
  for (const { method, path } of restOperations().filter(({ meta }) => isCreatedMeta(meta))) {
    const responses: Record<string, oas31.ResponseObject | oas31.ReferenceObject | undefined> | undefined =
      paths[path]?.[method]?.responses;
    const ok = responses?.['200'];
    if (responses && ok) {
      responses['201'] = ok;
      delete responses['200'];
    }
  }
  useErrorEnvelope(document);
  describeSecurity(paths);
  describeChatStream(document, paths);
  describeFileContent(paths);
  document.info.license = { name: 'MIT', identifier: 'MIT' };
  return document;
}

/**
 * The application chat streams when the body says `stream: true` (served by the host's SSE route,
 * which trpc-to-openapi cannot describe): its 200 also answers text/event-stream, each event's
 * `data:` one JSON object of ChatStreamEvent. Generated clients (openapi-typescript with
 * openapi-fetch's `parseAs: 'stream'`) then read it instead of failing to parse JSON.
 */
function describeChatStream(document: OpenApiDocument, paths: Record<string, oas31.PathItemObject | undefined>): void {
  const ok = paths['/applications/{app_id}/chat']?.post?.responses?.['200'] as oas31.ResponseObject | undefined;
  const schemas = ((document.components ??= {}).schemas ??= {});
  if (!ok?.content || !schemas.ChatResponse) return;
  schemas.ChatStreamDelta = {
    type: 'object',
    required: ['type', 'content'],
    properties: { type: { type: 'string', const: 'delta' }, content: { type: 'string', description: 'The next piece of the reply' } },
  };
  schemas.ChatStreamDone = {
    description: 'The last event of a stream that completed: the whole reply, as the JSON answer',
    allOf: [
      { type: 'object', required: ['type'], properties: { type: { type: 'string', const: 'done' } } },
      { $ref: '#/components/schemas/ChatResponse' },
    ],
  };
  schemas.ChatStreamError = {
    description: 'The last event of a stream that broke; when the reply had started, what it cost is billed and shown',
    type: 'object',
    required: ['type', 'error'],
    properties: {
      type: { type: 'string', const: 'error' },
      error: {
        type: 'object',
        required: ['code', 'message', 'request_id'],
        properties: { code: { type: 'string' }, message: { type: 'string' }, request_id: { type: 'string' } },
      },
      conversation_id: { type: 'string' },
      tokens_used: { type: 'object', additionalProperties: true },
      cost: { type: 'number' },
    },
  };
  schemas.ChatStreamEvent = {
    description:
      'With `stream: true` the answer is server-sent events, each `data:` line one of these in JSON: `delta` events, then one `done` (or one `error`).',
    oneOf: ['ChatStreamDelta', 'ChatStreamDone', 'ChatStreamError'].map((name) => ({ $ref: `#/components/schemas/${name}` })),
    discriminator: {
      propertyName: 'type',
      mapping: {
        delta: '#/components/schemas/ChatStreamDelta',
        done: '#/components/schemas/ChatStreamDone',
        error: '#/components/schemas/ChatStreamError',
      },
    },
  };
  // As OpenAI's own document does for its streams: the schema is that of one event, each
  // carried in a `data:` line (OpenAPI 3.1 has no item schema for a stream; 3.2 adds itemSchema).
  ok.content['text/event-stream'] = { schema: { $ref: '#/components/schemas/ChatStreamEvent' } };
}

/**
 * A file's bytes are served by the host's own route (the router's `files.content` procedure only
 * documents it, and answers metadata over tRPC): its 200 is the file in its own content type.
 */
function describeFileContent(paths: Record<string, oas31.PathItemObject | undefined>): void {
  const responses = paths['/files/{file_id}/content']?.get?.responses;
  if (!responses) return;
  responses['200'] = {
    description: "The file's bytes, with its Content-Type, Content-Length and ETag (its sha256)",
    content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
  };
  responses['304'] = { description: 'Not modified: If-None-Match named the current ETag' };
}

const SECURITY: Record<NonNullable<ProcedureMeta['auth']>, oas31.SecurityRequirementObject[]> = {
  none: [],
  // An empty requirement makes the credential optional: anonymous callers are served too.
  optional: [{}, { Authorization: [] }],
  required: [{ Authorization: [] }],
};

/**
 * trpc-to-openapi marks every operation as protected unless its meta says otherwise; the procedure
 * builders record who may really call each one (trpc.ts `auth`), and that is what is documented.
 */
function describeSecurity(paths: Record<string, oas31.PathItemObject | undefined>): void {
  for (const { method, path, meta } of restOperations()) {
    const operation = paths[path]?.[method];
    if (operation) operation.security = SECURITY[meta.auth ?? 'required'];
  }
}

type OpenApiDocument = ReturnType<typeof generateOpenApiDocument>;
type SchemaObject = NonNullable<NonNullable<OpenApiDocument['components']>['schemas']>[string];

const RATE_LIMITED_DESCRIPTION = 'Rate limit exceeded (X-RateLimit-* and Retry-After headers)';
const UNAVAILABLE_DESCRIPTION = 'A service the platform needs (the database) is unavailable: retry later';
const TOO_LARGE_DESCRIPTION = 'Request body larger than the server accepts';
const DECLARED_ERROR_DESCRIPTION: Partial<Record<ErrorCode, string>> = {
  PAYMENT_REQUIRED: 'Not enough available balance',
  CONFLICT: 'Conflicts with the current state (a name already taken, a resource still in use, …)',
  UPSTREAM_ERROR: 'The model provider failed',
  UPSTREAM_TIMEOUT: 'The model provider did not answer in time',
};

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
 * envelope, so the error responses point at it instead. It also derives only some statuses (no
 * 400/401 without inputs or protection, no 404 on a POST with a path id); every operation may also
 * answer 413 (body limit), 429 (rate limits) and 503 (database down), and procedures declare the
 * rest (402, 409, 502, 504) in their meta. The fuzz suite checks every answered status is here.
 */
function useErrorEnvelope(document: OpenApiDocument): void {
  const schemas = ((document.components ??= {}).schemas ??= {});
  for (const name of Object.keys(schemas)) if (name.startsWith('error.')) delete schemas[name];
  const refFor = (status: number) => {
    const name = `Error${status}`;
    schemas[name] ??= envelopeSchema(status);
    return { $ref: `#/components/schemas/${name}` };
  };
  const declared = new Map(restOperations().map(({ method, path, meta }) => [`${method} ${path}`, meta.errors ?? []]));
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item ?? {})) {
      const { responses } = operation as { responses?: Record<string, { description?: string; content?: unknown }> };
      if (!responses) continue;
      // Any request may be malformed or carry a bad credential, whatever inputs the procedure has.
      responses['400'] ??= { description: 'Invalid input data' };
      responses['401'] ??= { description: 'Missing, invalid or expired credentials' };
      if (path.includes('{')) responses['404'] ??= { description: 'Not found' };
      responses['429'] = { description: RATE_LIMITED_DESCRIPTION };
      responses['503'] ??= { description: UNAVAILABLE_DESCRIPTION };
      // The body limit applies before routing, to a body sent where none is expected too.
      responses['413'] ??= { description: TOO_LARGE_DESCRIPTION };
      for (const code of declared.get(`${method} ${path}`) ?? [])
        responses[String(ERROR_STATUS[code])] ??= { description: DECLARED_ERROR_DESCRIPTION[code] ?? code };
      for (const [key, response] of Object.entries(responses)) {
        const status = Number(key);
        if (status < 400) continue;
        responses[key] = {
          description: response.description ?? `HTTP ${status}`,
          content: { 'application/json': { schema: refFor(status) } },
        };
      }
    }
  }
}

const HTTP_METHOD = { POST: 'post', PUT: 'put', PATCH: 'patch', GET: 'get', DELETE: 'delete' } as const;

type HttpMethod = (typeof HTTP_METHOD)[keyof typeof HTTP_METHOD];

/** Every REST operation of the router with its procedure's meta. */
function restOperations(): { method: HttpMethod; path: string; meta: ProcedureMeta }[] {
  const operations: { method: HttpMethod; path: string; meta: ProcedureMeta }[] = [];
  const visit = (record: object) => {
    for (const value of Object.values(record) as unknown[]) {
      if (isProcedure(value)) {
        const meta = value._def.meta as ProcedureMeta | undefined;
        if (meta?.openapi) operations.push({ method: HTTP_METHOD[meta.openapi.method], path: meta.openapi.path, meta });
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
    for (const [key, value] of Object.entries(record) as [string, unknown][]) {
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
