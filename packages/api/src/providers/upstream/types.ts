// Wire types for the OpenAI Chat Completions protocol as the gateway speaks it
// to upstream providers. Only the fields the gateway reads are typed; everything
// else passes through untouched so new OpenAI fields need no code change here.

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: ChatRole;
  content: string;
  name?: string;
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  // Passthrough: tools, response_format, seed, user, … are forwarded verbatim.
  [field: string]: unknown;
}

export type UpstreamKind = 'openai-compatible' | 'demo-echo';

// First-byte and idle timeouts are enforced by undici's coarse timers, which
// fire up to ~1 s late; that is the price of not arming a precise timer per
// request and is negligible against the multi-second values LLM upstreams need.
export interface UpstreamTimeouts {
  /** TCP/TLS connect. */
  connectMs: number;
  /** From request sent to response headers received. */
  firstByteMs: number;
  /** Longest silence allowed between two body chunks. */
  idleMs: number;
}

export interface UpstreamTarget {
  providerId: string;
  name: string;
  kind: UpstreamKind;
  /** e.g. `http://127.0.0.1:1234/v1`; a trailing slash is tolerated. */
  baseUrl: string;
  apiKey: string | null;
  /** Model name sent upstream in place of the gateway's public model name. */
  upstreamModel: string;
  timeouts: UpstreamTimeouts;
  /** Lower is tried first. */
  priority: number;
  /** Relative share among targets of equal priority. */
  weight: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface WireUsage extends Usage {
  total_tokens?: number;
  [field: string]: unknown;
}

export interface ChatCompletionChoice {
  index: number;
  message: { role: 'assistant'; content: string | null; [field: string]: unknown };
  finish_reason: string | null;
  [field: string]: unknown;
}

/** OpenAI `chat.completion` object. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage?: WireUsage | null;
  [field: string]: unknown;
}

export interface ChatCompletionChunkChoice {
  index: number;
  delta: { role?: 'assistant'; content?: string | null; [field: string]: unknown };
  finish_reason: string | null;
  [field: string]: unknown;
}

/** OpenAI `chat.completion.chunk` object. */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChatCompletionChunkChoice[];
  usage?: WireUsage | null;
  [field: string]: unknown;
}

export interface UpstreamCallOptions {
  signal?: AbortSignal;
}

export interface UpstreamCompletion {
  body: ChatCompletion;
  /** Text of the first choice ('' when the model returned none). */
  content: string;
  usage: Usage | null;
  finishReason: string | null;
}

/**
 * A live upstream stream. It can be iterated once; iterating yields parsed
 * `chat.completion.chunk` objects in arrival order and ends after `data: [DONE]`.
 * Breaking out of the loop releases the upstream connection.
 */
export interface UpstreamStream extends AsyncIterable<ChatCompletionChunk> {
  readonly target: UpstreamTarget;
  /** Content of the first choice accumulated so far; after a cut it tells what the client already got. */
  readonly contentSoFar: string;
  /** Usage from the final chunk, or null if the upstream has not (or never) reported it. */
  readonly usage: Usage | null;
  readonly finishReason: string | null;
  /** True once `[DONE]` (or the provider's natural end) was seen. */
  readonly completed: boolean;
  /** Stop reading and release the upstream connection; safe to call more than once. */
  cancel(): void;
}

export type UpstreamErrorKind = 'connect' | 'timeout' | 'rate_limited' | 'server' | 'client' | 'protocol' | 'aborted';

export interface UpstreamErrorInit {
  kind: UpstreamErrorKind;
  providerId: string;
  retryable: boolean;
  status?: number;
  /** Low-level code (undici `UND_ERR_*`, errno, or the upstream's error code) for logs. */
  code?: string;
  /** Content already received from a stream when it failed. */
  contentSoFar?: string;
  /** From the upstream's Retry-After header on 429/503. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * The one error type the upstream layer throws. `retryable` means: sending the
 * same request again (to this or another provider) is both safe and may succeed.
 * A stream that already yielded chunks is never retryable, because the caller
 * may have forwarded them to its client.
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly kind: UpstreamErrorKind;
  readonly providerId: string;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly contentSoFar: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, init: UpstreamErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.providerId = init.providerId;
    this.retryable = init.retryable;
    this.status = init.status;
    this.code = init.code;
    this.contentSoFar = init.contentSoFar;
    this.retryAfterMs = init.retryAfterMs;
  }
}
