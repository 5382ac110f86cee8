import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actor, AppError } from '@maas/api';
import {
  resolveModelForCall,
  parseProvidersEnv,
  syncProvidersFromEnv,
  isPrivateHost,
  normalizeBaseUrl,
  decryptSecret,
  encryptSecret,
  providerEncryptionKey,
} from '@maas/api/testing';
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
} from '../kit/index.js';

const ENV_PROVIDER = `env-upstream-${process.pid}`;
const ENV_MODEL = `env-model-${process.pid}`;
const PROVIDERS_ENV = JSON.stringify([
  {
    name: ENV_PROVIDER,
    base_url: 'http://127.0.0.1:9/v1',
    api_key: 'sk-from-env',
    priority: 5,
    models: [
      {
        name: ENV_MODEL,
        description: 'from MAAS_PROVIDERS',
        pricing: { input_tokens: 0.00003, output_tokens: 0.00006 },
        upstream_model: 'up-env',
      },
    ],
  },
]);

let server: TestServer;
let api: ApiClient;
let admin: TestUser;
let user: TestUser;
let developer: TestUser;

beforeAll(async () => {
  server = await startTestServer({ MAAS_PROVIDERS: PROVIDERS_ENV });
  api = apiClient(server.url);
  [admin, user, developer] = await Promise.all([
    signUpAs(server, api, 'admin'),
    signUpAs(server, api, 'user'),
    signUpAs(server, api, 'developer'),
  ]);
});
afterAll(() => server?.close());

function actorOf(u: TestUser, role: Actor['role']): Actor {
  return { userId: u.id, role, sessionId: null, apiKeyId: null };
}

describe('providers: happy paths (admin)', () => {
  it('creates a provider with 201 and never returns the api_key', async () => {
    const name = uniqueName('openai');
    const res = await api.post(
      '/api/v1/providers',
      {
        name,
        kind: 'openai-compatible',
        base_url: 'https://api.example.com/v1/',
        api_key: 'sk-very-secret',
        timeout_ms: 20_000,
        priority: 1,
        weight: 3,
        enabled: true,
      },
      admin.token,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name,
      kind: 'openai-compatible',
      base_url: 'https://api.example.com/v1',
      has_api_key: true,
      timeout_ms: 20_000,
      priority: 1,
      weight: 3,
      enabled: true,
    });
    expect(res.body.id).toMatch(/^prov_[a-z0-9]+$/);
    expect(res.body).not.toHaveProperty('api_key');
    expect(JSON.stringify(res.body)).not.toContain('sk-very-secret');
  });

  it('applies defaults: openai-compatible, 60 s timeout, priority 0, weight 1, enabled', async () => {
    const res = await api.post('/api/v1/providers', { name: uniqueName('defaults'), base_url: 'http://10.0.0.5:8000/v1' }, admin.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      kind: 'openai-compatible',
      timeout_ms: 60_000,
      priority: 0,
      weight: 1,
      enabled: true,
      has_api_key: false,
    });
  });

  it('creates a demo-echo provider without a base_url', async () => {
    const res = await api.post('/api/v1/providers', { name: uniqueName('echo'), kind: 'demo-echo' }, admin.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'demo-echo', base_url: 'builtin://demo-echo' });
  });

  it('lists providers with pagination and reads one', async () => {
    const created = await createProvider(api, admin.token);
    const page = await api.get('/api/v1/providers?page=1&limit=2', admin.token);
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(2);
    expect(page.body.pagination).toMatchObject({ page: 1, limit: 2 });
    expect(page.body.pagination.total).toBeGreaterThanOrEqual(3);
    expect(page.body.pagination.pages).toBe(Math.ceil(page.body.pagination.total / 2));
    for (const provider of page.body.data) expect(provider).not.toHaveProperty('api_key');

    const one = await api.get(`/api/v1/providers/${created.id}`, admin.token);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: created.id, name: created.name, has_api_key: true });
  });

  it('patches fields, replaces and removes the api_key', async () => {
    const created = await createProvider(api, admin.token);
    const patched = await api.patch(`/api/v1/providers/${created.id}`, { priority: 7, enabled: false, api_key: 'sk-rotated' }, admin.token);
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ priority: 7, enabled: false, has_api_key: true });
    const stored = await server.server.platform.db
      .selectFrom('providers')
      .select('api_key_encrypted')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(decryptSecret(server.config, stored.api_key_encrypted as string, created.id)).toBe('sk-rotated');

    const cleared = await api.patch(`/api/v1/providers/${created.id}`, { api_key: null }, admin.token);
    expect(cleared.status).toBe(200);
    expect(cleared.body.has_api_key).toBe(false);
  });

  it('deletes an unused provider, which then answers 404', async () => {
    const created = await createProvider(api, admin.token);
    const res = await api.delete(`/api/v1/providers/${created.id}`, admin.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: created.id, deleted: true });
    expectError(await api.get(`/api/v1/providers/${created.id}`, admin.token), 404, 'NOT_FOUND');
  });
});

