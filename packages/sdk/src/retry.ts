import type { MaasError } from './errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt (0 turns retrying off). */
  maxRetries: number;
  /** First backoff delay; doubles per retry. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error is returned instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 2,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/** Exponential backoff with "equal jitter": half the step is fixed, half random, so clients spread out. */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}

/**
 * Whether a failed call may be sent again. A 429 was refused before any work, so it is always
 * safe. A 5xx, a network error or a timeout may have happened after the server acted, so only
 * calls that are safe to repeat are retried: queries, and mutations sent with an idempotency key
 * (or marked `idempotent`).
 */
export function isRetryable(error: MaasError, repeatable: boolean): boolean {
  if (error.code === 'ABORTED') return false;
  if (error.status === 429) return true;
  if (!repeatable) return false;
  return error.status >= 500 || error.code === 'NETWORK_ERROR' || error.code === 'TIMEOUT';
}

/** The wait before retry number `retry` (1-based), or null when the call must fail now. */
export function retryDelay(error: MaasError, retry: number, repeatable: boolean, policy: RetryPolicy): number | null {
  if (retry > policy.maxRetries || !isRetryable(error, repeatable)) return null;
  if (error.retryAfterMs !== null) {
    // The server knows best; a wait longer than we are willing to hold the caller is its answer.
    return error.retryAfterMs <= policy.maxRetryAfterMs ? error.retryAfterMs : null;
  }
  return backoffDelay(retry, policy);
}
