import { type Kysely, sql } from 'kysely';
import { providerKindCheckList } from '../provider-kinds.js';

// Issue 13: one inference layer. The kinds CHECK is built from PROVIDER_KINDS (the one list);
// when the list changes later, migrateToLatest re-creates it (syncProviderKindCheck), so a new kind
// needs no migration of its own. Providers carry kind-specific options; models may price cached
// input tokens apart; usage records keep the cached tokens and any cost the wallet could not cover.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE providers DROP CONSTRAINT IF EXISTS providers_kind_check`.execute(db);
  await sql.raw(`ALTER TABLE providers ADD CONSTRAINT providers_kind_check CHECK (kind IN (${providerKindCheckList()}))`).execute(db);
  await sql`ALTER TABLE providers ADD COLUMN options jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(options) = 'object')`.execute(db);
  await sql`ALTER TABLE models ADD COLUMN cached_input_nano_per_token bigint CHECK (cached_input_nano_per_token >= 0)`.execute(db);
  await sql`ALTER TABLE usage_records ADD COLUMN cached_input_tokens integer NOT NULL DEFAULT 0 CHECK (cached_input_tokens >= 0)`.execute(
    db,
  );
  // What the call cost beyond what could be collected (an under-estimated hold on an emptied wallet).
  await sql`ALTER TABLE usage_records ADD COLUMN uncollected_nano bigint NOT NULL DEFAULT 0 CHECK (uncollected_nano >= 0)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE usage_records DROP COLUMN uncollected_nano`.execute(db);
  await sql`ALTER TABLE usage_records DROP COLUMN cached_input_tokens`.execute(db);
  await sql`ALTER TABLE models DROP COLUMN cached_input_nano_per_token`.execute(db);
  await sql`ALTER TABLE providers DROP COLUMN options`.execute(db);
  await sql`ALTER TABLE providers DROP CONSTRAINT IF EXISTS providers_kind_check`.execute(db);
  await sql`ALTER TABLE providers ADD CONSTRAINT providers_kind_check CHECK (kind IN ('openai-compatible', 'demo-echo'))`.execute(db);
}
