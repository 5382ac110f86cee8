import { afterAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  setRole,
  signUp,
  startTestServer,
  type TestServer,
  NEEDS_REDIS,
  SHARED_REDIS_URL,
  sharedRedisAvailable,
} from '../kit/index.js';

const redisUp = await sharedRedisAvailable();

const servers: TestServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

async function start(env: Record<string, string>) {
  const server = await startTestServer(env);
  servers.push(server);
  return server;
}

const namespace = () => `maas_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

describe('rate limits', () => {
  it('limits anonymous clients per IP with headers and a RATE_LIMITED envelope carrying Retry-After', async () => {
    const server = await start({ MAAS_RATE_LIMIT_ANONYMOUS: '5', MAAS_RATE_LIMIT_AUTHENTICATED: '50' });
    const api = apiClient(server.url);
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof api.get<any>>> | undefined;
    for (let i = 0; i < 6; i++) {
      last = await api.get('/api/v1/models');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(last!.body.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(last!.body.error.request_id).toBe(last!.headers.get('x-request-id'));
    expect(last!.headers.get('x-ratelimit-limit')).toBe('5');
    expect(last!.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(last!.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);

    // Registering is an anonymous request too, so this IP cannot even sign up until the window resets.
    const registered = await api.post('/api/v1/auth/register', {
      username: 'late_user',
      email: 'late@example.com',
      password: 'password-123',
    });
    expect(registered.status).toBe(429);
  });

  it('answers a limited /v1 gateway call in OpenAI shape and a limited /api/v1 call with the envelope', async () => {
    const server = await start({ MAAS_RATE_LIMIT_ANONYMOUS: '2', MAAS_RATE_LIMIT_AUTHENTICATED: '50' });
    for (let i = 0; i < 2; i++) expect((await fetch(`${server.url}/v1/models`)).status).toBe(401);
    const gateway = await fetch(`${server.url}/v1/models`, { headers: { 'accept-language': 'en', 'x-request-id': 'limited-gw-1' } });
    expect(gateway.status).toBe(429);
    expect(gateway.headers.get('x-request-id')).toBe('limited-gw-1');
    expect(Number(gateway.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await gateway.json()).toEqual({
      error: { message: 'Too many requests', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
    const rest = await apiClient(server.url).get('/api/v1/models');
    expect(rest.status).toBe(429);
    expect(rest.body.error).toMatchObject({ code: 'RATE_LIMITED', request_id: rest.headers.get('x-request-id') });
  });

  it('counts each authenticated user separately, on top of nothing else', async () => {
    const server = await start({ MAAS_RATE_LIMIT_AUTHENTICATED: '4', MAAS_RATE_LIMIT_ANONYMOUS: '100' });
    const api = apiClient(server.url);
    const alice = await signUp(api);
    const bob = await signUp(api);
    const aliceStatuses = [];
    for (let i = 0; i < 5; i++) aliceStatuses.push((await api.get('/api/v1/users/profile', alice.token)).status);
    expect(aliceStatuses).toEqual([200, 200, 200, 200, 429]);
    const bobRes = await api.get('/api/v1/users/profile', bob.token);
    expect(bobRes.status).toBe(200);
    expect(bobRes.headers.get('x-ratelimit-remaining')).toBe('3');
  });

  it.skipIf(!redisUp)(`holds one limit across two instances sharing Redis${redisUp ? '' : ` (${NEEDS_REDIS})`}`, async () => {
    const env = { REDIS_URL: SHARED_REDIS_URL, MAAS_RATE_LIMIT_NAMESPACE: namespace(), MAAS_RATE_LIMIT_ANONYMOUS: '40' };
    const first = apiClient((await start(env)).url);
    const second = apiClient((await start(env)).url);
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await (i % 2 === 0 ? first : second).get('/api/v1/models')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });

  it('falls back to per-instance memory when Redis is unreachable, never answering 500', async () => {
    const server = await start({ REDIS_URL: 'redis://127.0.0.1:6390', MAAS_RATE_LIMIT_ANONYMOUS: '3' });
    const api = apiClient(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api.get('/api/v1/models')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('limits model calls per user separately from requests', async () => {
    const server = await start({ MAAS_RATE_LIMIT_MODEL_CALLS: '2', MAAS_SEED_DEMO: '1' });
    const api = apiClient(server.url);
    const user = await signUp(api);
    const models = await api.get('/api/v1/models?search=demo-chat');
    const model = models.body.data.find((m: { name: string }) => m.name === 'demo-chat');
    const app = await api.post('/api/v1/applications', { name: 'limited', model_id: model.id, config: { max_tokens: 32 } }, user.token);
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await api.post(`/api/v1/applications/${app.body.id}/chat`, { message: `hi ${i}` }, user.token)).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await api.get('/api/v1/users/profile', user.token)).status).toBe(200);
  });
});

describe('observability and hardening', () => {
  it('exposes Prometheus metrics for requests, model calls and the database pool', async () => {
    const server = await start({ MAAS_SEED_DEMO: '1' });
    const api = apiClient(server.url);
    const admin = await signUp(api, 'admin');
    await setRole(server, admin.id, 'admin');
    await api.get('/api/v1/models');
    const models = await api.get('/api/v1/models?search=demo-chat');
    const app = await api.post('/api/v1/applications', { name: 'metered', model_id: models.body.data[0].id }, admin.token);
    expect((await api.post(`/api/v1/applications/${app.body.id}/chat`, { message: 'count me' }, admin.token)).status).toBe(200);
    const res = await fetch(`${server.url}/metrics`);
    const text = await res.text();
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(text).toMatch(/maas_http_requests_total\{method="GET",route="\/api\/v1\/\*",status="200"\} \d+/);
    expect(text).toMatch(/maas_http_request_duration_seconds_bucket/);
    expect(text).toMatch(/maas_model_calls_total\{model="model_\w+",status="success"\} 1/);
    expect(text).toMatch(/maas_model_tokens_total\{model="model_\w+",direction="output"\} \d+/);
    expect(text).toMatch(/maas_db_pool_connections\{state="total"\} \d+/);
  });

  it('sends security headers and answers CORS only for allowed origins', async () => {
    const server = await start({ MAAS_CORS_ORIGINS: 'https://app.example.com' });
    const allowed = await fetch(`${server.url}/api/v1/models`, { headers: { origin: 'https://app.example.com' } });
    expect(allowed.headers.get('x-content-type-options')).toBe('nosniff');
    expect(allowed.headers.get('x-frame-options')).toBeTruthy();
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await fetch(`${server.url}/api/v1/models`, { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
