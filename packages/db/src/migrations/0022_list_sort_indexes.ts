import { type Kysely, sql } from 'kysely';

// Issue 18 target 1: each list's sort order read from an index, tie-break included, so a page is an
// index scan that stops at LIMIT instead of a sort of every match. The default sorts (models and
// posts by created_at, id; tools by created_at, id among published ones) already had theirs; these
// are the other sorts the lists offer. The popular-posts index gains the id tie-break the query
// orders by, so no incremental sort is left.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX posts_popular_idx`.execute(db);
  await sql`CREATE INDEX posts_popular_idx ON posts (likes_count DESC, comments_count DESC, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX tools_listed_price_idx ON tools (price_nano, created_at, id) WHERE status = 'published' AND deleted_at IS NULL`.execute(
    db,
  );
  await sql`CREATE INDEX tools_listed_downloads_idx ON tools (downloads, created_at, id) WHERE status = 'published' AND deleted_at IS NULL`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX tools_listed_downloads_idx`.execute(db);
  await sql`DROP INDEX tools_listed_price_idx`.execute(db);
  await sql`DROP INDEX posts_popular_idx`.execute(db);
  await sql`CREATE INDEX posts_popular_idx ON posts (likes_count DESC, comments_count DESC, created_at DESC)`.execute(db);
}
