import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// Each instance says it is alive this often, and counts as "seen recently" for this long.
export const HEARTBEAT_INTERVAL_MS = 2_000;
export const SEEN_WINDOW_MS = 30_000;

/**
 * How many instances share the limits, as last seen in Redis: each instance writes a heartbeat
 * into a sorted set and counts the members seen in the last SEEN_WINDOW_MS. While Redis is away
 * the last count stands, and each instance enforces its share, `floor(limit / instances)`, so
 * together they never let through more than the limit (issue 17, part 8).
 *
 * An instance that has not yet heard from Redis (started during an outage) counts itself alone.
 * An instance that has just stopped still counts for SEEN_WINDOW_MS: shares err on the small side.
 */
export class InstanceShares {
  readonly #id = randomUUID();
  readonly #key: string;
  readonly #listeners = new Set<(instances: number) => void>();
  #instances = 1;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    namespace: string,
  ) {
    this.#key = `${namespace}:instances`;
  }

  get instances(): number {
    return this.#instances;
  }

  /** This instance's share of `limit` per window (at least 1: an instance never refuses everything). */
  share(limit: number): number {
    return Math.max(1, Math.floor(limit / this.#instances));
  }

  /** Called with the new count whenever it changes. */
  onChange(listener: (instances: number) => void): void {
    this.#listeners.add(listener);
  }

  start(): void {
    const beat = () => void this.beat();
    beat();
    this.#timer = setInterval(beat, HEARTBEAT_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One heartbeat: record this instance, forget the silent ones, count the rest. Quiet while Redis is away. */
  async beat(): Promise<void> {
    const now = Date.now();
    try {
      // A pipeline, not MULTI: a MULTI cut by a closing connection rejects a promise nobody holds
      // (ioredis #883); the four commands need no atomicity (a count one beat late is harmless).
      const results = await this.redis
        .pipeline()
        .zadd(this.#key, now, this.#id)
        .zremrangebyscore(this.#key, '-inf', now - SEEN_WINDOW_MS)
        .zcard(this.#key)
        .pexpire(this.#key, 2 * SEEN_WINDOW_MS)
        .exec();
      const count = Number(results?.[2]?.[1]);
      if (!Number.isInteger(count) || count < 1 || count === this.#instances) return;
      this.#instances = count;
      for (const listener of this.#listeners) listener(count);
    } catch {
      // Redis is away: the last count stands (that is what the shares are for).
    }
  }
}
