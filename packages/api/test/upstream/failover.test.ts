import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderTarget as UpstreamTarget } from '../../src/inference/adapter.js';
import { orderTargets, ProviderCooldowns, withFailover } from '../../src/inference/failover.js';
import { mockReply, startMockUpstream, type MockUpstream } from '../mock-upstream.js';
import { complete, MESSAGES, makeTarget, openStream, rejection, transport } from './target-fixture.js';

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startMockUpstream();
});

afterEach(() => {
  mock.setBehavior(null);
  mock.requests.length = 0;
});

afterAll(async () => {
  await transport.close({ force: true });
  await mock.close();
});

const request = { model: 'public-model', messages: MESSAGES };

function upstream(upstreamModel: string, overrides: Partial<UpstreamTarget> = {}): UpstreamTarget {
  return makeTarget({ baseUrl: mock.url, upstreamModel, ...overrides });
}

function modelsRequested(): unknown[] {
  return mock.requests.map((recorded) => recorded.body?.model);
}

describe('orderTargets', () => {
  it('orders by priority ascending before weight', () => {
    const targets = [
      makeTarget({ name: 'backup', priority: 2, weight: 100 }),
      makeTarget({ name: 'primary', priority: 0, weight: 1 }),
      makeTarget({ name: 'secondary', priority: 1, weight: 1 }),
    ];
    expect(orderTargets(targets).map((target) => target.name)).toEqual(['primary', 'secondary', 'backup']);
  });

  it('puts the heavier target of a priority first in proportion to its weight', () => {
    const heavy = makeTarget({ name: 'heavy', weight: 3 });
    const light = makeTarget({ name: 'light', weight: 1 });
    let heavyFirst = 0;
    const runs = 4_000;
    for (let i = 0; i < runs; i++) {
      if (orderTargets([light, heavy])[0] === heavy) heavyFirst++;
    }
    expect(heavyFirst / runs).toBeGreaterThan(0.7);
    expect(heavyFirst / runs).toBeLessThan(0.8);
  });

  it('keeps zero-weight targets as the last resort of their priority', () => {
    const spare = makeTarget({ name: 'spare', weight: 0 });
    const main = makeTarget({ name: 'main', weight: 1 });
    for (let i = 0; i < 50; i++) expect(orderTargets([spare, main]).map((target) => target.name)).toEqual(['main', 'spare']);
  });

  it('does not modify its input', () => {
    const targets = [makeTarget({ priority: 1 }), makeTarget({ priority: 0 })];
    const copy = [...targets];
    orderTargets(targets);
    expect(targets).toEqual(copy);
  });
});

