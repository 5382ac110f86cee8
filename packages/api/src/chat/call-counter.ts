import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';
import { incrementModelCallCount } from '../models/call-resolver.js';

/**
 * Popularity (a model's call count) is one hot row per model; updating it on every call would
 * queue every call on that row. Counts are summed in memory and written once a second, and on
 * shutdown.
 */
export class ModelCallCounter {
  readonly #pending = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly intervalMs = 1_000,
  ) {}

  add(modelId: string): void {
    this.#pending.set(modelId, (this.#pending.get(modelId) ?? 0) + 1);
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush().catch(() => {});
    }, this.intervalMs).unref();
  }

  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = [...this.#pending];
    this.#pending.clear();
    for (const [modelId, count] of batch) {
      try {
        await incrementModelCallCount(this.db, modelId, count);
      } catch (error) {
        // Keep the counts for the next flush rather than lose them.
        this.#pending.set(modelId, (this.#pending.get(modelId) ?? 0) + count);
        throw error;
      }
    }
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** Model popularity, written in batches. */
    callCounts: ModelCallCounter;
  }
}
