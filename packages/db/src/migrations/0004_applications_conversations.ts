import { type Kysely, sql } from 'kysely';

// Applications, conversations and messages (issue 3, parts 3–4).
export async function up(db: Kysely<unknown>): Promise<void> {
  // A model in use by an application cannot be deleted (RESTRICT); it can be deprecated instead.
  await sql`CREATE TABLE applications (
    id text PRIMARY KEY,
    owner_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    model_id text NOT NULL REFERENCES models(id) ON DELETE RESTRICT,
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'stopped')),
    config jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE INDEX applications_owner_created_idx ON applications (owner_id, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX applications_created_idx ON applications (created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX applications_model_idx ON applications (model_id)`.execute(db);

  await sql`CREATE TABLE conversations (
    id text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app_id text NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    title text,
    message_count integer NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE INDEX conversations_user_updated_idx ON conversations (user_id, updated_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX conversations_app_idx ON conversations (app_id)`.execute(db);

  await sql`CREATE TABLE messages (
    id text PRIMARY KEY,
    conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content text NOT NULL,
    tokens integer NOT NULL DEFAULT 0 CHECK (tokens >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE INDEX messages_conversation_created_idx ON messages (conversation_id, created_at, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE messages`.execute(db);
  await sql`DROP TABLE conversations`.execute(db);
  await sql`DROP TABLE applications`.execute(db);
}
