import { createTRPCClient, httpLink, type TRPCClient } from '@trpc/client';
import { abortedError, errorFromBody, timeoutError, toMaasError } from './errors.js';
import { callContext, resilienceLink, sentCredentialsOf } from './link.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import type { AppRouter } from './router.js';
import { type Credentials, Session, type TokenSource } from './session.js';
import { type FetchLike, trpcFetch } from './transport.js';
import { readSse } from './sse.js';
import type { ChatInput, ChatStreamEvent, SignInInput, TokenPair } from './types.js';

export type HeadersOption = Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);

export interface MaasClientOptions {
  /** The platform's origin, e.g. `https://maas.example.com` (tRPC is served at `${baseUrl}/trpc`). */
  baseUrl: string;
  /** A user access token (JWT), sent as `Authorization: Bearer …`. */
  token?: string;
  /** Asked for a token before each request when the client holds none (e.g. read from storage). */
  getToken?: TokenSource;
  /** A platform API key (`sk-…`), sent as a Bearer token when there is no user token. */
  apiKey?: string;
  /** With a refresh token, a call answered 401 refreshes the tokens once and is sent again. */
  refreshToken?: string;
  /** Called with every new token pair (refresh or `signIn`), to persist it. */
  onTokens?: (tokens: TokenPair) => void | Promise<void>;
  /** A fetch implementation (defaults to the global one). */
  fetch?: FetchLike;
  /** Time allowed for each attempt of a call, in ms (0: none). Default 60 000. */
  timeoutMs?: number;
  /** Retries after a 429, or after a 5xx / network error for calls safe to repeat. Default 2. */
  maxRetries?: number;
  /** Fine-tuning of the backoff (base and maximum delay, longest Retry-After to wait for). */
  retry?: Partial<Omit<RetryPolicy, 'maxRetries'>>;
  /** Extra headers on every request (e.g. `accept-language: en`). */
  headers?: HeadersOption;
}

export interface RawRequestInit extends Omit<RequestInit, 'headers'> {
  headers?: Record<string, string>;
  /** Time allowed until the response headers arrive (a stream may then take as long as it needs). */
  timeoutMs?: number;
}

/**
 * Plain HTTP with the client's base URL, credentials and token refresh, for routes outside tRPC:
 * the SSE chat stream, the OpenAI-compatible `/v1` gateway, file uploads.
 */
export interface RawClient {
  readonly baseUrl: string;
  /** `path` resolved against the base URL. */
  url(path: string): string;
  /** The headers a request would carry now (client headers and Authorization). */
  headers(extra?: Record<string, string>): Promise<Record<string, string>>;
  /**
   * Sends a request; on a 401 with a refresh token, refreshes once and sends it again (the body
   * must then be replayable: a string, URLSearchParams or none). Rejects with a MaasError on
   * any non-2xx answer, so the response it resolves to is a success, ready for `readSse`.
   */
  fetch(path: string, init?: RawRequestInit): Promise<Response>;
}

export interface MaasClientExtras {
  raw: RawClient;
  /** Signs in with username (or email) and password, and uses the tokens from then on. */
  signIn(input: SignInInput, options?: { signal?: AbortSignal }): Promise<TokenPair>;
  /** Replaces the tokens in use (null signs the client out locally). */
  setTokens(tokens: { access_token: string; refresh_token?: string } | null): void;
  /** The tokens in use now (after any automatic refresh). */
  getTokens(): { accessToken: string | null; refreshToken: string | null };
  /**
   * Chats with an application and yields the answer as it streams: `delta` events, then one
   * `done` event (id, conversation_id, tokens_used, cost) or one `error` event.
   */
  streamChat(input: ChatInput, options?: { signal?: AbortSignal }): AsyncGenerator<ChatStreamEvent, void, undefined>;
}

/** The typed tRPC client of the platform, plus the SDK's helpers. */
export type MaasClient = TRPCClient<AppRouter> & MaasClientExtras;

const DEFAULT_TIMEOUT_MS = 60_000;

function defaultFetch(): FetchLike {
  if (typeof globalThis.fetch !== 'function') throw new Error('@maas/sdk: no global fetch; pass `fetch` to createMaasClient');
  return (input, init) => globalThis.fetch(input, init);
}

async function resolveHeaders(option: HeadersOption | undefined): Promise<Record<string, string>> {
  if (!option) return {};
  return typeof option === 'function' ? await option() : option;
}

function isReplayable(body: RequestInit['body']): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof URLSearchParams;
}

