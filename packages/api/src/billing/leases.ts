import type { Database, UsageStatus } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import { newId } from '../core/ids.js';
import { feeOf, type ModelRevenue } from './model-revenue.js';

/*
 * A wallet lease is one atomic hold, like a reservation but sized for many calls, that one server
 * instance spends model calls from in memory (see wallet-leases.ts). Its money moves in three
 * single statements:
 *
 *  - openLease holds min(desired, available / share) on the wallet and on the key's spend cap;
 *  - settleLeaseCalls books a batch of finished calls: usage records, one ledger entry per charged
 *    call, the charges moved from held to spent, and the credit of a model owner's share (see
 *    model-revenue.ts). A call's id is unique in usage_records, so a batch replayed after a lost
 *    reply books nothing twice;
 *  - closeLease gives back what the lease did not charge.
 *
 * Lock order is lease row, api key row, wallet row everywhere (reserveFunds and
 * settleReservation take key then wallet; a booking that credits a model's owner takes the caller's
 * and the owners' wallets in user-id order), so concurrent statements queue instead of deadlocking.
 */

export interface OpenLeaseInput {
  userId: string;
  apiKeyId: string | null;
  /** The size wanted; the lease is smaller when the wallet or the key's cap has less room. */
  desiredNano: bigint;
  /** No lease below this: near the edge of a balance callers reserve per call instead. */
  minimumNano: bigint;
  /** The lease takes at most 1/share of what is spendable, leaving the rest to other instances. */
  share: bigint;
  /** The instance spending it: released soon after that instance stops beating. */
  instanceId?: string | null;
}

export interface OpenedLease {
  leaseId: string;
  amountNano: bigint;
}

export async function openLease(db: Kysely<Database>, input: OpenLeaseInput): Promise<OpenedLease | null> {
  const apiKeyId = input.apiKeyId;
  const result = await sql<{ id: string; amount_nano: bigint }>`
    WITH api_key AS (
      SELECT id, spend_cap_nano - spent_nano - held_nano AS room FROM api_keys
      WHERE id = ${apiKeyId}::text AND user_id = ${input.userId}
      FOR UPDATE
    ),
    wallet_room AS (
      SELECT balance_nano - held_nano AS room FROM wallets
      WHERE user_id = ${input.userId} AND (${apiKeyId}::text IS NULL OR EXISTS (SELECT 1 FROM api_key))
      FOR UPDATE
    ),
    size AS (
      SELECT LEAST(${input.desiredNano}::bigint, wallet_room.room / ${input.share}::bigint,
                   COALESCE((SELECT room FROM api_key) / ${input.share}::bigint, ${input.desiredNano}::bigint)) AS amount
      FROM wallet_room
    ),
    wallet AS (
      UPDATE wallets SET held_nano = held_nano + size.amount, updated_at = now()
      FROM size
      WHERE wallets.user_id = ${input.userId} AND size.amount >= ${input.minimumNano}::bigint AND size.amount > 0
      RETURNING size.amount
    ),
    key_hold AS (
      UPDATE api_keys SET held_nano = api_keys.held_nano + wallet.amount
      FROM wallet
      WHERE api_keys.id IN (SELECT id FROM api_key)
      RETURNING api_keys.id
    )
    INSERT INTO wallet_leases (id, user_id, api_key_id, amount_nano, instance_id)
    SELECT ${newId('lease')}, ${input.userId}, ${apiKeyId}::text, wallet.amount, ${input.instanceId ?? null}::text
    FROM wallet
    WHERE (SELECT count(*) FROM key_hold) >= 0
    RETURNING id, amount_nano`.execute(db);
  const row = result.rows[0];
  return row ? { leaseId: row.id, amountNano: row.amount_nano } : null;
}

