import { randomUUID } from 'node:crypto';

/**
 * A change that other instances must apply to their caches at once (issue 17, part 4): a
 * revocation must not wait for a cache entry to expire there.
 */
export type Invalidation =
  /** Logout, password change, refresh-token reuse: these sessions are over. */
  | { kind: 'sessions'; ids: string[] }
  /** A user was disabled, enabled or given another role: every cached session and key identity. */
  | { kind: 'identities' }
  /** An API key was revoked or changed. */
  | { kind: 'api-key'; keyHash: string; apiKeyId: string }
  /** A provider, model or route changed (visibility, status, routes, keys). */
  | { kind: 'catalog' };

/**
 * How invalidations travel between instances, provided by the host: Redis pub/sub when REDIS_URL
 * is set, PostgreSQL LISTEN/NOTIFY otherwise. Best effort: while it is down the caches' TTL is
 * the bound, and after a gap the receiver is told to resync (drop everything it holds).
 */
export interface InvalidationChannel {
  publish(payload: string): Promise<void>;
  /** `message` gets every payload published by any instance (this one's included). */
  start(listener: { message(payload: string): void; resync(): void }): void;
  close(): Promise<void>;
}

/** What an instance does with an invalidation: drop the matching entries of its own caches. */
export interface InvalidationTarget {
  apply(invalidation: Invalidation): void;
  /** Messages may have been lost: drop every entry that a message could have invalidated. */
  resync(): void;
}

// A NOTIFY payload is at most 8000 bytes: a long list of sessions is sent as "drop them all".
const MAX_IDS_PER_MESSAGE = 100;

/**
 * This instance's end of the channel. The code that makes a change drops its own cache entries
 * and `broadcast`s the change; the other instances apply it when it arrives, and what comes back
 * with this instance's own origin is ignored. Nothing here runs per request: only when something
 * is revoked or changed.
 */
export class Invalidations {
  readonly #origin = randomUUID();
  readonly #pending = new Set<Promise<void>>();
  #target: InvalidationTarget | null = null;

  constructor(
    private readonly channel: InvalidationChannel | null,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Whether changes reach other instances at once (false: only through the caches' TTL). */
  get shared(): boolean {
    return this.channel !== null;
  }

  /** Starts receiving; called once the caches exist. */
  attach(target: InvalidationTarget): void {
    this.#target = target;
    this.channel?.start({
      message: (payload) => this.#receive(payload),
      resync: () => target.resync(),
    });
  }

  /** Tells the other instances (without waiting for them); this instance has applied the change itself. */
  broadcast(invalidation: Invalidation): void {
    if (!this.channel) return;
    const message =
      invalidation.kind === 'sessions' && invalidation.ids.length > MAX_IDS_PER_MESSAGE ? { kind: 'identities' as const } : invalidation;
    const sending = this.channel
      .publish(JSON.stringify({ origin: this.#origin, ...message }))
      .catch((error: unknown) => this.onError(error))
      .finally(() => this.#pending.delete(sending));
    this.#pending.add(sending);
  }

  /** Waits for the messages still being sent, then closes the channel (shutdown, end of a CLI command). */
  async close(): Promise<void> {
    await Promise.all([...this.#pending]);
    await this.channel?.close();
  }

  #receive(payload: string): void {
    let parsed: (Invalidation & { origin?: unknown }) | null = null;
    try {
      parsed = JSON.parse(payload) as Invalidation & { origin?: unknown };
    } catch {
      return;
    }
    if (!parsed || parsed.origin === this.#origin) return;
    const { origin: _origin, ...invalidation } = parsed;
    if (!isInvalidation(invalidation)) return;
    this.#target?.apply(invalidation);
  }
}

function isInvalidation(value: Record<string, unknown>): value is Invalidation {
  switch (value.kind) {
    case 'sessions':
      return Array.isArray(value.ids) && value.ids.every((id) => typeof id === 'string');
    case 'api-key':
      return typeof value.keyHash === 'string' && typeof value.apiKeyId === 'string';
    case 'identities':
    case 'catalog':
      return true;
    default:
      return false;
  }
}

declare module './platform.js' {
  interface Platform {
    /** Tells every instance about a revocation or a catalogue change at once (issue 17). */
    invalidations: Invalidations;
  }
}
