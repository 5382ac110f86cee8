import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type ApiClient, setRole, signUp, startTestServer, type TestServer } from '../kit/index.js';

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});
afterAll(() => server?.close());

describe('GET /api/v1/admin/audit-log', () => {
  it('records admin actions and every money movement with who, what, when, before and after', async () => {
    const admin = await signUp(api, 'admin');
    await setRole(server, admin.id, 'admin');
    const user = await signUp(api);

    expect((await api.post(`/api/v1/admin/users/${user.id}/wallet/credit`, { amount: 5, reason: 'goodwill' }, admin.token)).status).toBe(
      201,
    );
    expect((await api.patch(`/api/v1/admin/users/${user.id}`, { role: 'developer' }, admin.token)).status).toBe(200);
    await server.server.platform.background.drain();

    const log = await api.get(`/api/v1/admin/audit-log?target_id=${user.id}&limit=50`, admin.token);
    expect(log.status).toBe(200);
    const actions = log.body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['wallet.signup_credit', 'wallet.admin_credit', 'adminUsers.update']));

    const credit = log.body.data.find((e: { action: string }) => e.action === 'wallet.admin_credit');
    expect(credit).toMatchObject({ actor_id: admin.id, target_type: 'wallet', target_id: user.id });
    expect(BigInt(credit.after.balance_nano) - BigInt(credit.before.balance_nano)).toBe(5_000_000_000n);
    expect(credit.after.reason).toBe('goodwill');

    const roleChange = log.body.data.find((e: { action: string }) => e.action === 'adminUsers.update');
    expect(roleChange).toMatchObject({ actor_id: admin.id, target_type: 'user', target_id: user.id });
    expect(roleChange.after.result.role).toBe('developer');
    expect(new Date(roleChange.created_at).toISOString()).toBe(roleChange.created_at);
  });

  it('never stores secrets in the audit trail', async () => {
    const admin = await signUp(api, 'admin');
    await setRole(server, admin.id, 'admin');
    const created = await api.post(
      '/api/v1/providers',
      {
        name: `audited-${Date.now()}`,
        kind: 'openai-compatible',
        base_url: 'http://127.0.0.1:9/v1',
        api_key: 'sk-top-secret-upstream',
        timeout_ms: 1000,
        priority: 0,
        weight: 1,
        enabled: true,
      },
      admin.token,
    );
    expect(created.status).toBe(201);
    await server.server.platform.background.drain();
    const log = await api.get(`/api/v1/admin/audit-log?target_id=${created.body.id}`, admin.token);
    const entry = log.body.data.find((e: { action: string }) => e.action === 'providers.create');
    expect(entry).toBeDefined();
    expect(JSON.stringify(log.body)).not.toContain('sk-top-secret-upstream');
  });

  it('is for admins only', async () => {
    const user = await signUp(api);
    const res = await api.get('/api/v1/admin/audit-log', user.token);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });
});
