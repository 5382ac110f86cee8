import type { Database } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseStaleReservations } from '@maas/api';
import { getApiKeyPolicy, reserveFunds, settleReservation, type UsageInput } from '@maas/api/testing';
import { apiClient, type ApiClient, setRole, signUp, startTestServer, type TestServer } from '../kit/index.js';

const UNIT = 1_000_000_000n;

let server: TestServer;
let api: ApiClient;
let db: Kysely<Database>;
let admin: Awaited<ReturnType<typeof signUp>>;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  db = server.server.platform.db;
  admin = await signUp(api, 'admin');
  await setRole(server, admin.id, 'admin');
});
afterAll(() => server?.close());

async function wallet(userId: string) {
  return db.selectFrom('wallets').select(['balance_nano', 'held_nano']).where('user_id', '=', userId).executeTakeFirstOrThrow();
}

async function ledgerSum(userId: string): Promise<bigint> {
  const { rows } = await sql<{
    sum: bigint;
  }>`SELECT coalesce(sum(amount_nano), 0)::bigint AS sum FROM ledger_entries WHERE user_id = ${userId}`.execute(db);
  return rows[0]?.sum ?? 0n;
}

async function expectBooksBalanced(userId: string) {
  const { balance_nano, held_nano } = await wallet(userId);
  expect(await ledgerSum(userId)).toBe(balance_nano);
  expect(balance_nano >= 0n).toBe(true);
  expect(held_nano >= 0n).toBe(true);
  expect(held_nano <= balance_nano).toBe(true);
}

function usageFor(userId: string, overrides: Partial<UsageInput> = {}): UsageInput {
  return { userId, modelId: 'model_test', inputTokens: 10, outputTokens: 20, latencyMs: 5, status: 'success', ...overrides };
}