/** One finished call, as the lease book hands it to the database. */
export interface LeasedCallRecord {
  /** `rsv_…`: the call's id, unique in usage_records. */
  callId: string;
  usageId: string;
  ledgerEntryId: string;
  appId: string | null;
  modelId: string;
  providerId: string | null;
  conversationId: string | null;
  inputTokens: number;
  cachedInputTokens?: number;
  outputTokens: number;
  /** A unit-billed call's delivery (issue 14), as the usage_records.units JSON text. */
  units?: string | null;
  /** What is charged: within what the lease holds. 0 for a failed call. */
  costNano: bigint;
  /** Cost the lease could not cover (an under-estimated hold on a lease with no room left). */
  uncollectedNano?: bigint;
  latencyMs: number;
  status: UsageStatus;
  error: string | null;
  finishedAt: Date;
  /** A model served from its owner's file: the owner is credited the charge less the fee, in the booking's statement. */
  revenue?: ModelRevenue | null;
}

export interface LeaseBatchResult {
  /** False when the lease was closed (by the stale sweep): nothing was booked. */
  leaseOpen: boolean;
  chargedNano: bigint;
  booked: number;
}

const MAX_INT4 = 2_147_483_647;

function count(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 0;
  return Math.min(Math.round(value), MAX_INT4);
}

