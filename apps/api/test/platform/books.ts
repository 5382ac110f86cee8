import type { Database } from '@maas/db';
import { type Kysely, sql } from 'kysely';

/** One user's money and model-call records, read straight from the database after a run. */
export interface Books {
  balanceNano: bigint;
  heldNano: bigint;
  /** Sum of every ledger entry: must equal the balance. */
  ledgerSumNano: bigint;
  /** model_usage ledger entries: how many, what they charged in total, how many distinct usage records they point at. */
  usageCharges: { count: number; totalNano: bigint; distinctReferences: number };
  reservations: { total: number; held: number; settled: number };
  /** Settled reservations whose usage record does not exist. */
  settledWithoutRecord: number;
  /**
   * `distinctReservations` counts the call ids (a per-call reservation's id, or the id a leased
   * call gets), unique per call; `unfunded` are records with neither a reservation nor a lease.
   */
  usageRecords: {
    total: number;
    distinctReservations: number;
    byStatus: Record<string, number>;
    costNano: bigint;
    leased: number;
    unfunded: number;
  };
  /** Wallet leases (one hold per instance spent by many calls): open ones still hold money. */
  leases: { total: number; open: number; chargedNano: bigint; calls: number; leasedCostNano: bigint };
  /** Held amount left on the user's API keys. */
  apiKeyHeldNano: bigint;
}

const int = (value: unknown) => Number(value ?? 0);
const big = (value: unknown) => BigInt((value as bigint | string | number | null) ?? 0);

export async function readBooks(db: Kysely<Database>, userId: string): Promise<Books> {
  const wallet = await db
    .selectFrom('wallets')
    .select(['balance_nano', 'held_nano'])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  const ledger = await sql<{ sum: bigint; charges: string; charged: bigint; refs: string }>`
    SELECT coalesce(sum(amount_nano), 0)::bigint AS sum,
           count(*) FILTER (WHERE kind = 'model_usage') AS charges,
           coalesce(-sum(amount_nano) FILTER (WHERE kind = 'model_usage'), 0)::bigint AS charged,
           count(DISTINCT reference_id) FILTER (WHERE kind = 'model_usage') AS refs
    FROM ledger_entries WHERE user_id = ${userId}`.execute(db);
  const reservations = await sql<{ total: string; held: string; settled: string; orphans: string }>`
    SELECT count(*) AS total,
           count(*) FILTER (WHERE r.status = 'held') AS held,
           count(*) FILTER (WHERE r.status = 'settled') AS settled,
           count(*) FILTER (WHERE r.status = 'settled' AND u.id IS NULL) AS orphans
    FROM model_reservations r LEFT JOIN usage_records u ON u.id = r.usage_record_id
    WHERE r.user_id = ${userId}`.execute(db);
  const usage = await sql<{ status: string; n: string; reservations: string; cost: bigint }>`
    SELECT status, count(*) AS n, count(DISTINCT reservation_id) AS reservations, coalesce(sum(cost_nano), 0)::bigint AS cost
    FROM usage_records WHERE user_id = ${userId} GROUP BY status`.execute(db);
  const funding = await sql<{ leased: string; unfunded: string; leased_cost: bigint }>`
    SELECT count(*) FILTER (WHERE u.lease_id IS NOT NULL) AS leased,
           count(*) FILTER (WHERE u.lease_id IS NULL AND r.id IS NULL) AS unfunded,
           coalesce(sum(u.cost_nano) FILTER (WHERE u.lease_id IS NOT NULL), 0)::bigint AS leased_cost
    FROM usage_records u LEFT JOIN model_reservations r ON r.id = u.reservation_id
    WHERE u.user_id = ${userId}`.execute(db);
  const leases = await sql<{ total: string; open: string; charged: bigint; calls: string }>`
    SELECT count(*) AS total, count(*) FILTER (WHERE status = 'open') AS open,
           coalesce(sum(charged_nano), 0)::bigint AS charged, coalesce(sum(calls), 0) AS calls
    FROM wallet_leases WHERE user_id = ${userId}`.execute(db);
  const keys = await sql<{
    held: bigint;
  }>`SELECT coalesce(sum(held_nano), 0)::bigint AS held FROM api_keys WHERE user_id = ${userId}`.execute(db);

  const byStatus: Record<string, number> = {};
  let total = 0;
  let distinctReservations = 0;
  let costNano = 0n;
  for (const row of usage.rows) {
    byStatus[row.status] = int(row.n);
    total += int(row.n);
    distinctReservations += int(row.reservations);
    costNano += big(row.cost);
  }
  const l = ledger.rows[0];
  const f = funding.rows[0];
  const w = leases.rows[0];
  const r = reservations.rows[0];
  return {
    balanceNano: wallet.balance_nano,
    heldNano: wallet.held_nano,
    ledgerSumNano: big(l?.sum),
    usageCharges: { count: int(l?.charges), totalNano: big(l?.charged), distinctReferences: int(l?.refs) },
    reservations: { total: int(r?.total), held: int(r?.held), settled: int(r?.settled) },
    settledWithoutRecord: int(r?.orphans),
    usageRecords: { total, distinctReservations, byStatus, costNano, leased: int(f?.leased), unfunded: int(f?.unfunded) },
    leases: {
      total: int(w?.total),
      open: int(w?.open),
      chargedNano: big(w?.charged),
      calls: int(w?.calls),
      leasedCostNano: big(f?.leased_cost),
    },
    apiKeyHeldNano: big(keys.rows[0]?.held),
  };
}

