import type { Database, UserRole } from '@maas/db';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';

/** Who an API key acts for, as the gateway needs it on every request. */
export interface ApiKeyIdentity {
  apiKeyId: string;
  userId: string;
  role: UserRole;
  /** Checked at every use, so expiry is exact even while the entry is cached. */
  expiresAtMs: number | null;
}

/** The limits a model call through the key must respect. */
export interface ApiKeyPolicy {
  /** Model ids the key may call; null allows all. */
  allowedModels: string[] | null;
  /** Tool ids the key reaches through /mcp; null allows all. */
  allowedTools: string[] | null;
  spendCapNano: bigint | null;
  /** Settled spend; informational (read up to one TTL late). The cap is enforced by reserveFunds. */
  spentNano: bigint;
}

/** last_used_at is written at most this often per key (per process, and guarded in SQL across processes). */
const LAST_USED_INTERVAL_MS = 60_000;
/** Upper bound of how long a revoke or an owner's disabling takes to reach other instances. */
const MAX_API_KEY_CACHE_TTL_MS = 30_000;

/**
 * Keeps API key lookups off the database on the hot path. Entries live for a short TTL; a revoke
 * on this instance evicts at once, other instances notice within the TTL. Unknown keys are
 * cached too (as `false`) so a client retrying a bad key does not hit the database each time.
 */
export class ApiKeyCache {
  readonly #byHash: LRUCache<string, ApiKeyIdentity | false>;
  readonly #policies: LRUCache<string, ApiKeyPolicy | false>;
  readonly #touched: LRUCache<string, true>;

  constructor(
    private readonly db: Kysely<Database>,
    ttlMs: number,
  ) {
    const ttl = Math.min(Math.max(ttlMs, 1), MAX_API_KEY_CACHE_TTL_MS);
    // fetch() coalesces concurrent misses of one key into a single query.
    this.#byHash = new LRUCache({ max: 50_000, ttl, fetchMethod: (keyHash) => this.#loadIdentity(keyHash) });
    this.#policies = new LRUCache({ max: 50_000, ttl, fetchMethod: (apiKeyId) => this.#loadPolicy(apiKeyId) });
    this.#touched = new LRUCache({ max: 100_000, ttl: LAST_USED_INTERVAL_MS });
  }

  async identify(keyHash: string): Promise<ApiKeyIdentity | null> {
    return (await this.#byHash.fetch(keyHash)) || null;
  }

  async policy(apiKeyId: string): Promise<ApiKeyPolicy | null> {
    return (await this.#policies.fetch(apiKeyId)) || null;
  }

  /** True at most once per LAST_USED_INTERVAL_MS for a key: the caller then records the use. */
  claimLastUsedWrite(apiKeyId: string): boolean {
    if (this.#touched.has(apiKeyId)) return false;
    this.#touched.set(apiKeyId, true);
    return true;
  }

  forget(keyHash: string, apiKeyId: string): void {
    this.#byHash.delete(keyHash);
    this.#policies.delete(apiKeyId);
  }

  /** Drops everything (an owner was disabled or changed role). */
  clear(): void {
    this.#byHash.clear();
    this.#policies.clear();
  }

  async #loadIdentity(keyHash: string): Promise<ApiKeyIdentity | false> {
    const row = await this.db
      .selectFrom('api_keys')
      .innerJoin('users', 'users.id', 'api_keys.user_id')
      .select(['api_keys.id', 'api_keys.user_id', 'api_keys.expires_at', 'users.role'])
      .where('api_keys.key_hash', '=', keyHash)
      .where('api_keys.revoked_at', 'is', null)
      .where('users.disabled_at', 'is', null)
      .executeTakeFirst();
    if (!row) return false;
    return { apiKeyId: row.id, userId: row.user_id, role: row.role, expiresAtMs: row.expires_at ? row.expires_at.getTime() : null };
  }

  async #loadPolicy(apiKeyId: string): Promise<ApiKeyPolicy | false> {
    const row = await this.db
      .selectFrom('api_keys')
      .select(['allowed_models', 'allowed_tools', 'spend_cap_nano', 'spent_nano'])
      .where('id', '=', apiKeyId)
      .executeTakeFirst();
    if (!row) return false;
    return {
      allowedModels: row.allowed_models,
      allowedTools: row.allowed_tools,
      spendCapNano: row.spend_cap_nano,
      spentNano: row.spent_nano,
    };
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** API key lookups for the hot path. */
    apiKeys: ApiKeyCache;
  }
}