/** Books a batch of a lease's finished calls in one statement; replaying a batch books nothing twice. */
export async function settleLeaseCalls(
  db: Kysely<Database>,
  lease: { leaseId: string; userId: string; apiKeyId: string | null },
  calls: readonly LeasedCallRecord[],
): Promise<LeaseBatchResult> {
  if (calls.length === 0) return { leaseOpen: true, chargedNano: 0n, booked: 0 };
  const column = <T>(pick: (call: LeasedCallRecord) => T) => calls.map(pick);
  const result = await sql<{ lease_open: boolean; charged: bigint; booked: number }>`
    WITH lease AS (
      -- Locks the lease first; a lease the sweep has closed books nothing.
      SELECT id FROM wallet_leases WHERE id = ${lease.leaseId} AND status = 'open' FOR UPDATE
    ),
    batch AS (
      SELECT * FROM unnest(
        ${column((c) => c.callId)}::text[], ${column((c) => c.usageId)}::text[], ${column((c) => c.ledgerEntryId)}::text[],
        ${column((c) => c.appId)}::text[], ${column((c) => c.modelId)}::text[], ${column((c) => c.providerId)}::text[],
        ${column((c) => c.conversationId)}::text[], ${column((c) => count(c.inputTokens))}::int[],
        ${column((c) => Math.min(count(c.cachedInputTokens ?? 0), count(c.inputTokens)))}::int[],
        ${column((c) => (c.uncollectedNano !== undefined && c.uncollectedNano > 0n ? c.uncollectedNano : 0n).toString())}::bigint[],
        ${column((c) => count(c.outputTokens))}::int[], ${column((c) => (c.costNano > 0n ? c.costNano : 0n).toString())}::bigint[],
        ${column((c) => count(c.latencyMs))}::int[], ${column((c) => c.status)}::text[],
        ${column((c) => c.error?.slice(0, 2000) ?? null)}::text[], ${column((c) => c.finishedAt.toISOString())}::timestamptz[],
        ${column((c) => c.units ?? null)}::jsonb[], ${column((c) => c.revenue?.ownerId ?? null)}::text[],
        ${column((c) => feeOf(c.revenue))}::int[]
      ) AS b(call_id, usage_id, ledger_entry_id, app_id, model_id, provider_id, conversation_id, input_tokens,
             cached_input_tokens, uncollected_nano, output_tokens, cost_nano, latency_ms, status, error, finished_at, units,
             owner_id, fee_percent)
    ),
    usage_rows AS (
      INSERT INTO usage_records (id, user_id, app_id, api_key_id, model_id, provider_id, conversation_id, reservation_id,
                                 lease_id, input_tokens, cached_input_tokens, output_tokens, units, cost_nano, uncollected_nano,
                                 latency_ms, status, error, created_at)
      SELECT b.usage_id, ${lease.userId}, b.app_id, ${lease.apiKeyId}::text, b.model_id, b.provider_id, b.conversation_id,
             b.call_id, lease.id, b.input_tokens, b.cached_input_tokens, b.output_tokens, b.units, b.cost_nano, b.uncollected_nano,
             b.latency_ms, b.status, b.error, b.finished_at
      FROM batch b CROSS JOIN lease
      ON CONFLICT DO NOTHING
      RETURNING id, cost_nano
    ),
    charged AS (
      SELECT coalesce(sum(cost_nano), 0)::bigint AS total, count(*)::int AS booked FROM usage_rows
    ),
    lease_update AS (
      UPDATE wallet_leases SET charged_nano = charged_nano + charged.total, calls = calls + charged.booked
      FROM charged
      WHERE wallet_leases.id IN (SELECT id FROM lease)
      RETURNING wallet_leases.id
    ),
    revenue AS (
      -- Calls booked now (a replay books none) of models served from their owner's file: the owner,
      -- never the caller, gets the charge less the platform fee (model-revenue.ts).
      SELECT b.owner_id, b.model_id, u.id AS usage_id, u.cost_nano - u.cost_nano * b.fee_percent / 100 AS amount
      FROM usage_rows u JOIN batch b ON b.usage_id = u.id
      WHERE b.owner_id IS NOT NULL AND b.owner_id <> ${lease.userId} AND u.cost_nano > 0
    ),
    owner_total AS (
      SELECT owner_id, sum(amount)::bigint AS total FROM revenue WHERE amount > 0 GROUP BY owner_id
    ),
    key_settle AS (
      UPDATE api_keys SET held_nano = api_keys.held_nano - charged.total, spent_nano = api_keys.spent_nano + charged.total
      FROM charged
      WHERE api_keys.id = ${lease.apiKeyId}::text AND charged.total > 0 AND (SELECT count(*) FROM lease_update) > 0
      RETURNING api_keys.id
    ),
    wallet_locks AS (
      -- With owners to credit: the caller's and the owners' wallets locked in one order (by user id),
      -- so that two bookings crediting each other's callers queue instead of deadlocking.
      SELECT user_id FROM wallets
      WHERE (user_id = ${lease.userId} OR user_id IN (SELECT owner_id FROM owner_total))
        AND EXISTS (SELECT 1 FROM owner_total) AND (SELECT count(*) FROM key_settle) >= 0
      ORDER BY user_id
      FOR UPDATE
    ),
    wallet AS (
      -- The sub-select on key_settle makes the key row lock come before the wallet's.
      UPDATE wallets SET held_nano = wallets.held_nano - charged.total, balance_nano = wallets.balance_nano - charged.total,
             updated_at = now()
      FROM charged
      WHERE wallets.user_id = ${lease.userId} AND charged.total > 0 AND (SELECT count(*) FROM key_settle) >= 0
        AND (SELECT count(*) FROM wallet_locks) >= 0 AND (SELECT count(*) FROM lease_update) > 0
      RETURNING wallets.balance_nano
    ),
    ledger AS (
      -- Each charged call gets its entry; balance_after walks down from the balance before the batch.
      INSERT INTO ledger_entries (id, user_id, amount_nano, balance_after_nano, kind, reason, reference_id)
      SELECT b.ledger_entry_id, ${lease.userId}, -u.cost_nano,
             wallet.balance_nano + charged.total - sum(u.cost_nano) OVER (ORDER BY u.id ROWS UNBOUNDED PRECEDING),
             'model_usage', 'model call ' || b.model_id, u.id
      FROM usage_rows u JOIN batch b ON b.usage_id = u.id CROSS JOIN wallet CROSS JOIN charged
      WHERE u.cost_nano > 0
      RETURNING id
    ),
    owner_wallets AS (
      -- After the caller's wallet (the sub-select on it); their rows are locked already (wallet_locks).
      UPDATE wallets SET balance_nano = wallets.balance_nano + owner_total.total, updated_at = now()
      FROM owner_total
      WHERE wallets.user_id = owner_total.owner_id AND (SELECT count(*) FROM wallet) > 0
      RETURNING wallets.user_id, wallets.balance_nano, owner_total.total
    ),
    owner_ledger AS (
      INSERT INTO ledger_entries (id, user_id, amount_nano, balance_after_nano, kind, reason, reference_id)
      SELECT 'txn_r' || substr(r.usage_id, 7), r.owner_id, r.amount,
             w.balance_nano - w.total + sum(r.amount) OVER (PARTITION BY r.owner_id ORDER BY r.usage_id ROWS UNBOUNDED PRECEDING),
             'model_revenue', 'model call ' || r.usage_id, r.model_id
      FROM revenue r JOIN owner_wallets w ON w.user_id = r.owner_id
      WHERE r.amount > 0
      RETURNING id
    )
    SELECT EXISTS (SELECT 1 FROM lease) AS lease_open, charged.total AS charged, charged.booked AS booked
    FROM charged
    WHERE (SELECT count(*) FROM ledger) >= 0 AND (SELECT count(*) FROM owner_ledger) >= 0`.execute(db);
  const row = result.rows[0];
  return { leaseOpen: row?.lease_open ?? false, chargedNano: row?.charged ?? 0n, booked: row?.booked ?? 0 };
}

