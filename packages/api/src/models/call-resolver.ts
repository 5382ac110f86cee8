import { type UnitPrices, unitPricesOf } from './unit-prices.js';
import type { Database, DeploymentState, Model, ModelOperation, ModelStatus, ModelVisibility } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { PlatformConfig } from '../core/config.js';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';
import type { CatalogGeneration } from '../providers/catalog-generation.js';
import type { ProviderTarget } from '../inference/adapter.js';
import { operationsOf } from './operations.js';
import { MODEL_ID_PATTERN } from './schemas.js';
import { canSeeModel } from './service.js';
import { CONNECT_TIMEOUT_CAP_MS, engineTarget, providerTarget } from './targets.js';

/** What a model call needs to know about its model, resolved once and cached. */
export interface ModelForCall {
  model: {
    id: string;
    name: string;
    ownerId: string;
    visibility: ModelVisibility;
    status: ModelStatus;
    /** What it can be called for (its own list, else its category's default). */
    operations: ModelOperation[];
    /** Per token; cached input tokens at the input price when cachedInputNanoPerToken is null. */
    pricing: { inputNanoPerToken: bigint; outputNanoPerToken: bigint; cachedInputNanoPerToken: bigint | null; units: UnitPrices };
    contextWindow: number;
    /** Upper bound (and default) of output tokens per call. */
    maxOutputTokens: number;
    /** The model's `parameters` other than max_tokens (temperature, top_p, …), for the upstream request. */
    defaultParameters: Record<string, unknown>;
    /**
     * Whom a call's charge is shared with (issue 15 part 5): the owner of a model served from its own
     * file, unless an admin owns it (a catalogue model). Null for every other model, and for the
     * owner's own calls.
     */
    revenueOwnerId: string | null;
  };
  /** Enabled providers only, with their API keys decrypted. Shared by callers: do not mutate. */
  targets: ProviderTarget[];
  /** A model served from its own file (issue 15): its deployment's state; null for a routed model. */
  deployment: { runtime: string; state: DeploymentState; error: string | null } | null;
}

/** Without a max_tokens in the model's parameters, a call may ask for at most this many (or the context window). */
const DEFAULT_MAX_OUTPUT_TOKENS = 4096;
/** How stale another instance's change can be here. This instance's own changes are seen at once. */
export const MODEL_CALL_CACHE_TTL_MS = 5_000;

/**
 * Models resolved for calls, with their upstream targets, so the hot path does not query the
 * database. Entries live MODEL_CALL_CACHE_TTL_MS; a catalogue change made through this platform
 * moves `catalog` and empties the cache on the next read, so it is seen at once here.
 */
export class ModelCallCache {
  // `false` caches "no such model", so a client retrying an unknown name does not hit the database each time.
  readonly #entries: LRUCache<string, ModelForCall | false>;
  #generation: number;

  constructor(
    db: Kysely<Database>,
    config: PlatformConfig,
    private readonly catalog: CatalogGeneration,
  ) {
    this.#generation = catalog.value;
    // fetch() coalesces concurrent misses of one model into a single load.
    this.#entries = new LRUCache({ max: 5_000, ttl: MODEL_CALL_CACHE_TTL_MS, fetchMethod: (key) => loadModelForCall(db, config, key) });
  }

