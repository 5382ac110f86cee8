// API keys, model-call reservations and usage records (issue 3, parts 5 and 7).
import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { Nano } from './billing.js';
import type { NullableTimestamp, Timestamp } from './users.js';

export interface ApiKeysTable {
  /** `key_…` */
  id: string;
  user_id: string;
  name: string;
  /** SHA-256 hex of the whole `sk-…` key; the key itself is never stored. */
  key_hash: string;
  /** The first characters of the key (`sk-abc1`), enough for a person to recognise it. */
  prefix: string;
  /** jsonb array of model ids; null allows every model. Written as a JSON string. */
  allowed_models: ColumnType<string[] | null, string | null | undefined, string | null>;
  /** jsonb array of tool ids the key reaches through /mcp; null allows every tool. Written as a JSON string. */
  allowed_tools: ColumnType<string[] | null, string | null | undefined, string | null>;
  /** Null means no cap. spent_nano + held_nano never exceeds it (CHECK). */
  spend_cap_nano: ColumnType<bigint | null, bigint | null | undefined, bigint | null>;
  /** What settled calls through this key have been charged. */
  spent_nano: Nano;
  /** Reserved for calls through this key still in flight. */
  held_nano: Nano;
  expires_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  created_at: Timestamp;
}

export type ReservationStatus = 'held' | 'settled';

/** Money set aside for one model call, from before the upstream is asked until it is settled. */
export interface ModelReservationsTable {
  /** `rsv_…` */
  id: string;
  user_id: string;
  api_key_id: string | null;
  model_id: string;
  app_id: string | null;
  amount_nano: ColumnType<bigint, bigint, never>;
  /** The instance whose call it funds; released soon after that instance stops beating. */
  instance_id: string | null;
  status: ColumnType<ReservationStatus, ReservationStatus | undefined, ReservationStatus>;
  charged_nano: bigint | null;
  ledger_entry_id: string | null;
  usage_record_id: string | null;
  created_at: Timestamp;
  settled_at: NullableTimestamp;
}

export type UsageStatus = 'success' | 'failed' | 'cancelled' | 'partial';

/** One row per model call, written in the statement that settles its reservation. */
/** A unit-billed call's delivery: `quantity` units at `unit_price_nano` each (decimal string). */
export interface UsageUnitsJson {
  unit: 'image' | 'second' | '1k_characters' | 'minute';
  quantity: number;
  unit_price_nano: string;
}

export interface UsageRecordsTable {
  /** `usage_…` */
  id: string;
  user_id: string;
  app_id: string | null;
  api_key_id: string | null;
  model_id: string;
  provider_id: string | null;
  conversation_id: string | null;
  /** The call's own id (`rsv_…`), unique: a call is settled once, whichever way it was funded. */
  reservation_id: string | null;
  /** Set when the call was funded from a wallet lease rather than its own reservation. */
  lease_id: string | null;
  input_tokens: number;
  output_tokens: number;
  /** Of input_tokens, read from the provider's prompt cache. */
  cached_input_tokens: ColumnType<number, number | undefined, never>;
  cost_nano: ColumnType<bigint, bigint, never>;
  /** Cost beyond what could be collected from the wallet (cost_nano is what was charged). */
  uncollected_nano: ColumnType<bigint, bigint | undefined, never>;
  latency_ms: number;
  /** What a unit-billed call delivered (images, seconds, characters, minutes), as a JSON string; null for token-billed calls. */
  units: ColumnType<UsageUnitsJson | null, string | null | undefined, never>;
  status: UsageStatus;
  error: string | null;
  created_at: Timestamp;
}

export interface ApiKeysTables {
  api_keys: ApiKeysTable;
  model_reservations: ModelReservationsTable;
  usage_records: UsageRecordsTable;
}

export type ApiKey = Selectable<ApiKeysTable>;
export type NewApiKey = Insertable<ApiKeysTable>;
export type ModelReservation = Selectable<ModelReservationsTable>;
export type UsageRecord = Selectable<UsageRecordsTable>;
