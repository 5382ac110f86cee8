import type { Database, UsageStatus } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import { newId } from '../core/ids.js';
import { feeOf, type ModelRevenue } from './model-revenue.js';

/*
 * Money for model calls moves in two single statements: reserveFunds puts the worst-case cost on
 * hold before the upstream is asked, settleReservation charges what the call really cost and
 * releases the hold. A cost above the hold (the estimate was short) is taken from what the wallet
 * and the key's cap have left, never below zero; what even that cannot cover is recorded on the
 * usage row as uncollected. Each statement either does everything or nothing,
 * so a crash between the two leaves only a hold, which releaseStaleReservations gives back.
 *
 * Lock order is always api key row, then wallet row (reserve and settle alike), so concurrent
 * reserves and settles of one key and user queue instead of deadlocking.
 */

export interface ReserveFundsInput {
  userId: string;
  amountNano: bigint;
  apiKeyId?: string | null;
  modelId: string;
  appId?: string | null;
  /** The instance making the call: its reservations are released soon after it stops beating. */
  instanceId?: string | null;
}

export interface Reservation {
  reservationId: string;
}

/**
 * Holds `amountNano` of the user's available balance (balance - held) and, when the call comes
 * through an API key, of the key's remaining spend cap (cap - spent - held). Returns null when
 * either does not cover it: the caller answers 402.
 */
export async function reserveFunds(db: Kysely<Database>, input: ReserveFundsInput): Promise<Reservation | null> {
  if (input.amountNano < 0n) throw new RangeError('reservation amount must not be negative');
  const amount = input.amountNano;
  const apiKeyId = input.apiKeyId ?? null;
  const result = await sql<{ id: string }>`
    WITH api_key AS (
      -- Locks the key first; FOR UPDATE re-reads the latest committed row, so the cap check
      -- below sees every hold made before it.
      SELECT id FROM api_keys
      WHERE id = ${apiKeyId}::text AND user_id = ${input.userId}
        AND (spend_cap_nano IS NULL OR spend_cap_nano - spent_nano - held_nano >= ${amount}::bigint)
      FOR UPDATE
    ),
    wallet AS (
      UPDATE wallets SET held_nano = held_nano + ${amount}::bigint, updated_at = now()
      WHERE user_id = ${input.userId} AND balance_nano - held_nano >= ${amount}::bigint
        AND (${apiKeyId}::text IS NULL OR EXISTS (SELECT 1 FROM api_key))
      RETURNING user_id
    ),
    key_hold AS (
      UPDATE api_keys SET held_nano = held_nano + ${amount}::bigint
      WHERE id IN (SELECT id FROM api_key) AND EXISTS (SELECT 1 FROM wallet)
      RETURNING id
    )
    INSERT INTO model_reservations (id, user_id, api_key_id, model_id, app_id, amount_nano, instance_id)
    SELECT ${newId('rsv')}, wallet.user_id, ${apiKeyId}::text, ${input.modelId}, ${input.appId ?? null}::text, ${amount}::bigint,
           ${input.instanceId ?? null}::text
    FROM wallet
    RETURNING id`.execute(db);
  const row = result.rows[0];
  return row ? { reservationId: row.id } : null;
}

export interface UsageInput {
  /** Informational: the reservation's own user and API key are the ones charged. */
  userId: string;
  appId?: string | null;
  apiKeyId?: string | null;
  modelId: string;
  providerId?: string | null;
  conversationId?: string | null;
  inputTokens: number;
  /** Of inputTokens, read from the provider's prompt cache. */
  cachedInputTokens?: number;
  outputTokens: number;
  /** A unit-billed call's delivery (issue 14), as the usage_records.units JSON text. */
  units?: string | null;
  latencyMs: number;
  status: UsageStatus;
  error?: string | null;
  /** A model served from its owner's file: the owner is credited the charge less the fee, in the same statement. */
  revenue?: ModelRevenue | null;
}

export interface SettleInput {
  reservationId: string;
  actualCostNano: bigint;
  usage: UsageInput;
}

export interface Settlement {
  chargedNano: bigint;
  /** Cost the wallet could not cover (0 unless the hold was short and the wallet ran dry). */
  uncollectedNano: bigint;
  /** Null when nothing was charged (failed call, zero cost). */
  ledgerEntryId: string | null;
  /** True when an earlier call had already settled this reservation; this one changed nothing. */
  alreadySettled: boolean;
}

const MAX_INT4 = 2_147_483_647;

function count(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 0;
  return Math.min(Math.round(value), MAX_INT4);
}

/**
 * Settles a reservation exactly once: marks it settled (the `status = 'held'` guard makes a
 * second or concurrent call a no-op), releases the hold on the wallet and the key, charges the
 * actual cost with a 'model_usage' ledger entry (none when the charge is 0), adds it to the key's
 * spent total and writes the usage record, all in one statement.
 *
 * The part of the cost within the hold is always collectable; a part above it (an under-estimated
 * hold) is taken from the wallet's spendable balance and the key's remaining cap, both read under
 * row locks in the same statement, so neither goes below zero; the rest is the usage row's
 * uncollected_nano. A failed call is charged 0 but still gets its usage record.
 * Returns the settlement (the first one on repeated calls), or null for an unknown reservation.
 */
