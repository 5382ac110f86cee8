import type { HttpTransport, ProviderAdapter } from './adapter.js';
import { adapterFor } from './adapters/index.js';
import { LOCAL_KIND, localAdapter, LocalRuntime, type LocalRuntimeOptions } from './adapters/local/index.js';
import { type CooldownOptions, ProviderCooldowns } from './failover.js';
import { type ConnectorFactory, UndiciTransport } from './transport/index.js';

/**
 * The inference layer's state, one per platform (`platform.inference`): the HTTP transport with
 * its connection pools, and the providers' cool-downs. Two platforms in one process share neither.
 */
export class Inference {
  readonly transport: HttpTransport;
  readonly cooldowns: ProviderCooldowns;
  /** The built-in runtime serving uploaded model files (issue 15); its worker starts on first use. */
  readonly local: LocalRuntime;
  readonly #localAdapter: ProviderAdapter;

  /** `connector`: how upstream sockets are opened (the platform's outbound address guard). */
  constructor(
    options: {
      transport?: HttpTransport;
      cooldowns?: CooldownOptions;
      connector?: ConnectorFactory;
      localRuntime?: LocalRuntimeOptions;
    } = {},
  ) {
    this.transport = options.transport ?? new UndiciTransport(options.connector);
    this.cooldowns = new ProviderCooldowns(options.cooldowns);
    this.local = new LocalRuntime(
      options.localRuntime ?? { threads: 1, maxModels: 2, concurrency: 1, queue: 8, gpu: false, minPriceNano: 0n },
    );
    this.#localAdapter = localAdapter(this.local);
  }

  adapterFor(kind: string): ProviderAdapter | undefined {
    // The local kind has state (its runtime), so its adapter is this platform's own.
    return kind === LOCAL_KIND ? this.#localAdapter : adapterFor(kind);
  }

  /** Closes the pools: graceful by default, `force` destroys open sockets (shutdown deadline). Stops the local runtime. */
  async close(options: { force?: boolean } = {}): Promise<void> {
    await Promise.all([this.transport.close(options), this.local.close()]);
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** The inference layer's state: adapter registry, HTTP transport (pools) and provider cool-downs. */
    inference: Inference;
  }
}
