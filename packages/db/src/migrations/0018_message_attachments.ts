import { type Kysely, sql } from 'kysely';

// Issue 14 part 4: an application's answer on a media model (image, audio, video) carries the
// generated files as attachments; the conversation keeps them with the message, as a JSON array of
// {file_id, content_type} (the URL is derived when read, so a changed public URL never goes stale).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE messages ADD COLUMN attachments jsonb CHECK (attachments IS NULL OR jsonb_typeof(attachments) = 'array')`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE messages DROP COLUMN attachments`.execute(db);
}
