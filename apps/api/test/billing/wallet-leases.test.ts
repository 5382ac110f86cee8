import type { Database } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseStaleLeases } from '@maas/api';
import type { ChatMessage, ChatWorld } from '../kit/index.js';
import { newId } from '@maas/api/testing';
import { closeLease, openLease, settleLeaseCalls, type LeasedCallRecord, DEFAULT_LEASE_OPTIONS, WalletLeases } from '@maas/api/testing';
import { createMockProvider, createRoutedModel, expectedCostNano, mockUsage, settled, signUp, startChatWorld } from '../kit/index.js';

const UNIT = 1_000_000_000n;

let world: ChatWorld;
let db: Kysely<Database>;

beforeAll(async () => {
  world = await startChatWorld();
  db = world.server.server.platform.db;
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
});

async function books(userId: string) {
  const wallet = await db
    .selectFrom('wallets')
    .select(['balance_nano', 'held_nano'])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  const { rows } = await sql<{
    sum: bigint;
  }>`SELECT coalesce(sum(amount_nano), 0)::bigint AS sum FROM ledger_entries WHERE user_id = ${userId}`.execute(db);
  return { ...wallet, ledgerSum: rows[0]?.sum ?? 0n };
}

function callRecord(overrides: Partial<LeasedCallRecord> = {}): LeasedCallRecord {
  const random = newId('rsv').slice(4);
  return {
    callId: `rsv_${random}`,
    usageId: `usage_${random}`,
    ledgerEntryId: `txn_${random}`,
    appId: null,
    modelId: 'model_test',
    providerId: null,
    conversationId: null,
    inputTokens: 10,
    outputTokens: 20,
    costNano: 1_000n,
    latencyMs: 3,
    status: 'success',
    error: null,
    finishedAt: new Date(),
    ...overrides,
  };
}

describe('wallet leases through the gateway', () => {
  it('funds 120 concurrent calls from a few leases and books every one exactly once', async () => {
    const provider = await createMockProvider(world);
    const model = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }], {
      name: `lease-model-${Date.now()}`,
    });
    const user = await signUp(world.api);
    const keyRes = await world.api.post('/api/v1/api-keys', { name: 'leases', spend_cap: 5 }, user.token);
    expect(keyRes.status).toBe(201);
    const messages: ChatMessage[] = [{ role: 'user', content: 'lease me' }];
    const perCall = expectedCostNano(mockUsage(messages));

    const statuses = await Promise.all(
      Array.from({ length: 120 }, () =>
        fetch(`${world.server.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${keyRes.body.key}` },
          body: JSON.stringify({ model: model.name, messages }),
        }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    await settled(world.server);

    const usage = await db
      .selectFrom('usage_records')
      .select(['id', 'cost_nano', 'lease_id', 'reservation_id'])
      .where('user_id', '=', user.id)
      .execute();
    expect(usage).toHaveLength(120);
    expect(usage.every((u) => u.cost_nano === perCall)).toBe(true);
    expect(new Set(usage.map((u) => u.reservation_id)).size).toBe(120);
    // With a balance of 10 and holds far below it, the calls share leases instead of reserving each.
    const leased = usage.filter((u) => u.lease_id !== null);
    expect(leased.length).toBeGreaterThan(100);

    const leases = await db.selectFrom('wallet_leases').selectAll().where('user_id', '=', user.id).execute();
    expect(leases.length).toBeGreaterThan(0);
    expect(leases.length).toBeLessThan(20);
    expect(leases.every((l) => l.status === 'closed')).toBe(true);
    expect(leases.reduce((sum, l) => sum + l.calls, 0)).toBe(leased.length);
    expect(leases.reduce((sum, l) => sum + l.charged_nano, 0n)).toBe(BigInt(leased.length) * perCall);

    const after = await books(user.id);
    expect(after.held_nano).toBe(0n);
    expect(after.ledgerSum).toBe(after.balance_nano);
    expect(after.balance_nano).toBe(10n * UNIT - 120n * perCall);
    const entries = await db
      .selectFrom('ledger_entries')
      .select(['reference_id', 'amount_nano', 'balance_after_nano'])
      .where('user_id', '=', user.id)
      .where('kind', '=', 'model_usage')
      .execute();
    expect(new Set(entries.map((e) => e.reference_id))).toEqual(new Set(usage.map((u) => u.id)));
    // Every entry's balance_after is a distinct step of the walk down to the final balance.
    const afters = entries.map((e) => e.balance_after_nano).sort((a, b) => (a < b ? -1 : 1));
    expect(afters[0]).toBe(after.balance_nano);
    expect(new Set(afters).size).toBe(120);

    const key = await db
      .selectFrom('api_keys')
      .select(['held_nano', 'spent_nano'])
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(key).toEqual({ held_nano: 0n, spent_nano: 120n * perCall });
  });
});

