import { type Kysely, sql } from 'kysely';

// Issue 16 part 5: an API key's allow-list of marketplace tools narrows what it reaches through
// the MCP endpoint, as allowed_models narrows the models it may call. NULL allows every tool.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE api_keys ADD COLUMN allowed_tools jsonb CHECK (allowed_tools IS NULL OR jsonb_typeof(allowed_tools) = 'array')`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE api_keys DROP COLUMN allowed_tools`.execute(db);
}
