import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { NullableTimestamp, Timestamp } from './users.js';

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
  | 'tool_sale'
  /** A model's owner's share of a call to it (issue 15 part 5): reference_id is the model. */
  | 'model_revenue'
  /** A marketplace tool call's price, paid by its caller (issue 16); reference_id is the tool call. */
  | 'tool_call'
  /** The author's share of a tool call's price; reference_id is the tool call. */
  | 'tool_revenue'
  /** Money in (issue 19 part 6): reference_id is the top-up or the redemption code. */
  | 'top_up'
  | 'redemption';

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

export type LeaseStatus = 'open' | 'closed';

/** A hold that one instance spends many model calls from; see billing/wallet-leases.ts. */
export interface WalletLeasesTable {
  /** `lease_…` */
  id: string;
  user_id: string;
  api_key_id: string | null;
  /** Lowered (never raised) when the owner's debit reclaims what the lease's calls do not need. */
  amount_nano: ColumnType<bigint, bigint, bigint>;
  /** The instance spending it (billing_instances); null for leases opened before instances beat. */
  instance_id: string | null;
  reclaim_requested_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** What the calls settled from this lease cost so far; never above amount_nano (CHECK). */
  charged_nano: Nano;
  calls: ColumnType<number, number | undefined, number>;
  status: ColumnType<LeaseStatus, LeaseStatus | undefined, LeaseStatus>;
  created_at: Timestamp;
  closed_at: NullableTimestamp;
}

/** A running server instance; one that stops beating has crashed and its holds are released. */
export interface BillingInstancesTable {
  /** `inst_…` */
  id: string;
  pid: number;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
}

export interface BillingTables {
  billing_instances: BillingInstancesTable;
  wallets: WalletsTable;
  ledger_entries: LedgerEntriesTable;
  wallet_leases: WalletLeasesTable;
  wallet_top_ups: WalletTopUpsTable;
  payment_events: PaymentEventsTable;
  redemption_code_batches: RedemptionCodeBatchesTable;
  redemption_codes: RedemptionCodesTable;
}

export type Wallet = Selectable<WalletsTable>;
export type LedgerEntry = Selectable<LedgerEntriesTable>;
export type NewLedgerEntry = Insertable<LedgerEntriesTable>;

export type TopUpProvider = 'sandbox' | 'stripe';
export type TopUpStatus = 'pending' | 'completed' | 'failed';

/** Money paid in through a payment provider; credited to the wallet once, when it completes. */
export interface WalletTopUpsTable {
  /** `topup_…` */
  id: string;
  user_id: string;
  amount_nano: ColumnType<bigint, bigint, never>;
  currency: string;
  provider: TopUpProvider;
  status: ColumnType<TopUpStatus, TopUpStatus | undefined, TopUpStatus>;
  checkout_url: string | null;
  /** The provider's id of the payment (a Stripe Checkout Session id); unique per provider. */
  reference: string | null;
  failure_reason: string | null;
  idempotency_key: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  completed_at: NullableTimestamp;
}

/** A provider event already handled (primary key provider + event_id), and what it did. */
export interface PaymentEventsTable {
  provider: string;
  event_id: string;
  type: string;
  top_up_id: string | null;
  outcome: string;
  received_at: Timestamp;
}

export interface RedemptionCodeBatchesTable {
  /** `rcbatch_…` */
  id: string;
  amount_nano: ColumnType<bigint, bigint, never>;
  count: number;
  expires_at: NullableTimestamp;
  note: string | null;
  created_by: string;
  created_at: Timestamp;
}

/** One code of a batch; only its SHA-256 is stored. Redeemed once (redeemed_by, redeemed_at). */
export interface RedemptionCodesTable {
  /** `rcode_…` */
  id: string;
  batch_id: string;
  code_hash: string;
  amount_nano: ColumnType<bigint, bigint, never>;
  expires_at: NullableTimestamp;
  redeemed_by: string | null;
  redeemed_at: NullableTimestamp;
  created_at: Timestamp;
}

export type WalletTopUp = Selectable<WalletTopUpsTable>;
export type RedemptionCode = Selectable<RedemptionCodesTable>;
