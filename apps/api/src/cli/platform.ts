import { appRouter, createRequestContext, loadConfig, type Actor, type Platform, type PlatformConfig } from '@maas/api';
import type { DatabaseHandle } from '@maas/db';
import { openDatabase, startPlatform } from '../start-platform.js';

export type Env = Record<string, string | undefined>;

export interface CliPlatform {
  config: PlatformConfig;
  database: DatabaseHandle;
  platform: Platform;
  /** Migrations applied by this run (empty when the schema was up to date). */
  migrated: string[];
  close(): Promise<void>;
}

/**
 * The server's own start-up minus HTTP: the same environment, database and migrations, so a
 * command sees exactly what the server would. Embedded PGlite is single-process: with DATA_DIR
 * (no DATABASE_URL), stop the server before running a command.
 */
export async function openPlatform(env: Env): Promise<CliPlatform> {
  const config = loadConfig(env);
  const database = openDatabase(config);
  const started = await startPlatform({ config, database, ownsDatabase: true });
  return { config, database, platform: started.platform, migrated: started.migrated, close: () => started.close() };
}

/**
 * The operator at the console: acts with admin rights but is no user of the platform. Commands go
 * through the router (createCaller), so input validation, services and outputs are the API's own.
 */
export const OPERATOR: Actor = { userId: 'operator_cli', role: 'admin', sessionId: null, apiKeyId: null };

export function callerFor(platform: Platform, actor: Actor | null) {
  const ctx = createRequestContext({
    platform,
    requestId: `cli_${Date.now().toString(36)}`,
    locale: 'en',
    ip: '127.0.0.1',
    authorization: undefined,
    idempotencyKey: undefined,
    userAgent: 'maas-cli',
    clientSignal: () => new AbortController().signal,
    setHeader: () => {},
  });
  ctx.actor = actor;
  return appRouter.createCaller(ctx);
}
