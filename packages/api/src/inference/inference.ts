import type { HttpTransport, ProviderAdapter } from './adapter.js';
import { adapterFor } from './adapters/index.js';
import { type CooldownOptions, ProviderCooldowns } from './failover.js';
import { UndiciTransport } from './transport/index.js';

/**
 * The inference layer's state, one per platform (`platform.inference`): the HTTP transport with
 * its connection pools, and the providers' cool-downs. Two platforms in one process share neither.
 */
export class Inference {
  readonly transport: HttpTransport;
  readonly cooldowns: ProviderCooldowns;

  constructor(options: { transport?: HttpTransport; cooldowns?: CooldownOptions } = {}) {
    this.transport = options.transport ?? new UndiciTransport();
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
