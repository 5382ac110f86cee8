import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle, migrateToLatest, PROVIDER_KINDS, syncProviderKindCheck } from '../src/index.js';

// The CHECK on providers.kind follows PROVIDER_KINDS without a migration per kind: a database whose
// constraint lists other kinds (one migrated before a kind was added) is brought in step at migrate.
// Embedded PGlite: the statements are PostgreSQL's own catalog reads and DDL, the same on a server.

let database: DatabaseHandle;

async function declaredKinds(): Promise<string[]> {
  const { rows } = await sql<{ definition: string }>`
    SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conname = 'providers_kind_check'`.execute(database.db);
  return Array.from(rows[0]!.definition.matchAll(/'([^']+)'/g), (match) => match[1]!).sort();
}

beforeAll(async () => {
  database = createDatabase({});
  await migrateToLatest(database.db);
});
afterAll(async () => {
  await database?.close();
});

describe('the providers.kind CHECK', () => {
  it('lists exactly PROVIDER_KINDS after migrating', async () => {
    expect(await declaredKinds()).toEqual([...PROVIDER_KINDS].sort());
  });

  it('is re-created from the list when the database knows other kinds, and left alone when it matches', async () => {
    await sql`ALTER TABLE providers DROP CONSTRAINT providers_kind_check`.execute(database.db);
    await sql`ALTER TABLE providers ADD CONSTRAINT providers_kind_check CHECK (kind IN ('openai-compatible', 'demo-echo'))`.execute(
      database.db,
    );
    expect(await declaredKinds()).toEqual(['demo-echo', 'openai-compatible']);
    await syncProviderKindCheck(database.db);
    expect(await declaredKinds()).toEqual([...PROVIDER_KINDS].sort());
    const { rows } = await sql<{ oid: number }>`SELECT oid FROM pg_constraint WHERE conname = 'providers_kind_check'`.execute(database.db);
    await migrateToLatest(database.db);
    const after = await sql<{ oid: number }>`SELECT oid FROM pg_constraint WHERE conname = 'providers_kind_check'`.execute(database.db);
    expect(after.rows[0]!.oid).toBe(rows[0]!.oid);
  });

  it('refuses a kind no adapter serves', async () => {
    const insert = sql`INSERT INTO providers (id, name, kind, base_url) VALUES ('prov_x', 'x', 'no-such-kind', 'http://x')`.execute(
      database.db,
    );
    await expect(insert).rejects.toThrow(/providers_kind_check/);
  });
});
