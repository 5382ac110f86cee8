import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { newId } from '../core/ids.js';
import type { AuditRecord } from '../core/platform.js';
import { escapeLike } from '../core/like.js';
import { listPage, PageInput, pageOf } from '../core/pagination.js';
import { InstantInput, Timestamp, toIso } from '../core/time.js';

// `codes`: the plain redemption codes of a minted batch, shown once and never stored.
const SECRET_FIELDS = /password|api_key|secret|token|^key$|^codes$/i;

/** Drops secrets (passwords, keys, tokens) from anything about to be written to the audit log. */
function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return typeof value === 'bigint' ? value.toString() : value;
  if (Array.isArray(value)) return value.slice(0, 100).map((item) => redactSecrets(item, depth + 1));
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) result[key] = SECRET_FIELDS.test(key) ? '[redacted]' : redactSecrets(item, depth + 1);
  return result;
}

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(redactSecrets(value));
}

export async function recordAudit(db: Kysely<Database>, record: AuditRecord): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: newId('audit'),
      actor_id: record.actorId,
      action: record.action,
      target_type: record.targetType ?? null,
      target_id: record.targetId ?? null,
      before: json(record.before),
      after: json(record.after),
      request_id: record.requestId ?? null,
      ip: record.ip ?? null,
    })
    .execute();
}

export const ListAuditInput = PageInput.extend({
  actor_id: z.string().max(64).optional(),
  action: z.string().max(100).optional(),
  target_id: z.string().max(64).optional(),
  from: InstantInput.optional(),
  to: InstantInput.optional(),
});

export const AuditEntry = z
  .object({
    id: z.string(),
    actor_id: z.string().nullable(),
    action: z.string(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    request_id: z.string().nullable(),
    ip: z.string().nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'AuditEntry' });
export const AuditList = pageOf(AuditEntry);

export async function listAuditLog(db: Kysely<Database>, input: z.infer<typeof ListAuditInput>) {
  let query = db.selectFrom('audit_log');
  if (input.actor_id) query = query.where('actor_id', '=', input.actor_id);
  if (input.action) query = query.where('action', 'like', `${escapeLike(input.action)}%`);
  if (input.target_id) query = query.where('target_id', '=', input.target_id);
  if (input.from) query = query.where('created_at', '>=', new Date(input.from));
  if (input.to) query = query.where('created_at', '<', new Date(input.to));
  return listPage(input, { rows: query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), count: query }, (row) => ({
    ...row,
    created_at: toIso(row.created_at),
  }));
}
