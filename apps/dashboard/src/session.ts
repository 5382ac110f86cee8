/**
 * The signed-in session. The access token (1 hour) lives in memory only; the refresh token is kept
 * in sessionStorage (this tab only, gone when it closes) so a reload keeps the user signed in, and
 * is rotated on every use: the server answers a new pair and the old refresh token stops working,
 * and presenting a spent one revokes the whole session. One refresh is in flight at a time: every
 * caller that finds the access token expired (or gets a 401) awaits the same promise.
 */
import { storedLocale } from './i18n.js';

export const REFRESH_STORAGE_KEY = 'maas.refresh';
const SKEW_MS = 30_000;

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

interface SessionStore {
  access: { token: string; expiresAt: number } | null;
  inflight: Promise<string | null> | null;
  listeners: Set<() => void>;
}

// The tab's session is process state of the page; a module-level singleton is the page itself.
const store: SessionStore = { access: null, inflight: null, listeners: new Set() };

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

function refreshToken(): string | null {
  return storage()?.getItem(REFRESH_STORAGE_KEY) ?? null;
}

/** Whether the tab holds a session (an access token, or a refresh token to get one). */
export function hasSession(): boolean {
  return store.access !== null || refreshToken() !== null;
}

/** Called on sign-out and when the session ends (refresh refused). */
export function onSessionEnd(listener: () => void): () => void {
  store.listeners.add(listener);
  return () => store.listeners.delete(listener);
}

export function setSession(pair: TokenPair | null, now = Date.now()): void {
  if (!pair) {
    const had = hasSession();
    store.access = null;
    storage()?.removeItem(REFRESH_STORAGE_KEY);
    if (had) for (const listener of store.listeners) listener();
    return;
  }
  store.access = { token: pair.access_token, expiresAt: now + pair.expires_in * 1000 };
  storage()?.setItem(REFRESH_STORAGE_KEY, pair.refresh_token);
}

/** POST /auth/refresh with the stored refresh token; a refused one ends the session. */
export function refreshSession(): Promise<string | null> {
  if (store.inflight) return store.inflight;
  const token = refreshToken();
  if (!token) return Promise.resolve(null);
  store.inflight = (async () => {
    try {
      const response = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'accept-language': storedLocale() },
        body: JSON.stringify({ refresh_token: token }),
      });
      if (!response.ok) {
        // 4xx: the refresh token is spent or revoked. A 5xx or a network error keeps it for a retry.
        if (response.status < 500) setSession(null);
        return null;
      }
      const pair = (await response.json()) as TokenPair;
      setSession(pair);
      return pair.access_token;
    } catch {
      return null;
    } finally {
      store.inflight = null;
    }
  })();
  return store.inflight;
}

/** A usable access token, refreshed first when it has expired (or is about to). */
export async function accessToken(now = Date.now()): Promise<string | null> {
  if (store.access && store.access.expiresAt - SKEW_MS > now) return store.access.token;
  if (store.inflight) return store.inflight;
  if (!refreshToken()) return store.access?.token ?? null;
  return refreshSession();
}

/**
 * fetch with the bearer token and the UI language. A 401 on a request that carried a token
 * refreshes once (shared with every other caller) and retries with the new token.
 */
export async function authFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const send = (token: string | null) => {
    const headers = new Headers(init.headers);
    if (!headers.has('accept-language')) headers.set('accept-language', storedLocale());
    if (token) headers.set('authorization', `Bearer ${token}`);
    else headers.delete('authorization');
    return fetch(input, { ...init, headers });
  };
  const token = await accessToken();
  const response = await send(token);
  if (response.status !== 401 || !token || !refreshToken()) return response;
  // Another caller may have rotated already while this request was out.
  const fresh = store.access && store.access.token !== token ? store.access.token : await refreshSession();
  if (!fresh) return response;
  return send(fresh);
}

/** POST /auth/logout: the server revokes the session (access and refresh tokens), then forget both. */
export async function signOut(): Promise<void> {
  try {
    const token = await accessToken();
    if (token) {
      await fetch('/api/v1/auth/logout', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-language': storedLocale() },
        body: JSON.stringify({}),
      });
    }
  } finally {
    setSession(null);
  }
}