describe('providers: errors', () => {
  it.each([
    ['a non-http scheme', { base_url: 'ftp://files.example.com/v1' }],
    ['something that is not a URL', { base_url: 'not a url' }],
    ['credentials in the URL', { base_url: 'https://user:pass@api.example.com/v1' }],
    ['no base_url for openai-compatible', { base_url: undefined }],
  ])('refuses %s with 400 on base_url', async (_label, override: Record<string, unknown>) => {
    const res = await api.post('/api/v1/providers', { name: uniqueName('bad'), ...override }, admin.token);
    const error = expectError(res, 400, 'INVALID_REQUEST');
    expect(error.details?.field).toBe('base_url');
  });

  it('refuses an unknown kind, a too small timeout and unknown fields with 400', async () => {
    expectError(
      await api.post('/api/v1/providers', { name: uniqueName('k'), kind: 'not-a-kind', base_url: 'http://127.0.0.1:9' }, admin.token),
      400,
      'INVALID_REQUEST',
    );
    expectError(
      await api.post('/api/v1/providers', { name: uniqueName('t'), base_url: 'http://127.0.0.1:9', timeout_ms: 5 }, admin.token),
      400,
      'INVALID_REQUEST',
    );
    expectError(
      await api.post('/api/v1/providers', { name: uniqueName('f'), base_url: 'http://127.0.0.1:9', api_key_plain: 'x' }, admin.token),
      400,
      'INVALID_REQUEST',
    );
  });

  it('refuses a duplicate name, whatever its case, with 409', async () => {
    const created = await createProvider(api, admin.token);
    const res = await api.post('/api/v1/providers', { name: created.name.toUpperCase(), base_url: 'http://127.0.0.1:9' }, admin.token);
    expectError(res, 409, 'CONFLICT');
  });

  it('refuses to delete a provider a model is routed to with 409', async () => {
    const provider = await createProvider(api, admin.token);
    const model = await createModel(api, admin.token, { routes: [{ provider_id: provider.id, upstream_model: 'up' }] });
    const error = expectError(await api.delete(`/api/v1/providers/${provider.id}`, admin.token), 409, 'CONFLICT');
    expect(error.details?.model_ids).toEqual([model.id]);
  });

  it('answers 404 for a provider id that names nothing, whatever its shape', async () => {
    expectError(await api.get('/api/v1/providers/prov_doesnotexist', admin.token), 404, 'NOT_FOUND');
    expectError(await api.patch('/api/v1/providers/prov_doesnotexist', { priority: 1 }, admin.token), 404, 'NOT_FOUND');
    expectError(await api.get('/api/v1/providers/not-an-id', admin.token), 404, 'NOT_FOUND');
  });
});

