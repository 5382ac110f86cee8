import { isMaasError } from './errors.js';
import type { TokenPair } from './types.js';

export type TokenSource = () => string | null | undefined | Promise<string | null | undefined>;

export interface SessionOptions {
  token?: string | undefined;
  getToken?: TokenSource | undefined;
  apiKey?: string | undefined;
  refreshToken?: string | undefined;
  onTokens?: ((tokens: TokenPair) => void | Promise<void>) | undefined;
}

/** What one request was sent with; a 401 is only worth a refresh when it carried a user token. */
export interface Credentials {
  kind: 'user' | 'apiKey' | 'none';
  token: string | null;
}

/** Procedures that take no bearer token, or whose 401 a refresh cannot fix. */
const NO_REFRESH = new Set(['auth.register', 'auth.token', 'auth.refresh']);

/**
 * The client's credentials. Refreshing is single-flight: refresh tokens rotate and are single-use
 * (a reused one revokes the session on the server), so concurrent 401s share one `auth.refresh`.
 */
export class Session {
  #accessToken: string | null;
  #refreshToken: string | null;
  #refreshing: Promise<boolean> | null = null;
  readonly #options: SessionOptions;
  readonly #refresh: (refreshToken: string) => Promise<TokenPair>;

  constructor(options: SessionOptions, refresh: (refreshToken: string) => Promise<TokenPair>) {
    this.#options = options;
    this.#refresh = refresh;
    this.#accessToken = options.token ?? null;
    this.#refreshToken = options.refreshToken ?? null;
  }

  /** The bearer for the next request: the access token, else `getToken()`, else the API key. */
  async credentials(): Promise<Credentials> {
    if (this.#accessToken) return { kind: 'user', token: this.#accessToken };
    const fromSource = await this.#options.getToken?.();
    if (fromSource) return { kind: 'user', token: fromSource };
    if (this.#options.apiKey) return { kind: 'apiKey', token: this.#options.apiKey };
    return { kind: 'none', token: null };
  }

  tokens(): { accessToken: string | null; refreshToken: string | null } {
    return { accessToken: this.#accessToken, refreshToken: this.#refreshToken };
  }

  setTokens(tokens: { access_token: string; refresh_token?: string | undefined } | null): void {
    this.#accessToken = tokens?.access_token ?? null;
    this.#refreshToken = tokens ? (tokens.refresh_token ?? this.#refreshToken) : null;
  }

  canRefresh(path: string, sent: Credentials): boolean {
    return this.#refreshToken !== null && sent.kind !== 'apiKey' && !NO_REFRESH.has(path);
  }

  /**
   * After a 401 for a request sent with `sent`: true when a newer access token is available (a
   * refresh just happened, here or in a concurrent call), false when there is none to be had.
   */
  async refreshAfter(sent: Credentials): Promise<boolean> {
    if (this.#accessToken && this.#accessToken !== sent.token) return true;
    this.#refreshing ??= this.#rotate().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #rotate(): Promise<boolean> {
    const refreshToken = this.#refreshToken;
    if (!refreshToken) return false;
    let pair: TokenPair;
    try {
      pair = await this.#refresh(refreshToken);
    } catch (error) {
      // A refused refresh token will never work again; anything else (network) may next time.
      if (isMaasError(error) && error.status === 401 && this.#refreshToken === refreshToken) this.#refreshToken = null;
      return false;
    }
    this.#accessToken = pair.access_token;
    this.#refreshToken = pair.refresh_token;
    await this.notify(pair);
    return true;
  }

  /** Tells the application about new tokens so it can persist them; its failure is not the call's. */
  async notify(pair: TokenPair): Promise<void> {
    try {
      await this.#options.onTokens?.(pair);
    } catch (error) {
      console.error('[@maas/sdk] onTokens threw; the new tokens are in use but were not persisted', error);
    }
  }
}
