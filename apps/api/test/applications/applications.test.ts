import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actor, AppError, translate } from '@maas/api';
import { getApplicationForChat, resolveModelForCall, seedDemoCatalog, SYSTEM_USERNAME } from '@maas/api/testing';
import {
  apiClient,
  type ApiClient,
  createModel,
  expectError,
  signUpAs,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../kit/index.js';

// This file's server starts with the demo catalogue seeded, as a fresh install does.
let server: TestServer;
let api: ApiClient;
let admin: TestUser;
let alice: TestUser; // user
let bob: TestUser; // user
let dave: TestUser; // developer
let demoChatId: string;

beforeAll(async () => {
  server = await startTestServer({ MAAS_SEED_DEMO: '1', MAAS_PUBLIC_URL: 'https://maas.example.com' });
  api = apiClient(server.url);
  [admin, alice, bob, dave] = await Promise.all([
    signUpAs(server, api, 'admin'),
    signUpAs(server, api, 'user'),
    signUpAs(server, api, 'user'),
    signUpAs(server, api, 'developer'),
  ]);
  const demo = await api.get('/api/v1/models?search=demo-chat&sort=name');
  demoChatId = demo.body.data.find((m: { name: string }) => m.name === 'demo-chat').id;
});
afterAll(() => server?.close());

function actorOf(u: TestUser, role: Actor['role']): Actor {
  return { userId: u.id, role, sessionId: null, apiKeyId: null };
}

async function createApp(token: string, overrides: Record<string, unknown> = {}) {
  const res = await api.post(
    '/api/v1/applications',
    {
      name: '智能写作助手',
      description: '帮助用户进行智能写作的应用',
      model_id: demoChatId,
      config: { max_tokens: 1000, temperature: 0.7, system_prompt: '你是一个专业的写作助手' },
      ...overrides,
    },
    token,
  );
  if (res.status !== 201) throw new Error(`app: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; [key: string]: unknown };
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

describe('demo catalogue (MAAS_SEED_DEMO=1)', () => {
  it('seeds a demo-echo provider and priced public models across categories', async () => {
    const models = await api.get('/api/v1/models?search=demo-&sort=name&limit=100');
    const byName = Object.fromEntries(models.body.data.map((m: { name: string }) => [m.name, m]));
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(['demo-chat', 'demo-chat-pro', 'demo-image-sketch', 'demo-voice']));
    expect(byName['demo-chat']).toMatchObject({ category: 'text', status: 'active', visibility: 'public' });
    expect(byName['demo-image-sketch'].category).toBe('image');
    expect(byName['demo-voice'].category).toBe('audio');
    expect(byName['demo-chat'].description).toMatch(/demo/);

    const pro = await api.get(`/api/v1/models/${byName['demo-chat-pro'].id}`);
    expect(pro.body.pricing).toEqual({ input_tokens: 0.00003, output_tokens: 0.00006 });
    expect(pro.body.context_window).toBe(32_768);
    expect(pro.body.parameters).toMatchObject({ max_tokens: 4096 });

    const providers = await api.get('/api/v1/providers', admin.token);
    expect(providers.body.data).toEqual([
      expect.objectContaining({ name: 'demo-echo', kind: 'demo-echo', base_url: 'builtin://demo-echo', enabled: true, has_api_key: false }),
    ]);
  });

  it('owns the demo models by a system account that cannot sign in', async () => {
    const system = await server.server.platform.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', SYSTEM_USERNAME)
      .executeTakeFirstOrThrow();
    const owner = await server.server.platform.db
      .selectFrom('models')
      .select('owner_id')
      .where('id', '=', demoChatId)
      .executeTakeFirstOrThrow();
    expect(owner.owner_id).toBe(system.id);
    for (const password of ['', 'password', system.password_hash]) {
      expect((await api.post('/api/v1/auth/token', { username: SYSTEM_USERNAME, password: password || 'x' })).status).toBe(401);
    }
  });

  it('answers chat through the built-in demo-echo provider', async () => {
    const { model, targets } = await resolveModelForCall(server.server.platform, 'demo-chat', actorOf(alice, 'user'));
    expect(model).toMatchObject({
      id: demoChatId,
      maxOutputTokens: 1024,
      pricing: { inputNanoPerToken: 1_000n, outputNanoPerToken: 2_000n },
    });
    const { inference } = server.server.platform;
    const reply = await inference.adapterFor(targets[0]!.kind)!.chat(
      targets[0]!,
      {
        request: { messages: [{ role: 'user', content: [{ type: 'text', text: 'ping' }] }] },
        upstreamModel: 'demo-chat',
        maxOutputTokens: 64,
        defaults: {},
        stream: false,
      },
      { transport: inference.transport, signal: new AbortController().signal, requestId: 'test' },
    );
    expect(reply.choices[0]!.text).toContain('Echo: ping');
  });

  it('is idempotent, and leaves an admin’s deletion alone at the next start', async () => {
    const db = server.server.platform.db;
    const count = async () => (await db.selectFrom('models').select('id').execute()).length;
    const before = await count();
    await seedDemoCatalog(server.server.platform);
    expect(await count()).toBe(before);

    const voice = (await api.get('/api/v1/models?search=demo-voice')).body.data[0];
    expect((await api.delete(`/api/v1/models/${voice.id}`, admin.token)).status).toBe(200);
    await seedDemoCatalog(server.server.platform);
    expect((await api.get('/api/v1/models?search=demo-voice')).body.data).toEqual([]);
    expect((await db.selectFrom('providers').select('id').execute()).length).toBe(1);
  });
});

describe('POST /api/v1/applications', () => {
  it('creates an application in the contract shape, running, with its chat endpoint', async () => {
    const res = await api.post(
      '/api/v1/applications',
      {
        name: '智能写作助手',
        description: '帮助用户进行智能写作的应用',
        model_id: demoChatId,
        config: { max_tokens: 1000, temperature: 0.7, system_prompt: '你是一个专业的写作助手' },
      },
      alice.token,
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^app_[a-z0-9]+$/),
      name: '智能写作助手',
      description: '帮助用户进行智能写作的应用',
      model_id: demoChatId,
      status: 'running',
      endpoint: `https://maas.example.com/api/v1/applications/${res.body.id}/chat`,
      config: { max_tokens: 1000, temperature: 0.7, system_prompt: '你是一个专业的写作助手' },
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
  });

  it('accepts top_p and an empty config', async () => {
    expect((await createApp(alice.token, { config: { top_p: 0.5 } })).config).toEqual({ top_p: 0.5 });
    expect((await createApp(alice.token, { config: undefined, description: undefined })).config).toEqual({});
  });

  it.each([
    ['no model_id', { model_id: undefined }],
    ['a malformed model_id', { model_id: 'gpt-4' }],
    ['an empty name', { name: '' }],
    ['a temperature out of range', { config: { temperature: 5 } }],
    ['an unknown config key', { config: { max_tokens: 10, model: 'other' } }],
    ['a status on create', { status: 'stopped' }],
  ])('refuses %s with 400', async (_label, override) => {
    const res = await api.post('/api/v1/applications', { name: 'x', model_id: demoChatId, ...override }, alice.token);
    expectError(res, 400, 'INVALID_REQUEST');
  });

  it('only builds on a model the caller may use: public and active, or their own', async () => {
    const daves = await createModel(api, dave.token, { visibility: 'private' });
    const error = expectError(
      await api.post('/api/v1/applications', { name: 'x', model_id: daves.id }, alice.token),
      400,
      'INVALID_REQUEST',
    );
    expect(error.details?.field).toBe('model_id');
    expect((await createApp(dave.token, { model_id: daves.id })).model_id).toBe(daves.id);

    const retired = await createModel(api, dave.token);
    await api.patch(`/api/v1/models/${retired.id}`, { status: 'inactive' }, dave.token);
    expectError(await api.post('/api/v1/applications', { name: 'x', model_id: retired.id }, alice.token), 400, 'INVALID_REQUEST');
    expect((await createApp(dave.token, { model_id: retired.id })).model_id).toBe(retired.id);

    expectError(await api.post('/api/v1/applications', { name: 'x', model_id: 'model_doesnotexist' }, alice.token), 400, 'INVALID_REQUEST');
  });

  it('requires authentication', async () => {
    expectError(await api.post('/api/v1/applications', { name: 'x', model_id: demoChatId }), 401, 'UNAUTHORIZED');
  });
});

