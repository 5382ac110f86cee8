import type { LoginAttemptVerdict, LoginLimiter, PlatformConfig } from '@maas/api';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';

/** Builds a counter of `points` per `durationSeconds`, shared in Redis when there is one. */
export type CounterFactory = (name: string, points: number, durationSeconds: number) => RateLimiterAbstract;

/**
 * The two budgets of auth/login-limits.ts over rate-limiter-flexible counters. A store fault lets
 * the attempt through (argon2 still checks the password): an outage must not lock everyone out
 * nor turn into a 500.
 */
export function createLoginLimiter(
  settings: PlatformConfig['loginLimits'],
  counter: CounterFactory,
  warn: (message: string, error?: unknown) => void,
): LoginLimiter | undefined {
  const perAccount =
    settings.maxFailuresPerAccount > 0 ? counter('login-account', settings.maxFailuresPerAccount, settings.accountWindowSeconds) : null;
  const perNetwork = settings.maxFailuresPerIp > 0 ? counter('login-ip', settings.maxFailuresPerIp, settings.ipWindowSeconds) : null;
  if (!perAccount && !perNetwork) return undefined;
  const accountKey = (account: string, network: string) => `${network}|${account}`;

  const take = async (limiter: RateLimiterAbstract | null, key: string): Promise<LoginAttemptVerdict> => {
    if (!limiter) return { allowed: true };
    try {
      await limiter.consume(key);
      return { allowed: true };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { allowed: false, retryAfterMs: rejection.msBeforeNext };
      warn('login limiter unavailable: attempt let through', rejection);
      return { allowed: true };
    }
  };

  return {
    async begin(account, network) {
      const byNetwork = await take(perNetwork, network);
      if (!byNetwork.allowed) return byNetwork;
      // The network's point stays spent when the account refuses: hammering a locked account is
      // itself worth counting.
      return take(perAccount, accountKey(account, network));
    },
    async succeeded(account, network) {
      await Promise.all([perAccount?.delete(accountKey(account, network)), perNetwork?.reward(network)]).catch((error: unknown) =>
        warn('login limiter unavailable: a success was not recorded', error),
      );
    },
  };
}
