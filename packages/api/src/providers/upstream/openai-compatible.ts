import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Pool, type Dispatcher } from 'undici';
import { type BufferedResponse, requestBuffered, ResponseTooLargeError } from './buffered-request.js';
import {
  UpstreamError,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type UpstreamCallOptions,
  type UpstreamCompletion,
  type UpstreamErrorKind,
  type UpstreamStream,
  type UpstreamTarget,
  type Usage,
} from './types.js';

// Idle keep-alive sockets are kept a little longer than undici's 4 s default so
// bursts of chat traffic reuse warm connections, but well under the 60+ s that
// most LLM front doors allow, so we rarely write to a socket the server dropped.
const KEEP_ALIVE_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_MAX_TIMEOUT_MS = 60_000;
// Error bodies are only read for their message; a hostile upstream must not make us buffer megabytes.
const MAX_ERROR_BODY_CHARS = 16_384;
// A whole (non-streaming) completion is held in memory once; far beyond any real one.
const MAX_COMPLETION_BODY_BYTES = 32 * 1024 * 1024;
// After `[DONE]` only the chunked-encoding terminator should remain; draining it
// keeps the socket reusable. Anything bigger than this is not worth waiting for.
const MAX_DRAIN_BYTES = 64 * 1024;
const INCLUDE_USAGE = Object.freeze({ include_usage: true });
const DONE = Symbol('done');
const ignore = (): void => {};

type BodyReadable = Dispatcher.ResponseData['body'];
type HeaderMap = Record<string, string>;

interface Endpoint {
  pool: Pool;
  path: string;
  jsonHeaders: HeaderMap;
  sseHeaders: HeaderMap;
  // What the entry was built from: targets are plain objects that a caller may
  // rebuild or mutate, so a cache hit is only trusted when these still match.
  baseUrl: string;
  apiKey: string | null;
  connectMs: number;
  generation: number;
}

// One pool per origin and connect timeout (the connect timeout is a pool-level
// setting in undici; first-byte and idle timeouts are per request).
const pools = new Map<string, Pool>();
const endpoints = new WeakMap<UpstreamTarget, Endpoint>();
// Bumped by closeUpstreamPools so cached endpoints never hand out a closed pool.
let poolGeneration = 0;

function poolFor(origin: string, connectMs: number): Pool {
  const key = `${connectMs}|${origin}`;
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = new Pool(origin, {
      connectTimeout: connectMs,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MAX_TIMEOUT_MS,
    });
    pools.set(key, pool);
  }
  return pool;
}

function resolveEndpoint(target: UpstreamTarget): Endpoint {
  const cached = endpoints.get(target);
  if (
    cached !== undefined &&
    cached.generation === poolGeneration &&
    cached.baseUrl === target.baseUrl &&
    cached.apiKey === target.apiKey &&
    cached.connectMs === target.timeouts.connectMs
  ) {
    return cached;
  }

  let url: URL;
  try {
    url = new URL(target.baseUrl);
  } catch (cause) {
    // A misconfigured provider should not fail the request if another one can serve it.
    throw new UpstreamError(`invalid base URL for provider ${target.name}`, {
      kind: 'connect',
      providerId: target.providerId,
      retryable: true,
      cause,
    });
  }
  const basePath = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  const jsonHeaders: HeaderMap = { 'content-type': 'application/json', accept: 'application/json' };
  const sseHeaders: HeaderMap = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (target.apiKey !== null && target.apiKey !== '') {
    jsonHeaders.authorization = `Bearer ${target.apiKey}`;
    sseHeaders.authorization = jsonHeaders.authorization;
  }
  const endpoint: Endpoint = {
    pool: poolFor(url.origin, target.timeouts.connectMs),
    // Keep the query string: some OpenAI-compatible hosts version their API with it.
    path: `${basePath}/chat/completions${url.search}`,
    jsonHeaders,
    sseHeaders,
    baseUrl: target.baseUrl,
    apiKey: target.apiKey,
    connectMs: target.timeouts.connectMs,
    generation: poolGeneration,
  };
  endpoints.set(target, endpoint);
  return endpoint;
}

