import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actor, AppError } from '@maas/api';
import { incrementModelCallCount, resolveModelForCall } from '@maas/api/testing';
import {
  apiClient,
  type ApiClient,
  createModel,
  createProvider,
  expectError,
  signUpAs,
  startTestServer,
  type TestServer,
  type TestUser,
  uniqueName,
  upload,
} from '../kit/index.js';

let server: TestServer;
let api: ApiClient;
let admin: TestUser;
let alice: TestUser; // developer
let bob: TestUser; // developer
let carol: TestUser; // plain user
let provider: { id: string };

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  [admin, alice, bob, carol] = await Promise.all([
    signUpAs(server, api, 'admin'),
    signUpAs(server, api, 'developer'),
    signUpAs(server, api, 'developer'),
    signUpAs(server, api, 'user'),
  ]);
  provider = await createProvider(api, admin.token, { priority: 3, weight: 2 });
});
afterAll(() => server?.close());

function actorOf(u: TestUser, role: Actor['role']): Actor {
  return { userId: u.id, role, sessionId: null, apiKeyId: null };
}

async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

const MODEL_ITEM_KEYS = [
  'category',
  'created_at',
  'description',
  'id',
  'name',
  'operations',
  'popularity',
  'status',
  'updated_at',
  'version',
  'visibility',
];

describe('POST /api/v1/models', () => {
  it('creates a model for a developer with 201, pricing per token stored as nano', async () => {
    const name = uniqueName('GPT-ish');
    const res = await api.post(
      '/api/v1/models',
      {
        name,
        description: '自定义模型描述',
        category: 'text',
        config: { max_tokens: 2048, temperature: 0.8 },
        version: '4.0',
        visibility: 'public',
        pricing: { input_tokens: 0.00003, output_tokens: '0.00006' },
        context_window: 16_000,
        routes: [{ provider_id: provider.id, upstream_model: 'gpt-4' }],
      },
      alice.token,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name,
      description: '自定义模型描述',
      category: 'text',
      version: '4.0',
      status: 'active',
      visibility: 'public',
      popularity: 0,
      parameters: { max_tokens: 2048, temperature: 0.8 },
      pricing: { input_tokens: 0.00003, output_tokens: 0.00006 },
      context_window: 16_000,
      model_file: null,
      routes: [{ provider_id: provider.id, upstream_model: 'gpt-4', priority: null, weight: null }],
    });
    expect(res.body.id).toMatch(/^model_[a-z0-9]+$/);
    const row = await server.server.platform.db.selectFrom('models').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(row.input_nano_per_token).toBe(30_000n);
    expect(row.output_nano_per_token).toBe(60_000n);
    expect(row.owner_id).toBe(alice.id);
  });

  it('applies defaults: private, version 1.0, free, 4096 context, no routes', async () => {
    const res = await api.post('/api/v1/models', { name: uniqueName('defaults'), description: 'd', category: 'image' }, alice.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      visibility: 'private',
      version: '1.0',
      pricing: { input_tokens: 0, output_tokens: 0 },
      context_window: 4096,
      parameters: {},
      routes: [],
    });
  });

  it('accepts a model_file the caller uploaded, and refuses anyone else’s with 400', async () => {
    const own = await upload(server.url, alice.token, 'weights');
    expect(own.status).toBe(201);
    const created = await createModel(api, alice.token, { model_file: own.body.id });
    expect(created.model_file).toBe(own.body.id);

    const bobsFile = await upload(server.url, bob.token, 'bob weights');
    const error = expectError(
      await api.post('/api/v1/models', { name: uniqueName('steal'), category: 'text', model_file: bobsFile.body.id }, alice.token),
      400,
      'INVALID_REQUEST',
    );
    expect(error.details?.field).toBe('model_file');
    expectError(
      await api.post('/api/v1/models', { name: uniqueName('ghost'), category: 'text', model_file: 'file_doesnotexist' }, alice.token),
      400,
      'INVALID_REQUEST',
    );
  });

  it.each([
    ['an unknown category', { category: 'smell' }],
    ['a name that looks like a model id', { name: 'model_abc123' }],
    ['an empty name', { name: '  ' }],
    ['a price with more than 9 decimals', { pricing: { input_tokens: '0.0000000001', output_tokens: 0 } }],
    ['a negative price', { pricing: { input_tokens: -0.1, output_tokens: 0 } }],
    ['an unknown config key', { config: { max_tokens: 10, stream: true } }],
    ['a temperature out of range', { config: { temperature: 3 } }],
    ['a zero context window', { context_window: 0 }],
    [
      'a duplicated route',
      {
        routes: [
          { provider_id: 'prov_aaa', upstream_model: 'x' },
          { provider_id: 'prov_aaa', upstream_model: 'x' },
        ],
      },
    ],
    ['an unknown field', { owner_id: 'user_x' }],
  ])('refuses %s with 400', async (_label, override) => {
    const res = await api.post('/api/v1/models', { name: uniqueName('bad'), description: '', category: 'text', ...override }, alice.token);
    expectError(res, 400, 'INVALID_REQUEST');
  });

  it('refuses routes to a provider that does not exist with 400', async () => {
    const res = await api.post(
      '/api/v1/models',
      { name: uniqueName('r'), category: 'text', routes: [{ provider_id: 'prov_nope', upstream_model: 'x' }] },
      alice.token,
    );
    const error = expectError(res, 400, 'INVALID_REQUEST');
    expect(error.details).toMatchObject({ field: 'routes', provider_ids: ['prov_nope'] });
  });

  it('refuses a duplicate name, whatever its case, with 409', async () => {
    const model = await createModel(api, alice.token);
    expectError(await api.post('/api/v1/models', { name: model.name.toUpperCase(), category: 'text' }, bob.token), 409, 'CONFLICT');
  });

  it('lets only developers and admins create models', async () => {
    expectError(await api.post('/api/v1/models', { name: uniqueName('u'), category: 'text' }, carol.token), 403, 'FORBIDDEN');
    expectError(await api.post('/api/v1/models', { name: uniqueName('a'), category: 'text' }), 401, 'UNAUTHORIZED');
    expect((await api.post('/api/v1/models', { name: uniqueName('admin'), category: 'text' }, admin.token)).status).toBe(201);
  });
});