describe('GET /api/v1/applications', () => {
  let lister: TestUser;
  let other: TestUser;

  beforeAll(async () => {
    [lister, other] = await Promise.all([signUpAs(server, api, 'user'), signUpAs(server, api, 'user')]);
    for (let i = 0; i < 3; i++) await createApp(lister.token, { name: `mine ${i}` });
    await createApp(other.token, { name: 'theirs' });
  });

  it('lists only the caller’s applications, newest first, paginated', async () => {
    const first = await api.get('/api/v1/applications?limit=2', lister.token);
    expect(first.status).toBe(200);
    expect(first.body.pagination).toEqual({ page: 1, limit: 2, total: 3, pages: 2 });
    expect(first.body.data.map((a: { name: string }) => a.name)).toEqual(['mine 2', 'mine 1']);
    const second = await api.get('/api/v1/applications?limit=2&page=2', lister.token);
    expect(second.body.data.map((a: { name: string }) => a.name)).toEqual(['mine 0']);
    expectError(await api.get('/api/v1/applications?limit=101', lister.token), 400, 'INVALID_REQUEST');
    expectError(await api.get('/api/v1/applications?page=0', lister.token), 400, 'INVALID_REQUEST');
  });

  it('shows admins their own applications unless they ask for all', async () => {
    await createApp(admin.token, { name: 'admin app' });
    const own = await api.get('/api/v1/applications?limit=100', admin.token);
    expect(own.body.data.map((a: { name: string }) => a.name)).toEqual(['admin app']);
    const all = await api.get('/api/v1/applications?all=true&limit=100', admin.token);
    expect(all.body.pagination.total).toBeGreaterThan(own.body.pagination.total);
    expect(all.body.data.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['theirs', 'mine 0', 'admin app']));
    expect((await api.get('/api/v1/applications?all=false', admin.token)).body.pagination.total).toBe(1);
  });

  it('refuses ?all=true to non-admins with 403', async () => {
    expectError(await api.get('/api/v1/applications?all=true', lister.token), 403, 'FORBIDDEN');
  });
});

