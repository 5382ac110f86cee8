import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderTarget } from './adapter.js';
import { UpstreamError } from './errors.js';

type Ranked = Pick<ProviderTarget, 'priority' | 'weight'>;

/**
 * Targets by priority ascending; within one priority, a weighted random order
 * (Efraimidis–Spirakis: key = u^(1/weight), highest first), so a target of
 * weight 3 comes first three times as often as one of weight 1. Targets with
 * weight <= 0 only serve as a last resort within their priority.
 */
export function orderTargets<T extends Ranked>(targets: readonly T[], random: () => number = Math.random): T[] {
  if (targets.length <= 1) return [...targets];
  const keyed = targets.map((target) => ({
    target,
    key: target.weight > 0 ? Math.pow(random(), 1 / target.weight) : -1,
  }));
  keyed.sort((a, b) => a.target.priority - b.target.priority || b.key - a.key);
  return keyed.map((entry) => entry.target);
}

export interface CooldownOptions {
  /** Consecutive failures that put a provider on cool-down. Default 3. */
  failureThreshold?: number;
  /** How long a cooled-down provider is skipped. Default 30 s. */
  cooldownMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface CooldownState {
  providerId: string;
  consecutiveFailures: number;
  /** Epoch ms until which the provider is skipped; 0 when it is not cooling down. */
  coolingDownUntil: number;
}

interface CooldownEntry {
  failures: number;
  until: number;
}

/**
 * In-memory health of providers, per platform (a member of the Inference object, never a module
 * global: two platforms in one process share no cool-down). A provider that failed
 * `failureThreshold` times in a row is skipped for `cooldownMs`. When the
 * cool-down ends it gets traffic again, but its failure count is kept, so a
 * single further failure cools it down again (half-open) while one success
 * clears it.
 */
export class ProviderCooldowns {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, CooldownEntry>();