describe('reserveFunds', () => {
  it('lets exactly floor(balance / amount) of 200 concurrent reservations through and never oversubscribes', async () => {
    const user = await signUp(api);
    const amountNano = (3n * UNIT) / 10n; // 0.3 of a balance of 10 → 33 fit
    const results = await Promise.all(
      Array.from({ length: 200 }, () => reserveFunds(db, { userId: user.id, amountNano, modelId: 'model_test' })),
    );
    const granted = results.filter((r) => r !== null);
    expect(granted).toHaveLength(33);
    expect(new Set(granted.map((r) => r.reservationId)).size).toBe(33);
    const { balance_nano, held_nano } = await wallet(user.id);
    expect(balance_nano).toBe(10n * UNIT);
    expect(held_nano).toBe(33n * amountNano);
    expect(held_nano <= balance_nano).toBe(true);
    const rows = await db.selectFrom('model_reservations').select(['status', 'amount_nano']).where('user_id', '=', user.id).execute();
    expect(rows).toHaveLength(33);
    expect(rows.every((r) => r.status === 'held' && r.amount_nano === amountNano)).toBe(true);
    await expectBooksBalanced(user.id);
  });

  it('answers null when the available balance (balance minus holds) does not cover the amount', async () => {
    const user = await signUp(api);
    expect(await reserveFunds(db, { userId: user.id, amountNano: 10n * UNIT + 1n, modelId: 'm' })).toBeNull();
    expect(await reserveFunds(db, { userId: user.id, amountNano: 6n * UNIT, modelId: 'm' })).not.toBeNull();
    expect(await reserveFunds(db, { userId: user.id, amountNano: 4n * UNIT + 1n, modelId: 'm' })).toBeNull();
    expect(await reserveFunds(db, { userId: user.id, amountNano: 4n * UNIT, modelId: 'm' })).not.toBeNull();
    expect((await api.get('/api/v1/wallet', user.token)).body).toEqual({ balance: 10, held: 10, available: 0, currency: 'CNY' });
    // Held money cannot be debited by an admin either.
    const debit = await api.post(`/api/v1/admin/users/${user.id}/wallet/debit`, { amount: 1, reason: 'held' }, admin.token);
    expect(debit.status).toBe(402);
  });

  it('respects an API key spend cap under concurrency, together with the wallet', async () => {
    const user = await signUp(api);
    const { body: key } = await api.post('/api/v1/api-keys', { name: 'capped', spend_cap: 1 }, user.token);
    const amountNano = (15n * UNIT) / 100n; // 0.15 of a cap of 1 → 6 fit
    const results = await Promise.all(
      Array.from({ length: 60 }, () => reserveFunds(db, { userId: user.id, apiKeyId: key.id, amountNano, modelId: 'model_test' })),
    );
    const granted = results.filter((r) => r !== null);
    expect(granted).toHaveLength(6);
    const keyRow = await db.selectFrom('api_keys').select(['held_nano', 'spent_nano']).where('id', '=', key.id).executeTakeFirstOrThrow();
    expect(keyRow.held_nano).toBe(6n * amountNano);
    expect((await wallet(user.id)).held_nano).toBe(6n * amountNano);

    // Settle them at 0.1 each: spent 0.6, nothing held → 0.4 of the cap is left.
    await Promise.all(
      granted.map((r) =>
        settleReservation(db, {
          reservationId: r.reservationId,
          actualCostNano: UNIT / 10n,
          usage: usageFor(user.id, { apiKeyId: key.id }),
        }),
      ),
    );
    const settled = await db.selectFrom('api_keys').select(['held_nano', 'spent_nano']).where('id', '=', key.id).executeTakeFirstOrThrow();
    expect(settled).toEqual({ held_nano: 0n, spent_nano: (6n * UNIT) / 10n });
    expect(await reserveFunds(db, { userId: user.id, apiKeyId: key.id, amountNano: (4n * UNIT) / 10n + 1n, modelId: 'm' })).toBeNull();
    expect(await reserveFunds(db, { userId: user.id, apiKeyId: key.id, amountNano: (4n * UNIT) / 10n, modelId: 'm' })).not.toBeNull();
    // Without the key the wallet alone decides.
    expect(await reserveFunds(db, { userId: user.id, amountNano: UNIT, modelId: 'm' })).not.toBeNull();

    const listed = await api.get('/api/v1/api-keys', user.token);
    expect(listed.body.data[0]).toMatchObject({ spend_cap: 1, spent: 0.6 });
    const policy = await getApiKeyPolicy(server.server.platform, key.id);
    expect(policy.spendCapNano).toBe(UNIT);
    await expectBooksBalanced(user.id);
  });

  it('holds nothing on the wallet when the key cap refuses, and nothing on the key when the wallet refuses', async () => {
    const user = await signUp(api);
    const { body: key } = await api.post('/api/v1/api-keys', { name: 'big cap', spend_cap: 100 }, user.token);
    expect(await reserveFunds(db, { userId: user.id, apiKeyId: key.id, amountNano: 11n * UNIT, modelId: 'm' })).toBeNull();
    const { body: small } = await api.post('/api/v1/api-keys', { name: 'small cap', spend_cap: 1 }, user.token);
    expect(await reserveFunds(db, { userId: user.id, apiKeyId: small.id, amountNano: 2n * UNIT, modelId: 'm' })).toBeNull();
    const keys = await db.selectFrom('api_keys').select('held_nano').where('user_id', '=', user.id).execute();
    expect(keys.every((k) => k.held_nano === 0n)).toBe(true);
    expect((await wallet(user.id)).held_nano).toBe(0n);
    // Another user's key cannot be used to reserve.
    const other = await signUp(api);
    expect(await reserveFunds(db, { userId: other.id, apiKeyId: key.id, amountNano: 1n, modelId: 'm' })).toBeNull();
  });
});

