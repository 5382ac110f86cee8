import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, ChatWorld } from '../kit/index.js';
import { countTextTokens, nanoToAmount } from '@maas/api/testing';
import {
  createApp,
  createMockProvider,
  createRoutedModel,
  INPUT_NANO_PER_TOKEN,
  mockReplyPieces,
  mockUsage,
  OUTPUT_NANO_PER_TOKEN,
  readEvents,
  settled,
  signUp,
  startChatWorld,
} from '../kit/index.js';

let world: ChatWorld;
let primary: { id: string };
let secondary: { id: string };

beforeAll(async () => {
  world = await startChatWorld();
  primary = await createMockProvider(world, { priority: 0 });
  secondary = await createMockProvider(world, { priority: 1 });
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
});

async function ledgerOf(userId: string) {
  const db = world.server.server.platform.db;
  const wallet = await db
    .selectFrom('wallets')
    .select(['balance_nano', 'held_nano'])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  const { rows } = await sql<{
    sum: bigint;
  }>`SELECT coalesce(sum(amount_nano), 0)::bigint AS sum FROM ledger_entries WHERE user_id = ${userId}`.execute(db);
  return { ...wallet, ledger: rows[0]?.sum ?? 0n };
}

async function usageOf(userId: string) {
  return world.server.server.platform.db
    .selectFrom('usage_records')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
}

function streamChat(appId: string, token: string, message: string, signal?: AbortSignal) {
  return fetch(`${world.server.url}/api/v1/applications/${appId}/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ message, stream: true }),
    signal,
  });
}

describe('upstream faults', () => {
  it('falls back to the next provider when the first answers 500, and bills once', async () => {
    const model = await createRoutedModel(world, [
      { provider_id: primary.id, upstream_model: 'mock-500', priority: 0 },
      { provider_id: secondary.id, upstream_model: 'mock-ok', priority: 1 },
    ]);
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, model.id);
    const before = world.upstream.requests.length;
    const res = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'fallback please' }, user.token);
    expect(res.status).toBe(200);
    const models = world.upstream.requests.slice(before).map((r) => r.body?.model);
    expect(models[0]).toBe('mock-500');
    expect(models.at(-1)).toBe('mock-ok');
    await settled(world.server);
    const usage = await usageOf(user.id);
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ status: 'success', provider_id: secondary.id });
  });

  it('charges nothing and answers a 5xx envelope when every provider fails', async () => {
    const model = await createRoutedModel(world, [{ provider_id: primary.id, upstream_model: 'mock-500' }]);
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, model.id);
    const before = await ledgerOf(user.id);
    const res = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'doomed' }, user.token);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('UPSTREAM_ERROR');
    await settled(world.server);
    const after = await ledgerOf(user.id);
    expect(after.balance_nano).toBe(before.balance_nano);
    expect(after.held_nano).toBe(0n);
    expect((await usageOf(user.id))[0]).toMatchObject({ status: 'failed', cost_nano: 0n });
  });

  it('times out a provider that never sends headers and answers 504', async () => {
    const slow = await createMockProvider(world, { timeout_ms: 300 });
    const model = await createRoutedModel(world, [{ provider_id: slow.id, upstream_model: 'mock-hang' }]);
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, model.id);
    const res = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'anyone there?' }, user.token);
    expect(res.status).toBe(504);
    expect(res.body.error.code).toBe('UPSTREAM_TIMEOUT');
    await settled(world.server);
    expect((await ledgerOf(user.id)).held_nano).toBe(0n);
  });

  it('sends a clean error event when the stream is cut mid-way and charges exactly the delivered tokens', async () => {
    const model = await createRoutedModel(world, [{ provider_id: primary.id, upstream_model: 'mock-cut' }]);
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, model.id);
    const before = await ledgerOf(user.id);
    const response = await streamChat(app.id, user.token, 'cut me off');
    const events = (await readEvents(response)) as {
      type: string;
      content?: string;
      error?: { code: string; message: string; request_id: string };
      conversation_id?: string;
      cost?: number;
      tokens_used?: { input: number; output: number };
    }[];
    const delivered = events
      .filter((e) => e.type === 'delta')
      .map((e) => e.content)
      .join('');
    const last = events.at(-1)!;
    expect(last.type).toBe('error');
    expect(last.error?.code).toBe('UPSTREAM_ERROR');
    expect(delivered.length).toBeGreaterThan(0);
    // The one shape of the stream's error event: what failed, with the request id, and what was billed.
    expect(Object.keys(last).sort()).toEqual(['conversation_id', 'cost', 'error', 'tokens_used', 'type']);
    expect(Object.keys(last.error!).sort()).toEqual(['code', 'message', 'request_id']);
    expect(last.error?.request_id).toBe(response.headers.get('x-request-id'));
    expect(last.conversation_id).toMatch(/^conv_/);

    const sent = world.upstream.requests.at(-1)!.body!.messages as ChatMessage[];
    const inputTokens = mockUsage(sent).prompt_tokens;
    const outputTokens = countTextTokens(delivered);
    const expected = BigInt(inputTokens) * INPUT_NANO_PER_TOKEN + BigInt(outputTokens) * OUTPUT_NANO_PER_TOKEN;
    expect(last.tokens_used).toEqual({ input: inputTokens, output: outputTokens });
    expect(last.cost).toBe(nanoToAmount(expected));
    await settled(world.server);
    const after = await ledgerOf(user.id);
    expect(before.balance_nano - after.balance_nano).toBe(expected);
    expect(after.ledger).toBe(after.balance_nano);
    expect((await usageOf(user.id))[0]).toMatchObject({ status: 'partial', output_tokens: outputTokens });
  });

  it('aborts the upstream call when the client disconnects and charges what was delivered', async () => {
    const model = await createRoutedModel(world, [{ provider_id: primary.id, upstream_model: 'mock-slow-stream' }]);
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, model.id);
    const abortedBefore = world.upstream.abortedRequests;
    const controller = new AbortController();
    const response = await streamChat(app.id, user.token, 'a long story please', controller.signal);
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.cancel().catch(() => {});
    await expect.poll(() => world.upstream.abortedRequests, { timeout: 5_000 }).toBeGreaterThan(abortedBefore);
    await settled(world.server);
    await expect.poll(async () => (await usageOf(user.id))[0]?.status, { timeout: 5_000 }).toBe('cancelled');
    const after = await ledgerOf(user.id);
    expect(after.held_nano).toBe(0n);
    expect(after.ledger).toBe(after.balance_nano);
    const pieces = mockReplyPieces(world.upstream.requests.at(-1)!.body!.messages as ChatMessage[]);
    const usage = (await usageOf(user.id))[0]!;
    expect(usage.output_tokens).toBeLessThan(countTextTokens(pieces.join('')));
  });
});
