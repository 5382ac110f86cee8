import type { Database } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import { closeLease, collectLeaseExcess, type LeasedCallRecord } from './leases.js';
import { type UsageInput, releaseReservations, RESERVATION_RELEASED } from './reservations.js';

/*
 * What crashes leave behind, and how it is put right:
 *
 *  - holds: every instance beats in billing_instances about once a second; the leases and
 *    reservations of an instance that stopped beating for `deadAfterMs` are released by any live
 *    instance (releaseDeadInstanceHolds), nothing charged, within seconds rather than the
 *    15-minute age sweep (which remains for rows from before instances beat);
 *  - calls answered but not yet booked: they are in the dead process's settlement journal and are
 *    booked when it starts again on the same DATA_DIR. If its lease was released meanwhile, the
 *    money it held went back to the wallet, so such a call is booked as a usage record whose cost
 *    is collected from what the wallet has available (bookOrphanedLeaseCalls), as an under-estimated
 *    call is; a per-call reservation released meanwhile gets its usage record rewritten the same way.
 */

/** An instance silent this long is taken for dead and its holds are released. */
export const DEAD_AFTER_MS = 20_000;

/** Records `instanceId` as alive now. */
export async function beat(db: Kysely<Database>, instanceId: string): Promise<void> {
  await sql`
    INSERT INTO billing_instances (id, pid, heartbeat_at) VALUES (${instanceId}, ${process.pid}, now())
    ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`.execute(db);
}

export async function forgetInstance(db: Kysely<Database>, instanceId: string): Promise<void> {
  await db.deleteFrom('billing_instances').where('id', '=', instanceId).execute();
}

/** Releases the leases and reservations of one instance known to be gone (its process is not running). */
export async function releaseInstanceHolds(db: Kysely<Database>, instanceId: string): Promise<{ leases: number; reservations: number }> {
  const leases = await db
    .selectFrom('wallet_leases')
    .select('id')
    .where('instance_id', '=', instanceId)
    .where('status', '=', 'open')
    .execute();
  let closed = 0;
  for (const lease of leases) if ((await closeLease(db, lease.id)) !== null) closed += 1;
  const reservations = await db
    .selectFrom('model_reservations')
    .select(['id', 'user_id', 'api_key_id', 'model_id', 'app_id'])
    .where('instance_id', '=', instanceId)
    .where('status', '=', 'held')
    .execute();
  const released = await releaseReservations(db, reservations);
  await forgetInstance(db, instanceId);
  return { leases: closed, reservations: released };
}

/** Instances that have not beaten for `deadAfterMs` (or never did, for holds older than that). */
function deadInstance(deadAfterMs: number) {
  return sql<boolean>`NOT EXISTS (
    SELECT 1 FROM billing_instances i
    WHERE i.id = instance_id AND i.heartbeat_at >= now() - ${deadAfterMs}::double precision * interval '1 millisecond')
    AND created_at < now() - ${deadAfterMs}::double precision * interval '1 millisecond'`;
}

/** Releases the holds of every instance that stopped beating; forgets such instances once they hold nothing. */
export async function releaseDeadInstanceHolds(
  db: Kysely<Database>,
  deadAfterMs: number,
): Promise<{ leases: number; reservations: number }> {
  const leases = await db
    .selectFrom('wallet_leases')
    .select('id')
    .where('status', '=', 'open')
    .where('instance_id', 'is not', null)
    .where(deadInstance(deadAfterMs))
    .limit(1_000)
    .execute();
  let closed = 0;
  for (const lease of leases) if ((await closeLease(db, lease.id)) !== null) closed += 1;
  const reservations = await db
    .selectFrom('model_reservations')
    .select(['id', 'user_id', 'api_key_id', 'model_id', 'app_id'])
    .where('status', '=', 'held')
    .where('instance_id', 'is not', null)
    .where(deadInstance(deadAfterMs))
    .limit(1_000)
    .execute();
  const released = await releaseReservations(db, reservations);
  await sql`
    DELETE FROM billing_instances i
    WHERE i.heartbeat_at < now() - ${deadAfterMs}::double precision * interval '1 millisecond'
      AND NOT EXISTS (SELECT 1 FROM wallet_leases l WHERE l.instance_id = i.id AND l.status = 'open')
      AND NOT EXISTS (SELECT 1 FROM model_reservations r WHERE r.instance_id = i.id AND r.status = 'held')`.execute(db);
  return { leases: closed, reservations: released };
}

const MAX_INT4 = 2_147_483_647;

/** The error of a usage record rewritten by rebookReleasedReservation (so a replay after a crash in between still collects). */
const BOOKED_LATE = 'booked after its reservation was released';

function count(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 0;
  return Math.min(Math.round(value), MAX_INT4);
}

/**
 * Books calls of a lease that was closed before they were (its instance was taken for dead): their
 * usage records, then their cost collected from the wallet's available balance and the key's cap,
 * never below zero (the rest stays uncollected on the record). Replays book nothing twice.
 */
