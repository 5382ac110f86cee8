import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';
import { recordAudit } from './admin/audit.js';
import { ApiKeyCache } from './api-keys/cache.js';
import { ApplicationCache } from './applications/cache.js';
import { authenticateRequest } from './auth/authenticate.js';
import { SessionCache } from './auth/session-cache.js';
import { WalletLeases } from './billing/wallet-leases.js';
import { ModelCallCounter } from './chat/call-counter.js';
import { BackgroundWork } from './core/background-work.js';
import type { PlatformConfig } from './core/config.js';
import { installMessageCatalog } from './core/i18n.js';
import type { Platform } from './core/platform.js';
import { NO_RATE_LIMITS, type RateLimits } from './core/rate-limits.js';
import { NO_TELEMETRY, type Telemetry } from './core/telemetry.js';
import { type BlobStore, localBlobStore } from './files/blob-store.js';
import { Inference } from './inference/inference.js';
import { messages } from './messages.js';
import { ModelCallCache } from './models/call-resolver.js';
import { localModelSpec } from './models/deployment.js';
import { CatalogGeneration } from './providers/catalog-generation.js';
import { type PaymentProvider, PaymentProviders } from './tools/payments.js';

export interface PlatformInit {
  db: Kysely<Database>;
  billingDb?: Kysely<Database>;
  config: PlatformConfig;
  jwtSecret: string;
  onBackgroundError?: (error: unknown, label: string) => void;
  rateLimits?: RateLimits;
  telemetry?: Telemetry;
  /** Real card / wallet gateways; each takes precedence over the sandbox for its methods. */
  paymentProviders?: readonly PaymentProvider[];
  /** The inference layer's state (adapter registry, HTTP pools, provider cool-downs); a fresh one by default. */
  inference?: Inference;
  /** Where files' bytes live; DATA_DIR/blobs by default. */
  blobs?: BlobStore;
}

/**
 * Assembles a platform: the only place that creates its caches, pools and registries, so two
 * platforms in one process (two instances in a test) share none of them. Sits above the domains
 * and wires them into core's `Platform`; core itself imports no domain.
 */
export function createPlatform(init: PlatformInit): Platform {
  installMessageCatalog(messages);
  const { db, config } = init;
  const billingDb = init.billingDb ?? db;
  const background = new BackgroundWork(init.onBackgroundError);
  const leases = config.billingLeases ? new WalletLeases(billingDb, undefined, init.onBackgroundError) : null;
  if (leases) background.onDrain(() => leases.drain());
  const catalog = new CatalogGeneration();
  const platform: Platform = {
    db,
    billingDb,
    config,
    jwtKey: new TextEncoder().encode(init.jwtSecret),
    background,
    rateLimits: init.rateLimits ?? NO_RATE_LIMITS,
    telemetry: init.telemetry ?? NO_TELEMETRY,
    sessions: new SessionCache(db, config.sessionCacheTtlMs),
    apiKeys: new ApiKeyCache(db, config.sessionCacheTtlMs),
    leases,
    callCounts: new ModelCallCounter(db),
    catalog,
    models: new ModelCallCache(db, config, catalog),
    applications: new ApplicationCache(db),
    payments: new PaymentProviders(config, init.paymentProviders),
    inference: init.inference ?? new Inference({ localRuntime: config.localRuntime }),
    blobs: init.blobs ?? localBlobStore(config.dataDir),
    authenticate: (request) => authenticateRequest({ platform, authorization: request.authorization }),
    audit: (record) => recordAudit(db, record),
  };
  platform.inference.local.setResolver((modelId) => localModelSpec(platform, modelId));
  return platform;
}
