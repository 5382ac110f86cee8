import { type Kysely, sql } from 'kysely';

// Issue 16: marketplace tools that run. A tool gets a kind (http or mcp) and a per-call price; each
// published version keeps its own signature (functions) and endpoint, so an application pinned to
// an old version keeps calling it. Applications attach tools with the installer's config (secret
// fields encrypted) and fixed arguments. Every call is recorded once (its id is the settlement's
// idempotency key). Conversations keep the tool steps (assistant tool calls and tool results).

export async function up(db: Kysely<unknown>): Promise<void> {
  // kind NULL: a listing-only tool from before issue 16 (it can be bought, not called).
  await sql`ALTER TABLE tools ADD COLUMN kind text CHECK (kind IS NULL OR kind IN ('http', 'mcp'))`.execute(db);
  await sql`ALTER TABLE tools ADD COLUMN price_per_call_nano bigint NOT NULL DEFAULT 0 CHECK (price_per_call_nano >= 0)`.execute(db);
  await sql`ALTER TABLE tools ADD COLUMN config_schema jsonb CHECK (config_schema IS NULL OR jsonb_typeof(config_schema) = 'object')`.execute(
    db,
  );
  // AES-GCM ciphertext (providers/secrets.ts format), bound to the tool id; shown once to the author.
  await sql`ALTER TABLE tools ADD COLUMN signing_secret_enc text`.execute(db);

  await sql`CREATE TABLE tool_versions (
    tool_id text NOT NULL REFERENCES tools(id) ON DELETE CASCADE,
    version text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('http', 'mcp')),
    endpoint_url text,
    server_url text,
    functions jsonb NOT NULL CHECK (jsonb_typeof(functions) = 'array'),
    openapi jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tool_versions_pkey PRIMARY KEY (tool_id, version),
    CONSTRAINT tool_versions_target_check CHECK ((kind = 'http' AND endpoint_url IS NOT NULL) OR (kind = 'mcp' AND server_url IS NOT NULL))
  )`.execute(db);

  await sql`CREATE TABLE application_tools (
    app_id text NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    tool_id text NOT NULL REFERENCES tools(id) ON DELETE RESTRICT,
    version text,
    config jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
    secret_config_enc text,
    fixed_arguments jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(fixed_arguments) = 'object'),
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT application_tools_pkey PRIMARY KEY (app_id, tool_id)
  )`.execute(db);
  await sql`CREATE INDEX application_tools_tool_idx ON application_tools (tool_id)`.execute(db);

  await sql`CREATE TABLE tool_calls (
    id text PRIMARY KEY,
    tool_id text NOT NULL REFERENCES tools(id) ON DELETE RESTRICT,
    version text NOT NULL,
    function_name text NOT NULL,
    payer_id text NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    author_id text NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    app_id text,
    conversation_id text,
    call_id text NOT NULL,
    request_id text,
    via text NOT NULL CHECK (via IN ('app', 'mcp')),
    status text NOT NULL CHECK (status IN ('success', 'error', 'timeout', 'invalid_arguments', 'refused', 'insufficient_funds')),
    latency_ms integer NOT NULL DEFAULT 0,
    cost_nano bigint NOT NULL DEFAULT 0 CHECK (cost_nano >= 0),
    author_credit_nano bigint NOT NULL DEFAULT 0 CHECK (author_credit_nano >= 0),
    error text,
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE INDEX tool_calls_tool_created_idx ON tool_calls (tool_id, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX tool_calls_payer_created_idx ON tool_calls (payer_id, created_at DESC, id DESC)`.execute(db);

  // Conversations keep every step of a tool loop: an assistant turn's tool calls, and tool results.
  await sql`ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_role_check`.execute(db);
  await sql`ALTER TABLE messages ADD CONSTRAINT messages_role_check CHECK (role IN ('system', 'user', 'assistant', 'tool'))`.execute(db);
  await sql`ALTER TABLE messages ADD COLUMN tool_calls jsonb CHECK (tool_calls IS NULL OR jsonb_typeof(tool_calls) = 'array')`.execute(db);
  await sql`ALTER TABLE messages ADD COLUMN tool_call_id text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE messages DROP COLUMN tool_call_id`.execute(db);
  await sql`ALTER TABLE messages DROP COLUMN tool_calls`.execute(db);
  await sql`DELETE FROM messages WHERE role = 'tool'`.execute(db);
  await sql`ALTER TABLE messages DROP CONSTRAINT messages_role_check`.execute(db);
  await sql`ALTER TABLE messages ADD CONSTRAINT messages_role_check CHECK (role IN ('system', 'user', 'assistant'))`.execute(db);
  await sql`DROP TABLE tool_calls`.execute(db);
  await sql`DROP TABLE application_tools`.execute(db);
  await sql`DROP TABLE tool_versions`.execute(db);
  await sql`ALTER TABLE tools DROP COLUMN signing_secret_enc`.execute(db);
  await sql`ALTER TABLE tools DROP COLUMN config_schema`.execute(db);
  await sql`ALTER TABLE tools DROP COLUMN price_per_call_nano`.execute(db);
  await sql`ALTER TABLE tools DROP COLUMN kind`.execute(db);
}
