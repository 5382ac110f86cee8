import { createPlatform, type Platform, type PlatformConfig, type PlatformInit, resolveJwtSecret } from '@maas/api';
import { createDatabase, type DatabaseHandle, migrateToLatest } from '@maas/db';
import { createInvalidationChannel } from './invalidation-channel.js';

/** The database the configuration names: PostgreSQL (DATABASE_URL) or embedded PGlite (DATA_DIR). */
export function openDatabase(config: PlatformConfig): DatabaseHandle {
  return createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
}

export interface StartPlatformOptions extends Pick<PlatformInit, 'rateLimits' | 'telemetry' | 'onBackgroundError' | 'lookup' | 'onNotice'> {
  config: PlatformConfig;
  database: DatabaseHandle;
  /** Where operational warnings go (the server's logger); stderr by default. */
  warn?: (message: string, error?: unknown) => void;
  /** Close the database with the platform (false when the caller lends it, as tests do). */
  ownsDatabase: boolean;
}

export interface StartedPlatform {
  platform: Platform;
  /** Migrations applied by this start (empty when the schema was up to date). */
  migrated: string[];
  /** Writes what left the response path (settlements, counters), then closes the database if owned. */
  close(): Promise<void>;
}

/**
 * The start-up the server and the CLI share: migrations, then the platform over the database with
 * the configuration's JWT secret, so a CLI command sees exactly what the server would.
 */
export async function startPlatform(options: StartPlatformOptions): Promise<StartedPlatform> {
  const { config, database } = options;
  const closeDatabase = () => (options.ownsDatabase ? database.close() : Promise.resolve());
  try {
    const migrated = await migrateToLatest(database.db);
    const platform = createPlatform({
      db: database.db,
      billingDb: database.relaxedDb,
      config,
      jwtSecret: resolveJwtSecret(config),
      rateLimits: options.rateLimits,
      telemetry: options.telemetry,
      onBackgroundError: options.onBackgroundError,
      lookup: options.lookup,
      // Revocations and catalogue changes reach the other instances at once (issue 17).
      invalidationChannel: createInvalidationChannel(config, database, options.warn ?? ((message, error) => console.warn(message, error))),
      onNotice: options.onNotice,
    });
    // Books what a killed predecessor on this DATA_DIR answered but had not booked, then beats.
    await platform.billingInstance.start();
    return {
      platform,
      migrated,
      close: async () => {
        // Settlements and counters that left the response path are written before the pool closes.
        platform.leases?.stop();
        await platform.invalidations.close();
        await platform.background.drain();
        await platform.toolRuntime.close().catch(() => {});
        await platform.billingInstance.stop();
        await platform.callCounts.flush().catch(() => {});
        await closeDatabase();
      },
    };
  } catch (error) {
    await closeDatabase();
    throw error;
  }
}
