import { sql } from 'kysely';
import type { Platform } from '../core/platform.js';
import { syncProvidersFromEnv } from '../models/env-catalog.js';
import { ensureAdmin, ensureInitialAdmin, type InitialAdmin } from './admin.js';
import { seedDemoData } from './demo.js';

// Any fixed key shared by every replica of this platform.
const BOOTSTRAP_LOCK_KEY = 7_404_202_611;

/** What a start's bootstrap did that the start banner tells. */
export interface BootstrapReport {
  /** Set only on the start that created it: its password is shown once. */
  initialAdmin: InitialAdmin | null;
}

async function bootstrap(platform: Platform): Promise<BootstrapReport> {
  await ensureAdmin(platform);
  const initialAdmin = await ensureInitialAdmin(platform);
  await syncProvidersFromEnv(platform);
  if (platform.config.seedDemoData) await seedDemoData(platform);
  return { initialAdmin };
}

/**
 * Runs at every start after migrations: idempotent, so restarts change nothing twice.
 * `serialize` (PostgreSQL, where several replicas may start at once) makes them take turns under
 * an advisory lock, so two never race to create the same admin or demo rows. PGlite has one
 * process and one connection: holding that connection for the lock would block the bootstrap.
 */
export async function bootstrapPlatformData(platform: Platform, options: { serialize?: boolean } = {}): Promise<BootstrapReport> {
  if (!options.serialize) return bootstrap(platform);
  return platform.db.connection().execute(async (connection) => {
    await sql`SELECT pg_advisory_lock(${BOOTSTRAP_LOCK_KEY}::bigint)`.execute(connection);
    try {
      return await bootstrap(platform);
    } finally {
      await sql`SELECT pg_advisory_unlock(${BOOTSTRAP_LOCK_KEY}::bigint)`.execute(connection);
    }
  });
}