describe('lease statements', () => {
  it('sizes a lease by the wallet, the share and the key cap, and refuses one below the minimum', async () => {
    const user = await signUp(world.api);
    const big = await openLease(db, { userId: user.id, apiKeyId: null, desiredNano: 100n * UNIT, minimumNano: 1n, share: 4n });
    expect(big?.amountNano).toBe((10n * UNIT) / 4n);
    expect(
      await openLease(db, { userId: user.id, apiKeyId: null, desiredNano: 100n * UNIT, minimumNano: 2n * UNIT, share: 4n }),
    ).toBeNull();
    expect((await books(user.id)).held_nano).toBe((10n * UNIT) / 4n);

    const keyRes = await world.api.post('/api/v1/api-keys', { name: 'capped', spend_cap: 1 }, user.token);
    const keyId = keyRes.body.id as string;
    const capped = await openLease(db, { userId: user.id, apiKeyId: keyId, desiredNano: 100n * UNIT, minimumNano: 1n, share: 4n });
    expect(capped?.amountNano).toBe(UNIT / 4n);
    const key = await db.selectFrom('api_keys').select(['held_nano']).where('id', '=', keyId).executeTakeFirstOrThrow();
    expect(key.held_nano).toBe(UNIT / 4n);
    // Another user's key cannot fund this user's lease.
    const other = await signUp(world.api);
    expect(await openLease(db, { userId: other.id, apiKeyId: keyId, desiredNano: UNIT, minimumNano: 1n, share: 4n })).toBeNull();

    expect(await closeLease(db, big!.leaseId)).toBe((10n * UNIT) / 4n);
    expect(await closeLease(db, big!.leaseId)).toBeNull();
    expect(await closeLease(db, capped!.leaseId)).toBe(UNIT / 4n);
    expect(await books(user.id)).toMatchObject({ held_nano: 0n, balance_nano: 10n * UNIT });
  });

  it('books a replayed batch once, and nothing on a closed lease', async () => {
    const user = await signUp(world.api);
    const lease = await openLease(db, { userId: user.id, apiKeyId: null, desiredNano: UNIT, minimumNano: 1n, share: 1n });
    const ref = { leaseId: lease!.leaseId, userId: user.id, apiKeyId: null };
    const batch = [
      callRecord({ costNano: 700n }),
      callRecord({ costNano: 0n, status: 'failed', error: 'upstream 500' }),
      callRecord({ costNano: 300n, status: 'partial' }),
    ];

    expect(await settleLeaseCalls(db, ref, batch)).toEqual({ leaseOpen: true, chargedNano: 1_000n, booked: 3 });
    // A reply lost after commit makes the book retry the same batch: nothing more is booked.
    expect(await settleLeaseCalls(db, ref, batch)).toEqual({ leaseOpen: true, chargedNano: 0n, booked: 0 });
    const mid = await books(user.id);
    expect(mid).toMatchObject({ balance_nano: 10n * UNIT - 1_000n, held_nano: UNIT - 1_000n, ledgerSum: 10n * UNIT - 1_000n });
    const entries = await db
      .selectFrom('ledger_entries')
      .select('amount_nano')
      .where('user_id', '=', user.id)
      .where('kind', '=', 'model_usage')
      .execute();
    expect(entries.map((e) => e.amount_nano).sort()).toEqual([-300n, -700n].sort());
    const failed = await db.selectFrom('usage_records').selectAll().where('id', '=', batch[1]!.usageId).executeTakeFirstOrThrow();
    expect(failed).toMatchObject({ status: 'failed', cost_nano: 0n, error: 'upstream 500', lease_id: lease!.leaseId });

    expect(await closeLease(db, lease!.leaseId)).toBe(UNIT - 1_000n);
    expect(await settleLeaseCalls(db, ref, [callRecord()])).toEqual({ leaseOpen: false, chargedNano: 0n, booked: 0 });
    expect(await books(user.id)).toMatchObject({ balance_nano: 10n * UNIT - 1_000n, held_nano: 0n, ledgerSum: 10n * UNIT - 1_000n });
  });

  it('refuses a batch that would charge more than the lease holds', async () => {
    const user = await signUp(world.api);
    const lease = await openLease(db, { userId: user.id, apiKeyId: null, desiredNano: 1_000n, minimumNano: 1n, share: 1n });
    const ref = { leaseId: lease!.leaseId, userId: user.id, apiKeyId: null };
    await expect(settleLeaseCalls(db, ref, [callRecord({ costNano: 1_001n })])).rejects.toThrow();
    expect(await books(user.id)).toMatchObject({ balance_nano: 10n * UNIT, held_nano: 1_000n });
    await closeLease(db, lease!.leaseId);
  });

  it('releases leases a crashed instance left open', async () => {
    const user = await signUp(world.api);
    const stale = await openLease(db, { userId: user.id, apiKeyId: null, desiredNano: UNIT, minimumNano: 1n, share: 4n });
    const fresh = await openLease(db, { userId: user.id, apiKeyId: null, desiredNano: UNIT, minimumNano: 1n, share: 4n });
    await db
      .updateTable('wallet_leases')
      .set({ created_at: sql`now() - interval '1 hour'` })
      .where('id', '=', stale!.leaseId)
      .execute();
    expect(await releaseStaleLeases(db, 10 * 60_000)).toBeGreaterThanOrEqual(1);
    const rows = await db.selectFrom('wallet_leases').select(['id', 'status']).where('user_id', '=', user.id).execute();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [stale!.leaseId]: 'closed', [fresh!.leaseId]: 'open' });
    expect((await books(user.id)).held_nano).toBe(UNIT);
    await closeLease(db, fresh!.leaseId);
  });
});

