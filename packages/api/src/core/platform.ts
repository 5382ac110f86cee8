import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';
import type { PlatformConfig } from './config.js';
import { SessionCache } from '../auth/session-cache.js';

/**
 * What lives for the whole process: the database, the configuration and the caches the hot path
 * relies on. Built once at start, shared by every request.
 */
export interface Platform {
  db: Kysely<Database>;
  config: PlatformConfig;
  /** HS256 key for access tokens. */
  jwtKey: Uint8Array;
  sessions: SessionCache;
}

export function createPlatform(init: { db: Kysely<Database>; config: PlatformConfig; jwtSecret: string }): Platform {
  return {
    db: init.db,
    config: init.config,
    jwtKey: new TextEncoder().encode(init.jwtSecret),
    sessions: new SessionCache(init.db, init.config.sessionCacheTtlMs),
  };
}
