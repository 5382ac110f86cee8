import { Agent, type Dispatcher } from 'undici';
import type { OutboundGuard } from '../../core/outbound-guard.js';
import { ArgumentValidators } from './arguments.js';

/** Where the platform's own demo tools live (issue 16 part 7); they are reachable even when private addresses are refused. */
export const DEMO_TOOLS_PATH = '/demo/tools/';

/**
 * What the tool runner keeps for the whole process: the guarded connection pool to tool
 * endpoints, one unguarded pool for the platform's own demo tools, and compiled argument
 * validators. Built in create-platform.ts.
 */
export class ToolRuntime {
  /** Every connection to an author's endpoint goes through the outbound address guard. */
  readonly dispatcher: Dispatcher;
  /** For the platform's own `/demo/tools/` routes only (its own origin, which may be loopback). */
  readonly #ownDispatcher: Agent;
  readonly validators = new ArgumentValidators();
  readonly #ownOrigins: Set<string>;

  constructor(outbound: OutboundGuard, config: { publicUrl: string; port: number; tools: { timeoutMs: number } }) {
    this.dispatcher = outbound.dispatcher({ connectTimeoutMs: Math.min(10_000, config.tools.timeoutMs) });
    this.#ownDispatcher = new Agent({ connect: { timeout: Math.min(10_000, config.tools.timeoutMs) } });
    const origins = [`http://localhost:${config.port}`, `http://127.0.0.1:${config.port}`, `http://[::1]:${config.port}`];
    try {
      origins.push(new URL(config.publicUrl).origin);
    } catch {
      // A public URL that does not parse names no origin of ours.
    }
    this.#ownOrigins = new Set(origins);
  }

  /**
   * The pool for a tool URL: the unguarded one only for a demo route on the platform's own origin
   * (which the operator configured, so no user can point it elsewhere), else the guarded one.
   */
  dispatcherFor(url: URL): Dispatcher {
    return this.isOwnDemoTool(url) ? this.#ownDispatcher : this.dispatcher;
  }

  isOwnDemoTool(url: URL): boolean {
    return this.#ownOrigins.has(url.origin) && url.pathname.startsWith(DEMO_TOOLS_PATH);
  }

  async close(): Promise<void> {
    await Promise.all([this.dispatcher.close(), this.#ownDispatcher.close()]);
  }
}

declare module '../../core/platform.js' {
  interface Platform {
    /** The marketplace tool runner's pools and caches (tools/runtime). */
    toolRuntime: ToolRuntime;
  }
}