describe('withFailover', () => {
  it('falls over from a provider answering 500 to a healthy one', async () => {
    const broken = upstream('mock-500');
    const healthy = upstream('mock-ok');
    const outcome = await withFailover([broken, healthy], (target) => complete(target, request), {
      cooldowns: new ProviderCooldowns(),
    });

    expect(outcome.target).toBe(healthy);
    expect(outcome.attempts).toBe(2);
    expect(outcome.result.content).toBe(mockReply(MESSAGES));
    expect(outcome.failures.map((failure) => failure.error.kind)).toEqual(['server']);
    expect(modelsRequested()).toEqual(['mock-500', 'mock-ok']);
  });

  it('falls over for a stream before any byte reached the caller', async () => {
    const limited = upstream('mock-429');
    const healthy = upstream('mock-ok');
    const outcome = await withFailover([limited, healthy], (target) => openStream(target, request), {
      cooldowns: new ProviderCooldowns(),
    });
    let text = '';
    for await (const event of outcome.result) if (event.type === 'text') text += event.text;

    expect(outcome.target).toBe(healthy);
    expect(text).toBe(mockReply(MESSAGES));
    expect(outcome.failures[0]?.error).toMatchObject({ kind: 'rate_limited', retryable: true });
  });

  it('throws a non-retryable error at once without trying the next provider', async () => {
    const rejecting = upstream('mock-400');
    const err = await rejection(
      withFailover([rejecting, upstream('mock-ok')], (target) => complete(target, request), {
        cooldowns: new ProviderCooldowns(),
      }),
    );
    expect(err).toMatchObject({ kind: 'client', providerId: rejecting.providerId });
    expect(modelsRequested()).toEqual(['mock-400']);
  });

  it('throws the last error when every attempt fails, backing off before retrying a provider', async () => {
    const first = upstream('mock-500');
    const second = upstream('mock-429');
    const started = Date.now();
    const err = await rejection(
      withFailover([first, second], (target) => complete(target, request), {
        maxAttempts: 4,
        backoffMs: 40,
        cooldowns: new ProviderCooldowns(),
      }),
    );
    // Attempts: first, second (no wait: a different provider), first after 40 ms, second after 80 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    expect(err).toMatchObject({ kind: 'rate_limited', providerId: second.providerId });
    expect(modelsRequested()).toEqual(['mock-500', 'mock-429', 'mock-500', 'mock-429']);
  });

  it('rethrows errors that are not UpstreamErrors unchanged', async () => {
    const bug = new TypeError('caller bug');
    await expect(withFailover([upstream('mock-ok')], () => Promise.reject(bug))).rejects.toBe(bug);
  });

  it('stops waiting when the signal aborts during a backoff', async () => {
    const controller = new AbortController();
    const pending = withFailover([upstream('mock-500')], (target) => complete(target, request), {
      maxAttempts: 5,
      backoffMs: 5_000,
      signal: controller.signal,
      cooldowns: null,
    });
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const err = await rejection(pending);
    expect(err.kind).toBe('aborted');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(mock.requests).toHaveLength(1);
  });
});

describe('provider cool-down', () => {
  it('skips a provider after consecutive failures until the cool-down ends', async () => {
    let now = 1_000_000;
    const cooldowns = new ProviderCooldowns({ failureThreshold: 2, cooldownMs: 30_000, now: () => now });
    const flaky = upstream('mock-500');
    const healthy = upstream('mock-ok');
    const call = () => withFailover([flaky, healthy], (target) => complete(target, request), { cooldowns });

    await call();
    await call();
    expect(cooldowns.isCoolingDown(flaky.providerId)).toBe(true);
    expect(modelsRequested()).toEqual(['mock-500', 'mock-ok', 'mock-500', 'mock-ok']);

    mock.requests.length = 0;
    const skipped = await call();
    expect(skipped.attempts).toBe(1);
    expect(modelsRequested()).toEqual(['mock-ok']);

    now += 30_001;
    mock.requests.length = 0;
    await call();
    expect(modelsRequested()).toEqual(['mock-500', 'mock-ok']);
    // Half-open: one more failure after the cool-down puts it straight back.
    expect(cooldowns.isCoolingDown(flaky.providerId)).toBe(true);
  });

  it('still tries cooled-down providers when every provider is cooling down', async () => {
    const cooldowns = new ProviderCooldowns({ failureThreshold: 1 });
    const only = upstream('mock-ok');
    cooldowns.recordFailure(only.providerId);
    expect(cooldowns.isCoolingDown(only.providerId)).toBe(true);

    const outcome = await withFailover([only], (target) => complete(target, request), { cooldowns });
    expect(outcome.target).toBe(only);
    expect(cooldowns.isCoolingDown(only.providerId)).toBe(false);
  });

  it('does not hold client errors or aborts against a provider', async () => {
    const cooldowns = new ProviderCooldowns({ failureThreshold: 1 });
    const target = upstream('mock-400');
    await rejection(withFailover([target], (t) => complete(t, request), { cooldowns }));
    expect(cooldowns.snapshot()).toEqual([]);
  });

  it('clears the failure count after a success', () => {
    const cooldowns = new ProviderCooldowns({ failureThreshold: 2 });
    cooldowns.recordFailure('prov_a');
    cooldowns.recordSuccess('prov_a');
    cooldowns.recordFailure('prov_a');
    expect(cooldowns.isCoolingDown('prov_a')).toBe(false);
  });
});
