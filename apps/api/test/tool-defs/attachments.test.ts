// Issue 16 parts 2 and 6: attaching tools to an application (entitlement, secret config, fixed
// arguments, versions, the bindings the chat loop reads), and downloads, reviews and calls_30d.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAppToolBindings } from '@maas/api/testing';
import {
  type ApiClient,
  apiClient,
  createApp,
  expectError,
  signUpAs,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../kit/index.js';

let server: TestServer;
let api: ApiClient;
let author: TestUser;
let owner: TestUser; // a developer who owns the application (and writes one tool)
let stranger: TestUser;
let admin: TestUser;
let demoChatId: string;
let counter = 0;

beforeAll(async () => {
  server = await startTestServer({ MAAS_SEED_DEMO: '1' });
  api = apiClient(server.url);
  [author, owner, stranger, admin] = await Promise.all([
    signUpAs(server, api, 'developer', 'attauthor'),
    signUpAs(server, api, 'developer', 'attowner'),
    signUpAs(server, api, 'user', 'attstranger'),
    signUpAs(server, api, 'admin', 'attadmin'),
  ]);
  const demo = await api.get('/api/v1/models?search=demo-chat&sort=name');
  demoChatId = demo.body.data.find((m: { name: string }) => m.name === 'demo-chat').id;
});
afterAll(() => server?.close());

const weather = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
    required: ['city', 'unit'],
  },
};
const configSchema = {
  type: 'object',
  properties: { api_key: { type: 'string', secret: true, minLength: 4 }, region: { type: 'string', enum: ['eu', 'us'] } },
  required: ['api_key'],
};

