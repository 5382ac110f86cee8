import type { HttpTransport, ProviderAdapter } from './adapter.js';
import { adapterFor } from './adapters/index.js';
import { type CooldownOptions, ProviderCooldowns } from './failover.js';
import { type ConnectorFactory, UndiciTransport } from './transport/index.js';

/**
 * The inference layer's state, one per platform (`platform.inference`): the HTTP transport with
 * its connection pools, and the providers' cool-downs. Two platforms in one process share neither.
 */
export class Inference {
  readonly transport: HttpTransport;
  readonly cooldowns: ProviderCooldowns;

  /** `connector`: how upstream sockets are opened (the platform's outbound address guard). */
  constructor(options: { transport?: HttpTransport; cooldowns?: CooldownOptions; connector?: ConnectorFactory } = {}) {
    this.transport = options.transport ?? new UndiciTransport(options.connector);
    this.cooldowns = new ProviderCooldowns(options.cooldowns);
  }

  adapterFor(kind: string): ProviderAdapter | undefined {
    return adapterFor(kind);
  }

  /** Closes the pools: graceful by default, `force` destroys open sockets (shutdown deadline). */
  close(options: { force?: boolean } = {}): Promise<void> {
    return this.transport.close(options);
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** The inference layer's state: adapter registry, HTTP transport (pools) and provider cool-downs. */
    inference: Inference;
  }
}
