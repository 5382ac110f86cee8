// The marketplace's MCP endpoint (issue 16 part 5) driven by the MCP SDK's own client, and the
// author's usage report (part 3), on PGlite and PostgreSQL.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  type ApiClient,
  balanceNano,
  nano,
  signUp,
  signUpAs,
  startPeerServer,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../kit/index.js';
import { ADD_FUNCTION, type HttpToolServer, insertTool, startHttpToolServer } from './tool-servers.js';

const SECRET = 'whsec-mcp-endpoint-tests-0123456789';

let server: TestServer;
let api: ApiClient;
let author: TestUser;
let buyer: TestUser;
let buyerKey: string;
let http: HttpToolServer;
let calculator: string;

async function createKey(user: TestUser): Promise<string> {
  const res = await api.post('/api/v1/api-keys', { name: 'mcp client' }, user.token);
  expect(res.status).toBe(201);
  return res.body.key as string;
}

async function connect(key: string): Promise<Client> {
  const client = new Client({ name: 'mcp-endpoint-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  return client;
}

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  author = await signUpAs(server, api, 'developer', 'mcpauthor');
  buyer = await signUp(api, 'mcpbuyer');
  http = await startHttpToolServer(SECRET);
  calculator = await insertTool(server, author.id, {
    kind: 'http',
    name: 'Pocket Calculator!',
    url: http.url,
    functions: [ADD_FUNCTION],
    pricePerCallNano: nano('0.2'),
    signingSecret: SECRET,
  });
  // Free to acquire: acquiring it is what puts it in the buyer's MCP list.
  expect((await api.post(`/api/v1/tools/${calculator}/purchase`, { payment_method: 'balance' }, buyer.token)).status).toBe(201);
  buyerKey = await createKey(buyer);
});
afterAll(async () => {
  await http?.close();
  await server?.close();
});

describe('/mcp', () => {
  it('lists the tools the key’s user acquired, as t_<slug>__<function>, and not the others', async () => {
    await insertTool(server, author.id, {
      kind: 'http',
      name: 'Not bought',
      url: http.url,
      functions: [ADD_FUNCTION],
      signingSecret: SECRET,
    });
    const needsConfig = await insertTool(server, author.id, {
      kind: 'http',
      name: 'Needs a key',
      url: http.url,
      functions: [ADD_FUNCTION],
      signingSecret: SECRET,
      configSchema: { type: 'object', properties: { api_key: { type: 'string', secret: true } }, required: ['api_key'] },
    });
    expect((await api.post(`/api/v1/tools/${needsConfig}/purchase`, { payment_method: 'balance' }, buyer.token)).status).toBe(201);

    const client = await connect(buyerKey);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(['t_pocket_calculator__add']);
      expect(tools[0]).toMatchObject({
        description: expect.stringContaining('0.2 per call'),
        inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
      });
    } finally {
      await client.close();
    }
  });

  it('calls a tool through the runner, billed the same, recorded as via mcp', async () => {
    const before = await balanceNano(server, buyer.id);
    const client = await connect(buyerKey);
    try {
      const result = await client.callTool({ name: 't_pocket_calculator__add', arguments: { a: 2, b: 3 } });
      expect(result.isError).toBe(false);
      expect(result.content).toEqual([{ type: 'text', text: '5' }]);
      const meta = result._meta as Record<string, unknown>;
      expect(meta['maas/status']).toBe('success');
      expect(meta['maas/cost']).toBe(0.2);
      const row = await server.server.platform.db
        .selectFrom('tool_calls')
        .selectAll()
        .where('id', '=', String(meta['maas/tool_call_id']))
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ via: 'mcp', payer_id: buyer.id, app_id: null, status: 'success', cost_nano: nano('0.2') });

      const bad = await client.callTool({ name: 't_pocket_calculator__add', arguments: { a: 'two' } });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toContain('must be number');

      await expect(client.callTool({ name: 't_nothing__here', arguments: {} })).rejects.toThrow(/Unknown tool/);
    } finally {
      await client.close();
    }
    expect(await balanceNano(server, buyer.id)).toBe(before - nano('0.2'));
  });

  it('narrows the list to the key’s allowed_tools, and a narrowed-out tool cannot be called', async () => {
    const second = await insertTool(server, author.id, {
      kind: 'http',
      name: 'Second Adder',
      url: http.url,
      functions: [ADD_FUNCTION],
      signingSecret: SECRET,
    });
    expect((await api.post(`/api/v1/tools/${second}/purchase`, { payment_method: 'balance' }, buyer.token)).status).toBe(201);
    const created = await api.post('/api/v1/api-keys', { name: 'only the second', allowed_tools: [second, second] }, buyer.token);
    expect(created.status).toBe(201);
    expect(created.body.allowed_tools).toEqual([second]);

    const all = await connect(buyerKey);
    const narrow = await connect(created.body.key as string);
    try {
      expect((await all.listTools()).tools.map((tool) => tool.name)).toEqual(['t_pocket_calculator__add', 't_second_adder__add']);
      expect((await narrow.listTools()).tools.map((tool) => tool.name)).toEqual(['t_second_adder__add']);
      await expect(narrow.callTool({ name: 't_pocket_calculator__add', arguments: { a: 1, b: 1 } })).rejects.toThrow(/Unknown tool/);
      expect((await narrow.callTool({ name: 't_second_adder__add', arguments: { a: 1, b: 1 } })).content).toEqual([
        { type: 'text', text: '2' },
      ]);
    } finally {
      await all.close();
      await narrow.close();
    }
    const invalid = await api.post('/api/v1/api-keys', { name: 'bad', allowed_tools: ['not-a-tool-id'] }, buyer.token);
    expect(invalid.status).toBe(400);
  });

  it('refuses a missing or bad key with 401 and a JSON-RPC error', async () => {
    const body = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
    const headers = { accept: 'application/json, text/event-stream' };
    for (const authorization of [undefined, 'Bearer sk-not-a-real-key']) {
      const res = await api.call('POST', '/mcp', { body, headers: authorization ? { ...headers, authorization } : headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32001, data: { code: 'UNAUTHORIZED' } } });
    }
    await expect(connect('sk-not-a-real-key')).rejects.toThrow();
  });

  it('is rate-limited per key like /v1, answering 429 as a JSON-RPC error', async () => {
    // Another instance over the same database with a tiny per-key limit (in memory, its own).
    const limited = await startPeerServer(server, { MAAS_RATE_LIMIT_AUTHENTICATED: '2' });
    try {
      const peer = apiClient(limited.url);
      const body = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
      const headers = { accept: 'application/json, text/event-stream', authorization: `Bearer ${buyerKey}` };
      const statuses: number[] = [];
      let last: Awaited<ReturnType<ApiClient['call']>> | undefined;
      for (let i = 0; i < 3; i++) {
        last = await peer.call('POST', '/mcp', { body, headers });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(last?.headers.get('retry-after')).toBeTruthy();
      expect(last?.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32029, data: { code: 'RATE_LIMITED' } } });
    } finally {
      await limited.close();
    }
  });

  it('answers GET and DELETE with 405 (stateless: no stream, no session)', async () => {
    expect((await api.call('GET', '/mcp', { token: buyerKey, headers: { accept: 'text/event-stream' } })).status).toBe(405);
    expect((await api.call('DELETE', '/mcp', { token: buyerKey })).status).toBe(405);
  });
});

