import type { LoginLimiter } from '../auth/login-limits.js';
import { AppError } from './errors.js';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

/** One tier of the contract's limits (per minute); the host provides it, shared or in memory. */
export interface RateLimiter {
  readonly limit: number;
  consume(key: string): Promise<RateLimitDecision>;
}

/** The contract's three tiers; a null tier is off (`MAAS_RATE_LIMIT_*=0`). */
export interface RateLimits {
  authenticated: RateLimiter | null;
  anonymous: RateLimiter | null;
  modelCalls: RateLimiter | null;
  /** Failed password sign-ins per account and per network (auth/login-limits.ts); absent is off. */
  login?: LoginLimiter;
}

export const NO_RATE_LIMITS: RateLimits = { authenticated: null, anonymous: null, modelCalls: null };

export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': String(Math.max(0, decision.remaining)),
    'x-ratelimit-reset': String(Math.ceil((Date.now() + decision.resetMs) / 1000)),
  };
  if (!decision.allowed) headers['retry-after'] = String(Math.max(1, Math.ceil(decision.resetMs / 1000)));
  return headers;
}

/** Throws the contract's 429 (with Retry-After) when the decision refuses the request. */
export function assertAllowed(decision: RateLimitDecision): void {
  if (!decision.allowed) throw new AppError('RATE_LIMITED', { headers: rateLimitHeaders(decision) });
}
