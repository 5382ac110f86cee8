import type { Application, ApplicationConfigJson, Database } from '@maas/db';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';

/** How long another instance's stop, delete or change of the app's tools can take to be seen here; this instance's own are immediate. */
export const APPLICATION_CACHE_TTL_MS = 5_000;

/** An application as the chat path reads it. */
export interface CachedApplication {
  id: string;
  ownerId: string;
  name: string;
  modelId: string;
  status: Application['status'];
  config: ApplicationConfigJson;
  /** Whether tools are attached: a plain app's chat then reads no tool rows. */
  hasTools: boolean;
}

/**
 * Keeps the chat path from reading the application row on every message. A change made through
 * this platform forgets the entry at once; another instance's is seen within the TTL.
 */
export class ApplicationCache {
  // `false` caches "no such application".
  readonly #entries: LRUCache<string, CachedApplication | false>;

  constructor(db: Kysely<Database>) {
    this.#entries = new LRUCache({
      max: 10_000,
      ttl: APPLICATION_CACHE_TTL_MS,
      fetchMethod: async (appId) => {
        const row = await db
          .selectFrom('applications')
          .selectAll()
          .select((eb) => eb.exists(eb.selectFrom('application_tools').select('tool_id').where('app_id', '=', appId)).as('has_tools'))
          .where('id', '=', appId)
          .executeTakeFirst();
        if (!row) return false;
        return {
          id: row.id,
          ownerId: row.owner_id,
          name: row.name,
          modelId: row.model_id,
          status: row.status,
          config: row.config,
          hasTools: Boolean(row.has_tools),
        };
      },
    });
  }

  async lookup(appId: string): Promise<CachedApplication | null> {
    return (await this.#entries.fetch(appId)) || null;
  }

  forget(appId: string): void {
    this.#entries.delete(appId);
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** Applications as the chat path needs them, for a short TTL. */
    applications: ApplicationCache;
  }
}
