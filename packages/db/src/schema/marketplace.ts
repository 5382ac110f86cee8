// Tools, orders, licences and reviews (issue 4).
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { Nano } from './billing.js';
import type { ToolKind } from './tool-runtime.js';
import type { NullableTimestamp, Timestamp } from './users.js';

export type ToolStatus = 'draft' | 'published' | 'unlisted';
export type ToolOrderStatus = 'pending' | 'completed' | 'failed';
export type ToolPaymentMethod = 'balance' | 'credit_card' | 'alipay' | 'wechat_pay';

/** What the buyer gave at checkout; kept with the order for invoicing. */
export interface BillingAddressJson {
  country: string;
  city?: string | undefined;
  state?: string | undefined;
  postal_code?: string | undefined;
  line1?: string | undefined;
  line2?: string | undefined;
}

export interface ToolsTable {
  id: string;
  author_id: string;
  name: string;
  description: string;
  full_description: string;
  category: string;
  version: string;
  price_nano: Nano;
  currency: string;
  status: ToolStatus;
  /** null: a listing-only tool from before issue 16 (bought, never called). */
  kind: ColumnType<ToolKind | null, ToolKind | null | undefined, ToolKind | null>;
  /** Charged to the payer on each successful call, on top of the one-time `price_nano`. */
  price_per_call_nano: ColumnType<bigint, bigint | undefined, bigint>;
  /** What an installer supplies (JSON Schema object; properties with `secret: true` are encrypted). */
  config_schema: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  /** AES-GCM ciphertext of the HMAC secret the platform signs http calls with. */
  signing_secret_enc: string | null;
  /** Acquisitions (one per licence), bumped in the purchase transaction. */
  downloads: Generated<number>;
  /** The rating is rating_sum / rating_count, both moved in the review's transaction. */
  rating_sum: Generated<number>;
  rating_count: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Soft delete: licences and orders keep pointing at the tool. */
  deleted_at: NullableTimestamp;
}

export interface ToolOrdersTable {
  id: string;
  user_id: string;
  tool_id: string;
  amount_nano: ColumnType<bigint, bigint, never>;
  currency: string;
  status: ToolOrderStatus;
  payment_method: ToolPaymentMethod;
  payment_reference: string | null;
  failure_reason: string | null;
  /** jsonb; written as a JSON string. */
  billing_address: ColumnType<BillingAddressJson | null, string | null, never>;
  idempotency_key: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Ownership of a tool; the primary key (user_id, tool_id) allows one per buyer. */
export interface ToolLicencesTable {
  user_id: string;
  tool_id: string;
  order_id: string;
  created_at: Timestamp;
}

export interface ToolReviewsTable {
  id: string;
  tool_id: string;
  user_id: string;
  rating: number;
  text: string;
  created_at: Timestamp;
}

export interface MarketplaceTables {
  tools: ToolsTable;
  tool_orders: ToolOrdersTable;
  tool_licences: ToolLicencesTable;
  tool_reviews: ToolReviewsTable;
}

export type Tool = Selectable<ToolsTable>;
export type NewTool = Insertable<ToolsTable>;
export type ToolOrder = Selectable<ToolOrdersTable>;
export type ToolReview = Selectable<ToolReviewsTable>;
