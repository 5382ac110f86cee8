// Issue 16 part 1: what a tool is. Callable tools (http with typed or OpenAPI-imported functions,
// mcp read from a real MCP server), versions, and the signing secret shown once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptSecret } from '@maas/api/testing';
import {
  type ApiClient,
  apiClient,
  expectError,
  signUp,
  signUpAs,
  startPeerServer,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../kit/index.js';
import { startMcpServer, type TestMcpServer } from './mcp-server.js';

let server: TestServer;
let api: ApiClient;
let author: TestUser;
let mcp: TestMcpServer;
let counter = 0;

beforeAll(async () => {
  [server, mcp] = await Promise.all([startTestServer(), startMcpServer()]);
  api = apiClient(server.url);
  author = await signUpAs(server, api, 'developer', 'tooldef');
});
afterAll(async () => {
  await mcp?.close();
  await server?.close();
});

const weather = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
    required: ['city'],
    additionalProperties: false,
  },
};

function httpTool(overrides: Record<string, unknown> = {}) {
  counter += 1;
  return {
    name: `Weather ${counter}`,
    description: 'weather',
    category: 'data',
    price: 0,
    kind: 'http',
    endpoint_url: 'http://127.0.0.1:9/tool',
    functions: [weather],
    price_per_call: '0.01',
    ...overrides,
  };
}

describe('http tools', () => {
  it('publishes functions, a per-call price and a signing secret shown only in the create answer', async () => {
    const res = await api.post('/api/v1/tools', httpTool({ version: '1.0.0' }), author.token);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      kind: 'http',
      price_per_call: 0.01,
      version: '1.0.0',
      versions_count: 1,
      functions: [weather],
      config_schema: null,
      calls_30d: 0,
    });
    expect(res.body.signing_secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const detail = await api.get(`/api/v1/tools/${res.body.id}`, author.token);
    expect(detail.status).toBe(200);
    expect(detail.body.signing_secret).toBeUndefined();
    expect(JSON.stringify(detail.body)).not.toContain(res.body.signing_secret);
    const row = await server.server.platform.db
      .selectFrom('tools')
      .select('signing_secret_enc')
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    expect(row.signing_secret_enc).not.toContain(res.body.signing_secret);
    expect(decryptSecret(server.server.platform.config, row.signing_secret_enc!, res.body.id)).toBe(res.body.signing_secret);

    const rotated = await api.post(`/api/v1/tools/${res.body.id}/signing-secret`, {}, author.token);
    expect(rotated.status).toBe(200);
    expect(rotated.body.signing_secret).toMatch(/^whsec_/);
    expect(rotated.body.signing_secret).not.toBe(res.body.signing_secret);
    const stranger = await signUpAs(server, api, 'developer', 'rotator');
    expectError(await api.post(`/api/v1/tools/${res.body.id}/signing-secret`, {}, stranger.token), 403, 'FORBIDDEN');
  });

  it('refuses a bad function schema with a 400 naming the field', async () => {
    const cases: Array<[unknown[], string]> = [
      [
        [weather, { name: 'b', description: '', parameters: { type: 'object', properties: { x: { type: 'strin' } } } }],
        'functions[1].parameters',
      ],
      [[weather, { name: 'c', description: '', parameters: { type: 'object', propertiez: {} } }], 'functions[1].parameters'],
      [[{ ...weather, parameters: { type: 'string' } }], 'functions[0].parameters'],
      [[weather, weather], 'functions[1].name'],
      [[{ ...weather, name: 'has space' }], 'functions[0].name'],
      [[{ ...weather, name: 'x'.repeat(65) }], 'functions.0.name'],
    ];
    for (const [functions, field] of cases) {
      const res = await api.post('/api/v1/tools', httpTool({ functions }), author.token);
      const error = expectError(res, 400, 'INVALID_REQUEST');
      expect(JSON.stringify(error), field).toContain(field);
    }
    const noEndpoint = await api.post('/api/v1/tools', httpTool({ endpoint_url: undefined }), author.token);
    expect(expectError(noEndpoint, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'endpoint_url' });
    const badUrl = await api.post('/api/v1/tools', httpTool({ endpoint_url: 'ftp://example.com/x' }), author.token);
    expect(expectError(badUrl, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'endpoint_url' });
    const noKind = await api.post('/api/v1/tools', httpTool({ kind: undefined }), author.token);
    expect(expectError(noKind, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'kind' });
    const user = await signUp(api, 'notdev');
    expectError(await api.post('/api/v1/tools', httpTool(), user.token), 403, 'FORBIDDEN');
  });

  it('imports functions from an OpenAPI 3 document, endpoint from servers[0]', async () => {
    const openapi = {
      openapi: '3.0.3',
      info: { title: 'calc', version: '1' },
      servers: [{ url: 'http://127.0.0.1:9/calc' }],
      components: {
        schemas: { Expr: { type: 'object', properties: { expression: { type: 'string', example: '1+1' } }, required: ['expression'] } },
      },
      paths: {
        '/eval': {
          post: {
            operationId: 'evaluate',
            summary: 'Evaluate an expression',
            requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Expr' } } } },
          },
        },
        '/convert/{unit}': {
          get: {
            operationId: 'convert',
            parameters: [
              { name: 'unit', in: 'path', required: true, schema: { type: 'string' } },
              { name: 'value', in: 'query', required: false, schema: { type: 'number', nullable: true } },
              { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
            ],
          },
        },
        '/health': { get: { summary: 'no operationId: skipped' } },
      },
    };
    const res = await api.post('/api/v1/tools', httpTool({ functions: undefined, endpoint_url: undefined, openapi }), author.token);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.functions).toEqual([
      {
        name: 'evaluate',
        description: 'Evaluate an expression',
        parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
      },
      {
        name: 'convert',
        description: 'GET /convert/{unit}',
        parameters: { type: 'object', properties: { unit: { type: 'string' }, value: { type: ['number', 'null'] } }, required: ['unit'] },
      },
    ]);
    const version = await server.server.platform.db
      .selectFrom('tool_versions')
      .selectAll()
      .where('tool_id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    expect(version.endpoint_url).toBe('http://127.0.0.1:9/calc');
    expect(version.openapi).toMatchObject({ openapi: '3.0.3' });

    const swagger = await api.post(
      '/api/v1/tools',
      httpTool({ functions: undefined, openapi: { swagger: '2.0', paths: {} } }),
      author.token,
    );
    expect(expectError(swagger, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'openapi.openapi' });
  });
});