/**
 * A booked call whose cost exceeded its hold and its lease's room (an under-estimate): takes the
 * rest from the wallet's spendable balance and the key's remaining cap, under row locks in one
 * statement, never below zero, and moves it from the usage row's uncollected_nano to its cost.
 * The ledger entry id is derived from the usage id, so a replay collects nothing twice.
 */
export async function collectLeaseExcess(
  db: Kysely<Database>,
  call: { userId: string; apiKeyId: string | null; usageId: string; modelId: string; revenue?: ModelRevenue | null },
  /** A lease released before its call was booked: what is collected counts as held and charged by it, as the call's cost would have. */
  releasedLeaseId: string | null = null,
): Promise<bigint> {
  const ledgerId = `txn_x${call.usageId.slice('usage_'.length)}`;
  const ownerId = call.revenue?.ownerId ?? null;
  const fee = feeOf(call.revenue);
  const result = await sql<{ collected: bigint }>`
    WITH owed AS (
      SELECT id, uncollected_nano FROM usage_records
      WHERE id = ${call.usageId} AND uncollected_nano > 0
        AND NOT EXISTS (SELECT 1 FROM ledger_entries WHERE id = ${ledgerId})
      FOR UPDATE
    ),
    key_room AS (
      SELECT id, spend_cap_nano - spent_nano - held_nano AS room FROM api_keys
      WHERE id = ${call.apiKeyId}::text AND EXISTS (SELECT 1 FROM owed)
      FOR UPDATE
    ),
    wallet_locks AS (
      -- The caller's and the model owner's wallets in one order (by user id): no deadlock between bookings.
      SELECT user_id FROM wallets
      WHERE user_id IN (${call.userId}, ${ownerId}::text) AND EXISTS (SELECT 1 FROM owed) AND (SELECT count(*) FROM key_room) >= 0
      ORDER BY user_id
      FOR UPDATE
    ),
    wallet_room AS (
      SELECT balance_nano - held_nano AS room FROM wallets
      WHERE user_id = ${call.userId} AND EXISTS (SELECT 1 FROM owed) AND (SELECT count(*) FROM wallet_locks) >= 0
      FOR UPDATE
    ),
    take AS (
      SELECT GREATEST(0, LEAST(owed.uncollected_nano, wallet_room.room,
                               COALESCE((SELECT room FROM key_room), owed.uncollected_nano))) AS amount
      FROM owed CROSS JOIN wallet_room
    ),
    key_charge AS (
      UPDATE api_keys SET spent_nano = spent_nano + take.amount FROM take
      WHERE api_keys.id IN (SELECT id FROM key_room) AND take.amount > 0
      RETURNING api_keys.id
    ),
    wallet AS (
      UPDATE wallets SET balance_nano = balance_nano - take.amount, updated_at = now() FROM take
      WHERE wallets.user_id = ${call.userId} AND take.amount > 0 AND (SELECT count(*) FROM key_charge) >= 0
      RETURNING wallets.balance_nano
    ),
    ledger AS (
      INSERT INTO ledger_entries (id, user_id, amount_nano, balance_after_nano, kind, reason, reference_id)
      SELECT ${ledgerId}, ${call.userId}, -take.amount, wallet.balance_nano, 'model_usage', 'model call ' || ${call.modelId}, ${call.usageId}
      FROM take CROSS JOIN wallet
      RETURNING id
    ),
    usage_update AS (
      UPDATE usage_records SET cost_nano = cost_nano + take.amount, uncollected_nano = uncollected_nano - take.amount
      FROM take
      WHERE usage_records.id = ${call.usageId} AND take.amount > 0 AND (SELECT count(*) FROM ledger) > 0
      RETURNING usage_records.id
    ),
    released_lease AS (
      UPDATE wallet_leases SET amount_nano = amount_nano + take.amount, charged_nano = charged_nano + take.amount
      FROM take
      WHERE wallet_leases.id = ${releasedLeaseId}::text AND wallet_leases.status = 'closed' AND take.amount > 0
        AND (SELECT count(*) FROM usage_update) > 0
      RETURNING wallet_leases.id
    ),
    owner_wallet AS (
      -- What is collected now is shared with the model's owner like the rest of the charge (model-revenue.ts).
      UPDATE wallets SET balance_nano = wallets.balance_nano + (take.amount - take.amount * ${fee}::bigint / 100), updated_at = now()
      FROM take
      WHERE wallets.user_id = ${ownerId}::text AND wallets.user_id <> ${call.userId}
        AND take.amount - take.amount * ${fee}::bigint / 100 > 0 AND (SELECT count(*) FROM wallet) > 0
      RETURNING wallets.balance_nano, take.amount - take.amount * ${fee}::bigint / 100 AS amount
    ),
    owner_ledger AS (
      INSERT INTO ledger_entries (id, user_id, amount_nano, balance_after_nano, kind, reason, reference_id)
      SELECT ${`txn_xr${call.usageId.slice('usage_'.length)}`}, ${ownerId}::text, owner_wallet.amount, owner_wallet.balance_nano,
             'model_revenue', 'model call ' || ${call.usageId}, ${call.modelId}
      FROM owner_wallet
      RETURNING id
    )
    SELECT take.amount AS collected FROM take
    WHERE (SELECT count(*) FROM usage_update) >= 0 AND (SELECT count(*) FROM released_lease) >= 0
      AND (SELECT count(*) FROM owner_ledger) >= 0`.execute(db);
  return result.rows[0] ? BigInt(result.rows[0].collected) : 0n;
}

