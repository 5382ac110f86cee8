import { isDatabaseUnavailable } from './errors.js';

/**
 * Writes that may leave the response path (settling a model call, usage records) but must not be
 * lost: each is retried a few times, and shutdown waits for all of them before closing the pool.
 */
export class BackgroundWork {
  readonly #pending = new Set<Promise<unknown>>();
  readonly #drainHooks: (() => Promise<void>)[] = [];
  #failures = 0;

  constructor(private readonly onError: (error: unknown, label: string) => void = () => {}) {}

  /**
   * Runs `task` now without making the caller wait; retries with backoff on failure. A `durable`
   * task (a settlement) keeps retrying for as long as the database is unreachable, however many
   * attempts that takes, so a PostgreSQL restart loses no call; it must be idempotent.
   */
  run(label: string, task: () => Promise<unknown>, attempts = 5, durable = false): void {
    const promise = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await task();
          return;
        } catch (error) {
          if (attempt >= attempts && !(durable && isDatabaseUnavailable(error))) {
            this.#failures += 1;
            this.onError(error, label);
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 50 * 2 ** attempt)));
        }
      }
    })();
    this.#pending.add(promise);
    void promise.finally(() => this.#pending.delete(promise));
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  get failureCount(): number {
    return this.#failures;
  }

  /** Work queued elsewhere (batched lease settlements) that `drain` must also finish. */
  onDrain(hook: () => Promise<void>): void {
    this.#drainHooks.push(hook);
  }

  /** Resolves when every task started so far (and any they start) has finished. */
  async drain(): Promise<void> {
    do {
      while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
      for (const hook of this.#drainHooks) await hook();
    } while (this.#pending.size > 0);
  }
}
