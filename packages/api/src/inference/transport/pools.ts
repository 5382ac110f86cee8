import { type buildConnector, Pool } from 'undici';

/** Builds a pool's connector for a connect timeout: the outbound address guard's (core/outbound-guard.ts). */
export type ConnectorFactory = (options: { timeout: number }) => buildConnector.connector;

// Idle keep-alive sockets are kept a little longer than undici's 4 s default so bursts of chat
// traffic reuse warm connections, but well under the 60+ s that most LLM front doors allow, so we
// rarely write to a socket the server dropped.
const KEEP_ALIVE_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_MAX_TIMEOUT_MS = 60_000;

/**
 * One undici pool per origin and connect timeout (the connect timeout is a pool-level setting in
 * undici; first-byte and idle timeouts are per request). Owned by one platform's transport.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();

  /** Without a connector factory, undici's own connector (no address check: tests of the transport alone). */
  constructor(private readonly connector?: ConnectorFactory) {}

  get(origin: string, connectMs: number): Pool {
    const key = `${connectMs}|${origin}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      // The guard checks the address each new socket is opened to, so it runs per connection, not per request.
      pool = new Pool(origin, {
        ...(this.connector ? { connect: this.connector({ timeout: connectMs }) } : { connectTimeout: connectMs }),
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        keepAliveMaxTimeout: KEEP_ALIVE_MAX_TIMEOUT_MS,
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Graceful by default (in-flight requests finish); `force` destroys open sockets, for a shutdown deadline. */
  async close(options: { force?: boolean } = {}): Promise<void> {
    const closing = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(closing.map((pool) => (options.force ? pool.destroy() : pool.close())));
  }
}
