import { type Kysely, sql } from 'kysely';

// Providers, model catalogue, routes and uploaded files (issue 3, parts 1–2).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE providers (
    id text PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('openai-compatible', 'demo-echo')),
    base_url text NOT NULL,
    api_key_encrypted text,
    timeout_ms integer NOT NULL DEFAULT 60000 CHECK (timeout_ms > 0),
    priority integer NOT NULL DEFAULT 0,
    weight integer NOT NULL DEFAULT 1 CHECK (weight >= 0),
    enabled boolean NOT NULL DEFAULT true,
    created_by text REFERENCES users(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  // MAAS_PROVIDERS upserts by name, so a name identifies a provider.
  await sql`CREATE UNIQUE INDEX providers_name_lower_key ON providers (lower(name))`.execute(db);
  await sql`CREATE INDEX providers_created_idx ON providers (created_at DESC, id DESC)`.execute(db);

  await sql`CREATE TABLE files (
    id text PRIMARY KEY,
    owner_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    filename text NOT NULL,
    bytes bigint NOT NULL CHECK (bytes >= 0),
    sha256 text NOT NULL,
    content_type text NOT NULL,
    storage_key text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE INDEX files_owner_created_idx ON files (owner_id, created_at DESC, id DESC)`.execute(db);

  await sql`CREATE TABLE models (
    id text PRIMARY KEY,
    owner_id text NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    category text NOT NULL CHECK (category IN ('text', 'image', 'audio', 'video')),
    version text NOT NULL DEFAULT '1.0',
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'deprecated')),
    visibility text NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'private')),
    parameters jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(parameters) = 'object'),
    model_file_id text REFERENCES files(id) ON DELETE SET NULL,
    input_nano_per_token bigint NOT NULL DEFAULT 0 CHECK (input_nano_per_token >= 0),
    output_nano_per_token bigint NOT NULL DEFAULT 0 CHECK (output_nano_per_token >= 0),
    context_window integer NOT NULL DEFAULT 4096 CHECK (context_window > 0),
    call_count bigint NOT NULL DEFAULT 0 CHECK (call_count >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  // The OpenAI gateway resolves `model` by name, so a name must point at one model.
  await sql`CREATE UNIQUE INDEX models_name_lower_key ON models (lower(name))`.execute(db);
  await sql`CREATE INDEX models_created_idx ON models (created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX models_popularity_idx ON models (call_count DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX models_category_idx ON models (category)`.execute(db);
  await sql`CREATE INDEX models_owner_idx ON models (owner_id)`.execute(db);

  // A provider in use cannot be deleted (RESTRICT): its models would silently lose a route.
  // A null priority or weight means "the provider's own".
  await sql`CREATE TABLE model_routes (
    model_id text NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    provider_id text NOT NULL REFERENCES providers(id) ON DELETE RESTRICT,
    upstream_model text NOT NULL,
    priority integer,
    weight integer CHECK (weight >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_id, provider_id, upstream_model)
  )`.execute(db);
  await sql`CREATE INDEX model_routes_provider_idx ON model_routes (provider_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE model_routes`.execute(db);
  await sql`DROP TABLE models`.execute(db);
  await sql`DROP TABLE files`.execute(db);
  await sql`DROP TABLE providers`.execute(db);
}