/**
 * What must hold for a user's books after any run, as readable violations (empty = all hold):
 * `money` holds at every moment; `drained` once every instance has drained (holds given back).
 */
export function brokenInvariants(books: Books): { money: string[]; drained: string[] } {
  const money: string[] = [];
  const check = (list: string[], ok: boolean, what: string) => {
    if (!ok) list.push(what);
  };
  check(money, books.balanceNano >= 0n, `balance ${books.balanceNano} < 0`);
  check(money, books.ledgerSumNano === books.balanceNano, `ledger sum ${books.ledgerSumNano} != balance ${books.balanceNano}`);
  check(money, books.settledWithoutRecord === 0, `${books.settledWithoutRecord} settled reservations without a usage record`);
  check(
    money,
    books.usageRecords.unfunded === 0,
    `${books.usageRecords.unfunded} usage records funded by neither a reservation nor a lease`,
  );
  check(
    money,
    books.usageRecords.distinctReservations === books.usageRecords.total,
    `usage records ${books.usageRecords.total} for ${books.usageRecords.distinctReservations} call ids`,
  );
  check(
    money,
    books.usageCharges.distinctReferences === books.usageCharges.count,
    `${books.usageCharges.count} charges for ${books.usageCharges.distinctReferences} usage records`,
  );
  check(
    money,
    books.usageCharges.totalNano === books.usageRecords.costNano,
    `charged ${books.usageCharges.totalNano} != usage cost ${books.usageRecords.costNano}`,
  );
  check(
    money,
    books.leases.chargedNano === books.leases.leasedCostNano,
    `leases charged ${books.leases.chargedNano} != cost of their calls ${books.leases.leasedCostNano}`,
  );
  check(
    money,
    books.leases.calls === books.usageRecords.leased,
    `leases count ${books.leases.calls} calls, ${books.usageRecords.leased} leased usage records`,
  );

  const drained: string[] = [];
  check(drained, books.reservations.held === 0, `${books.reservations.held} reservations still held`);
  check(drained, books.leases.open === 0, `${books.leases.open} leases still open`);
  check(drained, books.heldNano === 0n, `wallet still holds ${books.heldNano}`);
  check(drained, books.apiKeyHeldNano === 0n, `API keys still hold ${books.apiKeyHeldNano}`);
  return { money, drained };
}