describe('settleReservation', () => {
  it('charges the actual cost once under 50 concurrent double settles, taking any excess over the hold from the wallet, and the ledger sums to the balance', async () => {
    const user = await signUp(api);
    const { body: key } = await api.post('/api/v1/api-keys', { name: 'settle', spend_cap: 10 }, user.token);
    const reserved = UNIT / 10n;
    const reservations = await Promise.all(
      Array.from({ length: 50 }, () =>
        reserveFunds(db, { userId: user.id, apiKeyId: key.id, amountNano: reserved, modelId: 'model_test' }),
      ),
    );
    expect(reservations.every((r) => r !== null)).toBe(true);
    // Half cost more than reserved (the excess comes from the wallet and the key's cap, which have room), half cost less.
    const actualOf = (i: number) => (i % 2 === 0 ? reserved * 3n : reserved / 4n);
    const settles = await Promise.all(
      reservations.flatMap((r, i) =>
        [0, 1].map(() =>
          settleReservation(db, {
            reservationId: r!.reservationId,
            actualCostNano: actualOf(i),
            usage: usageFor(user.id, { apiKeyId: key.id }),
          }),
        ),
      ),
    );
    for (let i = 0; i < reservations.length; i++) {
      const [first, second] = [settles[2 * i]!, settles[2 * i + 1]!];
      expect([first.alreadySettled, second.alreadySettled].sort()).toEqual([false, true]);
      expect(first.chargedNano).toBe(second.chargedNano);
      expect(first.ledgerEntryId).toBe(second.ledgerEntryId);
      expect(first.chargedNano).toBe(actualOf(i));
      expect(first.uncollectedNano).toBe(0n);
    }
    const expectedCharge = 25n * 3n * reserved + 25n * (reserved / 4n);
    const { balance_nano, held_nano } = await wallet(user.id);
    expect(held_nano).toBe(0n);
    expect(balance_nano).toBe(10n * UNIT - expectedCharge);
    const entries = await db
      .selectFrom('ledger_entries')
      .selectAll()
      .where('user_id', '=', user.id)
      .where('kind', '=', 'model_usage')
      .execute();
    expect(entries).toHaveLength(50);
    const usage = await db.selectFrom('usage_records').selectAll().where('user_id', '=', user.id).execute();
    expect(usage).toHaveLength(50);
    expect(usage.reduce((sum, u) => sum + u.cost_nano, 0n)).toBe(expectedCharge);
    expect(new Set(entries.map((e) => e.reference_id))).toEqual(new Set(usage.map((u) => u.id)));
    const keyRow = await db.selectFrom('api_keys').select(['held_nano', 'spent_nano']).where('id', '=', key.id).executeTakeFirstOrThrow();
    expect(keyRow).toEqual({ held_nano: 0n, spent_nano: expectedCharge });
    await expectBooksBalanced(user.id);
  });

  it('charges 0 for a failed call, writes no ledger entry and still records the usage', async () => {
    const user = await signUp(api);
    const r = await reserveFunds(db, { userId: user.id, amountNano: UNIT, modelId: 'model_test', appId: 'app_1' });
    const settled = await settleReservation(db, {
      reservationId: r!.reservationId,
      actualCostNano: UNIT / 2n,
      usage: usageFor(user.id, { status: 'failed', error: 'upstream 500', inputTokens: 0, outputTokens: 0, providerId: 'prov_1' }),
    });
    expect(settled).toEqual({ chargedNano: 0n, uncollectedNano: 0n, ledgerEntryId: null, alreadySettled: false });
    expect(await wallet(user.id)).toEqual({ balance_nano: 10n * UNIT, held_nano: 0n });
    const usage = await db.selectFrom('usage_records').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(usage).toMatchObject({
      status: 'failed',
      cost_nano: 0n,
      error: 'upstream 500',
      app_id: 'app_1',
      provider_id: 'prov_1',
      reservation_id: r!.reservationId,
    });
    expect(
      await db.selectFrom('ledger_entries').select('id').where('user_id', '=', user.id).where('kind', '=', 'model_usage').execute(),
    ).toHaveLength(0);
  });

  it('writes no ledger entry for a zero-cost success, charges partial and cancelled calls', async () => {
    const user = await signUp(api);
    const [a, b, c] = await Promise.all(
      [1, 2, 3].map(() => reserveFunds(db, { userId: user.id, amountNano: UNIT, modelId: 'model_test' })),
    );
    expect(
      (await settleReservation(db, { reservationId: a!.reservationId, actualCostNano: 0n, usage: usageFor(user.id) }))?.ledgerEntryId,
    ).toBeNull();
    const partial = await settleReservation(db, {
      reservationId: b!.reservationId,
      actualCostNano: 7n,
      usage: usageFor(user.id, { status: 'partial' }),
    });
    const cancelled = await settleReservation(db, {
      reservationId: c!.reservationId,
      actualCostNano: 5n,
      usage: usageFor(user.id, { status: 'cancelled' }),
    });
    expect(partial?.chargedNano).toBe(7n);
    expect(cancelled?.chargedNano).toBe(5n);
    expect(await wallet(user.id)).toEqual({ balance_nano: 10n * UNIT - 12n, held_nano: 0n });
    await expectBooksBalanced(user.id);
  });

  it('answers null for an unknown reservation and changes nothing', async () => {
    expect(await settleReservation(db, { reservationId: 'rsv_unknown', actualCostNano: 1n, usage: usageFor(admin.id) })).toBeNull();
  });
});