/** Closes a lease and gives back what it did not charge. Returns that amount, or null if it was already closed. */
export async function closeLease(db: Kysely<Database>, leaseId: string): Promise<bigint | null> {
  const result = await sql<{ unused: bigint }>`
    WITH lease AS (
      UPDATE wallet_leases SET status = 'closed', closed_at = now()
      WHERE id = ${leaseId} AND status = 'open'
      RETURNING id, user_id, api_key_id, amount_nano - charged_nano AS unused
    ),
    key_release AS (
      UPDATE api_keys SET held_nano = api_keys.held_nano - lease.unused
      FROM lease
      WHERE api_keys.id = lease.api_key_id
      RETURNING api_keys.id
    ),
    wallet AS (
      UPDATE wallets SET held_nano = wallets.held_nano - lease.unused, updated_at = now()
      FROM lease
      WHERE wallets.user_id = lease.user_id AND (SELECT count(*) FROM key_release) >= 0
      RETURNING wallets.user_id
    )
    SELECT lease.unused FROM lease WHERE (SELECT count(*) FROM wallet) >= 0`.execute(db);
  const row = result.rows[0];
  return row ? row.unused : null;
}

/**
 * Closes leases left open by a crashed instance that predates instance heartbeats (no
 * instance_id; the others are released within seconds, see crash-recovery.ts): their holds come
 * back, nothing is charged.
 */
export async function releaseStaleLeases(db: Kysely<Database>, olderThanMs: number): Promise<number> {
  const stale = await db
    .selectFrom('wallet_leases')
    .select('id')
    .where('status', '=', 'open')
    .where('instance_id', 'is', null)
    .where('created_at', '<', sql<Date>`now() - ${Math.max(0, olderThanMs)}::double precision * interval '1 millisecond'`)
    .orderBy('created_at')
    .limit(1_000)
    .execute();
  let released = 0;
  for (const lease of stale) if ((await closeLease(db, lease.id)) !== null) released += 1;
  return released;
}
