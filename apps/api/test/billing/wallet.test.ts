import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type ApiClient, setRole, signUp, startTestServer, type TestServer } from '../kit/index.js';

let server: TestServer;
let api: ApiClient;
let admin: Awaited<ReturnType<typeof signUp>>;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  admin = await signUp(api, 'admin');
  await setRole(server, admin.id, 'admin');
});
afterAll(() => server?.close());

async function ledgerSumEqualsBalance(userId: string) {
  const { rows } = await sql<{ balance: bigint; ledger: bigint }>`
    SELECT w.balance_nano AS balance, (SELECT coalesce(sum(amount_nano), 0)::bigint FROM ledger_entries WHERE user_id = w.user_id) AS ledger
    FROM wallets w WHERE w.user_id = ${userId}`.execute(server.server.platform.db);
  expect(rows[0]?.ledger).toBe(rows[0]?.balance);
}

describe('wallet', () => {
  it('shows the sign-up credit as balance and as the first ledger entry', async () => {
    const user = await signUp(api);
    const wallet = await api.get('/api/v1/wallet', user.token);
    expect(wallet.status).toBe(200);
    expect(wallet.body).toEqual({ balance: 10, held: 0, available: 10, currency: 'CNY' });

    const transactions = await api.get('/api/v1/wallet/transactions', user.token);
    expect(transactions.status).toBe(200);
    expect(transactions.body.pagination).toEqual({ page: 1, limit: 20, total: 1, pages: 1 });
    expect(transactions.body.data[0]).toMatchObject({ amount: 10, balance_after: 10, kind: 'signup_credit', reference_id: null });
    expect(transactions.body.data[0].id).toMatch(/^txn_/);
    await ledgerSumEqualsBalance(user.id);
  });

  it('works with an API key as well as a sign-in token', async () => {
    const user = await signUp(api);
    const { body: key } = await api.post('/api/v1/api-keys', { name: 'wallet' }, user.token);
    expect((await api.get('/api/v1/wallet', key.key)).body.balance).toBe(10);
  });

  it('lists transactions newest first and pages them', async () => {
    const user = await signUp(api);
    for (const amount of [1, 2, 3]) {
      expect(
        (await api.post(`/api/v1/admin/users/${user.id}/wallet/credit`, { amount, reason: `top-up ${amount}` }, admin.token)).status,
      ).toBe(201);
    }
    const page1 = await api.get('/api/v1/wallet/transactions?limit=2', user.token);
    const page2 = await api.get('/api/v1/wallet/transactions?limit=2&page=2', user.token);
    expect(page1.body.pagination).toEqual({ page: 1, limit: 2, total: 4, pages: 2 });
    expect(page1.body.data.map((t: { amount: number }) => t.amount)).toEqual([3, 2]);
    expect(page2.body.data.map((t: { kind: string }) => t.kind)).toEqual(['admin_credit', 'signup_credit']);
    expect((await api.get('/api/v1/wallet/transactions?page=0', user.token)).status).toBe(400);
  });

  it('requires authentication', async () => {
    expect((await api.get('/api/v1/wallet')).status).toBe(401);
    expect((await api.get('/api/v1/wallet/transactions')).status).toBe(401);
  });
});

