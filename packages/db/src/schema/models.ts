// Providers, model catalogue, routes and uploaded files (issue 3, parts 1–2).
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { Nano } from './billing.js';
import type { Timestamp } from './users.js';

import type { ProviderKind } from '../provider-kinds.js';

export type { ProviderKind } from '../provider-kinds.js';
export type ModelCategory = 'text' | 'image' | 'audio' | 'video';
export type ModelStatus = 'active' | 'inactive' | 'deprecated';
export type ModelVisibility = 'public' | 'private';
/** What a model can be called for (issue 14). */
export type ModelOperation = 'chat' | 'embeddings' | 'image_generation' | 'image_edit' | 'speech' | 'transcription' | 'video_generation';

/** A jsonb column written as a JSON string and read back parsed. */
export type JsonObjectColumn<T> = ColumnType<T, string | undefined, string>;

/** An upstream endpoint the platform forwards model calls to. Managed by admins. */
export interface ProvidersTable {
  /** `prov_…` */
  id: string;
  name: string;
  kind: ProviderKind;
  /** `http(s)://…/v1` for openai-compatible; `builtin://demo-echo` for the built-in provider. */
  base_url: string;
  /** AES-256-GCM ciphertext (`v1.<iv>.<tag>.<data>`, base64url), bound to the provider id; null when no key. */
  api_key_encrypted: string | null;
  timeout_ms: Generated<number>;
  /** Lower is tried first. */
  priority: Generated<number>;
  /** Relative share among routes of equal priority. */
  weight: Generated<number>;
  enabled: Generated<boolean>;
  /** Floor of the per-token prices of non-admin models routed here (nano-units). */
  min_input_nano_per_token: Nano;
  min_output_nano_per_token: Nano;
  /** Kind-specific settings (the API's `options`), e.g. which output-limit field an OpenAI-compatible server wants. */
  options: JsonObjectColumn<ProviderOptionsJson>;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Kind-specific provider settings; see ProviderOptions in packages/api/src/inference/adapter.ts. */
export interface ProviderOptionsJson {
  max_tokens_field?: 'max_tokens' | 'max_completion_tokens' | undefined;
  anthropic_version?: string | undefined;
}

/** Model call defaults (the API's `config` / `parameters`). */
export interface ModelParametersJson {
  max_tokens?: number | undefined;
  temperature?: number | undefined;
  top_p?: number | undefined;
  frequency_penalty?: number | undefined;
  presence_penalty?: number | undefined;
  stop?: string | string[] | undefined;
  /** Context size of a model served from its own file (issue 15); bounded by the file's. */
  context_length?: number | undefined;
}

export interface ModelsTable {
  /** `model_…` */
  id: string;
  owner_id: string;
  /** Unique, case-insensitively: the OpenAI gateway resolves models by name. */
  name: string;
  description: Generated<string>;
  category: ModelCategory;
  version: Generated<string>;
  status: Generated<ModelStatus>;
  visibility: Generated<ModelVisibility>;
  parameters: JsonObjectColumn<ModelParametersJson>;
  model_file_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Price per token in nano-units. */
  input_nano_per_token: Nano;
  output_nano_per_token: Nano;
  /** Price of a cached input token; null: cached input tokens cost the input price. */
  cached_input_nano_per_token: ColumnType<bigint | null, bigint | null | undefined, bigint | null>;
  context_window: Generated<number>;
  /** JSON array written as a JSON string; null: the category's default operations. */
  operations: ColumnType<ModelOperation[] | null, string | null | undefined, string | null>;
  /** Per-unit prices (issue 14 part 5), written as a JSON string; null: priced by tokens only. */
  unit_prices: ColumnType<UnitPricesJson | null, string | null | undefined, string | null>;
  /** Successful calls (popularity); bumped off the response path. */
  call_count: ColumnType<bigint, bigint | undefined, bigint>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Which providers serve a model, and under which upstream name. */
export interface ModelRoutesTable {
  model_id: string;
  provider_id: string;
  upstream_model: string;
  /** Null: the provider's priority. */
  priority: number | null;
  /** Null: the provider's weight. */
  weight: number | null;
  created_at: Timestamp;
}

/**
 * Per-unit prices in nano-units, as decimal strings (bigints do not survive JSON). Each applies to
 * the operations that deliver that unit; see packages/api/src/models/pricing.ts.
 */
export interface UnitPricesJson {
  per_image?: string | undefined;
  /** Prices by size and/or quality; the most specific match wins over per_image. */
  per_image_by?: { size?: string | undefined; quality?: string | undefined; price: string }[] | undefined;
  /** Per second of generated audio or video. */
  per_second?: string | undefined;
  /** Per 1 000 characters of speech input. */
  per_1k_characters?: string | undefined;
  /** Per minute of transcribed audio. */
  per_minute?: string | undefined;
}

export type FilePurpose = 'upload' | 'model' | 'generated';

export interface FilesTable {
  /** `file_…` */
  id: string;
  owner_id: string;
  filename: string;
  bytes: ColumnType<bigint, bigint, never>;
  /** Hex SHA-256 of the content, computed while it streamed to the blob store. */
  sha256: string;
  content_type: string;
  /** Where the blob store keeps the bytes. */
  storage_key: string;
  /** What the file is for (issue 14 part 3, issue 15 part 1). */
  purpose: ColumnType<FilePurpose, FilePurpose | undefined, FilePurpose>;
  /** What was read from or is known about the content (a model file's header, an image's size, a duration), as a JSON string. */
  metadata: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  /** Generated files are deleted after this (the retention setting); null: kept. */
  expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Timestamp;
}

export interface ModelsTables {
  providers: ProvidersTable;
  models: ModelsTable;
  model_routes: ModelRoutesTable;
  files: FilesTable;
}

export type Provider = Selectable<ProvidersTable>;
export type NewProvider = Insertable<ProvidersTable>;
export type ProviderUpdate = Updateable<ProvidersTable>;
export type Model = Selectable<ModelsTable>;
export type NewModel = Insertable<ModelsTable>;
export type ModelUpdate = Updateable<ModelsTable>;
export type ModelRoute = Selectable<ModelRoutesTable>;
export type StoredFile = Selectable<FilesTable>;
