import type { PlatformConfig, RateLimitDecision, RateLimiter, RateLimits } from '@maas/api';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { InstanceShares } from './instance-shares.js';
import { type CounterFactory, createLoginLimiter } from './login-limits.js';

const WINDOW_SECONDS = 60;

function allowed(limit: number, result: RateLimiterRes): RateLimitDecision {
  return { allowed: true, limit, remaining: result.remainingPoints, resetMs: result.msBeforeNext };
}

function refused(limit: number, result: RateLimiterRes): RateLimitDecision {
  return { allowed: false, limit, remaining: 0, resetMs: result.msBeforeNext };
}

/** One tier counted in this process only (no REDIS_URL). */
class MemoryLimiter implements RateLimiter {
  constructor(
    readonly limit: number,
    private readonly counter: RateLimiterMemory,
  ) {}

  async consume(key: string): Promise<RateLimitDecision> {
    try {
      return allowed(this.limit, await this.counter.consume(key));
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return refused(this.limit, rejection);
      // Not a refusal (cannot happen in memory): let the request through rather than answer 500.
      return { allowed: true, limit: this.limit, remaining: this.limit, resetMs: WINDOW_SECONDS * 1000 };
    }
  }
}

/**
 * What the limiters know of Redis: whether it answers, and whether it came back from a gap less
 * than a window ago. A Redis that restarted without persistence has forgotten its counts; for one
 * window after any gap each instance therefore also keeps to its share counted in memory (which
 * holds the counts made during the outage), so the lost counts let through at most one extra limit.
 */
class RedisHealth {
  #failedSinceReady = false;
  #recoveringUntil = 0;
  #degraded = false;

  constructor(redis: Redis, warn: (message: string, error?: unknown) => void) {
    redis.on('error', (error) => {
      if (!this.#degraded) warn("redis unavailable: rate limits fall back to this instance's share, in memory", error);
      this.#degraded = true;
      this.#failedSinceReady = true;
    });
    redis.on('close', () => {
      this.#failedSinceReady = true;
    });
    redis.on('ready', () => {
      this.#degraded = false;
      if (this.#failedSinceReady) this.#recoveringUntil = Date.now() + WINDOW_SECONDS * 1000;
      this.#failedSinceReady = false;
    });
  }

  get recovering(): boolean {
    return this.#recoveringUntil > Date.now();
  }
}

/**
 * One tier counted in Redis across instances. While Redis does not answer, each instance counts
 * in memory against its share of the limit (the limit divided by the instances seen recently),
 * so together they stay within the limit; for a window after Redis is back, both counts apply.
 */
class SharedLimiter implements RateLimiter {
  constructor(
    readonly limit: number,
    private readonly shared: RateLimiterRedis,
    private readonly local: RateLimiterMemory,
    private readonly health: RedisHealth,
  ) {}

  async consume(key: string): Promise<RateLimitDecision> {
    let result: RateLimiterRes;
    try {
      result = await this.shared.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return refused(this.limit, rejection);
      // Redis did not answer: this instance's share, from memory.
      return this.#local(key);
    }
    if (this.health.recovering) {
      const local = await this.#local(key);
      if (!local.allowed) return local;
    }
    return allowed(this.limit, result);
  }

  async #local(key: string): Promise<RateLimitDecision> {
    try {
      return allowed(this.limit, await this.local.consume(key));
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return refused(this.limit, rejection);
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
 * limit holds across instances. While Redis is unreachable each instance counts in memory against
 * its share of every limit (InstanceShares), with a warning logged once per outage; see
 * docs/reliability.md for what a Redis restart that lost its counts allows.
 */
export function createRateLimits(config: PlatformConfig, warn: (message: string, error?: unknown) => void): HostRateLimits {
  if (!config.redisUrl) {
    const counter: CounterFactory = (name, points, durationSeconds) =>
      new RateLimiterMemory({ keyPrefix: `rl:${name}`, points, duration: durationSeconds });
    const tier = (name: string, perMinute: number): RateLimiter | null =>
      perMinute > 0
        ? new MemoryLimiter(perMinute, new RateLimiterMemory({ keyPrefix: `rl:${name}`, points: perMinute, duration: WINDOW_SECONDS }))
        : null;
    const login = createLoginLimiter(config.loginLimits, counter, warn);
    return {
      limits: {
        authenticated: tier('authenticated', config.rateLimits.authenticated),
        anonymous: tier('anonymous', config.rateLimits.anonymous),
        modelCalls: tier('model-calls', config.rateLimits.modelCalls),
        ...(login ? { login } : {}),
      },
      close: async () => {},
    };
  }

  const redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  const health = new RedisHealth(redis, warn);
  const shares = new InstanceShares(redis, config.rateLimitNamespace);
  /** A memory counter whose points follow this instance's share of `points`. */
  const shareCounter = (name: string, points: number, durationSeconds: number) => {
    const memory = new RateLimiterMemory({ keyPrefix: `rl:${name}`, points: shares.share(points), duration: durationSeconds });
    shares.onChange(() => {
      memory.points = shares.share(points);
    });
    return memory;
  };
  const redisCounter = (name: string, points: number, durationSeconds: number, insuranceLimiter?: RateLimiterMemory) =>
    new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${config.rateLimitNamespace}:rl:${name}`,
      points,
      duration: durationSeconds,
      rejectIfRedisNotReady: true,
      ...(insuranceLimiter ? { insuranceLimiter } : {}),
    });
  // The sign-in budgets fall back to their share through rate-limiter-flexible's insurance limiter.
  const counter: CounterFactory = (name, points, durationSeconds) =>
    redisCounter(name, points, durationSeconds, shareCounter(name, points, durationSeconds));
  const tier = (name: string, perMinute: number): RateLimiter | null =>
    perMinute > 0
      ? new SharedLimiter(perMinute, redisCounter(name, perMinute, WINDOW_SECONDS), shareCounter(name, perMinute, WINDOW_SECONDS), health)
      : null;
  const login = createLoginLimiter(config.loginLimits, counter, warn);
  shares.start();

  return {
    limits: {
      authenticated: tier('authenticated', config.rateLimits.authenticated),
      anonymous: tier('anonymous', config.rateLimits.anonymous),
      modelCalls: tier('model-calls', config.rateLimits.modelCalls),
      ...(login ? { login } : {}),
    },
    close: async () => {
      shares.stop();
      redis.disconnect();
    },
  };
}
