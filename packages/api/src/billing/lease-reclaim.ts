import type { Database } from '@maas/db';
import { type Kysely, sql } from 'kysely';

/*
 * A wallet lease holds money for calls that have not been made yet. When its owner spends from the
 * wallet by other means (a tool purchase, an admin debit) that money is theirs: the lease gives
 * back all but what its calls in flight and its booked charges need. Only the instance spending a
 * lease knows that figure, so:
 *
 *  - leases of the instance serving the debit are shrunk in the debit's own transaction, just
 *    before it (WalletLeases.reclaimForDebit), atomically with it;
 *  - leases of other instances are asked to (requestLeaseReclaim); each instance looks for requests
 *    with its heartbeat, about every second, and answers by shrinking them; the debit is then tried
 *    once more (awaitLeaseReclaim waits for the answers, a few seconds at most).
 */

/**
 * Lowers an open lease to `keepNano` and gives the rest back to the wallet and the key, in one
 * statement (lease, key, wallet row locks: the order used everywhere). Refuses to go below what the
 * lease has charged. Clears a pending reclaim request. Returns what was freed, or null when the
 * lease is closed or already charged more.
 */
export async function shrinkLease(db: Kysely<Database>, leaseId: string, keepNano: bigint): Promise<bigint | null> {
  const keep = keepNano > 0n ? keepNano : 0n;
  const result = await sql<{ freed: bigint }>`
    WITH lease AS (
      UPDATE wallet_leases SET amount_nano = ${keep}::bigint, reclaim_requested_at = NULL
      FROM (SELECT id, amount_nano AS before FROM wallet_leases WHERE id = ${leaseId} FOR UPDATE) locked
      WHERE wallet_leases.id = locked.id AND wallet_leases.status = 'open'
        AND wallet_leases.charged_nano <= ${keep}::bigint AND locked.before >= ${keep}::bigint
      RETURNING wallet_leases.user_id, wallet_leases.api_key_id, locked.before - ${keep}::bigint AS freed
    ),
    key_release AS (
      UPDATE api_keys SET held_nano = api_keys.held_nano - lease.freed
      FROM lease
      WHERE api_keys.id = lease.api_key_id AND lease.freed > 0
      RETURNING api_keys.id
    ),
    wallet AS (
      UPDATE wallets SET held_nano = wallets.held_nano - lease.freed, updated_at = now()
      FROM lease
      WHERE wallets.user_id = lease.user_id AND lease.freed > 0 AND (SELECT count(*) FROM key_release) >= 0
      RETURNING wallets.user_id
    )
    SELECT lease.freed FROM lease WHERE (SELECT count(*) FROM wallet) >= 0`.execute(db);
  const row = result.rows[0];
  return row ? BigInt(row.freed) : null;
}

/** Asks the instances spending the user's open leases to give back what their calls do not need. Returns their ids. */
export async function requestLeaseReclaim(db: Kysely<Database>, userId: string): Promise<string[]> {
  const result = await sql<{ id: string }>`
    UPDATE wallet_leases SET reclaim_requested_at = now()
    WHERE user_id = ${userId} AND status = 'open' AND amount_nano > charged_nano
    RETURNING id`.execute(db);
  return result.rows.map((row) => row.id);
}

/** Waits until every lease in `leaseIds` answered its reclaim request (or closed), at most `timeoutMs`. */
export async function awaitLeaseReclaim(db: Kysely<Database>, leaseIds: readonly string[], timeoutMs: number): Promise<boolean> {
  if (leaseIds.length === 0) return true;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const waiting = await db
      .selectFrom('wallet_leases')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('id', 'in', leaseIds)
      .where('status', '=', 'open')
      .where('reclaim_requested_at', 'is not', null)
      .executeTakeFirst();
    if (Number(waiting?.n ?? 0) === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The open leases of `instanceId` whose owner asked for their money back. */
export async function leasesToReclaim(db: Kysely<Database>, instanceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('wallet_leases')
    .select('id')
    .where('instance_id', '=', instanceId)
    .where('status', '=', 'open')
    .where('reclaim_requested_at', 'is not', null)
    .execute();
  return rows.map((row) => row.id);
}
