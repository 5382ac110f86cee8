/**
 * Writes that may leave the response path (settling a model call, usage records) but must not be
 * lost: each is retried a few times, and shutdown waits for all of them before closing the pool.
 */
export class BackgroundWork {
  readonly #pending = new Set<Promise<unknown>>();
  #failures = 0;

  constructor(private readonly onError: (error: unknown, label: string) => void = () => {}) {}

  /** Runs `task` now without making the caller wait; retries with backoff on failure. */
  run(label: string, task: () => Promise<unknown>, attempts = 5): void {
    const promise = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await task();
          return;
        } catch (error) {
          if (attempt >= attempts) {
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

  /** Resolves when every task started so far (and any they start) has finished. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}