describe('mcp tools', () => {
  it("reads the functions from the server's tools/list when a version is published", async () => {
    const before = mcp.listCalls();
    counter += 1;
    const res = await api.post(
      '/api/v1/tools',
      { name: `Clock ${counter}`, description: 'time', category: 'data', price: 0, kind: 'mcp', server_url: mcp.url },
      author.token,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(mcp.listCalls()).toBe(before + 1);
    expect(res.body.kind).toBe('mcp');
    expect(res.body.functions.map((fn: { name: string }) => fn.name)).toEqual(['current_time', 'define']);
    const time = res.body.functions[0];
    expect(time.description).toBe('The current time in a time zone');
    expect(time.parameters).toMatchObject({ type: 'object', properties: { timezone: { type: 'string' } }, required: ['timezone'] });
    expect(time.parameters.$schema).toBeUndefined();

    const wrongFields = await api.post(
      '/api/v1/tools',
      { name: 'Bad mcp', category: 'data', price: 0, kind: 'mcp', server_url: mcp.url, functions: [weather] },
      author.token,
    );
    expect(expectError(wrongFields, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'functions' });
    const unreachable = await api.post(
      '/api/v1/tools',
      { name: 'Dead mcp', category: 'data', price: 0, kind: 'mcp', server_url: 'http://127.0.0.1:9/mcp' },
      author.token,
    );
    expect(expectError(unreachable, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'server_url' });
  });
});

describe('versions', () => {
  it('publishes a new version, keeps the old one, and lists them', async () => {
    const created = (await api.post('/api/v1/tools', httpTool({ version: '1.0.0' }), author.token)).body;
    const v2fn = {
      ...weather,
      parameters: { ...weather.parameters, properties: { ...weather.parameters.properties, days: { type: 'integer' } } },
    };
    const published = await api.post(
      `/api/v1/tools/${created.id}/versions`,
      { version: '2.0.0', functions: [v2fn], endpoint_url: 'http://127.0.0.1:9/v2' },
      author.token,
    );
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    expect(published.body).toMatchObject({
      tool_id: created.id,
      version: '2.0.0',
      kind: 'http',
      current: true,
      endpoint_url: 'http://127.0.0.1:9/v2',
    });

    const detail = (await api.get(`/api/v1/tools/${created.id}`)).body;
    expect(detail).toMatchObject({ version: '2.0.0', versions_count: 2, functions: [v2fn] });
    const list = await api.get(`/api/v1/tools/${created.id}/versions?limit=1`);
    expect(list.status).toBe(200);
    expect(list.body.pagination).toMatchObject({ total: 2, pages: 2 });
    const all = (await api.get(`/api/v1/tools/${created.id}/versions`)).body.data;
    expect(all.map((v: { version: string; current: boolean }) => [v.version, v.current]).sort()).toEqual([
      ['1.0.0', false],
      ['2.0.0', true],
    ]);
    expect(all.find((v: { version: string }) => v.version === '1.0.0').functions).toEqual([weather]);

    const again = await api.post(
      `/api/v1/tools/${created.id}/versions`,
      { version: '2.0.0', functions: [weather], endpoint_url: 'http://127.0.0.1:9/x' },
      author.token,
    );
    expectError(again, 409, 'CONFLICT');
    const other = await signUpAs(server, api, 'developer', 'notauthor');
    expectError(
      await api.post(
        `/api/v1/tools/${created.id}/versions`,
        { version: '3.0.0', functions: [weather], endpoint_url: 'http://127.0.0.1:9/x' },
        other.token,
      ),
      403,
      'FORBIDDEN',
    );

    // PATCH switches to a published version only; other fields change as before.
    expectError(await api.patch(`/api/v1/tools/${created.id}`, { version: '9.9.9' }, author.token), 400, 'INVALID_REQUEST');
    const back = await api.patch(
      `/api/v1/tools/${created.id}`,
      { version: '1.0.0', price_per_call: 0, description: 'rolled back' },
      author.token,
    );
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body).toMatchObject({ version: '1.0.0', price_per_call: 0, description: 'rolled back', functions: [weather] });
    expectError(await api.patch(`/api/v1/tools/${created.id}`, { functions: [weather] }, author.token), 400, 'INVALID_REQUEST');
  });

  it('makes a listing-only tool callable with its first version', async () => {
    counter += 1;
    const listing = (await api.post('/api/v1/tools', { name: `Listing ${counter}`, category: 'data', price: 0 }, author.token)).body;
    expect(listing).toMatchObject({ kind: null, functions: [], versions_count: 0, price_per_call: 0 });
    expect(listing.signing_secret).toMatch(/^whsec_/);
    const first = await api.post(
      `/api/v1/tools/${listing.id}/versions`,
      { version: '1.1.0', kind: 'mcp', server_url: mcp.url },
      author.token,
    );
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect((await api.get(`/api/v1/tools/${listing.id}`)).body).toMatchObject({ kind: 'mcp', version: '1.1.0', versions_count: 1 });
  });

  it('validates config_schema strictly and keeps it on the tool', async () => {
    const configSchema = {
      type: 'object',
      properties: { api_key: { type: 'string', secret: true }, region: { type: 'string', enum: ['eu', 'us'] } },
      required: ['api_key'],
    };
    const res = await api.post('/api/v1/tools', httpTool({ config_schema: configSchema }), author.token);
    expect(res.status).toBe(201);
    expect(res.body.config_schema).toEqual(configSchema);
    const bad = await api.post(
      '/api/v1/tools',
      httpTool({ config_schema: { type: 'object', properties: { a: { type: 'nope' } } } }),
      author.token,
    );
    expect(expectError(bad, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'config_schema' });
  });
});