  constructor(options: CooldownOptions = {}) {
    this.failureThreshold = Math.max(1, options.failureThreshold ?? 3);
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  recordSuccess(providerId: string): void {
    // Healthy providers have no entry, so the common case is a size check.
    if (this.#entries.size !== 0) this.#entries.delete(providerId);
  }

  recordFailure(providerId: string): void {
    let entry = this.#entries.get(providerId);
    if (entry === undefined) {
      entry = { failures: 0, until: 0 };
      this.#entries.set(providerId, entry);
    }
    entry.failures++;
    if (entry.failures >= this.failureThreshold) entry.until = this.#now() + this.cooldownMs;
  }

  isCoolingDown(providerId: string): boolean {
    if (this.#entries.size === 0) return false;
    const entry = this.#entries.get(providerId);
    return entry !== undefined && entry.until > this.#now();
  }

  /** The targets not cooling down, or all of them when every one is: a long shot beats a certain failure. */
  available<T extends Pick<ProviderTarget, 'providerId'>>(targets: readonly T[]): readonly T[] {
    if (this.#entries.size === 0) return targets;
    const now = this.#now();
    const healthy = targets.filter((target) => {
      const entry = this.#entries.get(target.providerId);
      return entry === undefined || entry.until <= now;
    });
    return healthy.length === 0 ? targets : healthy;
  }

  snapshot(): CooldownState[] {
    const now = this.#now();
    return [...this.#entries].map(([providerId, entry]) => ({
      providerId,
      consecutiveFailures: entry.failures,
      coolingDownUntil: entry.until > now ? entry.until : 0,
    }));
  }

  clear(): void {
    this.#entries.clear();
  }
}

/**
 * Whether an error says something about the provider's health. Client errors
 * and aborts are the caller's doing and must not cool a provider down.
 * Exported so a caller can report failures that happen after withFailover
 * returned, such as a stream cut mid-way.
 */
export function countsAgainstProvider(error: UpstreamError): boolean {
  return error.kind !== 'client' && error.kind !== 'aborted';
}

export interface FailoverOptions<T extends ProviderTarget = ProviderTarget> {
  signal?: AbortSignal;
  /** Total attempts across all targets. Default: one per available target. */
  maxAttempts?: number;
  /** First backoff before retrying a target already tried in this call. Default 50 ms, doubling. */
  backoffMs?: number;
  /** Backoff cap. Default 1000 ms. */
  maxBackoffMs?: number;
  /** Health registry (the platform's); `null` disables cool-down tracking. */
  cooldowns: ProviderCooldowns | null;
  /** Called for each failed attempt, e.g. for logs and metrics. */
  onAttemptFailed?: (error: UpstreamError, target: T, attempt: number) => void;
}

export interface FailedAttempt<T extends ProviderTarget> {
  target: T;
  error: UpstreamError;
}

export interface FailoverResult<R, T extends ProviderTarget> {
  result: R;
  /** The target that produced the result. */
  target: T;
  /** Attempts made, including the successful one. */
  attempts: number;
  /** The attempts that failed before success, in order. */
  failures: FailedAttempt<T>[];
}

// A function, not an inline check, because TypeScript would otherwise keep the
// narrowing of `signal.aborted` across the awaits in between.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function abortedError(providerId: string, cause: unknown): UpstreamError {
  return new UpstreamError('request aborted', { kind: 'aborted', providerId, retryable: false, cause });
}

/**
 * Runs `attempt` against the targets in the given order (see orderTargets),
 * skipping providers on cool-down. A retryable UpstreamError moves on to the
 * next target at once; only when the list wraps around and a target is tried
 * again is there an exponential backoff, because a different provider is not
 * the one that is struggling and every millisecond here delays the first token.
 * A non-retryable error (or any non-UpstreamError) is thrown immediately; when
 * every attempt fails, the last error is thrown.
 */
export async function withFailover<R, T extends ProviderTarget>(
  targets: readonly T[],
  attempt: (target: T, attemptIndex: number) => Promise<R>,
  options: FailoverOptions<T>,
): Promise<FailoverResult<R, T>> {
  const { signal, onAttemptFailed, cooldowns } = options;
  const candidates = cooldowns === null ? targets : cooldowns.available(targets);
  if (candidates.length === 0) {
    throw new UpstreamError('no upstream target is configured for this model', {
      kind: 'connect',
      providerId: '',
      retryable: false,
    });
  }
  const maxAttempts = Math.max(1, options.maxAttempts ?? candidates.length);
  const backoffMs = options.backoffMs ?? 50;
  const maxBackoffMs = options.maxBackoffMs ?? 1000;
  const failures: FailedAttempt<T>[] = [];
  let lastError: UpstreamError | undefined;

  for (let i = 0; i < maxAttempts; i++) {
    let target = candidates[i % candidates.length]!;
    if (i >= candidates.length) {
      // Second time round: prefer a target that has not just been cooled down by this very call.
      if (cooldowns !== null && cooldowns.isCoolingDown(target.providerId)) {
        for (let step = 1; step < candidates.length; step++) {
          const other = candidates[(i + step) % candidates.length]!;
          if (!cooldowns.isCoolingDown(other.providerId)) {
            target = other;
            break;
          }
        }
      }
      const delay = Math.min(maxBackoffMs, backoffMs * 2 ** (i - candidates.length));
      try {
        await sleep(delay, undefined, { signal });
      } catch (cause) {
        throw abortedError(target.providerId, cause);
      }
    }
    if (isAborted(signal)) throw abortedError(target.providerId, signal?.reason);

    try {
      const result = await attempt(target, i);
      cooldowns?.recordSuccess(target.providerId);
      return { result, target, attempts: i + 1, failures };
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      if (cooldowns !== null && countsAgainstProvider(err)) cooldowns.recordFailure(target.providerId);
      failures.push({ target, error: err });
      onAttemptFailed?.(err, target, i);
      if (!err.retryable || isAborted(signal)) throw err;
      lastError = err;
    }
  }
  // maxAttempts >= 1, so lastError is always set here; the fallback only satisfies the compiler.
  throw lastError ?? abortedError('', undefined);
}
