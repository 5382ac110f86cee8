import type { Database } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { nanoToAmount } from '../core/money.js';
import { isOwnerOrAdmin } from '../core/ownership.js';
import { pageOffset, toPage } from '../core/pagination.js';
import { toIso } from '../core/time.js';
import { findVisibleTool } from './service.js';
import type { ToolUsageInput } from './usage-schemas.js';

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A date-only bound is a whole UTC day: `since` starts at its midnight, `until` ends at the next one. */
function boundOf(value: string, end: boolean): Date {
  if (!DATE_ONLY.test(value)) return new Date(value);
  const midnight = new Date(`${value}T00:00:00.000Z`);
  return end ? new Date(midnight.getTime() + DAY_MS) : midnight;
}

/**
 * The calls of a tool, newest first, with totals over the whole window: for its author and
 * admins. A tool the caller cannot see is a 404, one they can see but did not write a 403.
 * Callers appear by username only; their arguments and config are never stored.
 */
export async function getToolUsage(db: Kysely<Database>, actor: Actor, input: z.infer<typeof ToolUsageInput>) {
  const tool = await findVisibleTool(db, actor, input.tool_id);
  if (!isOwnerOrAdmin(actor, tool.author_id)) throw new AppError('FORBIDDEN', { message: 'TOOL_USAGE_NOT_AUTHOR' });
  const since = input.since ? boundOf(input.since, false) : null;
  const until = input.until ? boundOf(input.until, true) : null;
  if (since && until && since.getTime() >= until.getTime()) {
    throw new AppError('INVALID_REQUEST', { message: 'TOOL_USAGE_RANGE_INVALID', details: { field: 'since' } });
  }

  let query = db.selectFrom('tool_calls').where('tool_calls.tool_id', '=', tool.id);
  if (since) query = query.where('tool_calls.created_at', '>=', since);
  if (until) query = query.where('tool_calls.created_at', '<', until);

  const [rows, totals] = await Promise.all([
    query
      .innerJoin('users', 'users.id', 'tool_calls.payer_id')
      .selectAll('tool_calls')
      .select('users.username as payer_username')
      .orderBy('tool_calls.created_at', 'desc')
      .orderBy('tool_calls.id', 'desc')
      .limit(input.limit)
      .offset(pageOffset(input))
      .execute(),
    query
      .select([
        sql<string>`count(*)`.as('calls'),
        sql<string>`count(*) FILTER (WHERE tool_calls.status = 'success')`.as('successful_calls'),
        sql<string>`coalesce(sum(tool_calls.cost_nano), 0)::bigint`.as('charged_nano'),
        sql<string>`coalesce(sum(tool_calls.author_credit_nano), 0)::bigint`.as('revenue_nano'),
      ])
      .executeTakeFirstOrThrow(),
  ]);
  const calls = Number(totals.calls);
  return {
    ...toPage(
      rows.map((row) => ({
        id: row.id,
        version: row.version,
        function: row.function_name,
        status: row.status,
        latency_ms: row.latency_ms,
        cost: nanoToAmount(row.cost_nano),
        author_credit: nanoToAmount(row.author_credit_nano),
        via: row.via,
        app_id: row.app_id,
        caller: { username: row.payer_username },
        error: row.error,
        created_at: toIso(row.created_at),
      })),
      calls,
      input,
    ),
    totals: {
      calls,
      successful_calls: Number(totals.successful_calls),
      charged: nanoToAmount(BigInt(totals.charged_nano)),
      revenue: nanoToAmount(BigInt(totals.revenue_nano)),
    },
  };
}
