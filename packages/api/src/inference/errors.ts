// The one error type adapters and the transport throw; the engine maps it to the client's error.

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
