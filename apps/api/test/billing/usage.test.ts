import type { Database } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reserveFunds, settleReservation, type UsageInput } from '@maas/api/testing';
import { apiClient, type ApiClient, signUp, startTestServer, type TestServer } from '../kit/index.js';

const UNIT = 1_000_000_000n;

let server: TestServer;
let api: ApiClient;
let db: Kysely<Database>;
let user: Awaited<ReturnType<typeof signUp>>;
let keyId: string;

/** Makes one settled call and moves its usage record to `at`. */
async function recordCall(at: string, costNano: bigint, usage: Partial<UsageInput> & { modelId: string }) {
  const reservation = await reserveFunds(db, {
    userId: user.id,
    amountNano: costNano,
    apiKeyId: usage.apiKeyId ?? null,
    modelId: usage.modelId,
    appId: usage.appId ?? null,
  });
  if (!reservation) throw new Error('reservation refused');
  await settleReservation(db, {
    reservationId: reservation.reservationId,
    actualCostNano: costNano,
    usage: { userId: user.id, inputTokens: 100, outputTokens: 50, latencyMs: 120, status: 'success', ...usage },
  });
  await db.updateTable('usage_records').set({ created_at: at }).where('reservation_id', '=', reservation.reservationId).execute();
}

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  db = server.server.platform.db;
  user = await signUp(api);
  keyId = (await api.post('/api/v1/api-keys', { name: 'usage' }, user.token)).body.id;
  await recordCall('2024-01-01T08:00:00Z', UNIT / 100n, { modelId: 'model_a', appId: 'app_1' });
  await recordCall('2024-01-01T23:59:59Z', UNIT / 100n, { modelId: 'model_b', apiKeyId: keyId });
  await recordCall('2024-01-02T00:00:00Z', UNIT / 50n, { modelId: 'model_a', appId: 'app_1', apiKeyId: keyId });
  await recordCall('2024-01-03T12:00:00Z', UNIT / 20n, { modelId: 'model_a', inputTokens: 7, outputTokens: 3 });
  await recordCall('2024-01-03T13:00:00Z', 0n, { modelId: 'model_a', status: 'failed', inputTokens: 0, outputTokens: 0 });
  // Someone else's usage never shows.
  const other = await signUp(api);
  const r = await reserveFunds(db, { userId: other.id, amountNano: UNIT, modelId: 'model_a' });
  await settleReservation(db, {
    reservationId: r!.reservationId,
    actualCostNano: UNIT,
    usage: { userId: other.id, modelId: 'model_a', inputTokens: 1, outputTokens: 1, latencyMs: 1, status: 'success' },
  });
});
afterAll(() => server?.close());