/**
 * Closes every cached upstream pool. Graceful by default (in-flight requests
 * finish); `force` destroys open sockets, for a shutdown deadline.
 */
export async function closeUpstreamPools(options: { force?: boolean } = {}): Promise<void> {
  const closing = [...pools.values()];
  pools.clear();
  poolGeneration++;
  await Promise.all(closing.map((pool) => (options.force ? pool.destroy() : pool.close())));
}

// ---------------------------------------------------------------------------
// Error mapping

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorCode(err: unknown): string | undefined {
  return isRecord(err) && typeof err.code === 'string' ? err.code : undefined;
}

// Failures where no byte of the request reached the upstream.
const CONNECT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/**
 * Maps a transport failure to an UpstreamError. `retryable` is decided by the
 * caller: a failure is retryable only while nothing has been handed onwards.
 */
function transportError(
  err: unknown,
  target: UpstreamTarget,
  signal: AbortSignal | undefined,
  retryable: boolean,
  contentSoFar?: string,
): UpstreamError {
  if (err instanceof UpstreamError) {
    // Re-stamp errors raised earlier in a stream: chunks may have been yielded since.
    if (err.retryable === retryable && err.contentSoFar === contentSoFar) return err;
    return new UpstreamError(err.message, {
      kind: err.kind,
      providerId: err.providerId,
      retryable: err.retryable && retryable,
      status: err.status,
      code: err.code,
      contentSoFar,
      retryAfterMs: err.retryAfterMs,
      cause: err.cause,
    });
  }
  const code = errorCode(err);
  const base = { providerId: target.providerId, code, contentSoFar, cause: err };
  if (signal?.aborted === true || code === 'UND_ERR_ABORTED' || (err instanceof Error && err.name === 'AbortError')) {
    return new UpstreamError(`request to ${target.name} aborted`, { ...base, kind: 'aborted', retryable: false });
  }
  let kind: UpstreamErrorKind;
  let message: string;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      kind = 'timeout';
      message = `${target.name} sent no response headers within ${target.timeouts.firstByteMs} ms`;
      break;
    case 'UND_ERR_BODY_TIMEOUT':
      kind = 'timeout';
      message = `${target.name} sent nothing for ${target.timeouts.idleMs} ms`;
      break;
    case 'UND_ERR_CONNECT_TIMEOUT':
      kind = 'connect';
      message = `could not connect to ${target.name} within ${target.timeouts.connectMs} ms`;
      break;
    default:
      if (code !== undefined && CONNECT_CODES.has(code)) {
        kind = 'connect';
        message = `could not connect to ${target.name} (${code})`;
      } else {
        // Socket closed or reset mid-response, content-length mismatch, etc.
        kind = 'protocol';
        message = `connection to ${target.name} failed: ${err instanceof Error ? err.message : String(err)}`;
      }
  }
  return new UpstreamError(message, { ...base, kind, retryable });
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function upstreamErrorMessage(text: string, status: number): { message: string; code?: string } {
  try {
    const json: unknown = JSON.parse(text);
    if (isRecord(json)) {
      const error = json.error;
      if (isRecord(error) && typeof error.message === 'string') {
        const code = typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : undefined;
        return code === undefined ? { message: error.message } : { message: error.message, code };
      }
      if (typeof error === 'string') return { message: error };
      if (typeof json.message === 'string') return { message: json.message };
      if (typeof json.detail === 'string') return { message: json.detail };
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  const trimmed = text.trim();
  return { message: trimmed === '' ? `upstream answered HTTP ${status}` : trimmed.slice(0, 500) };
}

async function readErrorText(body: BodyReadable): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const bytes of body) {
      text += decoder.decode(bytes as Uint8Array, { stream: true }); // undici types body chunks as any
      // Breaking destroys the body and its socket, which is what we want for an oversized error.
      if (text.length >= MAX_ERROR_BODY_CHARS) break;
    }
  } catch {
    // The status already says what went wrong; a broken error body only costs us the message.
  }
  return text;
}

