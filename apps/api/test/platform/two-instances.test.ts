import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICATION_CACHE_TTL_MS, MODEL_CALL_CACHE_TTL_MS, nanoToAmount } from '@maas/api/testing';
import {
  apiClient,
  type ApiClient,
  type ChatMessage,
  type ChatWorld,
  createApp,
  createMockProvider,
  createRoutedModel,
  expectedCostNano,
  mockUsage,
  signUp,
  startChatWorld,
  startPeerServer,
  type TestServer,
} from '../kit/index.js';
import { brokenInvariants, readBooks } from './books.js';

/*
 * Two instances (A = the chat world's server, B = a peer) over one database, as two replicas
 * behind a load balancer: two servers, each with its own platform (createPlatform), so each has
 * its own caches and registries. On PostgreSQL (DATABASE_URL) they share the database through two
 * pools; on PGlite they share one in-process database object, and still nothing else.
 * The rate-limit half of "two instances" is apps/api/test/platform/rate-limits.test.ts.
 */

// The session cache's TTL (30 s by default) bounds a logout's delay on the other instance only while
// the invalidation channel is down; a small TTL here keeps that bound checkable. How fast the
// channel itself is, with the default TTL, is apps/api/test/platform/revocation.test.ts.
const SESSION_CACHE_TTL_MS = 300;

let world: ChatWorld;
let peer: TestServer;
let a: ApiClient;
let b: ApiClient;
let provider: { id: string };
let model: { id: string; name: string };

beforeAll(async () => {
  world = await startChatWorld({ MAAS_SESSION_CACHE_TTL_MS: String(SESSION_CACHE_TTL_MS) });
  peer = await startPeerServer(world.server);
  a = world.api;
  b = apiClient(peer.url);
  provider = await createMockProvider(world);
  model = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }]);
});
afterAll(async () => {
  await peer?.close();
  await world?.server.close();
  await world?.upstream.close();
});