describe('admin credit and debit', () => {
  it('credits with a reason and answers 201 with the ledger entry', async () => {
    const user = await signUp(api);
    const res = await api.post(`/api/v1/admin/users/${user.id}/wallet/credit`, { amount: '0.000000001', reason: 'goodwill' }, admin.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      user_id: user.id,
      amount: 1e-9,
      balance_after: 10.000000001,
      kind: 'admin_credit',
      reason: 'goodwill',
    });
    expect((await api.get('/api/v1/wallet', user.token)).body.balance).toBe(10.000000001);
    const entry = await server.server.platform.db
      .selectFrom('ledger_entries')
      .select('actor_id')
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    expect(entry.actor_id).toBe(admin.id);
    await ledgerSumEqualsBalance(user.id);
  });

  it('debits up to the available balance exactly, then refuses with 402 and moves nothing', async () => {
    const user = await signUp(api);
    const debit = await api.post(`/api/v1/admin/users/${user.id}/wallet/debit`, { amount: 9.5, reason: 'refund reversal' }, admin.token);
    expect(debit.status).toBe(201);
    expect(debit.body).toMatchObject({ amount: -9.5, balance_after: 0.5, kind: 'admin_debit' });

    const overdraft = await api.post(
      `/api/v1/admin/users/${user.id}/wallet/debit`,
      { amount: '0.500000001', reason: 'too much' },
      admin.token,
    );
    expect(overdraft.status).toBe(402);
    expect(overdraft.body.error.code).toBe('PAYMENT_REQUIRED');
    expect(overdraft.body.error.details).toEqual({ available: 0.5 });

    const exact = await api.post(`/api/v1/admin/users/${user.id}/wallet/debit`, { amount: '0.5', reason: 'the rest' }, admin.token);
    expect(exact.status).toBe(201);
    expect((await api.get('/api/v1/wallet', user.token)).body).toEqual({ balance: 0, held: 0, available: 0, currency: 'CNY' });
    await ledgerSumEqualsBalance(user.id);
  });

  it('never overdraws under concurrent debits', async () => {
    const user = await signUp(api);
    const results = await Promise.all(
      Array.from({ length: 25 }, () => api.post(`/api/v1/admin/users/${user.id}/wallet/debit`, { amount: 1, reason: 'race' }, admin.token)),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    expect(results.filter((r) => r.status === 402)).toHaveLength(15);
    expect((await api.get('/api/v1/wallet', user.token)).body.balance).toBe(0);
    await ledgerSumEqualsBalance(user.id);
  });

  it('answers 404 for an unknown user', async () => {
    const body = { amount: 1, reason: 'nobody' };
    expect((await api.post('/api/v1/admin/users/user_doesnotexist/wallet/credit', body, admin.token)).status).toBe(404);
    expect((await api.post('/api/v1/admin/users/user_doesnotexist/wallet/debit', body, admin.token)).status).toBe(404);
  });

  it.each([
    ['zero', { amount: 0, reason: 'r' }],
    ['negative', { amount: -1, reason: 'r' }],
    ['10 decimals', { amount: '1.0000000001', reason: 'r' }],
    ['not a number', { amount: 'ten', reason: 'r' }],
    ['too large', { amount: 1e10, reason: 'r' }],
    ['missing amount', { reason: 'r' }],
    ['missing reason', { amount: 1 }],
    ['blank reason', { amount: 1, reason: '   ' }],
    ['a 501-character reason', { amount: 1, reason: 'x'.repeat(501) }],
  ])('answers 400 for a %s amount or reason', async (_label, body) => {
    const user = await signUp(api);
    for (const kind of ['credit', 'debit']) {
      const res = await api.post(`/api/v1/admin/users/${user.id}/wallet/${kind}`, body, admin.token);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
    }
    expect((await api.get('/api/v1/wallet', user.token)).body.balance).toBe(10);
  });

  it('refuses non-admins with 403 (developers included) and anonymous callers with 401', async () => {
    const user = await signUp(api);
    const developer = await signUp(api, 'dev');
    await setRole(server, developer.id, 'developer');
    const body = { amount: 100, reason: 'self service' };
    for (const token of [user.token, developer.token]) {
      const res = await api.post(`/api/v1/admin/users/${user.id}/wallet/credit`, body, token);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
      expect((await api.post(`/api/v1/admin/users/${user.id}/wallet/debit`, body, token)).status).toBe(403);
    }
    expect((await api.post(`/api/v1/admin/users/${user.id}/wallet/credit`, body)).status).toBe(401);
    expect((await api.get('/api/v1/wallet', user.token)).body.balance).toBe(10);
  });
});
