import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';
import type { Actor } from './actor.js';
import type { BackgroundWork } from './background-work.js';
import type { PlatformConfig } from './config.js';
import type { RateLimits } from './rate-limits.js';
import type { Telemetry } from './telemetry.js';

/** One line of the audit log: who did what to which object. */
export interface AuditRecord {
  actorId: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  requestId?: string | null;
  ip?: string | null;
}

/**
 * What lives for the whole process: the database, the configuration, and every cache, pool and
 * registry the hot path relies on. Built once, by `createPlatform` (src/create-platform.ts, the
 * only place that creates them), and shared by every request; two platforms share nothing.
 *
 * core/ imports no domain, so it declares here only what it knows. Each domain adds the state it
 * owns with a `declare module '../core/platform.js'` block beside its class (as a Fastify plugin
 * decorates `FastifyInstance`), and create-platform.ts does not compile until it builds them all.
 */
export interface Platform {
  db: Kysely<Database>;
  /** Same database, commits without waiting for the WAL flush: model-call reservations and settlements only. */
  billingDb: Kysely<Database>;
  config: PlatformConfig;
  /** HS256 key for access tokens. */
  jwtKey: Uint8Array;
  /** Writes moved off the response path; drained before shutdown. */
  background: BackgroundWork;
  /** The contract's rate-limit tiers, provided by the host (Redis-shared or in memory). */
  rateLimits: RateLimits;
  telemetry: Telemetry;
  /** Resolves the caller from an Authorization header (access token or `sk-…` key); 401 when it cannot. */
  authenticate(request: { authorization: string | undefined }): Promise<Actor>;
  /** Writes one record to the audit log. */
  audit(record: AuditRecord): Promise<void>;
}
