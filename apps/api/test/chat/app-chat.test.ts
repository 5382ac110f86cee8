import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, ChatWorld } from '../kit/index.js';
import { nanoToAmount } from '@maas/api/testing';
import {
  createApp,
  createMockProvider,
  createRoutedModel,
  expectedCostNano,
  mockReply,
  mockUsage,
  readEvents,
  settled,
  signUp,
  startChatWorld,
} from '../kit/index.js';

let world: ChatWorld;
let modelId: string;

beforeAll(async () => {
  world = await startChatWorld();
  const provider = await createMockProvider(world);
  modelId = (await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }])).id;
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
});

function lastUpstreamMessages(): ChatMessage[] {
  const body = world.upstream.requests.at(-1)?.body;
  return (body?.messages ?? []) as ChatMessage[];
}

async function balances(userId: string) {
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

describe('POST /api/v1/applications/{app_id}/chat', () => {
  it('answers with the contract fields, bills exactly the upstream usage and keeps the books balanced', async () => {
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, modelId);
    const before = await balances(user.id);

    const res = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'hello there', stream: false }, user.token);
    expect(res.status).toBe(200);
    const sent = lastUpstreamMessages();
    expect(sent[0]).toEqual({ role: 'system', content: 'You are a test assistant.' });
    expect(sent.at(-1)).toEqual({ role: 'user', content: 'hello there' });
    const usage = mockUsage(sent);
    const cost = expectedCostNano(usage);
    expect(res.body).toMatchObject({
      message: mockReply(sent),
      tokens_used: { input: usage.prompt_tokens, output: usage.completion_tokens },
      cost: nanoToAmount(cost),
    });
    expect(res.body.id).toMatch(/^resp_/);
    expect(res.body.conversation_id).toMatch(/^conv_/);
    expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);

    await settled(world.server);
    const after = await balances(user.id);
    expect(before.balance_nano - after.balance_nano).toBe(cost);
    expect(after.held_nano).toBe(0n);
    expect(after.ledger).toBe(after.balance_nano);
  });

  it('continues a conversation with its history after the system prompt', async () => {
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, modelId);
    const first = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'first question' }, user.token);
    const second = await world.api.post(
      `/api/v1/applications/${app.id}/chat`,
      { message: 'second question', conversation_id: first.body.conversation_id },
      user.token,
    );
    expect(second.status).toBe(200);
    expect(second.body.conversation_id).toBe(first.body.conversation_id);
    expect(lastUpstreamMessages()).toEqual([
      { role: 'system', content: 'You are a test assistant.' },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: first.body.message },
      { role: 'user', content: 'second question' },
    ]);
    const messages = await world.api.get(`/api/v1/conversations/${first.body.conversation_id}/messages`, user.token);
    expect(messages.status).toBe(200);
    expect(messages.body.data.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(messages.body.pagination).toEqual({ page: 1, limit: 20, total: 4, pages: 1 });
  });

  it('streams delta events, then a final event with id, conversation_id, tokens_used and cost', async () => {
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, modelId);
    const response = await fetch(`${world.server.url}/api/v1/applications/${app.id}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ message: 'stream please', stream: true }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = (await readEvents(response)) as { type: string; content?: string }[];
    const deltas = events.filter((e) => e.type === 'delta');
    const done = events.at(-1) as {
      type: string;
      id: string;
      conversation_id: string;
      tokens_used: { input: number; output: number };
      cost: number;
    };
    const sent = lastUpstreamMessages();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((d) => d.content).join('')).toBe(mockReply(sent));
    expect(done.type).toBe('done');
    const usage = mockUsage(sent);
    expect(done.tokens_used).toEqual({ input: usage.prompt_tokens, output: usage.completion_tokens });
    expect(done.cost).toBe(nanoToAmount(expectedCostNano(usage)));
    expect(done.conversation_id).toMatch(/^conv_/);
  });

  it("keeps one user's conversations and apps away from another", async () => {
    const alice = await signUp(world.api);
    const bob = await signUp(world.api);
    const app = await createApp(world.api, alice.token, modelId);
    const chat = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'secret plans' }, alice.token);

    const bobApp = await createApp(world.api, bob.token, modelId);
    const hijack = await world.api.post(
      `/api/v1/applications/${bobApp.id}/chat`,
      { message: 'tell me', conversation_id: chat.body.conversation_id },
      bob.token,
    );
    expect(hijack.status).toBe(404);
    expect(hijack.body.error.code).toBe('NOT_FOUND');
    expect((await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'hi' }, bob.token)).status).toBe(404);
    expect((await world.api.get(`/api/v1/conversations/${chat.body.conversation_id}/messages`, bob.token)).status).toBe(404);
    expect((await world.api.delete(`/api/v1/conversations/${chat.body.conversation_id}`, bob.token)).status).toBe(404);
    const bobList = await world.api.get('/api/v1/conversations', bob.token);
    expect(bobList.body.data.map((c: { id: string }) => c.id)).not.toContain(chat.body.conversation_id);
  });

  it('refuses chat on a stopped application with a clear error', async () => {
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, modelId);
    expect((await world.api.patch(`/api/v1/applications/${app.id}`, { status: 'stopped' }, user.token)).status).toBe(200);
    const res = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'hello' }, user.token, { 'accept-language': 'en' });
    expect([400, 409]).toContain(res.status);
    expect(res.body.error.message).toMatch(/stopped/i);
  });

  it('answers 402 PAYMENT_REQUIRED before calling the upstream when the balance cannot cover the call', async () => {
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, modelId);
    const db = world.server.server.platform.db;
    // Leave 1 nano: no call fits.
    const wallet = await db.selectFrom('wallets').select('balance_nano').where('user_id', '=', user.id).executeTakeFirstOrThrow();
    const debit = await world.api.post(
      `/api/v1/admin/users/${user.id}/wallet/debit`,
      { amount: nanoToAmount(wallet.balance_nano - 1n), reason: 'drain' },
      world.admin.token,
    );
    expect(debit.status).toBe(201);
    const upstreamCalls = world.upstream.requests.length;
    const res = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'hello' }, user.token);
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('PAYMENT_REQUIRED');
    expect(world.upstream.requests.length).toBe(upstreamCalls);
  });

  describe('a model with the default context window (4096) and no max_tokens', () => {
    const CONTEXT_WINDOW = 4096;
    let defaultModelId: string;

    beforeAll(async () => {
      const provider = await createMockProvider(world);
      // No context_window and no config: the defaults a model gets when created with neither.
      const model = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }], {
        context_window: undefined,
        config: undefined,
      });
      const shown = await world.api.get(`/api/v1/models/${model.id}`, world.admin.token);
      expect(shown.body.context_window).toBe(CONTEXT_WINDOW);
      defaultModelId = model.id;
    });

    /** The reply budget the upstream was asked for, and the prompt it came with, fit the window. */
    function expectReplyWithinWindow(minimum: number) {
      const body = world.upstream.requests.at(-1)?.body;
      const maxTokens = Number(body?.max_tokens);
      expect(maxTokens).toBeGreaterThanOrEqual(minimum);
      expect(mockUsage(lastUpstreamMessages()).prompt_tokens + maxTokens).toBeLessThanOrEqual(CONTEXT_WINDOW);
    }

    it('answers a short message in an application without max_tokens, asking for a reply that fits the window', async () => {
      const user = await signUp(world.api);
      const app = await createApp(world.api, user.token, defaultModelId, { max_tokens: undefined });
      const res = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'hello' }, user.token);
      expect(res.status).toBe(200);
      expect(res.body.message).toBe(mockReply(lastUpstreamMessages()));
      expectReplyWithinWindow(CONTEXT_WINDOW / 4);

      const streamed = await fetch(`${world.server.url}/api/v1/applications/${app.id}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
        body: JSON.stringify({ message: 'hello again', stream: true }),
      });
      expect(streamed.status).toBe(200);
      expect((await readEvents(streamed)).at(-1)).toMatchObject({ type: 'done' });
      expectReplyWithinWindow(CONTEXT_WINDOW / 4);
    });

    it('keeps the history of a continued conversation and still leaves the reply room', async () => {
      const user = await signUp(world.api);
      const app = await createApp(world.api, user.token, defaultModelId, { max_tokens: undefined });
      const first = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'first question' }, user.token);
      expect(first.status).toBe(200);
      const second = await world.api.post(
        `/api/v1/applications/${app.id}/chat`,
        { message: 'second question', conversation_id: first.body.conversation_id },
        user.token,
      );
      expect(second.status).toBe(200);
      expect(lastUpstreamMessages().map((m) => m.content)).toEqual([
        'You are a test assistant.',
        'first question',
        first.body.message,
        'second question',
      ]);
      expectReplyWithinWindow(CONTEXT_WINDOW / 4);
    });

    it('still refuses, with 400, a message that does not fit the window itself', async () => {
      const user = await signUp(world.api);
      const app = await createApp(world.api, user.token, defaultModelId, { max_tokens: undefined });
      const upstreamCalls = world.upstream.requests.length;
      const res = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'hello '.repeat(5_000) }, user.token, {
        'accept-language': 'en',
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
      expect(world.upstream.requests.length).toBe(upstreamCalls);
    });
  });

  it('validates input with a 400 envelope', async () => {
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, modelId);
    const res = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: '' }, user.token);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'message' } });
    const unauth = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'x' });
    expect(unauth.status).toBe(401);
  });
});