async function statusError(target: UpstreamTarget, res: Dispatcher.ResponseData): Promise<UpstreamError> {
  return statusErrorOf(target, res.statusCode, res.headers['retry-after'], await readErrorText(res.body));
}

function statusErrorOf(target: UpstreamTarget, status: number, retryAfter: string | string[] | undefined, body: string): UpstreamError {
  const { message, code } = upstreamErrorMessage(body, status);
  const base = { providerId: target.providerId, status, code };
  if (status === 429) {
    return new UpstreamError(message, { ...base, kind: 'rate_limited', retryable: true, retryAfterMs: parseRetryAfter(retryAfter) });
  }
  if (status === 408) return new UpstreamError(message, { ...base, kind: 'timeout', retryable: true });
  if (status >= 500) {
    return new UpstreamError(message, { ...base, kind: 'server', retryable: true, retryAfterMs: parseRetryAfter(retryAfter) });
  }
  // 401/403 here mean the gateway's key for this provider is wrong, not the
  // client's; they still count as 'client' so a broken key surfaces loudly
  // instead of being papered over by failover.
  if (status >= 400) return new UpstreamError(message, { ...base, kind: 'client', retryable: false });
  // 1xx/3xx: undici follows no redirects, so the provider is misconfigured.
  return new UpstreamError(`unexpected HTTP ${status} from ${target.name}`, { ...base, kind: 'protocol', retryable: true });
}

// ---------------------------------------------------------------------------
// Requests

/** Opens an SSE answer: resolves on 2xx headers, with the body still to be read. */
async function openEventStream(
  target: UpstreamTarget,
  payload: Record<string, unknown>,
  signal: AbortSignal | undefined,
): Promise<Dispatcher.ResponseData> {
  const endpoint = resolveEndpoint(target);
  let res: Dispatcher.ResponseData;
  try {
    res = await endpoint.pool.request({
      method: 'POST',
      path: endpoint.path,
      headers: endpoint.sseHeaders,
      body: JSON.stringify(payload),
      signal,
      headersTimeout: target.timeouts.firstByteMs,
      bodyTimeout: target.timeouts.idleMs,
    });
  } catch (err) {
    throw transportError(err, target, signal, true);
  }
  if (res.statusCode >= 200 && res.statusCode < 300) return res;
  throw await statusError(target, res);
}

function toUsage(value: unknown): Usage | null {
  if (!isRecord(value)) return null;
  const { prompt_tokens: prompt, completion_tokens: completion } = value;
  if (typeof prompt !== 'number' || typeof completion !== 'number') return null;
  return { prompt_tokens: prompt, completion_tokens: completion };
}

// Shape checks are deliberately shallow: the gateway reads `choices` and
// `usage` and forwards everything else untouched.
function isChatCompletion(value: unknown): value is ChatCompletion {
  return isRecord(value) && Array.isArray(value.choices);
}

function isChatCompletionChunk(value: unknown): value is ChatCompletionChunk {
  return isRecord(value) && Array.isArray(value.choices);
}

function protocolError(target: UpstreamTarget, message: string, retryable: boolean, contentSoFar?: string): UpstreamError {
  return new UpstreamError(`${target.name}: ${message}`, {
    kind: 'protocol',
    providerId: target.providerId,
    retryable,
    contentSoFar,
  });
}

const BUFFERED_LIMITS = { maxBodyBytes: MAX_COMPLETION_BODY_BYTES, maxErrorBytes: MAX_ERROR_BODY_CHARS };

/**
 * A whole JSON answer from the upstream. Every failure is an UpstreamError, retryable where it
 * may be: nothing has reached the caller yet, so even a body timeout may be retried elsewhere.
 */