describe('providers: security', () => {
  it('lets no one but admins list, read, create, change or delete providers', async () => {
    const provider = await createProvider(api, admin.token);
    for (const who of [user, developer]) {
      expectError(await api.get('/api/v1/providers', who.token), 403, 'FORBIDDEN');
      expectError(await api.get(`/api/v1/providers/${provider.id}`, who.token), 403, 'FORBIDDEN');
      expectError(
        await api.post('/api/v1/providers', { name: uniqueName('x'), base_url: 'http://127.0.0.1:9' }, who.token),
        403,
        'FORBIDDEN',
      );
      expectError(await api.patch(`/api/v1/providers/${provider.id}`, { enabled: false }, who.token), 403, 'FORBIDDEN');
      expectError(await api.delete(`/api/v1/providers/${provider.id}`, who.token), 403, 'FORBIDDEN');
    }
    expectError(await api.get('/api/v1/providers'), 401, 'UNAUTHORIZED');
    expectError(await api.post('/api/v1/providers', { name: uniqueName('x'), base_url: 'http://127.0.0.1:9' }), 401, 'UNAUTHORIZED');
    const unchanged = await api.get(`/api/v1/providers/${provider.id}`, admin.token);
    expect(unchanged.body.enabled).toBe(true);
  });

  it('stores the api_key AES-GCM encrypted and bound to its provider, never as plaintext', async () => {
    const plaintext = `sk-plain-${Math.random().toString(36).slice(2)}`;
    const provider = await createProvider(api, admin.token, { api_key: plaintext });
    const other = await createProvider(api, admin.token);
    const row = await server.server.platform.db.selectFrom('providers').selectAll().where('id', '=', provider.id).executeTakeFirstOrThrow();
    expect(row.api_key_encrypted).not.toBeNull();
    expect(row.api_key_encrypted).not.toContain(plaintext);
    expect(Buffer.from(row.api_key_encrypted as string).toString('base64')).not.toContain(Buffer.from(plaintext).toString('base64'));
    expect(row.api_key_encrypted).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(decryptSecret(server.config, row.api_key_encrypted as string, provider.id)).toBe(plaintext);
    // Copied onto another provider's row it does not decrypt.
    expect(() => decryptSecret(server.config, row.api_key_encrypted as string, other.id)).toThrow(/cannot be decrypted/);
  });

  it('hands the decrypted key only to the call resolver', async () => {
    const provider = await createProvider(api, admin.token, { api_key: 'sk-for-upstream' });
    const model = await createModel(api, admin.token, { routes: [{ provider_id: provider.id, upstream_model: 'up-model' }] });
    const { targets } = await resolveModelForCall(server.server.platform, model.id, actorOf(admin, 'admin'));
    expect(targets).toEqual([
      expect.objectContaining({ providerId: provider.id, apiKey: 'sk-for-upstream', upstreamModel: 'up-model', kind: 'openai-compatible' }),
    ]);
  });

  it('refuses to store a key in production without MAAS_ENCRYPTION_KEY, and a too short key', () => {
    const production = { ...server.config, isProduction: true, encryptionKey: undefined };
    let thrown: unknown;
    try {
      encryptSecret(production, 'sk-x', 'prov_x');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).messageKey).toBe('ENCRYPTION_KEY_MISSING');
    expect(() => providerEncryptionKey({ ...server.config, encryptionKey: 'short' })).toThrow(/at least 32/);
  });

  it('generates a key once under DATA_DIR outside production and reuses it after a restart', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'maas-key-test-'));
    try {
      const sealed = encryptSecret({ ...server.config, encryptionKey: undefined, dataDir }, 'sk-local', 'prov_b');
      const file = path.join(dataDir, 'encryption-key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readdirSync(dataDir)).toEqual(['encryption-key']);
      // A new configuration object, as after a restart, reads the same file.
      expect(decryptSecret({ ...server.config, encryptionKey: undefined, dataDir }, sealed, 'prov_b')).toBe('sk-local');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('derives the key from MAAS_ENCRYPTION_KEY when set', () => {
    const configured = { ...server.config, encryptionKey: 'k'.repeat(40) };
    const sealed = encryptSecret(configured, 'sk-configured', 'prov_a');
    expect(decryptSecret({ ...server.config, encryptionKey: 'k'.repeat(40) }, sealed, 'prov_a')).toBe('sk-configured');
    expect(() => decryptSecret({ ...server.config, encryptionKey: 'z'.repeat(40) }, sealed, 'prov_a')).toThrow();
  });

  it('treats loopback, private and link-local hosts as private unless allowed', () => {
    for (const host of [
      'localhost',
      'api.localhost',
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '[::1]',
      '::ffff:127.0.0.1',
      'fd00::1',
    ]) {
      expect(isPrivateHost(host), host).toBe(true);
    }
    for (const host of ['api.openai.com', '8.8.8.8', '172.32.0.1', '[2606:4700::1111]']) expect(isPrivateHost(host), host).toBe(false);
    expect(() => normalizeBaseUrl('http://169.254.169.254/latest', 'openai-compatible', false)).toThrow(AppError);
    expect(normalizeBaseUrl('http://169.254.169.254/latest', 'openai-compatible', true)).toBe('http://169.254.169.254/latest');
    expect(normalizeBaseUrl('https://api.openai.com/v1/', 'openai-compatible', false)).toBe('https://api.openai.com/v1');
  });
});