describe('security headers of app chat', () => {
  // The route sets helmet's headers as computed once (a hot path); they must be the very headers
  // helmet sets on the routes where it runs, on answers, streams and refusals alike.
  const helmetOf = (headers: Headers) =>
    [...headers.entries()].filter(([name]) =>
      /^(x-content-type-options|x-frame-options|x-dns-prefetch-control|x-download-options|x-permitted-cross-domain-policies|x-xss-protection|referrer-policy|cross-origin-|origin-agent-cluster|strict-transport-security|content-security-policy)/.test(
        name,
      ),
    );

  it('sends the same helmet headers as a route where helmet runs', async () => {
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, modelId);
    const reference = helmetOf((await world.api.get('/api/v1/conversations', user.token)).headers);
    expect(reference.length).toBeGreaterThan(5);
    expect(reference).toContainEqual(['x-content-type-options', 'nosniff']);
    const path = `/api/v1/applications/${app.id}/chat`;
    const answered = await world.api.post(path, { message: 'hi' }, user.token);
    expect(answered.status).toBe(200);
    expect(answered.headers.get('content-type')).toMatch(/^application\/json/);
    expect(helmetOf(answered.headers)).toEqual(reference);
    const streamed = await world.api.post(path, { message: 'hi', stream: true }, user.token);
    expect(streamed.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(helmetOf(streamed.headers)).toEqual(reference);
    const refused = await world.api.post(path, { message: 'hi' });
    expect(refused.status).toBe(401);
    expect(helmetOf(refused.headers)).toEqual(reference);
  });
});