async function requestJson(
  target: UpstreamTarget,
  endpoint: Endpoint,
  signal: AbortSignal | undefined,
  what: string,
  request: { method: 'GET' | 'POST'; path: string; body?: string },
): Promise<unknown> {
  let res: BufferedResponse;
  try {
    res = await requestBuffered(
      endpoint.pool,
      {
        method: request.method,
        path: request.path,
        body: request.body,
        headers: endpoint.jsonHeaders,
        headersTimeout: target.timeouts.firstByteMs,
        bodyTimeout: target.timeouts.idleMs,
      },
      signal,
      BUFFERED_LIMITS,
    );
  } catch (err) {
    if (err instanceof ResponseTooLargeError) throw protocolError(target, err.message, true);
    throw transportError(err, target, signal, true);
  }
  if (res.statusCode < 200 || res.statusCode >= 300) throw statusErrorOf(target, res.statusCode, res.headers['retry-after'], res.text);
  try {
    return JSON.parse(res.text);
  } catch {
    throw protocolError(target, `${what} is not valid JSON`, true);
  }
}

/** Non-streaming chat completion against an OpenAI-compatible upstream. */
export async function sendChatCompletion(
  target: UpstreamTarget,
  request: ChatCompletionRequest,
  options: UpstreamCallOptions = {},
): Promise<UpstreamCompletion> {
  const { signal } = options;
  // OpenAI rejects stream_options on a non-streaming call, so it is dropped.
  const { stream_options: _streamOptions, ...fields } = request;
  const endpoint = resolveEndpoint(target);
  const json = await requestJson(target, endpoint, signal, 'response body', {
    method: 'POST',
    path: endpoint.path,
    body: JSON.stringify({ ...fields, model: target.upstreamModel, stream: false }),
  });
  if (!isChatCompletion(json)) {
    throw protocolError(target, 'response is not a chat.completion object', true);
  }
  const choice = json.choices[0];
  const content = isRecord(choice?.message) && typeof choice.message.content === 'string' ? choice.message.content : '';
  return {
    body: json,
    content,
    usage: toUsage(json.usage),
    finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : null,
  };
}

/**
 * Streaming chat completion. Resolves as soon as the upstream answered 2xx
 * headers, before any body byte is read, so the caller can still fail over
 * to another provider; any other outcome rejects with an UpstreamError.
 */
export async function streamChatCompletion(
  target: UpstreamTarget,
  request: ChatCompletionRequest,
  options: UpstreamCallOptions = {},
): Promise<UpstreamStream> {
  const { signal } = options;
  const streamOptions = isRecord(request.stream_options) ? request.stream_options : undefined;
  const payload = {
    ...request,
    model: target.upstreamModel,
    stream: true,
    // Usage in the final chunk is what billing relies on, whatever the client asked for.
    stream_options: streamOptions === undefined ? INCLUDE_USAGE : { ...streamOptions, include_usage: true },
  };
  const res = await openEventStream(target, payload, signal);
  return new SseChunkStream(target, res.body, signal);
}

/**
 * Reads an OpenAI SSE body chunk by chunk: nothing is buffered beyond the
 * current network read, so the first token reaches the client as soon as the
 * upstream sends it.
 */
class SseChunkStream implements UpstreamStream {
  contentSoFar = '';
  usage: Usage | null = null;
  finishReason: string | null = null;
  completed = false;

  readonly target: UpstreamTarget;
  readonly #body: BodyReadable;
  readonly #signal: AbortSignal | undefined;
  #started = false;
  #yielded = 0;

  constructor(target: UpstreamTarget, body: BodyReadable, signal: AbortSignal | undefined) {
    this.target = target;
    this.#body = body;
    this.#signal = signal;
  }

