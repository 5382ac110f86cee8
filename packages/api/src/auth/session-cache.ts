import type { Database, UserRole } from '@maas/db';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';

export interface ActiveSession {
  userId: string;
  role: UserRole;
}

/**
 * Remembers for a short TTL whether a session is still usable, so a request does not read the
 * database to trust its access token. Logout and disabling clear the local entry at once; other
 * instances notice within the TTL (30 s by default, under the 60 s the contract allows).
 */
export class SessionCache {
  readonly #cache: LRUCache<string, ActiveSession | false>;

  constructor(
    private readonly db: Kysely<Database>,
    ttlMs: number,
  ) {
    this.#cache = new LRUCache({ max: 50_000, ttl: Math.max(ttlMs, 1) });
  }

  async lookup(sessionId: string): Promise<ActiveSession | null> {
    const cached = this.#cache.get(sessionId);
    if (cached !== undefined) return cached || null;
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['users.id as userId', 'users.role as role'])
      .where('sessions.id', '=', sessionId)
      .where('sessions.revoked_at', 'is', null)
      .where('sessions.expires_at', '>', new Date())
      .where('users.disabled_at', 'is', null)
      .executeTakeFirst();
    this.#cache.set(sessionId, row ?? false);
    return row ?? null;
  }

  forget(sessionId: string): void {
    this.#cache.delete(sessionId);
  }

  /** Drops every cached session (used when a user is disabled or changes role). */
  clear(): void {
    this.#cache.clear();
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** Whether a session is still usable, for a short TTL. */
    sessions: SessionCache;
  }
}
