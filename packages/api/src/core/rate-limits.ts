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

/** Verdict on a sign-in attempt, given before the password is looked at. */
export type LoginAttemptVerdict = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * The brute-force guard on password sign-in (issue #5), provided by the host: counters shared in
 * Redis, or per instance. Two budgets: failures for one account from one network (consecutive:
 * a success starts it over), and failures from one network to any account. The account budget is
 * per network so that a stranger cannot lock the real owner out by failing on purpose.
 *
 * An attempt is counted when it begins and forgiven when it succeeds, rather than counted once
 * it has failed: a burst of parallel guesses then cannot all pass the check before the first
 * failure is recorded, and a refused attempt never reaches argon2.
 */
export interface LoginLimiter {
  /** Counts the attempt against both budgets; refused once either is spent. */
  begin(account: string, network: string): Promise<LoginAttemptVerdict>;
  /** The password was right: the account's failures start over and the attempt is not held against the network. */
  succeeded(account: string, network: string): Promise<void>;
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