  /** The model by id, or by name case-insensitively; false when there is none. */
  async lookup(modelIdOrName: string): Promise<ModelForCall | false> {
    if (this.#generation !== this.catalog.value) {
      this.#entries.clear();
      this.#generation = this.catalog.value;
    }
    return (await this.#entries.fetch(cacheKey(modelIdOrName))) ?? false;
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** Models resolved for calls (routes, decrypted keys), for a short TTL. */
    models: ModelCallCache;
  }
}

function cacheKey(modelIdOrName: string): string {
  const value = modelIdOrName.trim();
  return MODEL_ID_PATTERN.test(value) ? `id:${value}` : `name:${value.toLowerCase()}`;
}

function toModelForCall(row: Model, revenueOwnerId: string | null = null): ModelForCall['model'] {
  // context_length sizes a self-served model's context (deployment.ts); it is no call parameter.
  const { max_tokens: maxTokens, context_length: _contextLength, ...defaultParameters } = row.parameters;
  const maxOutputTokens = Math.min(maxTokens ?? DEFAULT_MAX_OUTPUT_TOKENS, row.context_window);
  return {
    id: row.id,
    name: row.name,
    ownerId: row.owner_id,
    visibility: row.visibility,
    status: row.status,
    operations: operationsOf(row),
    pricing: {
      inputNanoPerToken: row.input_nano_per_token,
      outputNanoPerToken: row.output_nano_per_token,
      cachedInputNanoPerToken: row.cached_input_nano_per_token,
      units: unitPricesOf(row.unit_prices),
    },
    contextWindow: row.context_window,
    maxOutputTokens,
    defaultParameters,
    revenueOwnerId,
  };
}

async function loadModelForCall(db: Kysely<Database>, config: PlatformConfig, key: string): Promise<ModelForCall | false> {
  const [kind, value] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  let query = db.selectFrom('models').selectAll();
  query = kind === 'id' ? query.where('id', '=', value) : query.where(sql`lower(name)`, '=', value);
  const row = await query.executeTakeFirst();
  if (!row) return false;
  const routes = await db
    .selectFrom('model_routes')
    .innerJoin('providers', 'providers.id', 'model_routes.provider_id')
    .select([
      'providers.id as provider_id',
      'providers.name',
      'providers.kind',
      'providers.base_url',
      'providers.api_key_encrypted',
      'providers.timeout_ms',
      'providers.priority as provider_priority',
      'providers.weight as provider_weight',
      'providers.options',
      'model_routes.upstream_model',
      'model_routes.priority',
      'model_routes.weight',
    ])
    .where('model_routes.model_id', '=', row.id)
    .where('providers.enabled', '=', true)
    .execute();
  const targets = routes.map((route) => providerTarget(config, route, route.upstream_model, route.priority, route.weight));
  if (targets.length === 0 && row.model_file_id !== null) {
    const deployment = await db
      .selectFrom('model_deployments')
      .select(['runtime', 'state', 'error'])
      .where('model_id', '=', row.id)
      .executeTakeFirst();
    if (deployment) {
      const served = deployment.runtime === 'local' ? [localTarget(row.id)] : await engineTargets(db, config, deployment.runtime, row.id);
      const owner = await db.selectFrom('users').select('role').where('id', '=', row.owner_id).executeTakeFirst();
      const revenueOwnerId = owner && owner.role !== 'admin' ? row.owner_id : null;
      return { model: toModelForCall(row, revenueOwnerId), targets: served, deployment };
    }
  }
  return { model: toModelForCall(row), targets, deployment: null };
}

/** A model deployed on an engine provider: that provider, if enabled, serving it under its engine name. */
async function engineTargets(db: Kysely<Database>, config: PlatformConfig, providerId: string, modelId: string): Promise<ProviderTarget[]> {
  const target = await engineTarget(db, config, providerId, modelId, { enabledOnly: true });
  return target ? [target] : [];
}

/** The one target of a model served from its own file: the built-in local runtime (its adapter is per platform). */
function localTarget(modelId: string): ProviderTarget {
  return {
    // Per model, so that one model's failures never cool down another's.
    providerId: `local:${modelId}`,
    name: 'local runtime',
    kind: 'local',
    baseUrl: 'builtin://local',
    apiKey: null,
    upstreamModel: modelId,
    timeouts: { connectMs: CONNECT_TIMEOUT_CAP_MS, firstByteMs: 600_000, idleMs: 600_000 },
    priority: 0,
    weight: 1,
    options: {},
  };
}

function canCall(model: ModelForCall['model'], actor: Actor): boolean {
  return canSeeModel({ owner_id: model.ownerId, visibility: model.visibility }, actor);
}

/**
 * The model (by id, or by name case-insensitively) and the upstream targets to try, for a call by
 * `actor`. Served from a short-lived cache, so the hot path does not query the database; a change to
 * a provider, model or route made by this process is seen by the next call.
 *
 * - unknown, or another user's private model: 404 MODEL_NOT_FOUND
 * - inactive / deprecated: 400 MODEL_INACTIVE / MODEL_DEPRECATED
 * - no enabled provider: 503 MODEL_NO_ROUTE
 */
export async function resolveModelForCall(platform: Platform, modelIdOrName: string, actor: Actor): Promise<ModelForCall> {
  const resolved = await platform.models.lookup(modelIdOrName);
  if (!resolved || !canCall(resolved.model, actor)) throw new AppError('NOT_FOUND', { message: 'MODEL_NOT_FOUND' });
  const { model, targets } = resolved;
  if (model.status !== 'active') {
    throw new AppError('INVALID_REQUEST', {
      message: model.status === 'deprecated' ? 'MODEL_DEPRECATED' : 'MODEL_INACTIVE',
      params: { model: model.name },
      details: { model: model.id, status: model.status },
    });
  }
  if (resolved.deployment?.state === 'failed') {
    throw new AppError('SERVICE_UNAVAILABLE', {
      message: 'MODEL_DEPLOYMENT_FAILED',
      params: { model: model.name, reason: resolved.deployment.error ?? 'unknown' },
    });
  }
  if (targets.length === 0) throw new AppError('SERVICE_UNAVAILABLE', { message: 'MODEL_NO_ROUTE', params: { model: model.name } });
  return pricedForCaller(platform, resolved, actor);
}

/**
 * The owner's own calls to a model served from their file cost only the platform's floor
 * (MAAS_LOCAL_RUNTIME_MIN_PRICE per token: the CPU it spends), not their own price, and credit no
 * one (issue 15 part 5). Everyone else pays the model's price. The cached entry is shared: copied.
 */
function pricedForCaller(platform: Platform, resolved: ModelForCall, actor: Actor): ModelForCall {
  if (resolved.deployment === null || resolved.model.ownerId !== actor.userId) return resolved;
  const floor = platform.config.localRuntime.minPriceNano;
  const pricing = { ...resolved.model.pricing, inputNanoPerToken: floor, outputNanoPerToken: floor, cachedInputNanoPerToken: null };
  return { ...resolved, model: { ...resolved.model, pricing, revenueOwnerId: null } };
}

/**
 * 400 naming the model and the operation when the model does not declare it: an image model is
 * never answered by a chat echo, nor a chat model by an embeddings call (issue 14).
 */
export function assertModelCan(model: ModelForCall['model'], operation: ModelOperation): void {
  if (model.operations.includes(operation)) return;
  throw new AppError('INVALID_REQUEST', {
    message: 'MODEL_OPERATION_NOT_SUPPORTED',
    params: { model: model.name, operation, operations: model.operations.join(', ') },
    details: { field: 'model', model: model.name, operation, operations: model.operations },
  });
}

/** Popularity: one statement, safe under concurrency. Called off the response path by the chat service. */
export async function incrementModelCallCount(db: Kysely<Database>, modelId: string, n: number): Promise<void> {
  if (!Number.isInteger(n) || n <= 0) return;
  await db
    .updateTable('models')
    .set({ call_count: sql`call_count + ${n}` })
    .where('id', '=', modelId)
    .execute();
}
