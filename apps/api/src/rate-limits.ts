import type { PlatformConfig, RateLimitDecision, RateLimiter, RateLimits } from '@maas/api';
import { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { type CounterFactory, createLoginLimiter } from './login-limits.js';

const WINDOW_SECONDS = 60;

class FlexibleLimiter implements RateLimiter {
  constructor(
    readonly limit: number,
    private readonly limiter: RateLimiterAbstract,
  ) {}

  async consume(key: string): Promise<RateLimitDecision> {
    try {
      const result = await this.limiter.consume(key);
      return { allowed: true, limit: this.limit, remaining: result.remainingPoints, resetMs: result.msBeforeNext };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return { allowed: false, limit: this.limit, remaining: 0, resetMs: rejection.msBeforeNext };
      }
      // The store failed and even the in-memory insurance could not answer: let the request through
      // rather than turn an infrastructure fault into a 500.
      return { allowed: true, limit: this.limit, remaining: this.limit, resetMs: WINDOW_SECONDS * 1000 };
    }
  }
}

export interface HostRateLimits {
  limits: RateLimits;
  close(): Promise<void>;
}

/**
 * The request tiers and the sign-in guard. Counters live in Redis when REDIS_URL is set, so a
 * limit holds across instances; each limiter falls back to per-instance memory while Redis is
 * unreachable (rate-limiter-flexible's insurance limiter), with a warning logged once per outage.
 */
export function createRateLimits(config: PlatformConfig, warn: (message: string, error?: unknown) => void): HostRateLimits {
  let redis: Redis | undefined;
  if (config.redisUrl) {
    redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    let degraded = false;
    redis.on('error', (error) => {
      if (!degraded) warn('redis unavailable: rate limits fall back to per-instance memory', error);
      degraded = true;
    });
    redis.on('ready', () => {
      degraded = false;
    });
  }

  const counter: CounterFactory = (name, points, durationSeconds) => {
    const memory = new RateLimiterMemory({ keyPrefix: `rl:${name}`, points, duration: durationSeconds });
    if (!redis) return memory;
    return new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${config.rateLimitNamespace}:rl:${name}`,
      points,
      duration: durationSeconds,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
  };
  const tier = (name: string, perMinute: number): RateLimiter | null =>
    perMinute > 0 ? new FlexibleLimiter(perMinute, counter(name, perMinute, WINDOW_SECONDS)) : null;
  const login = createLoginLimiter(config.loginLimits, counter, warn);

  return {
    limits: {
      authenticated: tier('authenticated', config.rateLimits.authenticated),
      anonymous: tier('anonymous', config.rateLimits.anonymous),
      modelCalls: tier('model-calls', config.rateLimits.modelCalls),
      ...(login ? { login } : {}),
    },
    close: async () => {
      if (redis) redis.disconnect();
    },
  };
}