export async function bookOrphanedLeaseCalls(
  db: Kysely<Database>,
  lease: { leaseId: string; userId: string; apiKeyId: string | null },
  calls: readonly LeasedCallRecord[],
): Promise<number> {
  if (calls.length === 0) return 0;
  const column = <T>(pick: (call: LeasedCallRecord) => T) => calls.map(pick);
  const owed = (c: LeasedCallRecord) => {
    const total =
      (c.costNano > 0n ? c.costNano : 0n) + (c.uncollectedNano !== undefined && c.uncollectedNano > 0n ? c.uncollectedNano : 0n);
    return c.status === 'failed' ? 0n : total;
  };
  const inserted = await sql<{ id: string; model_id: string; uncollected_nano: bigint }>`
    WITH inserted AS (
    INSERT INTO usage_records (id, user_id, app_id, api_key_id, model_id, provider_id, conversation_id, reservation_id,
                               lease_id, input_tokens, cached_input_tokens, output_tokens, units, cost_nano, uncollected_nano,
                               latency_ms, status, error, created_at)
    SELECT b.usage_id, ${lease.userId}, b.app_id, ${lease.apiKeyId}::text, b.model_id, b.provider_id, b.conversation_id,
           b.call_id, ${lease.leaseId}, b.input_tokens, b.cached_input_tokens, b.output_tokens, b.units, 0, b.owed,
           b.latency_ms, b.status, b.error, b.finished_at
    FROM unnest(
      ${column((c) => c.callId)}::text[], ${column((c) => c.usageId)}::text[], ${column((c) => c.appId)}::text[],
      ${column((c) => c.modelId)}::text[], ${column((c) => c.providerId)}::text[], ${column((c) => c.conversationId)}::text[],
      ${column((c) => count(c.inputTokens))}::int[], ${column((c) => Math.min(count(c.cachedInputTokens ?? 0), count(c.inputTokens)))}::int[],
      ${column((c) => count(c.outputTokens))}::int[], ${column((c) => owed(c).toString())}::bigint[],
      ${column((c) => count(c.latencyMs))}::int[], ${column((c) => c.status)}::text[],
      ${column((c) => c.error?.slice(0, 2000) ?? null)}::text[], ${column((c) => c.finishedAt.toISOString())}::timestamptz[],
      ${column((c) => c.units ?? null)}::jsonb[]
    ) AS b(call_id, usage_id, app_id, model_id, provider_id, conversation_id, input_tokens, cached_input_tokens,
           output_tokens, owed, latency_ms, status, error, finished_at, units)
    ON CONFLICT DO NOTHING
    RETURNING id, model_id, uncollected_nano
    ),
    counted AS (
      UPDATE wallet_leases SET calls = calls + (SELECT count(*) FROM inserted)
      WHERE id = ${lease.leaseId} AND (SELECT count(*) FROM inserted) > 0
      RETURNING id
    )
    SELECT id, model_id, uncollected_nano FROM inserted WHERE (SELECT count(*) FROM counted) >= 0`.execute(db);
  // Every call of the batch, not only those inserted now: a crash between the insert and the
  // collection leaves the cost uncollected on the record, and the replay must still collect it.
  for (const call of calls) {
    if (owed(call) <= 0n) continue;
    const owner = {
      userId: lease.userId,
      apiKeyId: lease.apiKeyId,
      usageId: call.usageId,
      modelId: call.modelId,
      revenue: call.revenue ?? null,
    };
    await collectLeaseExcess(db, owner, lease.leaseId);
  }
  return inserted.rows.length;
}

/**
 * A call funded by a reservation that was released before the call was booked (its instance was
 * taken for dead): rewrites the release's usage record with the call's figures and collects its
 * cost from what the wallet has available. Returns false when the reservation was settled by the
 * call itself (nothing to do).
 */
export async function rebookReleasedReservation(
  db: Kysely<Database>,
  input: { reservationId: string; costNano: bigint; usage: UsageInput },
): Promise<boolean> {
  const { usage } = input;
  const owed = usage.status === 'failed' || input.costNano < 0n ? 0n : input.costNano;
  const result = await sql<{ id: string; user_id: string; api_key_id: string | null; model_id: string }>`
    UPDATE usage_records
    SET provider_id = ${usage.providerId ?? null}::text, conversation_id = ${usage.conversationId ?? null}::text,
        input_tokens = ${count(usage.inputTokens)}::int,
        cached_input_tokens = ${Math.min(count(usage.cachedInputTokens ?? 0), count(usage.inputTokens))}::int,
        output_tokens = ${count(usage.outputTokens)}::int, latency_ms = ${count(usage.latencyMs)}::int,
        units = ${usage.units ?? null}::jsonb,
        status = ${usage.status}::text, error = ${usage.error?.slice(0, 2000) ?? BOOKED_LATE}::text,
        uncollected_nano = ${owed}::bigint
    WHERE reservation_id = ${input.reservationId} AND cost_nano = 0
      AND (error = ${RESERVATION_RELEASED} OR (error = ${BOOKED_LATE} AND uncollected_nano = ${owed}::bigint))
    RETURNING id, user_id, api_key_id, model_id`.execute(db);
  const row = result.rows[0];
  if (!row) return false;
  if (owed > 0n) {
    const call = { userId: row.user_id, apiKeyId: row.api_key_id, usageId: row.id, modelId: row.model_id, revenue: usage.revenue ?? null };
    await collectLeaseExcess(db, call);
  }
  return true;
}