describe('WalletLeases', () => {
  it('holds calls in memory, charges each its cost, and gives everything back on drain', async () => {
    const user = await signUp(world.api);
    const leases = new WalletLeases(db, { ...DEFAULT_LEASE_OPTIONS, leaseCalls: 10, minimumCalls: 2, share: 1 });
    const holds = await Promise.all(Array.from({ length: 10 }, () => leases.hold(user.id, null, UNIT / 10n)));
    expect(holds.every((h) => h !== null)).toBe(true);
    expect(new Set(holds.map((h) => h!.lease)).size).toBe(1);
    // The lease (10 holds) is full: the 11th call does not fit and opens a second, smaller one.
    const eleventh = await leases.hold(user.id, null, UNIT / 10n);
    expect(eleventh?.lease).not.toBe(holds[0]!.lease);

    const outcome = {
      appId: null,
      modelId: 'model_test',
      providerId: null,
      conversationId: null,
      inputTokens: 1,
      outputTokens: 1,
      latencyMs: 1,
      error: null,
    };
    leases.settle(holds[0]!, { ...outcome, costNano: UNIT / 10n, status: 'success' });
    leases.settle(holds[0]!, { ...outcome, costNano: 5n, status: 'success' }); // a second settle changes nothing
    leases.settle(holds[1]!, { ...outcome, costNano: 5n, status: 'failed' });
    for (const hold of holds.slice(2)) leases.settle(hold!, { ...outcome, costNano: 7n, status: 'success' });
    leases.settle(eleventh!, { ...outcome, costNano: 3n, status: 'cancelled' });
    await leases.drain();
    leases.stop();

    const expected = UNIT / 10n + 8n * 7n + 3n;
    expect(await books(user.id)).toMatchObject({ held_nano: 0n, balance_nano: 10n * UNIT - expected, ledgerSum: 10n * UNIT - expected });
    const usage = await db.selectFrom('usage_records').select(['cost_nano', 'status']).where('user_id', '=', user.id).execute();
    expect(usage).toHaveLength(11);
    expect(usage.filter((u) => u.status === 'failed')).toEqual([{ cost_nano: 0n, status: 'failed' }]);
    expect(leases.openLeaseCount).toBe(0);
  });

  it('books calls that keep finishing in batches a flush delay apart, not a statement per handful', async () => {
    const user = await signUp(world.api);
    let statements = 0;
    // Counts the statements this book sends (settlements, lease open and close), each answered a
    // few milliseconds late as over a network, so calls keep finishing while a batch is written.
    const countingDb = db.withPlugin({
      transformQuery: (args) => {
        statements += 1;
        return args.node;
      },
      transformResult: async (args) => {
        await new Promise((resolve) => setTimeout(resolve, 4));
        return args.result;
      },
    });
    const flushDelayMs = 50;
    const leases = new WalletLeases(countingDb, { ...DEFAULT_LEASE_OPTIONS, flushDelayMs, share: 1 });
    const outcome = {
      appId: null,
      modelId: 'model_test',
      providerId: null,
      conversationId: null,
      inputTokens: 1,
      outputTokens: 1,
      costNano: 2n,
      latencyMs: 1,
      status: 'success' as const,
      error: null,
    };
    // Steady traffic for ~0.5 s: a call finishes every millisecond or two, so some always arrive
    // while a batch is being written.
    const started = Date.now();
    let calls = 0;
    while (Date.now() - started < 500) {
      const hold = await leases.hold(user.id, null, UNIT / 1_000n);
      expect(hold).not.toBeNull();
      leases.settle(hold!, outcome);
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await leases.drain();
    leases.stop();

    expect(calls).toBeGreaterThan(100);
    // One settlement per flush delay (≈ 10 in 0.5 s), plus opening and closing the lease; writing
    // each handful as it arrived took one per round trip, several times as many.
    expect(statements).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / flushDelayMs) + 4);
    const usage = await db.selectFrom('usage_records').select(['cost_nano']).where('user_id', '=', user.id).execute();
    expect(usage).toHaveLength(calls);
    expect(await books(user.id)).toMatchObject({ held_nano: 0n, balance_nano: 10n * UNIT - 2n * BigInt(calls) });
  });

  it('opens no lease near the edge of a balance, so per-call reservations spend it exactly', async () => {
    const user = await signUp(world.api);
    const leases = new WalletLeases(db);
    // A balance of 10 fits 8 holds of 1.25 but not the 8 × 4 (minimum × share) a lease needs.
    expect(await leases.hold(user.id, null, (5n * UNIT) / 4n)).toBeNull();
    // A smaller call still gets a lease.
    const small = await leases.hold(user.id, null, UNIT / 100n);
    expect(small).not.toBeNull();
    leases.settle(small!, {
      appId: null,
      modelId: 'model_test',
      providerId: null,
      conversationId: null,
      inputTokens: 1,
      outputTokens: 1,
      costNano: 9n,
      latencyMs: 1,
      status: 'success',
      error: null,
    });
    await leases.drain();
    leases.stop();
    expect(await books(user.id)).toMatchObject({ held_nano: 0n, balance_nano: 10n * UNIT - 9n, ledgerSum: 10n * UNIT - 9n });
  });
});