describe('GET, PATCH and DELETE /api/v1/applications/{app_id}', () => {
  it('lets the owner read, change, stop and delete an application', async () => {
    const app = await createApp(alice.token);
    expect((await api.get(`/api/v1/applications/${app.id}`, alice.token)).body).toEqual(app);

    const patched = await api.patch(
      `/api/v1/applications/${app.id}`,
      { name: 'renamed', status: 'stopped', config: { temperature: 0.1 } },
      alice.token,
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'renamed', status: 'stopped', config: { temperature: 0.1 }, description: app.description });

    const deleted = await api.delete(`/api/v1/applications/${app.id}`, alice.token);
    expect(deleted.body).toEqual({ id: app.id, deleted: true });
    expectError(await api.get(`/api/v1/applications/${app.id}`, alice.token), 404, 'NOT_FOUND');
  });

  it('lets an admin read and change anyone’s application', async () => {
    const app = await createApp(alice.token);
    expect((await api.get(`/api/v1/applications/${app.id}`, admin.token)).status).toBe(200);
    expect((await api.patch(`/api/v1/applications/${app.id}`, { status: 'stopped' }, admin.token)).body.status).toBe('stopped');
  });

  it('answers 404 to anyone else and changes nothing', async () => {
    const app = await createApp(alice.token);
    expectError(await api.get(`/api/v1/applications/${app.id}`, bob.token), 404, 'NOT_FOUND');
    expectError(await api.patch(`/api/v1/applications/${app.id}`, { name: 'hijacked', status: 'stopped' }, bob.token), 404, 'NOT_FOUND');
    expectError(await api.delete(`/api/v1/applications/${app.id}`, bob.token), 404, 'NOT_FOUND');
    expectError(await api.get(`/api/v1/applications/${app.id}`), 401, 'UNAUTHORIZED');
    const still = await api.get(`/api/v1/applications/${app.id}`, alice.token);
    expect(still.body).toMatchObject({ name: app.name, status: 'running' });
  });

  it('refuses bad changes with 400 and unknown ids with 404', async () => {
    const app = await createApp(alice.token);
    expectError(await api.patch(`/api/v1/applications/${app.id}`, { status: 'paused' }, alice.token), 400, 'INVALID_REQUEST');
    const daves = await createModel(api, dave.token, { visibility: 'private' });
    expectError(await api.patch(`/api/v1/applications/${app.id}`, { model_id: daves.id }, alice.token), 400, 'INVALID_REQUEST');
    expectError(await api.get('/api/v1/applications/app_doesnotexist', alice.token), 404, 'NOT_FOUND');
    expectError(await api.get('/api/v1/applications/not-an-app', alice.token), 404, 'NOT_FOUND');
  });

  it('deletes the application’s conversations and messages with it', async () => {
    const app = await createApp(alice.token);
    const db = server.server.platform.db;
    await db
      .insertInto('conversations')
      .values({ id: 'conv_cascade1', user_id: alice.id, app_id: app.id, title: 'hello', message_count: 2 })
      .execute();
    await db
      .insertInto('messages')
      .values([
        { id: 'msg_cascade1', conversation_id: 'conv_cascade1', role: 'user', content: 'hi', tokens: 1 },
        { id: 'resp_cascade1', conversation_id: 'conv_cascade1', role: 'assistant', content: 'hello', tokens: 1 },
      ])
      .execute();
    await api.delete(`/api/v1/applications/${app.id}`, alice.token);
    expect(await db.selectFrom('conversations').select('id').where('id', '=', 'conv_cascade1').execute()).toEqual([]);
    expect(await db.selectFrom('messages').select('id').where('conversation_id', '=', 'conv_cascade1').execute()).toEqual([]);
  });
});

