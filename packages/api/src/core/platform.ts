import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';
import type { PlatformConfig } from './config.js';
import type { ApiKeyCache } from '../api-keys/cache.js';
import { SessionCache } from '../auth/session-cache.js';
import { WalletLeases } from '../billing/wallet-leases.js';
import { ModelCallCounter } from '../chat/call-counter.js';
import { Inference } from '../inference/inference.js';
import { BackgroundWork } from './background-work.js';
import { NO_RATE_LIMITS, type RateLimits } from './rate-limits.js';
import { NO_TELEMETRY, type Telemetry } from './telemetry.js';

/**
 * What lives for the whole process: the database, the configuration and the caches the hot path
 * relies on. Built once at start, shared by every request.
 */
export interface Platform {
  db: Kysely<Database>;
  /** Same database, commits without waiting for the WAL flush: model-call reservations and settlements only. */
  billingDb: Kysely<Database>;
  /** Model popularity, written in batches. */
  callCounts: ModelCallCounter;
  config: PlatformConfig;
  /** HS256 key for access tokens. */
  jwtKey: Uint8Array;
  sessions: SessionCache;
  /** API key lookups for the hot path; created on first use by api-keys/authenticate.ts. */
  apiKeys?: ApiKeyCache;
  /** Writes moved off the response path; drained before shutdown. */
  background: BackgroundWork;
  /** Per-instance wallet leases funding model calls without a round trip; null: per-call reservations only. */
  leases: WalletLeases | null;
  /** The contract's rate-limit tiers, provided by the host (Redis-shared or in memory). */
  rateLimits: RateLimits;
  telemetry: Telemetry;
  /** The inference layer's state: adapter registry, HTTP transport (pools) and provider cool-downs. */
  inference: Inference;
}

export function createPlatform(init: {
  db: Kysely<Database>;
  billingDb?: Kysely<Database>;
  config: PlatformConfig;
  jwtSecret: string;
  onBackgroundError?: (error: unknown, label: string) => void;
  rateLimits?: RateLimits;
  telemetry?: Telemetry;
  inference?: Inference;
}): Platform {
  const billingDb = init.billingDb ?? init.db;
  const background = new BackgroundWork(init.onBackgroundError);
  const leases = init.config.billingLeases ? new WalletLeases(billingDb, undefined, init.onBackgroundError) : null;
  if (leases) background.onDrain(() => leases.drain());
  return {
    db: init.db,
    billingDb,
    callCounts: new ModelCallCounter(init.db),
    config: init.config,
    jwtKey: new TextEncoder().encode(init.jwtSecret),
    sessions: new SessionCache(init.db, init.config.sessionCacheTtlMs),
    background,
    leases,
    rateLimits: init.rateLimits ?? NO_RATE_LIMITS,
    telemetry: init.telemetry ?? NO_TELEMETRY,
    inference: init.inference ?? new Inference(),
  };
}