export async function settleReservation(db: Kysely<Database>, input: SettleInput): Promise<Settlement | null> {
  const { usage } = input;
  const actual = input.actualCostNano > 0n ? input.actualCostNano : 0n;
  const charge = usage.status === 'failed' ? 0n : actual;
  const usageId = newId('usage');
  const ownerId = usage.revenue?.ownerId ?? null;
  const fee = feeOf(usage.revenue);
  const result = await sql<{ charged_nano: bigint; uncollected_nano: bigint; ledger_entry_id: string | null }>`
    WITH rsv AS (
      UPDATE model_reservations
      SET status = 'settled', settled_at = now(),
          charged_nano = LEAST(${charge}::bigint, amount_nano),
          ledger_entry_id = CASE WHEN ${charge}::bigint > 0 THEN ${newId('txn')}::text END,
          usage_record_id = ${usageId}::text
      WHERE id = ${input.reservationId} AND status = 'held'
      RETURNING id, user_id, api_key_id, model_id, app_id, amount_nano, charged_nano, ledger_entry_id
    ),
    key_room AS (
      -- Key row locked before the wallet's, as everywhere; FOR UPDATE reads the latest version.
      SELECT id, spend_cap_nano - spent_nano - held_nano AS room FROM api_keys
      WHERE id = (SELECT api_key_id FROM rsv)
      FOR UPDATE
    ),
    wallet_locks AS (
      -- The caller's and the model owner's wallets in one order (by user id), so that two bookings
      -- crediting each other's callers queue instead of deadlocking.
      SELECT user_id FROM wallets
      WHERE user_id IN ((SELECT user_id FROM rsv), ${ownerId}::text) AND (SELECT count(*) FROM key_room) >= 0
      ORDER BY user_id
      FOR UPDATE
    ),
    wallet_room AS (
      SELECT user_id, balance_nano - held_nano AS room FROM wallets
      WHERE user_id = (SELECT user_id FROM rsv) AND (SELECT count(*) FROM wallet_locks) >= 0
      FOR UPDATE
    ),
    total AS (
      SELECT rsv.charged_nano + GREATEST(0, LEAST(${charge}::bigint - rsv.charged_nano, wallet_room.room,
                                                  COALESCE((SELECT room FROM key_room), ${charge}::bigint))) AS amount
      FROM rsv CROSS JOIN wallet_room
    ),
    key_settle AS (
      UPDATE api_keys
      SET held_nano = api_keys.held_nano - rsv.amount_nano, spent_nano = api_keys.spent_nano + total.amount
      FROM rsv CROSS JOIN total
      WHERE api_keys.id = rsv.api_key_id
      RETURNING api_keys.id
    ),
    wallet AS (
      -- The sub-select on key_settle makes the key row lock come before the wallet's.
      UPDATE wallets
      SET held_nano = wallets.held_nano - rsv.amount_nano, balance_nano = wallets.balance_nano - total.amount,
          updated_at = now()
      FROM rsv CROSS JOIN total
      WHERE wallets.user_id = rsv.user_id AND (SELECT count(*) FROM key_settle) >= 0
      RETURNING wallets.balance_nano
    ),
    ledger AS (
      INSERT INTO ledger_entries (id, user_id, amount_nano, balance_after_nano, kind, reason, reference_id)
      SELECT COALESCE(rsv.ledger_entry_id, ${newId('txn')}::text), rsv.user_id, -total.amount, wallet.balance_nano, 'model_usage',
             'model call ' || rsv.model_id, ${usageId}::text
      FROM rsv CROSS JOIN wallet CROSS JOIN total
      WHERE total.amount > 0
      RETURNING id
    ),
    owner_share AS (
      -- The model's owner (never the caller) gets what was charged less the platform fee (model-revenue.ts).
      SELECT total.amount - total.amount * ${fee}::bigint / 100 AS amount
      FROM rsv CROSS JOIN total
      WHERE ${ownerId}::text IS NOT NULL AND rsv.user_id <> ${ownerId}::text
    ),
    owner_wallet AS (
      -- After the caller's wallet (the sub-select on it); both rows are locked already (wallet_locks).
      UPDATE wallets SET balance_nano = wallets.balance_nano + owner_share.amount, updated_at = now()
      FROM owner_share
      WHERE wallets.user_id = ${ownerId}::text AND owner_share.amount > 0 AND (SELECT count(*) FROM wallet) > 0
      RETURNING wallets.balance_nano, owner_share.amount
    ),
    owner_ledger AS (
      INSERT INTO ledger_entries (id, user_id, amount_nano, balance_after_nano, kind, reason, reference_id)
      SELECT ${newId('txn')}, ${ownerId}::text, owner_wallet.amount, owner_wallet.balance_nano, 'model_revenue',
             'model call ' || ${usageId}::text, rsv.model_id
      FROM rsv CROSS JOIN owner_wallet
      RETURNING id
    ),
    usage_record AS (
      INSERT INTO usage_records (id, user_id, app_id, api_key_id, model_id, provider_id, conversation_id, reservation_id,
                                 input_tokens, cached_input_tokens, output_tokens, units, cost_nano, uncollected_nano,
                                 latency_ms, status, error)
      SELECT ${usageId}::text, rsv.user_id, COALESCE(${usage.appId ?? null}::text, rsv.app_id), rsv.api_key_id,
             COALESCE(${usage.modelId || null}::text, rsv.model_id), ${usage.providerId ?? null}::text,
             ${usage.conversationId ?? null}::text, rsv.id, ${count(usage.inputTokens)}::int,
             ${Math.min(count(usage.cachedInputTokens ?? 0), count(usage.inputTokens))}::int, ${count(usage.outputTokens)}::int,
             ${usage.units ?? null}::jsonb, total.amount, ${charge}::bigint - total.amount, ${count(usage.latencyMs)}::int, ${usage.status}::text,
             ${usage.error?.slice(0, 2000) ?? null}::text
      FROM rsv CROSS JOIN total
      RETURNING id
    )
    SELECT total.amount AS charged_nano, ${charge}::bigint - total.amount AS uncollected_nano,
           (SELECT id FROM ledger) AS ledger_entry_id
    FROM total
    WHERE (SELECT count(*) FROM usage_record) >= 0 AND (SELECT count(*) FROM wallet) >= 0
      AND (SELECT count(*) FROM owner_ledger) >= 0`.execute(db);
  const row = result.rows[0];
  if (row)
    return {
      chargedNano: BigInt(row.charged_nano),
      uncollectedNano: BigInt(row.uncollected_nano),
      ledgerEntryId: row.ledger_entry_id,
      alreadySettled: false,
    };

  const earlier = await db
    .selectFrom('model_reservations')
    .leftJoin('usage_records', 'usage_records.id', 'model_reservations.usage_record_id')
    .select([
      'usage_records.cost_nano',
      'usage_records.uncollected_nano',
      'model_reservations.charged_nano',
      'model_reservations.ledger_entry_id',
    ])
    .where('model_reservations.id', '=', input.reservationId)
    .where('model_reservations.status', '=', 'settled')
    .executeTakeFirst();
  if (!earlier) return null;
  return {
    chargedNano: earlier.cost_nano ?? earlier.charged_nano ?? 0n,
    uncollectedNano: earlier.uncollected_nano ?? 0n,
    ledgerEntryId: earlier.ledger_entry_id,
    alreadySettled: true,
  };
}

