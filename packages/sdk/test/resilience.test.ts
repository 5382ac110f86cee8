import { afterEach, describe, expect, it } from 'vitest';
import { createMaasClient, MaasError, readSse } from '../src/index.js';
import { PROFILE, type ScriptedServer, sendJson, startScriptedServer, trpcError, trpcResult } from './local-server.js';

// These talk to tiny real HTTP servers (node:http) that answer what the platform does not do on
// demand: a 429 with Retry-After, a 503, silence. No fetch is mocked.

let scripted: ScriptedServer | undefined;
afterEach(async () => {
  await scripted?.close();
  scripted = undefined;
});

async function rejection(promise: Promise<unknown>): Promise<MaasError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MaasError) return error;
    throw new Error(`expected a MaasError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the call to fail');
}

const ENVELOPE_429 = { error: { code: 'RATE_LIMITED', message: 'Too many requests', details: null, request_id: 'req_limited' } };

describe('retries', () => {
  it('waits for Retry-After on a 429 and then succeeds', async () => {
    scripted = await startScriptedServer((_req, res, index) => {
      if (index === 0) return sendJson(res, 429, ENVELOPE_429, { 'retry-after': '1' });
      sendJson(res, 200, trpcResult(PROFILE));
    });
    const client = createMaasClient({ baseUrl: scripted.url, token: 't' });
    const started = Date.now();
    const profile = await client.users.profile.query();
    expect(profile).toEqual(PROFILE);
    expect(scripted.requests).toHaveLength(2);
    const gap = (scripted.requests[1]?.at ?? 0) - (scripted.requests[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(scripted.requests[1]?.url).toBe('/trpc/users.profile');
    expect(scripted.requests[1]?.headers.authorization).toBe('Bearer t');
  });

  it('retries a 429 even for a mutation, since nothing was done', async () => {
    scripted = await startScriptedServer((_req, res, index) => {
      if (index === 0) return sendJson(res, 429, trpcError('RATE_LIMITED', 429), { 'retry-after': '0' });
      sendJson(res, 200, trpcResult({ revoked: true }));
    });
    const client = createMaasClient({ baseUrl: scripted.url, token: 't' });
    expect(await client.auth.logout.mutate()).toEqual({ revoked: true });
    expect(scripted.requests).toHaveLength(2);
  });

  it('gives up with RATE_LIMITED when Retry-After is longer than it will wait', async () => {
    scripted = await startScriptedServer((_req, res) => sendJson(res, 429, ENVELOPE_429, { 'retry-after': '3600' }));
    const client = createMaasClient({ baseUrl: scripted.url });
    const error = await rejection(client.users.profile.query());
    expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429, request_id: 'req_limited', retryAfterMs: 3_600_000 });
    expect(scripted.requests).toHaveLength(1);
  });

  it('retries a query after 5xx with backoff, up to maxRetries', async () => {
    scripted = await startScriptedServer((_req, res) => sendJson(res, 503, trpcError('SERVICE_UNAVAILABLE', 503)));
    const client = createMaasClient({ baseUrl: scripted.url, maxRetries: 2, retry: { baseDelayMs: 20 } });
    const error = await rejection(client.users.profile.query());
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, request_id: 'req_scripted' });
    expect(scripted.requests).toHaveLength(3);
  });

  it('does not retry a mutation after a 5xx unless it carries an idempotency key', async () => {
    scripted = await startScriptedServer((_req, res, index) => {
      if (index < 2) return sendJson(res, 502, '<html>bad gateway</html>');
      sendJson(res, 200, trpcResult({ revoked: true }));
    });
    const client = createMaasClient({ baseUrl: scripted.url, retry: { baseDelayMs: 10 } });
    const error = await rejection(client.auth.logout.mutate());
    expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', status: 502 });
    expect(scripted.requests).toHaveLength(1);

    const result = await client.auth.logout.mutate(undefined, { context: { idempotencyKey: 'logout-1' } });
    expect(result).toEqual({ revoked: true });
    expect(scripted.requests).toHaveLength(3);
    expect(scripted.requests[2]?.headers['idempotency-key']).toBe('logout-1');
  });

  it('retries a query after a network error and reports NETWORK_ERROR when it persists', async () => {
    scripted = await startScriptedServer((req) => req.socket.destroy());
    const client = createMaasClient({ baseUrl: scripted.url, maxRetries: 1, retry: { baseDelayMs: 10 } });
    const error = await rejection(client.users.profile.query());
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
    expect(scripted.requests).toHaveLength(2);
  });
});

describe('timeouts and cancellation', () => {
  it('fails with TIMEOUT when an attempt takes longer than timeoutMs', async () => {
    scripted = await startScriptedServer(() => {}); // never answers
    const client = createMaasClient({ baseUrl: scripted.url, timeoutMs: 150, maxRetries: 0 });
    const started = Date.now();
    const error = await rejection(client.users.profile.query());
    expect(error).toMatchObject({ code: 'TIMEOUT', status: 0, path: 'users.profile' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('takes a per-call timeout from the request context', async () => {
    scripted = await startScriptedServer(() => {});
    const client = createMaasClient({ baseUrl: scripted.url, timeoutMs: 60_000, maxRetries: 0 });
    const error = await rejection(client.users.profile.query(undefined, { context: { timeoutMs: 100 } }));
    expect(error.code).toBe('TIMEOUT');
  });

  it('stops at once with ABORTED when the caller aborts, also during a backoff wait', async () => {
    scripted = await startScriptedServer(() => {});
    const client = createMaasClient({ baseUrl: scripted.url });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await rejection(client.users.profile.query(undefined, { signal: controller.signal }));
    expect(error).toMatchObject({ code: 'ABORTED', status: 0 });
    expect(Date.now() - started).toBeLessThan(2_000);

    await scripted.close();
    scripted = await startScriptedServer((_req, res) => sendJson(res, 429, ENVELOPE_429, { 'retry-after': '30' }));
    const waiting = createMaasClient({ baseUrl: scripted.url });
    const during = new AbortController();
    setTimeout(() => during.abort(), 200);
    const abortedWait = await rejection(waiting.users.profile.query(undefined, { signal: during.signal }));
    expect(abortedWait.code).toBe('ABORTED');
    expect(scripted.requests).toHaveLength(1);
  });

  it('rejects at once for a signal that is already aborted', async () => {
    scripted = await startScriptedServer((_req, res) => sendJson(res, 200, trpcResult(PROFILE)));
    const client = createMaasClient({ baseUrl: scripted.url });
    const error = await rejection(client.users.profile.query(undefined, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('ABORTED');
    expect(scripted.requests).toHaveLength(0);
  });
});

describe('readSse', () => {
  it('yields each data: event parsed, across chunk boundaries, and stops at [DONE]', async () => {
    scripted = await startScriptedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"type":"delta","content":"Hel');
      setTimeout(() => {
        res.write('lo"}\n\n: a comment\n\nevent: ping\ndata: {"type":"delta","content":" world"}\n\n');
        res.write('data: [DONE]\n\ndata: {"type":"never"}\n\n');
        res.end();
      }, 20);
    });
    const client = createMaasClient({ baseUrl: scripted.url, token: 't' });
    const response = await client.raw.fetch('/stream', { method: 'POST', body: '{}' });
    const events: unknown[] = [];
    for await (const event of readSse<{ type: string; content?: string }>(response)) events.push(event);
    expect(events).toEqual([
      { type: 'delta', content: 'Hello' },
      { type: 'delta', content: ' world' },
    ]);
    expect(scripted.requests[0]?.headers.authorization).toBe('Bearer t');
  });
});