describe('MAAS_PROVIDERS', () => {
  it('upserts its providers, models and routes at start', async () => {
    const list = await api.get('/api/v1/providers?limit=100', admin.token);
    const provider = list.body.data.find((p: { name: string }) => p.name === ENV_PROVIDER);
    expect(provider).toMatchObject({ kind: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1', has_api_key: true, priority: 5 });

    const models = await api.get(`/api/v1/models?search=${ENV_MODEL}`);
    expect(models.body.data).toHaveLength(1);
    const model = models.body.data[0];
    expect(model).toMatchObject({ name: ENV_MODEL, visibility: 'public', status: 'active', category: 'text' });
    const detail = await api.get(`/api/v1/models/${model.id}`, admin.token);
    expect(detail.body.pricing).toEqual({ input_tokens: 0.00003, output_tokens: 0.00006 });
    const { targets } = await resolveModelForCall(server.server.platform, ENV_MODEL, actorOf(user, 'user'));
    expect(targets).toEqual([
      expect.objectContaining({ providerId: provider.id, upstreamModel: 'up-env', apiKey: 'sk-from-env', priority: 5 }),
    ]);
  });

  it('is idempotent: a second sync changes no counts', async () => {
    const db = server.server.platform.db;
    const count = async () => ({
      providers: (await db.selectFrom('providers').select('id').execute()).length,
      models: (await db.selectFrom('models').select('id').execute()).length,
      routes: (await db.selectFrom('model_routes').select('model_id').execute()).length,
    });
    const before = await count();
    await syncProvidersFromEnv(server.server.platform);
    expect(await count()).toEqual(before);
  });

  it('stops the start with a clear error for invalid JSON or an invalid entry', async () => {
    expect(() => parseProvidersEnv('[{"name": ')).toThrow(/MAAS_PROVIDERS is not valid JSON/);
    expect(() => parseProvidersEnv('{"name":"x"}')).toThrow(/MAAS_PROVIDERS is invalid/);
    expect(() => parseProvidersEnv('[{"base_url":"http://x"}]')).toThrow(/MAAS_PROVIDERS is invalid: 0\.name/);
    const platform = { ...server.server.platform, config: { ...server.config, providersJson: 'not json' } };
    await expect(syncProvidersFromEnv(platform)).rejects.toThrow(/MAAS_PROVIDERS is not valid JSON/);
  });
});
