import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE posts (
    id text PRIMARY KEY,
    author_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    content text NOT NULL CHECK (char_length(content) <= 20000),
    category text NOT NULL CHECK (category IN ('discussion', 'showcase', 'question', 'announcement', 'tutorial')),
    tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 10),
    likes_count integer NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
    comments_count integer NOT NULL DEFAULT 0 CHECK (comments_count >= 0),
    hidden_at timestamptz,
    hidden_by text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE INDEX posts_created_idx ON posts (created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX posts_popular_idx ON posts (likes_count DESC, comments_count DESC, created_at DESC)`.execute(db);
  await sql`CREATE INDEX posts_author_idx ON posts (author_id)`.execute(db);
  await sql`CREATE INDEX posts_tags_idx ON posts USING gin (tags)`.execute(db);

  // One like per user and post; the primary key is what makes a double like a no-op.
  await sql`CREATE TABLE post_likes (
    post_id text NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, user_id)
  )`.execute(db);
  await sql`CREATE INDEX post_likes_user_idx ON post_likes (user_id)`.execute(db);

  await sql`CREATE TABLE post_comments (
    id text PRIMARY KEY,
    post_id text NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    author_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content text NOT NULL CHECK (char_length(content) BETWEEN 1 AND 5000),
    hidden_at timestamptz,
    hidden_by text,
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE INDEX post_comments_post_created_idx ON post_comments (post_id, created_at, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE post_comments`.execute(db);
  await sql`DROP TABLE post_likes`.execute(db);
  await sql`DROP TABLE posts`.execute(db);
}
