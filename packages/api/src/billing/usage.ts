import type { Database, UsageRecord } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { nanoToAmount } from '../core/money.js';
import { pageOffset, toPage } from '../core/pagination.js';
import { toIso } from '../core/time.js';
import type { UsageQueryInput } from './schemas.js';

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A date-only bound is a whole UTC day: `from` starts at its midnight, `to` ends at the next one. */
function boundOf(value: string, end: boolean): Date {
  if (!DATE_ONLY.test(value)) return new Date(value);
  const midnight = new Date(`${value}T00:00:00.000Z`);
  return end ? new Date(midnight.getTime() + DAY_MS) : midnight;
}

function toUsageRecord(row: UsageRecord) {
  return {
    id: row.id,
    model_id: row.model_id,
    app_id: row.app_id,
    api_key_id: row.api_key_id,
    provider_id: row.provider_id,
    conversation_id: row.conversation_id,
    input_tokens: row.input_tokens,
    // Only when there were some, so that other records read exactly as before the field existed.
    ...(row.cached_input_tokens > 0 ? { cached_input_tokens: row.cached_input_tokens } : {}),
    output_tokens: row.output_tokens,
    ...(row.units
      ? { units: { unit: row.units.unit, quantity: row.units.quantity, unit_price: nanoToAmount(BigInt(row.units.unit_price_nano)) } }
      : {}),
    cost: nanoToAmount(row.cost_nano),
    latency_ms: row.latency_ms,
    status: row.status,
    created_at: toIso(row.created_at),
  };
}

interface Totals {
  calls: bigint | number | string;
  input_tokens: bigint | number | string;
  output_tokens: bigint | number | string;
  cost_nano: bigint | number | string;
}

function toTotals(row: Totals | undefined) {
  return {
    calls: Number(row?.calls ?? 0),
    input_tokens: Number(row?.input_tokens ?? 0),
    output_tokens: Number(row?.output_tokens ?? 0),
    cost: nanoToAmount(BigInt(row?.cost_nano ?? 0)),
  };
}

/** The caller's usage records with filters, plus totals and per-UTC-day sums over all matches. */
export async function getUsageReport(db: Kysely<Database>, actor: Actor, input: z.infer<typeof UsageQueryInput>) {
  const from = input.from ? boundOf(input.from, false) : null;
  const to = input.to ? boundOf(input.to, true) : null;
  if (from && to && from.getTime() >= to.getTime()) {
    throw new AppError('INVALID_REQUEST', { message: 'USAGE_RANGE_INVALID', details: { field: 'from' } });
  }

  let query = db.selectFrom('usage_records').where('user_id', '=', actor.userId);
  if (from) query = query.where('created_at', '>=', from);
  if (to) query = query.where('created_at', '<', to);
  if (input.model_id) query = query.where('model_id', '=', input.model_id);
  if (input.app_id) query = query.where('app_id', '=', input.app_id);
  if (input.api_key_id) query = query.where('api_key_id', '=', input.api_key_id);

  const sums = [
    sql<bigint>`count(*)`.as('calls'),
    sql<bigint>`coalesce(sum(input_tokens), 0)::bigint`.as('input_tokens'),
    sql<bigint>`coalesce(sum(output_tokens), 0)::bigint`.as('output_tokens'),
    sql<bigint>`coalesce(sum(cost_nano), 0)::bigint`.as('cost_nano'),
  ] as const;
  const day = sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;

  const [rows, totals, daily] = await Promise.all([
    query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit).offset(pageOffset(input)).execute(),
    query.select([...sums]).executeTakeFirst(),
    query
      .select([day.as('date'), ...sums])
      .groupBy(day)
      .orderBy(day)
      .execute(),
  ]);
  const totalsOut = toTotals(totals);
  return {
    ...toPage(rows.map(toUsageRecord), totalsOut.calls, input),
    totals: totalsOut,
    daily: daily.map((row) => ({ date: row.date, ...toTotals(row) })),
  };
}
