import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { isLocalName, isSpecialPurposeAddress } from './special-addresses.js';

export type { LookupFunction } from 'node:net';

/** Raised (as a connect failure) when a connection would reach a special-purpose address. */
export class BlockedAddressError extends Error {
  readonly code = 'EADDRBLOCKED';

  constructor(hostname: string, address?: string) {
    super(
      address === undefined
        ? `refused to connect to ${hostname}: not a public address`
        : `refused to connect to ${hostname}: resolves to ${address}, not a public address`,
    );
    this.name = 'BlockedAddressError';
  }
}

export type UrlVerdict = 'public' | 'private' | 'unresolvable';

export interface OutboundGuardOptions {
  /** MAAS_ALLOW_PRIVATE_UPSTREAMS: every address is allowed (development, tests). */
  allowPrivate: boolean;
  /** How names are resolved, for checks and for connecting; node's dns.lookup by default. Tests inject their own. */
  lookup?: LookupFunction;
}

function lookupAll(lookup: LookupFunction, hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    lookup(hostname, { all: true }, (error, addresses) => {
      if (error) reject(error);
      else resolve(Array.isArray(addresses) ? addresses : [{ address: addresses, family: isIP(addresses) }]);
    });
  });
}

/**
 * The one address guard for every outbound connection the platform opens to a URL a user supplied
 * (providers now; tool endpoints and engines later). The check runs on the address a connection is
 * actually opened to: through the lookup hook of the socket (a name) or on the literal (an IP), each
 * time a new connection is made. A name that answered a public address when it was saved and a
 * private one now (DNS rebinding) is refused at connect time. The save-time `checkUrl` is only an
 * early, friendlier refusal; it is not what keeps private addresses out.
 *
 * Costs nothing per request: pools reuse connections, and the hook runs once per new connection.
 */
export class OutboundGuard {
  readonly allowPrivate: boolean;
  readonly #baseLookup: LookupFunction;
  /** The lookup to give a socket: resolves, then refuses when any address is not public. */
  readonly lookup: LookupFunction;

  constructor(options: OutboundGuardOptions) {
    this.allowPrivate = options.allowPrivate;
    this.#baseLookup = options.lookup ?? dnsLookup;
    this.lookup = this.allowPrivate
      ? this.#baseLookup
      : (hostname, lookupOptions, callback) => this.#guardedLookup(hostname, lookupOptions, callback);
  }

  /** Whether the address or name may be connected to without resolving (false for special-purpose literals and local names). */
  hostIsAllowed(hostname: string): boolean {
    if (this.allowPrivate) return true;
    const host = hostname.replace(/^\[|\]$/g, '');
    if (isIP(host.replace(/%.*$/, ''))) return !isSpecialPurposeAddress(host);
    return !isLocalName(host);
  }

  /** Save-time verdict on a URL: its literal, or every address its name resolves to now. */
  async checkUrl(url: URL): Promise<UrlVerdict> {
    if (this.allowPrivate) return 'public';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!this.hostIsAllowed(host)) return 'private';
    if (isIP(host)) return 'public';
    let addresses: LookupAddress[];
    try {
      addresses = await lookupAll(this.#baseLookup, host);
    } catch {
      return 'unresolvable';
    }
    if (addresses.length === 0) return 'unresolvable';
    return addresses.some(({ address }) => isSpecialPurposeAddress(address)) ? 'private' : 'public';
  }

  /**
   * An undici connector (the `connect` option of a Pool, Client or Agent) that opens sockets only to
   * public addresses. `options` are undici's own connector options (timeout, TLS…).
   */
  connector(options: buildConnector.BuildOptions = {}): buildConnector.connector {
    const connect = buildConnector({ ...options, lookup: this.lookup });
    if (this.allowPrivate) return connect;
    return (connectOptions, callback) => {
      // node's net.connect skips the lookup for a literal address, so a literal is checked here.
      if (!this.hostIsAllowed(connectOptions.hostname)) {
        callback(new BlockedAddressError(connectOptions.hostname), null);
        return;
      }
      connect(connectOptions, callback);
    };
  }

  /**
   * An undici Agent whose every connection goes through the guard, for outbound calls to URLs that
   * users supply (tool endpoints). Use it with undici's `request` or `dispatcher.request`, which never
   * follow redirects; a `fetch` through it would follow them (each hop still guarded), so pass
   * `redirect: 'manual'` there.
   */
  dispatcher(options: { connectTimeoutMs?: number } & Omit<Agent.Options, 'connect'> = {}): Agent {
    const { connectTimeoutMs = 10_000, ...agentOptions } = options;
    return new Agent({ ...agentOptions, connect: this.connector({ timeout: connectTimeoutMs }) });
  }

  #guardedLookup(hostname: string, options: Parameters<LookupFunction>[1], callback: Parameters<LookupFunction>[2]): void {
    const wantsAll = (options as { all?: boolean }).all === true;
    if (isLocalName(hostname)) {
      callback(new BlockedAddressError(hostname), wantsAll ? [] : '', 4);
      return;
    }
    this.#baseLookup(hostname, { ...options, all: true }, (error, result) => {
      if (error) {
        callback(error, wantsAll ? [] : '', 4);
        return;
      }
      const addresses: LookupAddress[] = Array.isArray(result) ? result : [{ address: result, family: isIP(result) }];
      // One private answer among public ones refuses the name: a rebinding attacker controls the order.
      const blocked = addresses.find(({ address }) => isSpecialPurposeAddress(address));
      if (blocked || addresses.length === 0) {
        callback(new BlockedAddressError(hostname, blocked?.address), wantsAll ? [] : '', 4);
        return;
      }
      if (wantsAll) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }
}

declare module './platform.js' {
  interface Platform {
    /** The connect-time address guard for outbound connections to user-supplied URLs. */
    outbound: OutboundGuard;
  }
}
