import type { BufferedHttpResponse, HttpRequest, HttpTransport, ProviderTarget, SseResponse } from '../adapter.js';
import { UpstreamError } from '../errors.js';
import { type BufferedResponse, requestBuffered, ResponseTooLargeError } from './buffered.js';
import { protocolError, statusError, transportError } from './errors.js';
import { type ConnectorFactory, UpstreamPools } from './pools.js';
import { openSseBody } from './sse.js';

export type { ConnectorFactory } from './pools.js';
export { protocolError, statusError, transportError, upstreamErrorMessage } from './errors.js';

// Error bodies are only read for their message; a hostile upstream must not make us buffer megabytes.
const MAX_ERROR_BODY_BYTES = 16_384;
// A whole (non-streaming) answer is held in memory once; far beyond any real one.
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const LIMITS = { maxBodyBytes: MAX_BODY_BYTES, maxErrorBytes: MAX_ERROR_BODY_BYTES };

function splitUrl(target: ProviderTarget, raw: string): { origin: string; path: string } {
  try {
    const url = new URL(raw);
    return { origin: url.origin, path: `${url.pathname}${url.search}` };
  } catch (cause) {
    // A misconfigured provider should not fail the request if another one can serve it.
    throw new UpstreamError(`invalid URL for provider ${target.name}`, {
      kind: 'connect',
      providerId: target.providerId,
      retryable: true,
      cause,
    });
  }
}

/** The undici implementation of HttpTransport: one per platform, with its own pools. */
export class UndiciTransport implements HttpTransport {
  readonly #pools: UpstreamPools;

  /** `connector` opens the sockets: the platform passes its outbound address guard's. */
  constructor(connector?: ConnectorFactory) {
    this.#pools = new UpstreamPools(connector);
  }

  async request(target: ProviderTarget, request: HttpRequest): Promise<BufferedHttpResponse> {
    const { origin, path } = splitUrl(target, request.url);
    let res: BufferedResponse;
    try {
      res = await requestBuffered(
        this.#pools.get(origin, target.timeouts.connectMs),
        {
          method: request.method ?? 'POST',
          path,
          body: request.body,
          headers: request.headers,
          headersTimeout: target.timeouts.firstByteMs,
          bodyTimeout: target.timeouts.idleMs,
        },
        request.signal,
        LIMITS,
      );
    } catch (err) {
      if (err instanceof ResponseTooLargeError) throw protocolError(target, err.message, true);
      // Nothing has reached the caller yet, so even a body timeout may be retried elsewhere.
      throw transportError(err, target, request.signal, true);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw statusError(target, res.statusCode, res.headers['retry-after'], res.body.toString('utf8'));
    }
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  async openSse(target: ProviderTarget, request: HttpRequest): Promise<SseResponse> {
    const { origin, path } = splitUrl(target, request.url);
    // async: a bad URL rejects like any other failure to open.
    return openSseBody(
      this.#pools.get(origin, target.timeouts.connectMs),
      {
        method: request.method ?? 'POST',
        path,
        headers: request.headers,
        body: request.body,
        headersTimeout: target.timeouts.firstByteMs,
        bodyTimeout: target.timeouts.idleMs,
      },
      target,
      request.signal,
      MAX_ERROR_BODY_BYTES,
    );
  }

  close(options: { force?: boolean } = {}): Promise<void> {
    return this.#pools.close(options);
  }
}