describe('reserve and settle together', () => {
  it('interleaves 100 concurrent calls through one key with admin movements without deadlock or drift', async () => {
    const user = await signUp(api);
    const { body: key } = await api.post('/api/v1/api-keys', { name: 'busy', spend_cap: 3 }, user.token);
    const call = async (i: number) => {
      const r = await reserveFunds(db, {
        userId: user.id,
        apiKeyId: i % 3 === 0 ? null : key.id,
        amountNano: UNIT / 10n,
        modelId: 'model_test',
      });
      if (!r) return 'refused';
      await settleReservation(db, { reservationId: r.reservationId, actualCostNano: UNIT / 20n, usage: usageFor(user.id) });
      return 'settled';
    };
    const admin_ = (i: number) =>
      api.post(`/api/v1/admin/users/${user.id}/wallet/${i % 2 === 0 ? 'credit' : 'debit'}`, { amount: 0.5, reason: 'noise' }, admin.token);
    const outcomes = await Promise.all([
      ...Array.from({ length: 100 }, (_, i) => call(i)),
      ...Array.from({ length: 10 }, (_, i) => admin_(i).then((r) => String(r.status))),
    ]);
    expect(outcomes.filter((o) => o === 'settled').length).toBeGreaterThan(0);
    expect(outcomes.every((o) => ['settled', 'refused', '201', '402'].includes(o))).toBe(true);
    expect((await wallet(user.id)).held_nano).toBe(0n);
    const keyRow = await db
      .selectFrom('api_keys')
      .select(['held_nano', 'spent_nano', 'spend_cap_nano'])
      .where('id', '=', key.id)
      .executeTakeFirstOrThrow();
    expect(keyRow.held_nano).toBe(0n);
    expect(keyRow.spent_nano <= keyRow.spend_cap_nano!).toBe(true);
    await expectBooksBalanced(user.id);
  });
});

describe('releaseStaleReservations', () => {
  it('settles holds older than the threshold as failed with no charge, and leaves fresh ones alone', async () => {
    const user = await signUp(api);
    const { body: key } = await api.post('/api/v1/api-keys', { name: 'stale', spend_cap: 5 }, user.token);
    const stale = await reserveFunds(db, { userId: user.id, apiKeyId: key.id, amountNano: 2n * UNIT, modelId: 'model_test' });
    const fresh = await reserveFunds(db, { userId: user.id, amountNano: UNIT, modelId: 'model_test' });
    await db
      .updateTable('model_reservations')
      .set({ created_at: sql`now() - interval '1 hour'` })
      .where('id', '=', stale!.reservationId)
      .execute();

    const released = await releaseStaleReservations(db, 10 * 60_000);
    expect(released).toBeGreaterThanOrEqual(1);
    expect(await wallet(user.id)).toEqual({ balance_nano: 10n * UNIT, held_nano: UNIT });
    const keyRow = await db.selectFrom('api_keys').select(['held_nano', 'spent_nano']).where('id', '=', key.id).executeTakeFirstOrThrow();
    expect(keyRow).toEqual({ held_nano: 0n, spent_nano: 0n });
    const rows = await db.selectFrom('model_reservations').select(['id', 'status']).where('user_id', '=', user.id).execute();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({
      [stale!.reservationId]: 'settled',
      [fresh!.reservationId]: 'held',
    });
    const usage = await db
      .selectFrom('usage_records')
      .selectAll()
      .where('reservation_id', '=', stale!.reservationId)
      .executeTakeFirstOrThrow();
    expect(usage).toMatchObject({ status: 'failed', cost_nano: 0n, api_key_id: key.id, model_id: 'model_test' });

    // A late settle of the released call is a no-op.
    const late = await settleReservation(db, { reservationId: stale!.reservationId, actualCostNano: UNIT, usage: usageFor(user.id) });
    expect(late).toEqual({ chargedNano: 0n, uncollectedNano: 0n, ledgerEntryId: null, alreadySettled: true });
    await expectBooksBalanced(user.id);
  });
});