  cancel(): void {
    // Destroying before the end makes undici emit an abort error; once the
    // iterator has let go nobody else listens, so it must be swallowed here.
    if (!this.#body.destroyed) this.#body.on('error', ignore).destroy();
  }

  [Symbol.asyncIterator](): AsyncIterator<ChatCompletionChunk> {
    if (this.#started) throw new Error('an UpstreamStream can only be iterated once');
    this.#started = true;
    return this.#chunks();
  }

  async *#chunks(): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    const pending: ChatCompletionChunk[] = [];
    // Declared this way so that TypeScript does not narrow it to null: the parser callback sets it.
    let failure = null as UpstreamError | null;
    const parser = createParser({
      onEvent: (event) => {
        if (this.completed || failure !== null) return;
        const outcome = this.#parseEvent(event);
        if (outcome === DONE) this.completed = true;
        else if (outcome instanceof UpstreamError) failure = outcome;
        else if (outcome !== null) pending.push(outcome);
      },
    });
    const decoder = new TextDecoder();
    // destroyOnReturn: false lets us stop at [DONE] and drain the rest, which
    // keeps the keep-alive socket; a plain for-await would destroy it.
    const reader = this.#body.iterator({ destroyOnReturn: false });

    try {
      for await (const bytes of reader) {
        parser.feed(decoder.decode(bytes as Uint8Array, { stream: true }));
        for (const chunk of pending) {
          this.#absorb(chunk);
          this.#yielded++;
          yield chunk;
        }
        pending.length = 0;
        if (failure !== null) throw failure;
        if (this.completed) break;
      }
    } catch (err) {
      this.cancel();
      throw transportError(err, this.target, this.#signal, this.#yielded === 0, this.contentSoFar);
    } finally {
      if (this.completed) {
        // Errors here happen after the caller has everything it needs.
        this.#body.dump({ limit: MAX_DRAIN_BYTES }).catch(ignore);
      } else {
        // Consumer stopped early or the stream failed: stop the upstream generating tokens we won't use.
        this.cancel();
      }
    }

    if (!this.completed) {
      // The body ended cleanly but without [DONE]. Accept it if the model said
      // it had finished (some OpenAI-compatible servers omit [DONE]).
      if (this.finishReason !== null) {
        this.completed = true;
        return;
      }
      throw protocolError(this.target, 'stream ended before [DONE]', this.#yielded === 0, this.contentSoFar);
    }
  }

  #parseEvent(event: EventSourceMessage): ChatCompletionChunk | UpstreamError | typeof DONE | null {
    const data = event.data;
    if (data === '[DONE]') return DONE;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return protocolError(this.target, 'stream carried an event that is not JSON', this.#yielded === 0, this.contentSoFar);
    }
    if (isRecord(json) && json.error !== undefined) {
      // Providers report failures after a 200 as an `error` event in the stream.
      const { message, code } = upstreamErrorMessage(data, 200);
      return new UpstreamError(message, {
        kind: 'server',
        providerId: this.target.providerId,
        retryable: this.#yielded === 0,
        code,
        contentSoFar: this.contentSoFar,
      });
    }
    if (event.event === 'error') {
      return protocolError(this.target, `stream error event: ${data.slice(0, 200)}`, this.#yielded === 0, this.contentSoFar);
    }
    // Anything else that is not a chunk (keep-alive pings some servers send) is skipped.
    return isChatCompletionChunk(json) ? json : null;
  }

  #absorb(chunk: ChatCompletionChunk): void {
    const choice = chunk.choices[0];
    if (choice !== undefined) {
      const content = isRecord(choice.delta) ? choice.delta.content : undefined;
      if (typeof content === 'string') this.contentSoFar += content;
      if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
    }
    if (chunk.usage != null) {
      const usage = toUsage(chunk.usage);
      if (usage !== null) this.usage = usage;
    }
  }
}

/** Model ids the upstream advertises at GET /models, e.g. for a provider health check. */
export async function listUpstreamModels(target: UpstreamTarget, options: UpstreamCallOptions = {}): Promise<string[]> {
  const { signal } = options;
  const endpoint = resolveEndpoint(target);
  const json = await requestJson(target, endpoint, signal, 'model list', {
    method: 'GET',
    path: endpoint.path.replace('/chat/completions', '/models'),
  });
  if (!isRecord(json) || !Array.isArray(json.data)) throw protocolError(target, 'model list has no data array', true);
  const ids: string[] = [];
  for (const model of json.data) {
    if (isRecord(model) && typeof model.id === 'string') ids.push(model.id);
  }
  return ids;
}
