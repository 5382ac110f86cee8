import path from 'node:path';
import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';
import { recordAudit } from './admin/audit.js';
import { ApiKeyCache } from './api-keys/cache.js';
import { ApplicationCache } from './applications/cache.js';
import { authenticateRequest } from './auth/authenticate.js';
import { SessionCache } from './auth/session-cache.js';
import { BillingInstance } from './billing/instance.js';
import { WalletLeases } from './billing/wallet-leases.js';
import { ModelCallCounter } from './chat/call-counter.js';
import { ConversationTails } from './chat/conversation-tails.js';
import { ConversationWrites } from './chat/conversation-writes.js';
import { BackgroundWork } from './core/background-work.js';
import type { PlatformConfig } from './core/config.js';
import { installMessageCatalog } from './core/i18n.js';
import { type Invalidation, type InvalidationChannel, Invalidations } from './core/invalidation.js';
import { type LookupFunction, OutboundGuard } from './core/outbound-guard.js';
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
import { ToolRuntime } from './tools/runtime/state.js';
import { StripeCheckout } from './top-ups/stripe.js';
import { VideoWorker } from './videos/worker.js';

export interface PlatformInit {
  db: Kysely<Database>;
  billingDb?: Kysely<Database>;
  config: PlatformConfig;
  jwtSecret: string;
  onBackgroundError?: (error: unknown, label: string) => void;
  /** Things an operator should know that are not failures (a crashed instance's calls booked, its holds released). */
  onNotice?: (message: string) => void;
  rateLimits?: RateLimits;
  telemetry?: Telemetry;
  /** Real card / wallet gateways; each takes precedence over the sandbox for its methods. */
  paymentProviders?: readonly PaymentProvider[];
  /**
   * The inference layer's state (adapter registry, HTTP pools, provider cool-downs); a fresh one by
   * default, whose upstream connections go through the platform's outbound address guard.
   */
  inference?: Inference;
  /** Where files' bytes live; DATA_DIR/blobs by default. */
  blobs?: BlobStore;
  /** How other instances hear of revocations and catalogue changes at once; none: only the caches' TTL. */
  invalidationChannel?: InvalidationChannel | null;
  /** How the outbound guard resolves names (checks and connections); node's dns.lookup by default. Tests inject one. */
  lookup?: LookupFunction;
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
  let leases: WalletLeases | null = null;
  // Answered calls are journaled under DATA_DIR until booked, so a killed process loses none.
  const billingInstance = new BillingInstance(
    billingDb,
    path.resolve(config.dataDir, 'billing-journal'),
    () => leases,
    init.onBackgroundError,
    init.onNotice,
  );
  if (config.billingLeases) {
    const opened = new WalletLeases(billingDb, undefined, init.onBackgroundError, {
      instanceId: billingInstance.id,
      journal: billingInstance.journal,
    });
    background.onDrain(() => opened.drain());
    leases = opened;
  }
  const invalidations = new Invalidations(init.invalidationChannel ?? null, (error) =>
    init.onBackgroundError?.(error, 'invalidation broadcast'),
  );
  const catalog = new CatalogGeneration(() => invalidations.broadcast({ kind: 'catalog' }));
  const conversationTails = new ConversationTails(db);
  const outbound = new OutboundGuard({ allowPrivate: config.allowPrivateUpstreams, lookup: init.lookup });
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
    billingInstance,
    callCounts: new ModelCallCounter(db),
    conversationTails,
    conversationWrites: new ConversationWrites(db, conversationTails),
    catalog,
    models: new ModelCallCache(db, config, catalog),
    applications: new ApplicationCache(db),
    payments: new PaymentProviders(config, init.paymentProviders),
    stripeCheckout: config.stripe ? new StripeCheckout(config.stripe) : null,
    inference: init.inference ?? new Inference({ connector: (options) => outbound.connector(options), localRuntime: config.localRuntime }),
    outbound,
    toolRuntime: new ToolRuntime(outbound, config),
    invalidations,
    blobs: init.blobs ?? localBlobStore(config.dataDir),
    videoWorker: new VideoWorker({ ...config.videoWorker, onError: init.onBackgroundError }),
    authenticate: (request) => authenticateRequest({ platform, authorization: request.authorization }),
    audit: (record) => recordAudit(db, record),
  };
  invalidations.attach({
    apply: (invalidation) => applyInvalidation(platform, invalidation),
    resync: () => {
      platform.sessions.clear();
      platform.apiKeys.clear();
      platform.catalog.advance();
    },
  });
  platform.inference.local.setResolver((modelId) => localModelSpec(platform, modelId));
  return platform;
}

/** Another instance revoked or changed something: drop what this instance's caches hold of it. */
function applyInvalidation(platform: Platform, invalidation: Invalidation): void {
  switch (invalidation.kind) {
    case 'sessions':
      for (const id of invalidation.ids) platform.sessions.forget(id);
      return;
    case 'identities':
      platform.sessions.clear();
      platform.apiKeys.clear();
      return;
    case 'api-key':
      platform.apiKeys.forget(invalidation.keyHash, invalidation.apiKeyId);
      return;
    case 'catalog':
      platform.catalog.advance();
      return;
  }
}