describe('GET /api/v1/models and /models/{model_id}', () => {
  let publicModel: { id: string; name: string };
  let privateModel: { id: string; name: string };

  beforeAll(async () => {
    publicModel = await createModel(api, alice.token, { routes: [{ provider_id: provider.id, upstream_model: 'pub' }] });
    privateModel = await createModel(api, alice.token, {
      visibility: 'private',
      routes: [{ provider_id: provider.id, upstream_model: 'priv' }],
    });
  });

  it('lets anyone, even anonymous, list and read public models, in the contract shape', async () => {
    const list = await api.get('/api/v1/models?limit=100');
    expect(list.status).toBe(200);
    const item = list.body.data.find((m: { id: string }) => m.id === publicModel.id);
    expect(Object.keys(item).sort()).toEqual(MODEL_ITEM_KEYS);
    expect(list.body.pagination).toMatchObject({ page: 1, limit: 100 });

    const one = await api.get(`/api/v1/models/${publicModel.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      id: publicModel.id,
      parameters: {},
      pricing: { input_tokens: 0, output_tokens: 0 },
      context_window: 4096,
    });
  });

  it('shows routes to the owner and admins only', async () => {
    expect((await api.get(`/api/v1/models/${publicModel.id}`, alice.token)).body.routes).toEqual([
      { provider_id: provider.id, upstream_model: 'pub', priority: null, weight: null },
    ]);
    expect((await api.get(`/api/v1/models/${publicModel.id}`, admin.token)).body.routes).toHaveLength(1);
    expect((await api.get(`/api/v1/models/${publicModel.id}`, bob.token)).body).not.toHaveProperty('routes');
    expect((await api.get(`/api/v1/models/${publicModel.id}`)).body).not.toHaveProperty('routes');
  });

  it('hides a private model from everyone but its owner and admins (404, not in lists)', async () => {
    expectError(await api.get(`/api/v1/models/${privateModel.id}`), 404, 'NOT_FOUND');
    expectError(await api.get(`/api/v1/models/${privateModel.id}`, bob.token), 404, 'NOT_FOUND');
    expectError(await api.get(`/api/v1/models/${privateModel.id}`, carol.token), 404, 'NOT_FOUND');
    expect((await api.get(`/api/v1/models/${privateModel.id}`, alice.token)).status).toBe(200);
    expect((await api.get(`/api/v1/models/${privateModel.id}`, admin.token)).status).toBe(200);

    const ids = async (token?: string) => (await api.get('/api/v1/models?limit=100', token)).body.data.map((m: { id: string }) => m.id);
    expect(await ids()).not.toContain(privateModel.id);
    expect(await ids(bob.token)).not.toContain(privateModel.id);
    expect(await ids(alice.token)).toContain(privateModel.id);
    expect(await ids(admin.token)).toContain(privateModel.id);
  });

  it('answers 401 for a bad token even on the public list', async () => {
    expectError(await api.get('/api/v1/models', 'not-a-token'), 401, 'UNAUTHORIZED');
  });

  it('answers 404 for a model id that names nothing, whatever its shape (issue 19 part 5)', async () => {
    expectError(await api.get('/api/v1/models/model_doesnotexist'), 404, 'NOT_FOUND');
    expectError(await api.get('/api/v1/models/model_does_not_exist'), 404, 'NOT_FOUND');
    expectError(await api.get('/api/v1/models/gpt-4'), 404, 'NOT_FOUND');
    expectError(await api.get(`/api/v1/models/model_${'x'.repeat(300)}`), 404, 'NOT_FOUND');
    expectError(await api.get('/api/v1/models/model_%00'), 404, 'NOT_FOUND');
  });
});

describe('GET /api/v1/models: pagination, filters and sort', () => {
  const tag = `zq${process.pid}${Math.random().toString(36).slice(2, 6)}`;
  let names: string[];
  let ids: string[];

  beforeAll(async () => {
    names = [`beta-${tag}`, `Alpha-${tag}`, `gamma-${tag}`];
    ids = [];
    for (const name of names) {
      ids.push((await createModel(api, bob.token, { name, category: 'video', description: `sorted ${tag}` })).id);
    }
    await createModel(api, bob.token, {
      name: `audio-${tag}`,
      category: 'audio',
      description: `needle ${tag.toUpperCase()} in the HAYSTACK`,
    });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['page=0', 'page'],
    ['limit=abc', 'limit'],
    ['sort=price', 'sort'],
    ['category=smell', 'category'],
  ])('refuses %s with 400', async (query, field) => {
    const error = expectError(await api.get(`/api/v1/models?${query}`), 400, 'INVALID_REQUEST');
    expect(error.details?.field).toBe(field);
  });

  it('pages with the contract’s pagination block', async () => {
    const first = await api.get(`/api/v1/models?category=video&search=${tag}&limit=2&page=1&sort=name`);
    expect(first.body.pagination).toEqual({ page: 1, limit: 2, total: 3, pages: 2 });
    expect(first.body.data).toHaveLength(2);
    const second = await api.get(`/api/v1/models?category=video&search=${tag}&limit=2&page=2&sort=name`);
    expect(second.body.data).toHaveLength(1);
    const beyond = await api.get(`/api/v1/models?category=video&search=${tag}&limit=2&page=9`);
    expect(beyond.body.data).toEqual([]);
    expect((await api.get('/api/v1/models?limit=100')).status).toBe(200);
  });

  it('filters by category', async () => {
    const res = await api.get(`/api/v1/models?category=audio&search=${tag}`);
    expect(res.body.data.map((m: { name: string }) => m.name)).toEqual([`audio-${tag}`]);
    expect(res.body.data.every((m: { category: string }) => m.category === 'audio')).toBe(true);
  });

  it('searches name and description case-insensitively, with % and _ taken literally', async () => {
    const byDescription = await api.get(`/api/v1/models?search=${encodeURIComponent('haystack')}`);
    expect(byDescription.body.data.map((m: { name: string }) => m.name)).toEqual([`audio-${tag}`]);
    const byName = await api.get(`/api/v1/models?search=ALPHA-${tag}`);
    expect(byName.body.data.map((m: { name: string }) => m.name)).toEqual([`Alpha-${tag}`]);
    expect((await api.get(`/api/v1/models?search=${encodeURIComponent('%')}`)).body.data).toEqual([]);
    expect((await api.get(`/api/v1/models?search=${encodeURIComponent('_')}`)).body.pagination.total).toBe(0);
  });

  it('sorts by name (A→Z, case-insensitive), created_at (newest first) and popularity (most called first)', async () => {
    const byName = await api.get(`/api/v1/models?category=video&search=${tag}&sort=name`);
    expect(byName.body.data.map((m: { name: string }) => m.name)).toEqual([`Alpha-${tag}`, `beta-${tag}`, `gamma-${tag}`]);

    const byDate = await api.get(`/api/v1/models?category=video&search=${tag}&sort=created_at`);
    expect(byDate.body.data.map((m: { id: string }) => m.id)).toEqual([...ids].reverse());

    await incrementModelCallCount(server.server.platform.db, ids[0] as string, 5);
    await incrementModelCallCount(server.server.platform.db, ids[2] as string, 2);
    await incrementModelCallCount(server.server.platform.db, ids[2] as string, 1);
    const byPopularity = await api.get(`/api/v1/models?category=video&search=${tag}&sort=popularity`);
    expect(byPopularity.body.data.map((m: { id: string; popularity: number }) => [m.id, m.popularity])).toEqual([
      [ids[0], 5],
      [ids[2], 3],
      [ids[1], 0],
    ]);
  });
});

describe('PATCH and DELETE /api/v1/models/{model_id}', () => {
  it('lets the owner change fields, status and routes', async () => {
    const model = await createModel(api, alice.token);
    const res = await api.patch(
      `/api/v1/models/${model.id}`,
      {
        description: 'new',
        status: 'deprecated',
        pricing: { input_tokens: 0.000001, output_tokens: 0.000002 },
        routes: [{ provider_id: provider.id, upstream_model: 'v2', priority: 1, weight: 9 }],
      },
      alice.token,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      description: 'new',
      status: 'deprecated',
      pricing: { input_tokens: 0.000001, output_tokens: 0.000002 },
      routes: [{ provider_id: provider.id, upstream_model: 'v2', priority: 1, weight: 9 }],
    });
    const cleared = await api.patch(`/api/v1/models/${model.id}`, { routes: [] }, alice.token);
    expect(cleared.body.routes).toEqual([]);
  });

  it('lets an admin change anyone’s model', async () => {
    const model = await createModel(api, alice.token, { visibility: 'private' });
    const res = await api.patch(`/api/v1/models/${model.id}`, { status: 'inactive' }, admin.token);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('inactive');
  });

  it('refuses other users: 403 on a public model, 404 on a private one, and changes nothing', async () => {
    const pub = await createModel(api, alice.token);
    const priv = await createModel(api, alice.token, { visibility: 'private' });
    expectError(await api.patch(`/api/v1/models/${pub.id}`, { description: 'hacked' }, bob.token), 403, 'FORBIDDEN');
    expectError(await api.delete(`/api/v1/models/${pub.id}`, bob.token), 403, 'FORBIDDEN');
    expectError(await api.patch(`/api/v1/models/${priv.id}`, { description: 'hacked' }, bob.token), 404, 'NOT_FOUND');
    expectError(await api.delete(`/api/v1/models/${priv.id}`, carol.token), 404, 'NOT_FOUND');
    expectError(await api.patch(`/api/v1/models/${pub.id}`, { description: 'hacked' }), 401, 'UNAUTHORIZED');
    expect((await api.get(`/api/v1/models/${pub.id}`)).body.description).toBe('a test model');
    expect((await api.get(`/api/v1/models/${priv.id}`, alice.token)).status).toBe(200);
  });

  it('refuses a rename onto another model’s name with 409 and bad input with 400', async () => {
    const first = await createModel(api, alice.token);
    const second = await createModel(api, alice.token);
    expectError(await api.patch(`/api/v1/models/${second.id}`, { name: first.name }, alice.token), 409, 'CONFLICT');
    expectError(await api.patch(`/api/v1/models/${second.id}`, { status: 'retired' }, alice.token), 400, 'INVALID_REQUEST');
    expectError(
      await api.patch(`/api/v1/models/${second.id}`, { routes: [{ provider_id: 'prov_gone', upstream_model: 'x' }] }, alice.token),
      400,
      'INVALID_REQUEST',
    );
  });

  it('deletes a model for its owner; then it is 404', async () => {
    const model = await createModel(api, alice.token, { routes: [{ provider_id: provider.id, upstream_model: 'x' }] });
    const res = await api.delete(`/api/v1/models/${model.id}`, alice.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: model.id, deleted: true });
    expectError(await api.get(`/api/v1/models/${model.id}`, alice.token), 404, 'NOT_FOUND');
    const routes = await server.server.platform.db.selectFrom('model_routes').select('model_id').where('model_id', '=', model.id).execute();
    expect(routes).toEqual([]);
  });

  it('refuses to delete a model an application uses with 409', async () => {
    const model = await createModel(api, alice.token);
    const app = await api.post('/api/v1/applications', { name: 'uses it', model_id: model.id }, carol.token);
    expect(app.status).toBe(201);
    expectError(await api.delete(`/api/v1/models/${model.id}`, alice.token), 409, 'CONFLICT');
  });
});

describe('resolveModelForCall', () => {
  it('resolves by id or by name (case-insensitive) with prices, limits and targets', async () => {
    const model = await createModel(api, alice.token, {
      pricing: { input_tokens: 0.000002, output_tokens: 0.000004 },
      context_window: 8_192,
      config: { max_tokens: 256, temperature: 0.3 },
      routes: [
        { provider_id: provider.id, upstream_model: 'inherit' },
        { provider_id: provider.id, upstream_model: 'own', priority: -1, weight: 7 },
      ],
    });
    const byId = await resolveModelForCall(server.server.platform, model.id, actorOf(carol, 'user'));
    const byName = await resolveModelForCall(server.server.platform, model.name.toUpperCase(), actorOf(carol, 'user'));
    expect(byName).toEqual(byId);
    expect(byId.model).toEqual({
      id: model.id,
      name: model.name,
      ownerId: alice.id,
      visibility: 'public',
      status: 'active',
      operations: ['chat'],
      pricing: {
        inputNanoPerToken: 2_000n,
        outputNanoPerToken: 4_000n,
        cachedInputNanoPerToken: null,
        units: { perImage: null, perImageBy: [], perSecond: null, per1kCharacters: null, perMinute: null },
      },
      contextWindow: 8_192,
      maxOutputTokens: 256,
      defaultParameters: { temperature: 0.3 },
      // A routed model earns its owner nothing: only a model served from its own file does (issue 15 part 5).
      revenueOwnerId: null,
    });
    const byUpstream = Object.fromEntries(byId.targets.map((t) => [t.upstreamModel, t]));
    expect(byUpstream.inherit).toMatchObject({
      priority: 3,
      weight: 2,
      baseUrl: 'http://127.0.0.1:9/v1',
      timeouts: { firstByteMs: 60_000, idleMs: 60_000 },
    });
    expect(byUpstream.own).toMatchObject({ priority: -1, weight: 7 });
  });

  it('sees a change made through the API on the next call (cache invalidated)', async () => {
    const model = await createModel(api, alice.token, {
      pricing: { input_tokens: 0.000001, output_tokens: 0.000001 },
      routes: [{ provider_id: provider.id, upstream_model: 'x' }],
    });
    const actor = actorOf(alice, 'developer');
    expect((await resolveModelForCall(server.server.platform, model.id, actor)).model.pricing.inputNanoPerToken).toBe(1_000n);
    await api.patch(`/api/v1/models/${model.id}`, { pricing: { input_tokens: 0.000005, output_tokens: 0.000001 } }, alice.token);
    expect((await resolveModelForCall(server.server.platform, model.id, actor)).model.pricing.inputNanoPerToken).toBe(5_000n);
    await api.patch(`/api/v1/models/${model.id}`, { status: 'inactive' }, alice.token);
    const inactive = await appErrorOf(resolveModelForCall(server.server.platform, model.id, actor));
    expect([inactive.appCode, inactive.messageKey]).toEqual(['INVALID_REQUEST', 'MODEL_INACTIVE']);
  });

  it('refuses deprecated models with 400 and models without an enabled provider with 503', async () => {
    const deprecated = await createModel(api, alice.token, { routes: [{ provider_id: provider.id, upstream_model: 'x' }] });
    await api.patch(`/api/v1/models/${deprecated.id}`, { status: 'deprecated' }, alice.token);
    const error = await appErrorOf(resolveModelForCall(server.server.platform, deprecated.id, actorOf(carol, 'user')));
    expect([error.appCode, error.messageKey, error.status]).toEqual(['INVALID_REQUEST', 'MODEL_DEPRECATED', 400]);

    const unrouted = await createModel(api, alice.token);
    const noRoute = await appErrorOf(resolveModelForCall(server.server.platform, unrouted.id, actorOf(carol, 'user')));
    expect([noRoute.appCode, noRoute.messageKey, noRoute.status]).toEqual(['SERVICE_UNAVAILABLE', 'MODEL_NO_ROUTE', 503]);

    const ownProvider = await createProvider(api, admin.token);
    const routed = await createModel(api, alice.token, { routes: [{ provider_id: ownProvider.id, upstream_model: 'x' }] });
    expect((await resolveModelForCall(server.server.platform, routed.id, actorOf(carol, 'user'))).targets).toHaveLength(1);
    await api.patch(`/api/v1/providers/${ownProvider.id}`, { enabled: false }, admin.token);
    const disabled = await appErrorOf(resolveModelForCall(server.server.platform, routed.id, actorOf(carol, 'user')));
    expect(disabled.messageKey).toBe('MODEL_NO_ROUTE');
  });

  it('answers 404 for another user’s private model and for an unknown one', async () => {
    const priv = await createModel(api, alice.token, {
      visibility: 'private',
      routes: [{ provider_id: provider.id, upstream_model: 'x' }],
    });
    expect((await resolveModelForCall(server.server.platform, priv.id, actorOf(alice, 'developer'))).model.id).toBe(priv.id);
    expect((await resolveModelForCall(server.server.platform, priv.name, actorOf(admin, 'admin'))).model.id).toBe(priv.id);
    const hidden = await appErrorOf(resolveModelForCall(server.server.platform, priv.name, actorOf(bob, 'developer')));
    expect([hidden.appCode, hidden.messageKey]).toEqual(['NOT_FOUND', 'MODEL_NOT_FOUND']);
    const unknown = await appErrorOf(resolveModelForCall(server.server.platform, 'no-such-model', actorOf(bob, 'developer')));
    expect(unknown.appCode).toBe('NOT_FOUND');
  });
});

describe('price floors of providers', () => {
  const floor = { input_tokens: 0.000001, output_tokens: 0.000002 };
  let floored: { id: string };

  beforeAll(async () => {
    floored = await createProvider(api, admin.token, { min_price: floor });
  });

  it('is a provider field admins set and read, 0 by default', async () => {
    expect((await api.get(`/api/v1/providers/${floored.id}`, admin.token)).body.min_price).toEqual(floor);
    expect((await api.get(`/api/v1/providers/${provider.id}`, admin.token)).body.min_price).toEqual({ input_tokens: 0, output_tokens: 0 });
    const other = await createProvider(api, admin.token);
    const patched = await api.patch(
      `/api/v1/providers/${other.id}`,
      { min_price: { input_tokens: '0.000000003', output_tokens: 0 } },
      admin.token,
    );
    expect(patched.status).toBe(200);
    expect(patched.body.min_price).toEqual({ input_tokens: 0.000000003, output_tokens: 0 });
    expectError(
      await api.patch(`/api/v1/providers/${other.id}`, { min_price: { input_tokens: -1, output_tokens: 0 } }, admin.token),
      400,
      'INVALID_REQUEST',
    );
  });

  it('refuses a developer a model priced below the floor of a provider it routes to, free included', async () => {
    const routes = [
      { provider_id: provider.id, upstream_model: 'cheap' },
      { provider_id: floored.id, upstream_model: 'dear' },
    ];
    for (const pricing of [undefined, { input_tokens: 0.000001, output_tokens: 0.0000019 }, { input_tokens: 0, output_tokens: 1 }]) {
      const res = await api.post(
        '/api/v1/models',
        { name: uniqueName('under'), category: 'text', routes, ...(pricing ? { pricing } : {}) },
        alice.token,
      );
      const error = expectError(res, 400, 'INVALID_REQUEST');
      expect(error.message).toContain('0.000002');
      expect(error.details).toEqual({ field: 'pricing', provider_ids: [floored.id], min_price: floor });
    }
    const atFloor = await api.post(
      '/api/v1/models',
      { name: uniqueName('at-floor'), category: 'text', routes, pricing: floor },
      alice.token,
    );
    expect(atFloor.status).toBe(201);
    expect(atFloor.body.pricing).toEqual(floor);
  });

  it('checks a developer’s update of the pricing or the routes, and nothing else', async () => {
    const model = await createModel(api, alice.token, {
      routes: [{ provider_id: floored.id, upstream_model: 'dear' }],
      pricing: { input_tokens: 0.00001, output_tokens: 0.00001 },
    });
    expectError(
      await api.patch(`/api/v1/models/${model.id}`, { pricing: { input_tokens: 0, output_tokens: 0 } }, alice.token),
      400,
      'INVALID_REQUEST',
    );

    const free = await createModel(api, alice.token, { routes: [{ provider_id: provider.id, upstream_model: 'cheap' }] });
    const rerouted = await api.patch(
      `/api/v1/models/${free.id}`,
      { routes: [{ provider_id: floored.id, upstream_model: 'dear' }] },
      alice.token,
    );
    expect(expectError(rerouted, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'pricing', provider_ids: [floored.id] });
    const both = await api.patch(
      `/api/v1/models/${free.id}`,
      { routes: [{ provider_id: floored.id, upstream_model: 'dear' }], pricing: floor },
      alice.token,
    );
    expect(both.status).toBe(200);

    // A floor raised later leaves existing models callable and editable; only a price change is checked.
    const raised = await createProvider(api, admin.token);
    const early = await createModel(api, alice.token, { routes: [{ provider_id: raised.id, upstream_model: 'x' }] });
    expect((await api.patch(`/api/v1/providers/${raised.id}`, { min_price: floor }, admin.token)).status).toBe(200);
    expect((await api.patch(`/api/v1/models/${early.id}`, { description: 'still free' }, alice.token)).status).toBe(200);
    expectError(
      await api.patch(`/api/v1/models/${early.id}`, { pricing: { input_tokens: 0, output_tokens: 0 } }, alice.token),
      400,
      'INVALID_REQUEST',
    );
  });

  it('lets admins price below a floor', async () => {
    const res = await api.post(
      '/api/v1/models',
      { name: uniqueName('house'), category: 'text', routes: [{ provider_id: floored.id, upstream_model: 'dear' }] },
      admin.token,
    );
    expect(res.status).toBe(201);
    const model = await createModel(api, alice.token, { routes: [{ provider_id: floored.id, upstream_model: 'dear' }], pricing: floor });
    expect((await api.patch(`/api/v1/models/${model.id}`, { pricing: { input_tokens: 0, output_tokens: 0 } }, admin.token)).status).toBe(
      200,
    );
  });
});