describe('endpoint addresses', () => {
  it("refuses private addresses unless allowed, except the platform's own demo routes", async () => {
    const strict = await startPeerServer(server, { MAAS_ALLOW_PRIVATE_UPSTREAMS: '0', MAAS_PUBLIC_URL: 'http://127.0.0.1:7777' });
    try {
      const strictApi = apiClient(strict.url);
      for (const endpoint of ['http://127.0.0.1:9/tool', 'http://10.1.2.3/tool', 'http://localhost/tool', 'http://[::1]/tool']) {
        const refused = await strictApi.post('/api/v1/tools', httpTool({ endpoint_url: endpoint }), author.token);
        expect(expectError(refused, 400, 'INVALID_REQUEST').details, endpoint).toMatchObject({ field: 'endpoint_url' });
      }
      const listsBefore = mcp.listCalls();
      const mcpRefused = await strictApi.post(
        '/api/v1/tools',
        { name: 'Private mcp', category: 'data', price: 0, kind: 'mcp', server_url: mcp.url },
        author.token,
      );
      expect(expectError(mcpRefused, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'server_url' });
      expect(mcp.listCalls()).toBe(listsBefore);
      const demo = await strictApi.post(
        '/api/v1/tools',
        httpTool({ endpoint_url: 'http://127.0.0.1:7777/demo/tools/calculator' }),
        author.token,
      );
      expect(demo.status, JSON.stringify(demo.body)).toBe(201);
    } finally {
      await strict.close();
    }
  });
});
