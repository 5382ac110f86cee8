import type { ColumnType, Selectable } from 'kysely';
import type { Timestamp } from './users.js';

type Json = ColumnType<unknown, string | null | undefined, never>;

/** Who did what to which object, when, with the state before and after. Append-only. */
export interface AuditLogTable {
  id: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: Json;
  after: Json;
  request_id: string | null;
  ip: string | null;
  created_at: Timestamp;
}

export interface AuditTables {
  audit_log: AuditLogTable;
}

export type AuditLogEntry = Selectable<AuditLogTable>;
