import { type Kysely, sql } from 'kysely';

// API keys, model-call reservations and usage records (issue 3, parts 5 and 7).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE api_keys (
    id text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name text NOT NULL,
    key_hash text NOT NULL,
    prefix text NOT NULL,
    allowed_models jsonb CHECK (allowed_models IS NULL OR jsonb_typeof(allowed_models) = 'array'),
    spend_cap_nano bigint CHECK (spend_cap_nano > 0),
    spent_nano bigint NOT NULL DEFAULT 0 CHECK (spent_nano >= 0),
    held_nano bigint NOT NULL DEFAULT 0 CHECK (held_nano >= 0),
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT api_keys_spend_cap_check CHECK (spend_cap_nano IS NULL OR spent_nano + held_nano <= spend_cap_nano)
  )`.execute(db);
  await sql`CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash)`.execute(db);
  await sql`CREATE INDEX api_keys_user_created_idx ON api_keys (user_id, created_at DESC, id DESC)`.execute(db);

  // app_id / model_id / conversation_id carry no foreign key: they belong to other domains and a
  // usage record must outlive what it describes.
  await sql`CREATE TABLE model_reservations (
    id text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    api_key_id text REFERENCES api_keys(id) ON DELETE RESTRICT,
    model_id text NOT NULL,
    app_id text,
    amount_nano bigint NOT NULL CHECK (amount_nano >= 0),
    status text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'settled')),
    charged_nano bigint CHECK (charged_nano >= 0 AND charged_nano <= amount_nano),
    ledger_entry_id text,
    usage_record_id text,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    settled_at timestamptz
  )`.execute(db);
  // Only the crash-recovery sweep looks for held reservations by age.
  await sql`CREATE INDEX model_reservations_held_idx ON model_reservations (created_at) WHERE status = 'held'`.execute(db);

  await sql`CREATE TABLE usage_records (
    id text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    app_id text,
    api_key_id text,
    model_id text NOT NULL,
    provider_id text,
    conversation_id text,
    reservation_id text,
    input_tokens integer NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
    output_tokens integer NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
    cost_nano bigint NOT NULL DEFAULT 0 CHECK (cost_nano >= 0),
    latency_ms integer NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
    status text NOT NULL CHECK (status IN ('success', 'failed', 'cancelled', 'partial')),
    error text,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
  )`.execute(db);
  await sql`CREATE INDEX usage_records_user_created_idx ON usage_records (user_id, created_at DESC, id DESC)`.execute(db);
  // A reservation is settled once, so it has at most one usage record.
  await sql`CREATE UNIQUE INDEX usage_records_reservation_key ON usage_records (reservation_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE usage_records`.execute(db);
  await sql`DROP TABLE model_reservations`.execute(db);
  await sql`DROP TABLE api_keys`.execute(db);
}
