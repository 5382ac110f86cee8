import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type ApiClient, signUp, startTestServer, type TestServer } from '../kit/index.js';

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});
afterAll(() => server?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('API keys: create, list, revoke', () => {
  it('creates a key shown once in full, lists it by prefix only, and stores only its hash', async () => {
    const user = await signUp(api);
    const created = await api.post(
      '/api/v1/api-keys',
      { name: 'ci', allowed_models: ['model_a', 'model_a', 'model_b'], spend_cap: '2.5' },
      user.token,
    );
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sk-[a-z0-9]{30,}$/);
    expect(created.body).toMatchObject({
      name: 'ci',
      status: 'active',
      allowed_models: ['model_a', 'model_b'],
      spend_cap: 2.5,
      spent: 0,
      expires_at: null,
      last_used_at: null,
    });
    expect(created.body.id).toMatch(/^key_/);
    expect(created.body.prefix).toBe(`${created.body.key.slice(0, 7)}…`);

    const list = await api.get('/api/v1/api-keys', user.token);
    expect(list.status).toBe(200);
    expect(list.body.pagination).toEqual({ page: 1, limit: 20, total: 1, pages: 1 });
    expect(list.body.data[0]).toMatchObject({ id: created.body.id, prefix: created.body.prefix });
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
    expect(list.body.data[0]).not.toHaveProperty('key');

    const row = await server.server.platform.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain(created.body.key);
  });

  it('paginates the list newest first and shows only the caller’s keys', async () => {
    const owner = await signUp(api);
    const other = await signUp(api);
    for (const name of ['one', 'two', 'three']) {
      expect((await api.post('/api/v1/api-keys', { name }, owner.token)).status).toBe(201);
    }
    await api.post('/api/v1/api-keys', { name: 'not yours' }, other.token);
    const page1 = await api.get('/api/v1/api-keys?page=1&limit=2', owner.token);
    const page2 = await api.get('/api/v1/api-keys?page=2&limit=2', owner.token);
    expect(page1.body.pagination).toEqual({ page: 1, limit: 2, total: 3, pages: 2 });
    expect(page1.body.data.map((k: { name: string }) => k.name)).toEqual(['three', 'two']);
    expect(page2.body.data.map((k: { name: string }) => k.name)).toEqual(['one']);
    expect((await api.get('/api/v1/api-keys?limit=101', owner.token)).status).toBe(400);
  });

  it('authenticates REST calls with the key as its owner and records last use off the request', async () => {
    const user = await signUp(api);
    const { body: key } = await api.post('/api/v1/api-keys', { name: 'rest' }, user.token);
    const profile = await api.get('/api/v1/users/profile', key.key);
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ id: user.id, username: user.username });

    await server.server.platform.background.drain();
    const list = await api.get('/api/v1/api-keys', user.token);
    expect(list.body.data[0].last_used_at).not.toBeNull();
  });

  it('revokes a key: it answers 401 at once and disappears from the list', async () => {
    const user = await signUp(api);
    const { body: key } = await api.post('/api/v1/api-keys', { name: 'to revoke' }, user.token);
    expect((await api.get('/api/v1/users/profile', key.key)).status).toBe(200);

    const revoked = await api.delete(`/api/v1/api-keys/${key.id}`, user.token);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ id: key.id, revoked: true });

    const after = await api.get('/api/v1/users/profile', key.key);
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('UNAUTHORIZED');
    expect((await api.get('/api/v1/api-keys', user.token)).body.pagination.total).toBe(0);
    expect((await api.delete(`/api/v1/api-keys/${key.id}`, user.token)).status).toBe(404);
  });

  it('refuses an expired key with 401 even while its lookup is cached', async () => {
    const user = await signUp(api);
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const { body: key } = await api.post('/api/v1/api-keys', { name: 'short', expires_at: expiresAt }, user.token);
    expect(key.expires_at).toBe(expiresAt);
    expect((await api.get('/api/v1/users/profile', key.key)).status).toBe(200);
    await sleep(1700);
    const expired = await api.get('/api/v1/users/profile', key.key);
    expect(expired.status).toBe(401);
    expect((await api.get('/api/v1/api-keys', user.token)).body.data[0].status).toBe('expired');
  });

  it('refuses unknown keys and keys of disabled owners with 401', async () => {
    expect((await api.get('/api/v1/users/profile', 'sk-doesnotexist000000000000000000000')).status).toBe(401);
    const user = await signUp(api);
    const { body: key } = await api.post('/api/v1/api-keys', { name: 'owner disabled' }, user.token);
    await server.server.platform.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', user.id).execute();
    expect((await api.get('/api/v1/users/profile', key.key)).status).toBe(401);
  });
});

describe('API keys: who must not get in', () => {
  it('does not let user B revoke user A’s key (404) and A’s key keeps working', async () => {
    const a = await signUp(api);
    const b = await signUp(api);
    const { body: key } = await api.post('/api/v1/api-keys', { name: 'a' }, a.token);
    const attempt = await api.delete(`/api/v1/api-keys/${key.id}`, b.token);
    expect(attempt.status).toBe(404);
    expect(attempt.body.error.code).toBe('NOT_FOUND');
    expect((await api.get('/api/v1/users/profile', key.key)).status).toBe(200);
  });

  it('does not let an API key create or revoke keys (403)', async () => {
    const user = await signUp(api);
    const { body: key } = await api.post('/api/v1/api-keys', { name: 'capped', spend_cap: 1 }, user.token);
    expect((await api.post('/api/v1/api-keys', { name: 'escape' }, key.key)).status).toBe(403);
    expect((await api.delete(`/api/v1/api-keys/${key.id}`, key.key)).status).toBe(403);
    expect((await api.get('/api/v1/api-keys', key.key)).status).toBe(200);
  });

  it('requires authentication', async () => {
    expect((await api.get('/api/v1/api-keys')).status).toBe(401);
    expect((await api.post('/api/v1/api-keys', { name: 'x' })).status).toBe(401);
  });
});

describe('API keys: invalid input', () => {
  it.each([
    ['a missing name', {}],
    ['an empty name', { name: '  ' }],
    ['an expiry in the past', { name: 'x', expires_at: '2001-01-01T00:00:00Z' }],
    ['an expiry that is not a timestamp', { name: 'x', expires_at: 'tomorrow' }],
    ['an expiry in year 0', { name: 'x', expires_at: '0000-01-01T00:00:00Z' }],
    ['a zero spend cap', { name: 'x', spend_cap: 0 }],
    ['a negative spend cap', { name: 'x', spend_cap: -1 }],
    ['a spend cap with 10 decimals', { name: 'x', spend_cap: '0.0000000001' }],
    ['an empty model list', { name: 'x', allowed_models: [] }],
    ['an unknown field', { name: 'x', owner: 'someone' }],
  ])('answers 400 for %s', async (_label, body) => {
    const user = await signUp(api);
    const res = await api.post('/api/v1/api-keys', body, user.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
  });

  it('answers 404 for a key id that names nothing on revoke, whatever its shape', async () => {
    const user = await signUp(api);
    expect((await api.delete('/api/v1/api-keys/not-a-key', user.token)).status).toBe(404);
  });
});
