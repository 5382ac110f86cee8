import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';

// A counter per database handle that moves on every provider, model or route change made by this
// process. Caches of resolved routes (models/call-resolver.ts) compare it on read and drop their
// entries when it moved, so a change is seen at once here and within the caches' TTL elsewhere.
// Keyed by the root Kysely instance, which lives as long as the platform: pass `platform.db`, never
// a transaction.
const generations = new WeakMap<Kysely<Database>, number>();

export function catalogGeneration(db: Kysely<Database>): number {
  return generations.get(db) ?? 0;
}

export function markCatalogChanged(db: Kysely<Database>): void {
  generations.set(db, catalogGeneration(db) + 1);
}
