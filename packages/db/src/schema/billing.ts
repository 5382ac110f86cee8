import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { Timestamp } from './users.js';

/** Money is int8 nano-units (1e-9 of the currency unit) everywhere below the API edge. */
export type Nano = ColumnType<bigint, bigint | undefined, bigint>;

export interface WalletsTable {
  user_id: string;
  /** Equals the sum of the user's ledger entries; never negative (CHECK). */
  balance_nano: Nano;
  /** Reserved for model calls in flight; balance_nano - held_nano is what can be spent. */
  held_nano: Nano;
  updated_at: Timestamp;
}

export type LedgerKind =
  | 'signup_credit'
  | 'admin_credit'
  | 'admin_debit'
  | 'model_usage'
  | 'tool_purchase'
  | 'tool_sale';

/** Append-only: a trigger refuses UPDATE and DELETE. */
export interface LedgerEntriesTable {
  id: string;
  user_id: string;
  amount_nano: ColumnType<bigint, bigint, never>;
  balance_after_nano: ColumnType<bigint, bigint, never>;
  kind: LedgerKind;
  reason: string | null;
  reference_id: string | null;
  actor_id: string | null;
  created_at: Timestamp;
}

export interface BillingTables {
  wallets: WalletsTable;
  ledger_entries: LedgerEntriesTable;
}

export type Wallet = Selectable<WalletsTable>;
export type LedgerEntry = Selectable<LedgerEntriesTable>;
export type NewLedgerEntry = Insertable<LedgerEntriesTable>;
