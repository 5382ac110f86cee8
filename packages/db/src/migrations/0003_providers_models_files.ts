import type { Kysely } from 'kysely';

// Placeholder reserved for its domain; filled in before any release.
export async function up(_db: Kysely<unknown>): Promise<void> {}

export async function down(_db: Kysely<unknown>): Promise<void> {}
