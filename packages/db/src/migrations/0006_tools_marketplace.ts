import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE tools (
    id text PRIMARY KEY,
    author_id text NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    full_description text NOT NULL DEFAULT '',
    category text NOT NULL,
    version text NOT NULL DEFAULT '1.0.0',
    price_nano bigint NOT NULL CHECK (price_nano >= 0),
    currency text NOT NULL,
    status text NOT NULL DEFAULT 'published' CHECK (status IN ('draft', 'published', 'unlisted')),
    downloads integer NOT NULL DEFAULT 0 CHECK (downloads >= 0),
    rating_sum integer NOT NULL DEFAULT 0 CHECK (rating_sum >= 0),
    rating_count integer NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
  )`.execute(db);
  await sql`CREATE INDEX tools_listed_created_idx ON tools (created_at DESC, id DESC) WHERE status = 'published' AND deleted_at IS NULL`.execute(
    db,
  );
  await sql`CREATE INDEX tools_category_idx ON tools (category)`.execute(db);
  await sql`CREATE INDEX tools_author_idx ON tools (author_id)`.execute(db);

  await sql`CREATE TABLE tool_orders (
    id text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    tool_id text NOT NULL REFERENCES tools(id) ON DELETE RESTRICT,
    amount_nano bigint NOT NULL CHECK (amount_nano >= 0),
    currency text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
    payment_method text NOT NULL,
    payment_reference text,
    failure_reason text,
    billing_address jsonb,
    idempotency_key text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  // The database arbitrates concurrent purchases: one order per Idempotency-Key, and at most one
  // live (pending or completed) order per buyer and tool, however many requests race.
  await sql`CREATE UNIQUE INDEX tool_orders_idempotency_key ON tool_orders (user_id, idempotency_key)`.execute(db);
  await sql`CREATE UNIQUE INDEX tool_orders_live_purchase_key ON tool_orders (user_id, tool_id) WHERE status IN ('pending', 'completed')`.execute(
    db,
  );
  await sql`CREATE INDEX tool_orders_user_created_idx ON tool_orders (user_id, created_at DESC, id DESC)`.execute(db);

  await sql`CREATE TABLE tool_licences (
    user_id text NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    tool_id text NOT NULL REFERENCES tools(id) ON DELETE RESTRICT,
    order_id text NOT NULL REFERENCES tool_orders(id) ON DELETE RESTRICT,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tool_licences_user_tool_key PRIMARY KEY (user_id, tool_id)
  )`.execute(db);
  await sql`CREATE INDEX tool_licences_user_created_idx ON tool_licences (user_id, created_at DESC)`.execute(db);

  await sql`CREATE TABLE tool_reviews (
    id text PRIMARY KEY,
    tool_id text NOT NULL REFERENCES tools(id) ON DELETE CASCADE,
    user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rating integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
    text text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tool_reviews_tool_user_key UNIQUE (tool_id, user_id)
  )`.execute(db);
  await sql`CREATE INDEX tool_reviews_tool_created_idx ON tool_reviews (tool_id, created_at DESC, id DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE tool_reviews`.execute(db);
  await sql`DROP TABLE tool_licences`.execute(db);
  await sql`DROP TABLE tool_orders`.execute(db);
  await sql`DROP TABLE tools`.execute(db);
}