/** The error of the usage record a released reservation gets; a late booking of the call rewrites it. */
export const RESERVATION_RELEASED = 'reservation released: the call never settled';

/** Settles each reservation as a failed call charging 0 (its call is known to be gone). Returns how many were released. */
export async function releaseReservations(
  db: Kysely<Database>,
  reservations: readonly { id: string; user_id: string; api_key_id: string | null; model_id: string; app_id: string | null }[],
): Promise<number> {
  let released = 0;
  for (const reservation of reservations) {
    const settled = await settleReservation(db, {
      reservationId: reservation.id,
      actualCostNano: 0n,
      usage: {
        userId: reservation.user_id,
        apiKeyId: reservation.api_key_id,
        appId: reservation.app_id,
        modelId: reservation.model_id,
        inputTokens: 0,
        outputTokens: 0,
        latencyMs: 0,
        status: 'failed',
        error: RESERVATION_RELEASED,
      },
    });
    if (settled && !settled.alreadySettled) released += 1;
  }
  return released;
}

/**
 * Gives back holds left by calls that never settled, for reservations made before instances beat
 * (no instance_id; the others are released by crash-recovery.ts within seconds of their instance
 * dying): each is settled as a failed call charging 0. Returns how many were released. Run it
 * periodically with a threshold well above the longest model call.
 */
export async function releaseStaleReservations(db: Kysely<Database>, olderThanMs: number): Promise<number> {
  const BATCH = 500;
  let released = 0;
  for (;;) {
    const stale = await db
      .selectFrom('model_reservations')
      .select(['id', 'user_id', 'api_key_id', 'model_id', 'app_id'])
      .where('status', '=', 'held')
      .where('instance_id', 'is', null)
      .where('created_at', '<', sql<Date>`now() - ${Math.max(0, olderThanMs)}::double precision * interval '1 millisecond'`)
      // A video job's reservation lasts as long as the job (queued, then minutes of generation) and
      // is settled when the job ends, by whichever instance ends it (videos/queue.ts).
      .where((eb) =>
        eb.not(
          eb.exists(
            eb.selectFrom('video_jobs').select('video_jobs.id').whereRef('video_jobs.reservation_id', '=', 'model_reservations.id'),
          ),
        ),
      )
      .orderBy('created_at')
      .limit(BATCH)
      .execute();
    released += await releaseReservations(db, stale);
    if (stale.length < BATCH) return released;
  }
}