describe('GET /usage', () => {
  it('lists the caller’s records newest first with totals and per-day sums', async () => {
    const res = await api.get('/api/v1/usage', user.token);
    expect(res.status).toBe(200);
    expect(res.body.pagination).toEqual({ page: 1, limit: 20, total: 5, pages: 1 });
    expect(res.body.data.map((r: { created_at: string }) => r.created_at)).toEqual([
      '2024-01-03T13:00:00.000Z',
      '2024-01-03T12:00:00.000Z',
      '2024-01-02T00:00:00.000Z',
      '2024-01-01T23:59:59.000Z',
      '2024-01-01T08:00:00.000Z',
    ]);
    expect(res.body.data[1]).toMatchObject({
      model_id: 'model_a',
      input_tokens: 7,
      output_tokens: 3,
      cost: 0.05,
      latency_ms: 120,
      status: 'success',
      app_id: null,
    });
    expect(res.body.data[0]).toMatchObject({ status: 'failed', cost: 0 });
    expect(res.body.data[0]).not.toHaveProperty('error');
    expect(res.body.totals).toEqual({ calls: 5, input_tokens: 307, output_tokens: 153, cost: 0.09 });
    expect(res.body.daily).toEqual([
      { date: '2024-01-01', calls: 2, input_tokens: 200, output_tokens: 100, cost: 0.02 },
      { date: '2024-01-02', calls: 1, input_tokens: 100, output_tokens: 50, cost: 0.02 },
      { date: '2024-01-03', calls: 2, input_tokens: 7, output_tokens: 3, cost: 0.05 },
    ]);
  });

  it('filters by model, application and API key', async () => {
    const byModel = await api.get('/api/v1/usage?model_id=model_b', user.token);
    expect(byModel.body.totals).toEqual({ calls: 1, input_tokens: 100, output_tokens: 50, cost: 0.01 });
    const byApp = await api.get('/api/v1/usage?app_id=app_1', user.token);
    expect(byApp.body.data.map((r: { app_id: string }) => r.app_id)).toEqual(['app_1', 'app_1']);
    expect(byApp.body.daily.map((d: { date: string }) => d.date)).toEqual(['2024-01-01', '2024-01-02']);
    const byKey = await api.get(`/api/v1/usage?api_key_id=${keyId}&model_id=model_a`, user.token);
    expect(byKey.body.totals).toEqual({ calls: 1, input_tokens: 100, output_tokens: 50, cost: 0.02 });
  });

  it('filters by date range: a date-only "to" includes that whole UTC day, a timestamp is exclusive', async () => {
    const day = await api.get('/api/v1/usage?from=2024-01-01&to=2024-01-01', user.token);
    expect(day.body.totals.calls).toBe(2);
    expect(day.body.daily).toEqual([{ date: '2024-01-01', calls: 2, input_tokens: 200, output_tokens: 100, cost: 0.02 }]);
    const instant = await api.get('/api/v1/usage?from=2024-01-01T08:00:01Z&to=2024-01-02T00:00:00Z', user.token);
    expect(instant.body.data.map((r: { created_at: string }) => r.created_at)).toEqual(['2024-01-01T23:59:59.000Z']);
    const from = await api.get('/api/v1/usage?from=2024-01-02', user.token);
    expect(from.body.totals.calls).toBe(3);
  });

  it('pages the records while totals and daily cover every match', async () => {
    const res = await api.get('/api/v1/usage?limit=2&page=2', user.token);
    expect(res.body.pagination).toEqual({ page: 2, limit: 2, total: 5, pages: 3 });
    expect(res.body.data.map((r: { created_at: string }) => r.created_at)).toEqual([
      '2024-01-02T00:00:00.000Z',
      '2024-01-01T23:59:59.000Z',
    ]);
    expect(res.body.totals.calls).toBe(5);
    expect(res.body.daily).toHaveLength(3);
  });

  it('answers an empty report for a range without usage', async () => {
    const res = await api.get('/api/v1/usage?from=2030-01-01', user.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: [],
      pagination: { page: 1, limit: 20, total: 0, pages: 0 },
      totals: { calls: 0, input_tokens: 0, output_tokens: 0, cost: 0 },
      daily: [],
    });
  });

  it.each([
    ['a malformed date', '?from=yesterday'],
    ['from after to', '?from=2024-01-03&to=2024-01-01'],
    ['a limit over 100', '?limit=101'],
    ['a date in year 0 (found by the fuzz: a 500 on PGlite)', '?from=0000-02-29&to=0000-03-30'],
    ['a timestamp before 1970', '?from=1969-12-31T23:59:59Z'],
  ])('answers 400 for %s', async (_label, query) => {
    const res = await api.get(`/api/v1/usage${query}`, user.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
  });

  it('requires authentication', async () => {
    expect((await api.get('/api/v1/usage')).status).toBe(401);
  });

  it('keeps the books: the wallet lost exactly the charged usage', async () => {
    const { rows } = await sql<{ balance: bigint; ledger: bigint; usage: bigint }>`
      SELECT w.balance_nano AS balance,
             (SELECT sum(amount_nano)::bigint FROM ledger_entries WHERE user_id = w.user_id) AS ledger,
             (SELECT sum(cost_nano)::bigint FROM usage_records WHERE user_id = w.user_id) AS usage
      FROM wallets w WHERE w.user_id = ${user.id}`.execute(db);
    expect(rows[0]).toEqual({
      balance: 10n * UNIT - (9n * UNIT) / 100n,
      ledger: 10n * UNIT - (9n * UNIT) / 100n,
      usage: (9n * UNIT) / 100n,
    });
  });
});

describe('GET /usage: cached input tokens', () => {
  it('shows cached_input_tokens on a record whose call read some from a prompt cache, and not on one that did not', async () => {
    const reader = await signUp(api);
    for (const cachedInputTokens of [0, 60]) {
      const reservation = await reserveFunds(db, { userId: reader.id, amountNano: UNIT / 100n, modelId: 'model_cache' });
      await settleReservation(db, {
        reservationId: reservation!.reservationId,
        actualCostNano: UNIT / 100n,
        usage: {
          userId: reader.id,
          modelId: 'model_cache',
          inputTokens: 100,
          cachedInputTokens,
          outputTokens: 10,
          latencyMs: 5,
          status: 'success',
        },
      });
      await db
        .updateTable('usage_records')
        .set({ created_at: cachedInputTokens === 0 ? '2024-02-01T00:00:00Z' : '2024-02-02T00:00:00Z' })
        .where('reservation_id', '=', reservation!.reservationId)
        .execute();
    }
    const res = await api.get('/api/v1/usage', reader.token);
    expect(res.status).toBe(200);
    const [cached, plain] = res.body.data as Record<string, unknown>[];
    expect(cached).toMatchObject({ model_id: 'model_cache', input_tokens: 100, cached_input_tokens: 60, output_tokens: 10 });
    expect(plain).toMatchObject({ model_id: 'model_cache', input_tokens: 100, output_tokens: 10 });
    expect(plain).not.toHaveProperty('cached_input_tokens');
  });
});