/** Polls until `request` answers `status`; returns how long that took (or throws after `limitMs`). */
async function msUntilStatus(request: () => Promise<{ status: number }>, status: number, limitMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if ((await request()).status === status) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`still not ${status} after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Polls until `request` answers `status`; returns how long after `since` that was (or throws after `limitMs`). */
async function msSinceUntilStatus(
  since: number,
  request: () => Promise<{ status: number }>,
  status: number,
  limitMs: number,
): Promise<number> {
  await msUntilStatus(request, status, limitMs);
  return Date.now() - since;
}

describe('state of two instances', () => {
  it('gives each instance its own caches and registries', () => {
    const onA = world.server.server.platform;
    const onB = peer.server.platform;
    expect(onB).not.toBe(onA);
    for (const member of ['sessions', 'apiKeys', 'callCounts', 'catalog', 'models', 'applications', 'payments', 'background'] as const) {
      expect(onB[member], member).not.toBe(onA[member]);
    }
  });

  it('sees a model deactivated on A at once on A, and on B as soon as the broadcast arrives (well before its cached copy expires)', async () => {
    const user = await signUp(a);
    const own = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }]);
    const call = (api: ApiClient) =>
      api.post('/v1/chat/completions', { model: own.name, messages: [{ role: 'user', content: 'hi' }] }, user.token);
    // Both instances now hold the model, active, in their caches.
    expect((await call(a)).status).toBe(200);
    expect((await call(b)).status).toBe(200);

    const changedAt = Date.now();
    expect((await a.patch(`/api/v1/models/${own.id}`, { status: 'inactive' }, world.admin.token)).status).toBe(200);
    // A made the change, so its cache is already fresh; B hears of it through the invalidation
    // channel (issue 17; apps/api/test/platform/revocation.test.ts covers every kind of change).
    expect((await call(a)).status).toBe(400);
    const staleFor = await msSinceUntilStatus(changedAt, () => call(b), 400, MODEL_CALL_CACHE_TTL_MS + 3_000);
    expect(staleFor).toBeLessThanOrEqual(1_000);
  }, 20_000);

  it("refuses an application stopped on A at once on A, and on B once B's cached copy expires", async () => {
    const user = await signUp(a);
    const app = await createApp(a, user.token, model.id);
    const chat = (api: ApiClient) => api.post(`/api/v1/applications/${app.id}/chat`, { message: 'hello' }, user.token);
    expect((await chat(a)).status).toBe(200);
    expect((await chat(b)).status).toBe(200);

    const changedAt = Date.now();
    expect((await a.patch(`/api/v1/applications/${app.id}`, { status: 'stopped' }, user.token)).status).toBe(200);
    const onA = await chat(a);
    expect([onA.status, onA.body.error.code]).toEqual([409, 'CONFLICT']);
    expect((await chat(b)).status).toBe(200);
    const staleFor = await msSinceUntilStatus(changedAt, () => chat(b), 409, APPLICATION_CACHE_TTL_MS + 3_000);
    expect(staleFor).toBeLessThanOrEqual(APPLICATION_CACHE_TTL_MS + 1_000);
  }, 20_000);
});

describe('a session across two instances', () => {
  it('accepts on B an access token issued by A', async () => {
    const user = await signUp(a);
    const profile = await b.get('/api/v1/users/profile', user.token);
    expect(profile.status).toBe(200);
    expect(profile.body.id).toBe(user.id);
  });

  it('refuses on A a refresh token B already rotated, and revokes the session on both within the cache TTL', async () => {
    const user = await signUp(a);
    // Both instances have now seen (and cached) the session as valid.
    expect((await a.get('/api/v1/users/profile', user.token)).status).toBe(200);
    expect((await b.get('/api/v1/users/profile', user.token)).status).toBe(200);

    const rotated = await b.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken });
    expect(rotated.status).toBe(200);
    expect((await a.get('/api/v1/users/profile', rotated.body.access_token)).status).toBe(200);

    // The old token comes back on the other instance: reuse, so the whole session is revoked.
    const reused = await a.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken });
    expect(reused.status).toBe(401);
    expect(reused.body.error.code).toBe('UNAUTHORIZED');
    expect((await a.get('/api/v1/users/profile', rotated.body.access_token)).status).toBe(401);
    const onB = await msUntilStatus(() => b.get('/api/v1/users/profile', rotated.body.access_token), 401, SESSION_CACHE_TTL_MS + 2_000);
    expect(onB).toBeLessThanOrEqual(SESSION_CACHE_TTL_MS + 1_000);
    expect((await b.post('/api/v1/auth/refresh', { refresh_token: rotated.body.refresh_token })).status).toBe(401);
  });

  it('makes a logout on A take effect on B within the session-cache TTL', async () => {
    const user = await signUp(a);
    expect((await b.get('/api/v1/users/profile', user.token)).status).toBe(200);
    const loggedOutAt = Date.now();
    expect((await a.post('/api/v1/auth/logout', {}, user.token)).status).toBe(200);
    expect((await a.get('/api/v1/users/profile', user.token)).status).toBe(401);
    await msUntilStatus(() => b.get('/api/v1/users/profile', user.token), 401, SESSION_CACHE_TTL_MS + 2_000);
    expect(Date.now() - loggedOutAt).toBeLessThanOrEqual(SESSION_CACHE_TTL_MS + 1_000);
    expect((await b.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken })).status).toBe(401);
  });
});

describe('model calls across two instances', () => {
  it('settles every call exactly once when both instances hammer one key and one wallet, from leases and at the edge of the balance', async () => {
    const user = await signUp(a);
    const key = (await a.post('/api/v1/api-keys', { name: 'two-instances' }, user.token)).body.key as string;
    const app = await createApp(a, user.token, model.id, { max_tokens: 100 });
    const db = world.server.server.platform.db;
    const gatewayMessages: ChatMessage[] = [{ role: 'user', content: 'edge of the balance' }];
    // The worst case a call holds: a gateway call may write 256 tokens, an app call 100.
    const worstCase = 256n * 4_000n + 100n * 2_000n;

    type Outcome = { stage: string; face: 'gateway' | 'app'; instance: 'A' | 'B'; status: number; costNano: bigint };
    const call = async (stage: string, i: number): Promise<Outcome> => {
      const instance = i % 2 === 0 ? 'A' : 'B';
      const base = instance === 'A' ? world.server.url : peer.url;
      if (i % 4 < 2) {
        const res = await fetch(`${base}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ model: model.name, messages: gatewayMessages }),
        });
        const body = (await res.json()) as { usage?: { prompt_tokens: number; completion_tokens: number }; error?: { code: string } };
        if (res.status === 402) expect(body.error?.code).toBe('insufficient_quota');
        return {
          stage,
          face: 'gateway',
          instance,
          status: res.status,
          costNano: res.status === 200 && body.usage ? expectedCostNano(body.usage) : 0n,
        };
      }
      const message = `app call ${stage} ${i}`;
      const res = await fetch(`${base}/api/v1/applications/${app.id}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
        body: JSON.stringify({ message }),
      });
      const body = (await res.json()) as { tokens_used?: { input: number; output: number }; error?: { code: string } };
      if (res.status === 402) expect(body.error?.code).toBe('PAYMENT_REQUIRED');
      let costNano = 0n;
      if (res.status === 200) {
        // The upstream saw the app's system prompt and this message; its usage is known exactly.
        const usage = mockUsage([
          { role: 'system', content: 'You are a test assistant.' },
          { role: 'user', content: message },
        ]);
        expect(body.tokens_used).toEqual({ input: usage.prompt_tokens, output: usage.completion_tokens });
        costNano = expectedCostNano(usage);
      }
      return { stage, face: 'app', instance, status: res.status, costNano };
    };
    /** Sets the balance, sends `rounds` rounds of 20 concurrent calls (alternating instance and face), drains both instances. */
    const stage = async (name: string, balanceNano: bigint, rounds: number) => {
      const before = await readBooks(db, user.id);
      const debit = await a.post(
        `/api/v1/admin/users/${user.id}/wallet/debit`,
        { amount: nanoToAmount(before.balanceNano - balanceNano), reason: name },
        world.admin.token,
      );
      expect(debit.status).toBe(201);
      const outcomes: Outcome[] = [];
      for (let round = 0; round < rounds; round++) {
        outcomes.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => call(name, round * 20 + i)))));
      }
      return { outcomes, balanceNano };
    };

    // Stage 1: plenty of room, so each instance funds its calls from its own wallet lease.
    const roomy = await stage('roomy', 60n * worstCase, 4);
    await peer.server.platform.background.drain();
    await world.server.server.platform.background.drain();
    const afterRoomy = await readBooks(db, user.id);
    const roomyCost = roomy.outcomes.reduce((sum, o) => sum + o.costNano, 0n);
    expect(afterRoomy.balanceNano).toBe(roomy.balanceNano - roomyCost);
    expect(brokenInvariants(afterRoomy)).toEqual({ money: [], drained: [] });

    // Stage 2: room for about 8 worst-case holds: no lease fits, every round is over-subscribed and
    // the balance runs down until nothing fits any more.
    const edge = await stage('edge', 8n * worstCase, 8);
    // B drains its own settlements as it shuts down (what a rolling deploy does); A drains too.
    await peer.server.close();
    await world.server.server.platform.background.drain();

    const outcomes = [...roomy.outcomes, ...edge.outcomes];
    const ok = outcomes.filter((o) => o.status === 200);
    const books = await readBooks(db, user.id);
    const exactCost = ok.reduce((sum, o) => sum + o.costNano, 0n);
    const edgeCost = edge.outcomes.reduce((sum, o) => sum + o.costNano, 0n);
    const count = (list: Outcome[], pick: (o: Outcome) => boolean) => list.filter(pick).length;
    console.info(
      `two instances: ${outcomes.length} calls, ${ok.length} succeeded (A ${count(ok, (o) => o.instance === 'A')}, B ${count(ok, (o) => o.instance === 'B')}; ` +
        `gateway ${count(ok, (o) => o.face === 'gateway')}, app ${count(ok, (o) => o.face === 'app')}), ${outcomes.length - ok.length} refused with 402 ` +
        `(roomy stage ${count(roomy.outcomes, (o) => o.status === 402)}, edge stage ${count(edge.outcomes, (o) => o.status === 402)}); ` +
        `${books.usageRecords.total} usage records (${books.usageRecords.leased} from ${books.leases.total} leases, ${books.reservations.total} from per-call reservations), ${books.usageCharges.count} charges`,
    );

    expect(outcomes.filter((o) => o.status !== 200 && o.status !== 402)).toEqual([]);
    // Both instances and both faces did real work, and the balance was really at its edge.
    for (const instance of ['A', 'B'] as const) expect(ok.some((o) => o.instance === instance)).toBe(true);
    for (const face of ['gateway', 'app'] as const) expect(ok.some((o) => o.face === face)).toBe(true);
    expect(count(edge.outcomes, (o) => o.status === 200)).toBeGreaterThan(0);
    expect(count(edge.outcomes, (o) => o.status === 402)).toBeGreaterThan(0);
    const gatewayCost = expectedCostNano(mockUsage(gatewayMessages));
    for (const o of ok) if (o.face === 'gateway') expect(o.costNano).toBe(gatewayCost);
    // Both ways of funding a call were exercised: leases while there was room, reservations at the edge.
    if (world.server.server.platform.leases) expect(books.usageRecords.leased).toBeGreaterThan(0);
    expect(books.reservations.total).toBeGreaterThan(0);

    // Exactly once: one usage record and one charge per successful call, none for a refused one
    // (402 is answered before anything is held), every hold settled or closed.
    expect(books.usageRecords.byStatus).toEqual({ success: ok.length });
    expect(books.usageCharges.count).toBe(ok.length);
    expect(books.reservations.settled).toBe(books.reservations.total);
    expect(brokenInvariants(books)).toEqual({ money: [], drained: [] });
    // The charges are exactly what the calls cost.
    expect(books.usageCharges.totalNano).toBe(exactCost);
    expect(books.usageRecords.costNano).toBe(exactCost);
    expect(books.balanceNano).toBe(edge.balanceNano - edgeCost);
  }, 60_000);
});