export function createMaasClient(options: MaasClientOptions): MaasClient {
  if (!options.baseUrl) throw new TypeError('@maas/sdk: baseUrl is required');
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? defaultFetch();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retry: RetryPolicy = {
    ...DEFAULT_RETRY_POLICY,
    ...options.retry,
    maxRetries: options.maxRetries ?? DEFAULT_RETRY_POLICY.maxRetries,
  };
  const transport = trpcFetch(fetchImpl);

  // auth.refresh goes through a bare client: no credentials, no retries, no refresh of its own.
  const refresher = createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${baseUrl}/trpc`, fetch: transport, headers: () => resolveHeaders(options.headers) })],
  });
  const session = new Session(options, async (refreshToken) => {
    const controller = new AbortController();
    const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(), timeoutMs) : undefined;
    try {
      return await refresher.auth.refresh.mutate({ refresh_token: refreshToken }, { signal: controller.signal });
    } catch (error) {
      throw toMaasError(error, { path: 'auth.refresh' });
    } finally {
      clearTimeout(timer);
    }
  });

  const trpc = createTRPCClient<AppRouter>({
    links: [
      resilienceLink({ session, timeoutMs, retry }),
      // httpLink, not httpBatchLink: retries, timeouts, aborts and the token refresh are per call,
      // and so are the server's rate limit, status code and Retry-After. A batch would share one
      // HTTP answer between calls that each need their own.
      httpLink({
        url: `${baseUrl}/trpc`,
        fetch: transport,
        headers: async ({ op }) => {
          const call = callContext(op.context);
          const credentials = await session.credentials();
          const sent = sentCredentialsOf(op.context);
          if (sent) Object.assign(sent, credentials);
          return {
            ...(await resolveHeaders(options.headers)),
            ...call.headers,
            ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
            ...(call.idempotencyKey ? { 'idempotency-key': call.idempotencyKey } : {}),
          };
        },
      }),
    ],
  });

  const raw: RawClient = {
    baseUrl,
    url: (path) => (/^https?:\/\//.test(path) ? path : `${baseUrl}${path.startsWith('/') ? '' : '/'}${path}`),
    headers: async (extra) => {
      const credentials = await session.credentials();
      return {
        ...(await resolveHeaders(options.headers)),
        ...extra,
        ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
      };
    },
    fetch: async (path, init = {}) => {
      const { timeoutMs: callTimeout = timeoutMs, headers: extra, signal, ...rest } = init;
      const send = async (): Promise<{ response: Response; sent: Credentials }> => {
        const sent = await session.credentials();
        const controller = new AbortController();
        const onAbort = () => controller.abort(signal?.reason);
        if (signal?.aborted) throw abortedError(path, signal.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        let timedOut = false;
        const timer = callTimeout > 0 ? setTimeout(() => ((timedOut = true), controller.abort()), callTimeout) : undefined;
        try {
          const headers = {
            ...(await resolveHeaders(options.headers)),
            ...extra,
            ...(sent.token ? { authorization: `Bearer ${sent.token}` } : {}),
          };
          const response = await fetchImpl(raw.url(path), { ...rest, headers, signal: controller.signal });
          return { response, sent };
        } catch (error) {
          signal?.removeEventListener('abort', onAbort);
          if (timedOut) throw timeoutError(path, callTimeout, error);
          if (signal?.aborted) throw abortedError(path, error);
          throw toMaasError(error, { path });
        } finally {
          // Only the wait for the headers is timed; the body (a stream) is the caller's, and the
          // caller's signal stays attached so it can still cancel it.
          clearTimeout(timer);
        }
      };
      let { response, sent } = await send();
      if (response.status === 401 && session.canRefresh(path, sent) && isReplayable(rest.body)) {
        await response.body?.cancel();
        if (await session.refreshAfter(sent)) ({ response, sent } = await send());
      }
      if (response.ok) return response;
      throw errorFromBody(response.status, response.headers, await response.text(), path);
    },
  };

  const extras: MaasClientExtras = {
    raw,
    signIn: async (input, callOptions) => {
      const pair = await trpc.auth.token.mutate(input, callOptions?.signal ? { signal: callOptions.signal } : undefined);
      session.setTokens(pair);
      await session.notify(pair);
      return pair;
    },
    setTokens: (tokens) => session.setTokens(tokens),
    getTokens: () => session.tokens(),
    streamChat: async function* (input, callOptions) {
      const { app_id: appId, ...body } = input;
      const response = await raw.fetch(`/api/v1/applications/${encodeURIComponent(appId)}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ ...body, stream: true }),
        ...(callOptions?.signal ? { signal: callOptions.signal } : {}),
      });
      yield* readSse<ChatStreamEvent>(response, callOptions?.signal ? { signal: callOptions.signal } : {});
    },
  };

  // The tRPC client is a proxy answering any property with a procedure path; the helpers are
  // looked up first. (No router domain is named like them: raw, signIn, setTokens, getTokens.)
  return new Proxy(trpc, {
    get(target, property, receiver): unknown {
      // The helpers are arrow functions (see `extras` above): none of them reads `this`.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      if (typeof property === 'string' && Object.hasOwn(extras, property)) return extras[property as keyof MaasClientExtras];
      return Reflect.get(target, property, receiver);
    },
  }) as MaasClient; // the proxy answers the extras, which TRPCClient's type cannot express
}