describe('GET /api/v1/tools/{tool_id}/usage', () => {
  it('shows the author every call with totals, and narrows to a window', async () => {
    const res = await api.get(`/api/v1/tools/${calculator}/usage`, author.token);
    expect(res.status).toBe(200);
    expect(res.body.totals).toEqual({ calls: 2, successful_calls: 1, charged: 0.2, revenue: 0.18 });
    expect(res.body.pagination).toMatchObject({ total: 2, page: 1 });
    const [invalid, success] = res.body.data;
    expect(success).toMatchObject({
      version: '1.0.0',
      function: 'add',
      status: 'success',
      cost: 0.2,
      author_credit: 0.18,
      via: 'mcp',
      app_id: null,
      caller: { username: buyer.username },
    });
    expect(invalid).toMatchObject({ status: 'invalid_arguments', cost: 0, author_credit: 0 });
    expect(Object.keys(success).sort()).toEqual(
      [
        'app_id',
        'author_credit',
        'caller',
        'cost',
        'created_at',
        'error',
        'function',
        'id',
        'latency_ms',
        'status',
        'version',
        'via',
      ].sort(),
    );

    const future = await api.get(`/api/v1/tools/${calculator}/usage?since=2999-01-01`, author.token);
    expect(future.body.totals).toEqual({ calls: 0, successful_calls: 0, charged: 0, revenue: 0 });
    const past = await api.get(`/api/v1/tools/${calculator}/usage?until=2000-01-01`, author.token);
    expect(past.body.data).toEqual([]);
    const paged = await api.get(`/api/v1/tools/${calculator}/usage?limit=1&page=2`, author.token);
    expect(paged.body.data.map((call: { status: string }) => call.status)).toEqual(['success']);
    const reversed = await api.get(`/api/v1/tools/${calculator}/usage?since=2030-01-01&until=2020-01-01`, author.token);
    expect(reversed.status).toBe(400);
  });

  it('lets an admin in, refuses a buyer with 403 and a stranger to a draft with 404, and anonymous with 401', async () => {
    const admin = await signUpAs(server, api, 'admin');
    expect((await api.get(`/api/v1/tools/${calculator}/usage`, admin.token)).status).toBe(200);
    const forbidden = await api.get(`/api/v1/tools/${calculator}/usage`, buyer.token);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
    const draft = await insertTool(server, author.id, { kind: 'http', url: http.url, functions: [ADD_FUNCTION], status: 'draft' });
    expect((await api.get(`/api/v1/tools/${draft}/usage`, buyer.token)).status).toBe(404);
    expect((await api.get(`/api/v1/tools/tool_doesnotexist/usage`, author.token)).status).toBe(404);
    expect((await api.get(`/api/v1/tools/${calculator}/usage`)).status).toBe(401);
  });
});