async function tool(by: TestUser, overrides: Record<string, unknown> = {}) {
  counter += 1;
  const res = await api.post(
    '/api/v1/tools',
    {
      name: `Weather ${counter}`,
      category: 'data',
      price: 0,
      kind: 'http',
      endpoint_url: 'http://127.0.0.1:9/tool',
      functions: [weather],
      ...overrides,
    },
    by.token,
  );
  if (res.status !== 201) throw new Error(`tool: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string; downloads: number };
}

async function buy(user: TestUser, toolId: string) {
  const res = await api.post(`/api/v1/tools/${toolId}/purchase`, { payment_method: 'balance' }, user.token);
  if (res.status !== 201) throw new Error(`purchase: ${res.status} ${JSON.stringify(res.body)}`);
}

const put = (appId: string, tools: unknown[], user: TestUser = owner) =>
  api.put(`/api/v1/applications/${appId}/tools`, { tools }, user.token);
const db = () => server.server.platform.db;

describe('attaching tools', () => {
  it('needs a purchase, authorship or a free tool (403 otherwise); only the owner or an admin sets them', async () => {
    const app = await createApp(api, owner.token, demoChatId);
    const paid = await tool(author, { price: 1 });
    const free = await tool(author, { price: 0 });
    const own = await tool(owner, { price: 5 });

    const refused = await put(app.id, [{ tool_id: paid.id }]);
    expect(expectError(refused, 403, 'FORBIDDEN').details).toMatchObject({
      reason: 'not_purchased',
      tool_id: paid.id,
      field: 'tools[0].tool_id',
    });
    expect(await db().selectFrom('application_tools').selectAll().where('app_id', '=', app.id).execute()).toHaveLength(0);

    await buy(owner, paid.id);
    const ok = await put(app.id, [{ tool_id: paid.id }, { tool_id: free.id }, { tool_id: own.id }]);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.data.map((t: { tool_id: string }) => t.tool_id)).toEqual([paid.id, free.id, own.id]);
    expect(ok.body.data[0]).toMatchObject({
      kind: 'http',
      version: null,
      resolved_version: '1.0.0',
      config: {},
      secret_fields_set: [],
      fixed_arguments: {},
    });
    expect((await api.get(`/api/v1/applications/${app.id}/tools`, owner.token)).body).toEqual(ok.body);

    expectError(await put(app.id, [], stranger), 404, 'NOT_FOUND');
    expectError(await api.get(`/api/v1/applications/${app.id}/tools`, stranger.token), 404, 'NOT_FOUND');
    // An admin acts on the owner's entitlements: still only what the owner holds.
    const byAdmin = await put(app.id, [{ tool_id: free.id }], admin);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.data).toHaveLength(1);
    expect((await put(app.id, [])).body.data).toEqual([]);
    // The set itself is a body too, as the issue writes it.
    const bare = await api.put(`/api/v1/applications/${app.id}/tools`, [{ tool_id: free.id }], owner.token);
    expect(bare.status, JSON.stringify(bare.body)).toBe(200);
    expect(bare.body.data.map((t: { tool_id: string }) => t.tool_id)).toEqual([free.id]);
  });

  it('refuses listing-only tools, unknown versions, duplicates and more than 16 tools', async () => {
    const app = await createApp(api, owner.token, demoChatId);
    counter += 1;
    const listing = (await api.post('/api/v1/tools', { name: `Listing ${counter}`, category: 'data', price: 0 }, author.token)).body;
    expect(expectError(await put(app.id, [{ tool_id: listing.id }]), 400, 'INVALID_REQUEST').details).toMatchObject({
      field: 'tools[0].tool_id',
    });
    const free = await tool(author);
    expect(expectError(await put(app.id, [{ tool_id: free.id, version: '7.0.0' }]), 400, 'INVALID_REQUEST').details).toMatchObject({
      field: 'tools[0].version',
    });
    expectError(await put(app.id, [{ tool_id: free.id }, { tool_id: free.id }]), 400, 'INVALID_REQUEST');
    expectError(
      await put(
        app.id,
        Array.from({ length: 17 }, () => ({ tool_id: free.id })),
      ),
      400,
      'INVALID_REQUEST',
    );
    expectError(await put(app.id, [{ tool_id: 'tool_doesnotexist' }]), 404, 'NOT_FOUND');
  });

  it('encrypts secret config fields, masks them in GET, and keeps them when left out', async () => {
    const app = await createApp(api, owner.token, demoChatId);
    const secretive = await tool(author, { config_schema: configSchema });
    const missing = await put(app.id, [{ tool_id: secretive.id, config: { region: 'eu' } }]);
    expect(expectError(missing, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'tools[0].config' });
    expectError(
      await put(app.id, [{ tool_id: secretive.id, config: { api_key: 'sk-live-secret-123', region: 'mars' } }]),
      400,
      'INVALID_REQUEST',
    );

    const res = await put(app.id, [{ tool_id: secretive.id, config: { api_key: 'sk-live-secret-123', region: 'eu' } }]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data[0]).toMatchObject({ config: { region: 'eu' }, secret_fields_set: ['api_key'] });
    expect(JSON.stringify(res.body)).not.toContain('sk-live-secret-123');
    expect(JSON.stringify((await api.get(`/api/v1/applications/${app.id}/tools`, owner.token)).body)).not.toContain('sk-live-secret-123');
    const row = await db().selectFrom('application_tools').selectAll().where('app_id', '=', app.id).executeTakeFirstOrThrow();
    expect(row.secret_config_enc).toMatch(/^v1\./);
    expect(row.secret_config_enc).not.toContain('sk-live-secret-123');
    expect(JSON.stringify(row.config)).not.toContain('sk-live-secret-123');

    // The installer cannot read the secret back, so a PUT without it keeps the stored one.
    const again = await put(app.id, [{ tool_id: secretive.id, config: { region: 'us' } }]);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.data[0]).toMatchObject({ config: { region: 'us' }, secret_fields_set: ['api_key'] });
    const [binding] = await loadAppToolBindings(server.server.platform, app.id);
    expect(binding?.config).toEqual({ api_key: 'sk-live-secret-123', region: 'us' });
  });

  it('removes fixed arguments from the schema the model sees, and validates them', async () => {
    const app = await createApp(api, owner.token, demoChatId);
    const weatherTool = await tool(author, { name: `Météo Service ${counter}!` });
    expect(
      expectError(await put(app.id, [{ tool_id: weatherTool.id, fixed_arguments: { nope: 1 } }]), 400, 'INVALID_REQUEST').details,
    ).toMatchObject({
      field: 'tools[0].fixed_arguments.nope',
    });
    expectError(await put(app.id, [{ tool_id: weatherTool.id, fixed_arguments: { unit: 'kelvin' } }]), 400, 'INVALID_REQUEST');

    expect((await put(app.id, [{ tool_id: weatherTool.id, fixed_arguments: { unit: 'c' } }])).status).toBe(200);
    const bindings = await loadAppToolBindings(server.server.platform, app.id);
    expect(bindings).toHaveLength(1);
    const [binding] = bindings;
    expect(binding).toMatchObject({ toolId: weatherTool.id, version: '1.0.0', fixedArguments: { unit: 'c' }, config: {} });
    expect(binding!.functions).toEqual([
      {
        exposedName: expect.stringMatching(/^t_m_t_o_service_\d+__get_weather$/),
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    ]);
  });

  it('names functions t_<slug>__<function>, at most 64 characters and unique within the app', async () => {
    const app = await createApp(api, owner.token, demoChatId);
    const longName = 'A very long tool name that goes on and on and on for ever';
    const longFn = { ...weather, name: 'f'.repeat(64) };
    const a = await tool(author, { name: longName, functions: [weather, longFn] });
    const b = await tool(author, { name: longName, functions: [weather, longFn] });
    expect((await put(app.id, [{ tool_id: a.id }, { tool_id: b.id }])).status).toBe(200);
    const names = (await loadAppToolBindings(server.server.platform, app.id)).flatMap((binding) =>
      binding.functions.map((fn) => fn.exposedName),
    );
    expect(names).toHaveLength(4);
    expect(new Set(names).size).toBe(4);
    for (const name of names) expect(name).toMatch(/^t_[a-z0-9_-]+__[A-Za-z0-9_-]+$/);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(64);
    expect(names[0]).toMatch(/^t_a_very_long_tool_name[a-z_]*__get_weather$/);
    expect(names[1]).toMatch(/^t_a__f{59}$/);
  });

  it('pins a version or follows the current one', async () => {
    const app = await createApp(api, owner.token, demoChatId);
    const versioned = await tool(author, { version: '1.0.0' });
    const v2 = { ...weather, name: 'get_forecast' };
    expect(
      (
        await api.post(
          `/api/v1/tools/${versioned.id}/versions`,
          { version: '2.0.0', functions: [v2], endpoint_url: 'http://127.0.0.1:9/v2' },
          author.token,
        )
      ).status,
    ).toBe(201);
    const pinnedApp = await createApp(api, owner.token, demoChatId);
    expect((await put(pinnedApp.id, [{ tool_id: versioned.id, version: '1.0.0' }])).status).toBe(200);
    expect((await put(app.id, [{ tool_id: versioned.id }])).status).toBe(200);
    const [pinned] = await loadAppToolBindings(server.server.platform, pinnedApp.id);
    const [following] = await loadAppToolBindings(server.server.platform, app.id);
    expect(pinned).toMatchObject({ version: '1.0.0', functions: [{ name: 'get_weather' }] });
    expect(following).toMatchObject({ version: '2.0.0', functions: [{ name: 'get_forecast' }] });
  });
});

describe('downloads, reviews and calls_30d', () => {
  it('counts distinct buyers and free installs once each', async () => {
    const paid = await tool(author, { price: 1 });
    const free = await tool(author, { price: 0 });
    const [b1, b2] = await Promise.all([signUpAs(server, api, 'user', 'dl1'), signUpAs(server, api, 'user', 'dl2')]);
    await buy(b1, paid.id);
    await buy(b2, paid.id);
    expect((await api.get(`/api/v1/tools/${paid.id}`)).body.downloads).toBe(2);

    const app = await createApp(api, owner.token, demoChatId);
    await put(app.id, [{ tool_id: free.id }]);
    await put(app.id, [{ tool_id: free.id }]);
    const other = await createApp(api, owner.token, demoChatId);
    await put(other.id, [{ tool_id: free.id }]);
    expect((await api.get(`/api/v1/tools/${free.id}`)).body.downloads).toBe(1);
    // The author's own attach is no install.
    const authorApp = await createApp(api, author.token, demoChatId);
    expect((await put(authorApp.id, [{ tool_id: free.id }], author)).status).toBe(200);
    expect((await api.get(`/api/v1/tools/${free.id}`)).body.downloads).toBe(1);
  });

  it('lets only buyers review (403 for the author and for others)', async () => {
    const paid = await tool(author, { price: 1 });
    const mine = await api.post(`/api/v1/tools/${paid.id}/reviews`, { rating: 5 }, author.token);
    expect(expectError(mine, 403, 'FORBIDDEN').details).toMatchObject({ reason: 'author' });
    const notBuyer = await api.post(`/api/v1/tools/${paid.id}/reviews`, { rating: 5 }, stranger.token);
    expect(expectError(notBuyer, 403, 'FORBIDDEN').details).toMatchObject({ reason: 'not_a_buyer' });
    await buy(stranger, paid.id);
    expect((await api.post(`/api/v1/tools/${paid.id}/reviews`, { rating: 4 }, stranger.token)).status).toBe(201);

    // A free tool installed by attaching it makes its installer a reviewer.
    const free = await tool(author, { price: 0 });
    const app = await createApp(api, owner.token, demoChatId);
    await put(app.id, [{ tool_id: free.id }]);
    expect((await api.post(`/api/v1/tools/${free.id}/reviews`, { rating: 5 }, owner.token)).status).toBe(201);
  });

  it('sorts the catalogue by successful calls in the last 30 days', async () => {
    const busy = await tool(author, { name: `Busy ${Date.now()}` });
    const quiet = await tool(author, { name: `Quiet ${Date.now()}` });
    const call = (toolId: string, status: 'success' | 'error', daysAgo = 0) => ({
      id: `tcall_${randomUUID().replace(/-/g, '')}`,
      tool_id: toolId,
      version: '1.0.0',
      function_name: 'get_weather',
      payer_id: owner.id,
      author_id: author.id,
      call_id: 'call_1',
      via: 'app' as const,
      status,
      app_id: null,
      conversation_id: null,
      request_id: null,
      latency_ms: 5,
      cost_nano: 0n,
      author_credit_nano: 0n,
      error: null,
      created_at: new Date(Date.now() - daysAgo * 86_400_000),
    });
    await db()
      .insertInto('tool_calls')
      .values([
        call(busy.id, 'success'),
        call(busy.id, 'success'),
        call(busy.id, 'success'),
        call(quiet.id, 'success'),
        ...Array.from({ length: 5 }, () => call(quiet.id, 'error')),
        ...Array.from({ length: 5 }, () => call(quiet.id, 'success', 40)),
      ])
      .execute();
    const list = await api.get('/api/v1/tools?sort=calls_30d&limit=100');
    expect(list.status).toBe(200);
    const rows = list.body.data as Array<{ id: string; calls_30d: number }>;
    expect(rows[0]).toMatchObject({ id: busy.id, calls_30d: 3 });
    expect(rows[1]).toMatchObject({ id: quiet.id, calls_30d: 1 });
    const ascending = (await api.get('/api/v1/tools?sort=calls_30d&order=asc&limit=100')).body.data as Array<{ id: string }>;
    expect(ascending.at(-1)?.id).toBe(busy.id);
    expect((await api.get(`/api/v1/tools/${busy.id}`)).body.calls_30d).toBe(3);
  });
});
