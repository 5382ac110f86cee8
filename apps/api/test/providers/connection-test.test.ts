import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  type ApiClient,
  createProvider,
  expectError,
  type MockUpstream,
  signUpAs,
  startMockUpstream,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../kit/index.js';

// POST /api/v1/providers/{provider_id}/test (issue 19 part 7): one cheap request through the
// provider's adapter, answered as {ok, latency_ms, status, error}, never a 500 for an upstream failure.

const UPSTREAM_KEY = 'sk-connection-test-key';

let server: TestServer;
let api: ApiClient;
let upstream: MockUpstream;
let admin: TestUser;
let developer: TestUser;
let user: TestUser;

beforeAll(async () => {
  upstream = await startMockUpstream({ requireApiKey: UPSTREAM_KEY });
  server = await startTestServer();
  api = apiClient(server.url);
  [admin, developer, user] = await Promise.all([
    signUpAs(server, api, 'admin'),
    signUpAs(server, api, 'developer'),
    signUpAs(server, api, 'user'),
  ]);
});
afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

interface ConnectionTest {
  ok: boolean;
  latency_ms: number;
  status: number | null;
  error: string | null;
}

async function testConnection(providerId: string, token = admin.token) {
  return api.post(`/api/v1/providers/${providerId}/test`, undefined, token);
}

describe('provider connection test: happy paths', () => {
  it('lists the models of an openai-compatible provider with its key and answers ok with the latency', async () => {
    const provider = await createProvider(api, admin.token, { base_url: upstream.url, api_key: UPSTREAM_KEY });
    const before = upstream.requests.length;
    const res = await testConnection(provider.id);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = res.body as ConnectionTest;
    expect(Object.keys(body).sort()).toEqual(['error', 'latency_ms', 'ok', 'status']);
    expect(body).toMatchObject({ ok: true, status: 200, error: null });
    expect(Number.isInteger(body.latency_ms) && body.latency_ms >= 0).toBe(true);
    const calls = upstream.requests.slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'GET', url: '/v1/models' });
    expect(calls[0]!.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
  });

  it('answers ok at once for a demo-echo provider, without any request', async () => {
    const provider = await createProvider(api, admin.token, { kind: 'demo-echo', base_url: 'builtin://demo-echo', api_key: undefined });
    const before = upstream.requests.length;
    const res = await testConnection(provider.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, latency_ms: 0, status: null, error: null });
    expect(upstream.requests.length).toBe(before);
  });
});

describe('provider connection test: upstream failures are answers, not errors', () => {
  it('reports a refused key as ok: false with the upstream status, never echoing the key', async () => {
    const provider = await createProvider(api, admin.token, { base_url: upstream.url, api_key: 'sk-wrong-key-123' });
    const res = await testConnection(provider.id);
    expect(res.status).toBe(200);
    const body = res.body as ConnectionTest;
    expect(body.ok).toBe(false);
    expect(body.status).toBe(401);
    expect(body.error).toBeTruthy();
    expect(JSON.stringify(body)).not.toContain('sk-wrong-key-123');
  });

  it('reports an unreachable provider as ok: false with no status', async () => {
    const provider = await createProvider(api, admin.token, { base_url: 'http://127.0.0.1:9/v1' });
    const res = await testConnection(provider.id);
    expect(res.status).toBe(200);
    const body = res.body as ConnectionTest;
    expect(body).toMatchObject({ ok: false, status: null });
    expect(body.error).toBeTruthy();
  });

  it('says a provider of another kind needs a route before it can be tested', async () => {
    const provider = await createProvider(api, admin.token, { kind: 'anthropic', base_url: upstream.url });
    const res = await testConnection(provider.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: false, status: null });
    expect((res.body as ConnectionTest).error).toMatch(/route/);
  });
});

describe('provider connection test: errors and who may test', () => {
  it('answers 404 for an unknown provider', async () => {
    expectError(await testConnection('prov_doesnotexist'), 404, 'NOT_FOUND');
  });

  it('refuses developers and users with 403, and anonymous callers with 401', async () => {
    const provider = await createProvider(api, admin.token, { base_url: upstream.url, api_key: UPSTREAM_KEY });
    const before = upstream.requests.length;
    expectError(await testConnection(provider.id, developer.token), 403, 'FORBIDDEN');
    expectError(await testConnection(provider.id, user.token), 403, 'FORBIDDEN');
    expect((await api.post(`/api/v1/providers/${provider.id}/test`, undefined)).status).toBe(401);
    expect(upstream.requests.length).toBe(before);
  });
});