describe('getApplicationForChat', () => {
  it('gives the owner the app and its config', async () => {
    const app = await createApp(alice.token);
    const forChat = await getApplicationForChat(server.server.platform, app.id, actorOf(alice, 'user'));
    expect(forChat).toMatchObject({
      id: app.id,
      model_id: demoChatId,
      config: { max_tokens: 1000, temperature: 0.7, system_prompt: '你是一个专业的写作助手' },
    });
  });

  it('answers 404 APP_NOT_FOUND to anyone but the owner, admins included', async () => {
    const app = await createApp(alice.token);
    for (const [who, role] of [
      [bob, 'user'],
      [admin, 'admin'],
    ] as const) {
      const error = await appErrorOf(getApplicationForChat(server.server.platform, app.id, actorOf(who, role)));
      expect([error.appCode, error.messageKey]).toEqual(['NOT_FOUND', 'APP_NOT_FOUND']);
    }
  });

  it('refuses a stopped application with 409 APP_STOPPED, and serves it again once restarted', async () => {
    const app = await createApp(alice.token);
    const platform = server.server.platform;
    await getApplicationForChat(platform, app.id, actorOf(alice, 'user'));
    await api.patch(`/api/v1/applications/${app.id}`, { status: 'stopped' }, alice.token);
    const error = await appErrorOf(getApplicationForChat(platform, app.id, actorOf(alice, 'user')));
    expect([error.appCode, error.status, error.messageKey]).toEqual(['CONFLICT', 409, 'APP_STOPPED']);
    expect(translate('en', 'APP_STOPPED')).toMatch(/stopped/i);

    await api.patch(`/api/v1/applications/${app.id}`, { status: 'running' }, alice.token);
    expect((await getApplicationForChat(platform, app.id, actorOf(alice, 'user'))).id).toBe(app.id);
    await api.delete(`/api/v1/applications/${app.id}`, alice.token);
    expect((await appErrorOf(getApplicationForChat(platform, app.id, actorOf(alice, 'user')))).appCode).toBe('NOT_FOUND');
  });
});
