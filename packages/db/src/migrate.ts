import { inspect } from 'node:util';
import { type Kysely, type MigrationProvider, Migrator, sql } from 'kysely';
import { migrations } from './migrations/index.js';
import { PROVIDER_KINDS, providerKindCheckList } from './provider-kinds.js';
import type { Database } from './schema/index.js';

const provider: MigrationProvider = { getMigrations: async () => migrations };

export function createMigrator(db: Kysely<Database>): Migrator {
  return new Migrator({ db, provider });
}

/** Brings the schema to the latest migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const { error, results } = await createMigrator(db).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const reason = error instanceof Error ? error.message : inspect(error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`, { cause: error });
  }
  await syncProviderKindCheck(db);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Re-creates the providers' kind CHECK when PROVIDER_KINDS changed, so that adding a provider kind
 * is its adapter folder plus its names in the lists, with no migration to write. Read first, so a
 * start with the same kinds (every start but the first after a change) takes no lock.
 */
export async function syncProviderKindCheck(db: Kysely<Database>): Promise<void> {
  const current = await sql<{ definition: string }>`
    SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conname = 'providers_kind_check'`.execute(db);
  const definition = current.rows[0]?.definition ?? '';
  const declared = new Set(Array.from(definition.matchAll(/'((?:[^']|'')*)'/g), (match) => match[1]!.replace(/''/g, "'")));
  if (declared.size === PROVIDER_KINDS.length && PROVIDER_KINDS.every((kind) => declared.has(kind))) return;
  await db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE providers DROP CONSTRAINT IF EXISTS providers_kind_check`.execute(trx);
    await sql.raw(`ALTER TABLE providers ADD CONSTRAINT providers_kind_check CHECK (kind IN (${providerKindCheckList()}))`).execute(trx);
  });
}
