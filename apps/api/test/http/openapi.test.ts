import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestServer, type TestServer } from '../kit/index.js';

let server: TestServer;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});
afterAll(() => server?.close());

interface OpenApiOperation {
  summary?: string;
  description?: string;
  security?: unknown[];
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: unknown;
  responses: Record<string, unknown>;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { securitySchemes?: Record<string, unknown>; schemas?: Record<string, unknown> };
}

const BACKBONE_OPERATIONS: Array<[string, string, boolean]> = [
  ['post', '/auth/register', false],
  ['post', '/auth/token', false],
  ['post', '/auth/refresh', false],
  ['post', '/auth/logout', true],
  ['get', '/users/profile', true],
  ['put', '/users/profile', true],
  ['put', '/users/password', true],
  ['get', '/admin/users', true],
  ['patch', '/admin/users/{user_id}', true],
];

describe('GET /healthz', () => {
  it('answers 200 when the database answers', async () => {
    const res = await api.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: 'up' });
  });
});

describe('GET /api/v1/openapi.json', () => {
  let document: OpenApiDocument;

  beforeAll(async () => {
    const res = await api.get<OpenApiDocument>('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    document = res.body;
  });

  it('is an OpenAPI 3.1 document served under /api/v1', () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.info.title).toBeTruthy();
    expect(document.servers?.[0]?.url).toMatch(/\/api\/v1$/);
  });

  it.each(BACKBONE_OPERATIONS)('lists %s %s', (method, path, secured) => {
    const operation = document.paths[path]?.[method];
    expect(operation, `${method.toUpperCase()} ${path}`).toBeDefined();
    expect(Object.keys(operation?.responses ?? {}).some((status) => status.startsWith('2'))).toBe(true);
    if (secured) expect(operation?.security?.length).toBeGreaterThan(0);
  });

  it('documents per-operation security: none for public operations, optional where a credential only identifies the caller', async () => {
    const securityOf = (method: string, path: string) => document.paths[path]?.[method]?.security;
    for (const path of ['/auth/register', '/auth/token', '/auth/refresh']) expect(securityOf('post', path)).toEqual([]);
    for (const path of ['/models', '/models/{model_id}', '/tools', '/community/posts']) {
      expect(securityOf('get', path)).toEqual([{}, { Authorization: [] }]);
    }
    expect(securityOf('post', '/auth/logout')).toEqual([{ Authorization: [] }]);
    expect(securityOf('post', '/models')).toEqual([{ Authorization: [] }]);
    expect(securityOf('get', '/files/{file_id}/content')).toEqual([{ Authorization: [] }]);
    // What the document says of a public operation is what the server does.
    expect((await api.get('/api/v1/models')).status).toBe(200);
    expect((await api.get('/api/v1/wallet')).status).toBe(401);
  });

  it('gives every operation a summary and a description', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        expect(operation.summary?.length, `${method} ${path} summary`).toBeGreaterThan(3);
        expect(operation.description?.length, `${method} ${path} description`).toBeGreaterThan(10);
      }
    }
  });

  it('documents the bearer scheme used by protected operations', () => {
    expect(document.components?.securitySchemes?.Authorization).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('declares the path parameter and the list query parameters', () => {
    const patch = document.paths['/admin/users/{user_id}']?.patch;
    expect(patch?.parameters?.some((p) => p.name === 'user_id' && p.in === 'path')).toBe(true);
    const list = document.paths['/admin/users']?.get;
    const query = (list?.parameters ?? [])
      .filter((p) => p.in === 'query')
      .map((p) => p.name)
      .sort();
    expect(query).toEqual(expect.arrayContaining(['limit', 'page', 'role', 'search']));
  });

  it('documents every error as the contract envelope, and the 429 of the rate limits on every operation', async () => {
    const schemas = document.components?.schemas ?? {};
    expect(Object.keys(schemas).filter((name) => name.startsWith('error.'))).toEqual([]);
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        expect(Object.keys(operation.responses), `${method} ${path}`).toContain('429');
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue;
          const ref = (response as { content: { 'application/json': { schema: { $ref: string } } } }).content['application/json'].schema
            .$ref;
          expect(ref, `${method} ${path} ${status}`).toBe(`#/components/schemas/Error${status}`);
        }
      }
    }
    expect(schemas.Error400).toMatchObject({
      required: ['error'],
      properties: {
        error: { required: ['code', 'message', 'details', 'request_id'], properties: { code: { enum: ['INVALID_REQUEST'] } } },
      },
    });
    // What the document promises is what a real error looks like.
    const answered = await api.get('/api/v1/models?limit=0');
    expect(answered.status).toBe(400);
    expect(Object.keys(answered.body.error)).toEqual(['code', 'message', 'details', 'request_id']);
    expect(answered.body.error.code).toBe('INVALID_REQUEST');
  });

  it('documents the statuses trpc-to-openapi does not derive: those any operation may answer, and each procedure’s own', async () => {
    const statuses = (method: string, path: string) => Object.keys(document.paths[path]?.[method]?.responses ?? {});
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item)) {
        expect(statuses(method, path), `${method} ${path}`).toEqual(expect.arrayContaining(['400', '401', '413', '429', '503']));
        if (path.includes('{')) expect(statuses(method, path), `${method} ${path}`).toContain('404');
      }
    }
    expect(statuses('post', '/applications/{app_id}/chat')).toEqual(expect.arrayContaining(['402', '409', '502', '504']));
    expect(statuses('post', '/tools/{tool_id}/purchase')).toEqual(expect.arrayContaining(['402', '409']));
    expect(statuses('post', '/admin/users/{user_id}/wallet/debit')).toContain('402');
    for (const [method, path] of [
      ['post', '/auth/register'],
      ['put', '/users/profile'],
      ['post', '/models'],
      ['delete', '/providers/{provider_id}'],
    ] as const) {
      expect(statuses(method, path), `${method} ${path}`).toContain('409');
    }
    // Only where declared: a read never answers 409.
    expect(statuses('get', '/models')).not.toContain('409');
    const schemas = document.components?.schemas ?? {};
    expect(schemas.Error409).toMatchObject({ properties: { error: { properties: { code: { enum: ['CONFLICT'] } } } } });

    // And the document is right about it: a taken username is a 409 envelope.
    const username = `taken_${Date.now()}`;
    const account = { username, email: `${username}@example.com`, password: 'a-long-password-1' };
    expect((await api.post('/api/v1/auth/register', account)).status).toBe(201);
    const again = await api.post('/api/v1/auth/register', { ...account, email: `other-${username}@example.com` });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
  });

  it('never documents a password hash in any response', () => {
    expect(JSON.stringify(document)).not.toMatch(/password_hash/);
  });
});

describe('GET /api/v1/docs', () => {
  it('serves a docs page whose assets come from this server, not a CDN', async () => {
    const response = await fetch(`${server.url}/api/v1/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html.toLowerCase()).toContain('swagger');
    const references = [...html.matchAll(/(?:src|href)=["']([^"']+)["']/g)].map((m) => m[1] ?? '');
    expect(references.length).toBeGreaterThan(0);
    for (const reference of references) {
      expect(reference, reference).not.toMatch(/^(https?:)?\/\//);
    }
    const base = new URL(response.url);
    for (const reference of references.filter((r) => /\.(js|css)(\?|$)/.test(r))) {
      const asset = await fetch(new URL(reference, base));
      expect(asset.status, reference).toBe(200);
      await asset.arrayBuffer();
    }
  });

  it('points the docs UI at this server’s own OpenAPI document', async () => {
    const res = await api.get('/api/v1/docs/json');
    expect(res.status).toBe(200);
    expect((res.body as OpenApiDocument).paths['/auth/token']).toBeDefined();
  });
});
