import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nanoToAmount } from '@maas/api/testing';
import { createApp, createMockProvider, createRoutedModel, settled, signUp, startChatWorld, type ChatWorld } from '../kit/index.js';

// Issue 17: the rate limit and the funds are checked before a conversation or a message is written.
const MODEL_CALLS_PER_MINUTE = 3;

let world: ChatWorld;
let modelId: string;

beforeAll(async () => {
  world = await startChatWorld({ MAAS_RATE_LIMIT_MODEL_CALLS: String(MODEL_CALLS_PER_MINUTE) });
  const provider = await createMockProvider(world);
  modelId = (await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }])).id;
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
});

async function rowsOf(userId: string) {
  const db = world.server.server.platform.db;
  const conversations = await db.selectFrom('conversations').select(['id', 'message_count']).where('user_id', '=', userId).execute();
  const messages = await db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .select('messages.id')
    .where('conversations.user_id', '=', userId)
    .execute();
  return { conversations, messages: messages.length };
}

function chat(appId: string, token: string, body: Record<string, unknown>) {
  return world.api.post(`/api/v1/applications/${appId}/chat`, body, token);
}

describe('refused application chats leave no rows', () => {
  it('writes no conversation and no message for a 402, new or continued, plain or streamed', async () => {
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, modelId);
    const first = await chat(app.id, user.token, { message: 'paid question' });
    expect(first.status).toBe(200);
    await settled(world.server);

    const db = world.server.server.platform.db;
    const wallet = await db.selectFrom('wallets').select('balance_nano').where('user_id', '=', user.id).executeTakeFirstOrThrow();
    const debit = await world.api.post(
      `/api/v1/admin/users/${user.id}/wallet/debit`,
      { amount: nanoToAmount(wallet.balance_nano - 1n), reason: 'drain' },
      world.admin.token,
    );
    expect(debit.status).toBe(201);

    const upstreamCalls = world.upstream.requests.length;
    const continued = await chat(app.id, user.token, { message: 'unpaid follow-up', conversation_id: first.body.conversation_id });
    expect(continued.status).toBe(402);
    const streamed = await chat(app.id, user.token, { message: 'unpaid new chat', stream: true });
    expect(streamed.status).toBe(402);
    expect(streamed.body.error.code).toBe('PAYMENT_REQUIRED');
    expect(world.upstream.requests.length).toBe(upstreamCalls);

    const rows = await rowsOf(user.id);
    expect(rows.conversations).toEqual([{ id: first.body.conversation_id, message_count: 2 }]);
    expect(rows.messages).toBe(2);
    const listed = await world.api.get('/api/v1/conversations', user.token);
    expect(listed.body.data.map((c: { id: string }) => c.id)).toEqual([first.body.conversation_id]);
  });

  it('writes no conversation and no message for a 429, new or continued, plain or streamed', async () => {
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, modelId);
    const first = await chat(app.id, user.token, { message: 'first question' });
    expect(first.status).toBe(200);
    const conversationId = first.body.conversation_id as string;
    const statuses = [first.status];
    for (let i = 1; i < MODEL_CALLS_PER_MINUTE; i++)
      statuses.push((await chat(app.id, user.token, { message: `follow-up ${i}`, conversation_id: conversationId })).status);
    expect(statuses).toEqual(Array(MODEL_CALLS_PER_MINUTE).fill(200));
    const before = await rowsOf(user.id);
    expect(before.messages).toBe(2 * MODEL_CALLS_PER_MINUTE);

    const upstreamCalls = world.upstream.requests.length;
    const refused = [
      await chat(app.id, user.token, { message: 'over the limit, new' }),
      await chat(app.id, user.token, { message: 'over the limit, streamed', stream: true }),
      await chat(app.id, user.token, { message: 'over the limit, continued', conversation_id: conversationId }),
    ];
    for (const res of refused) {
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('RATE_LIMITED');
    }
    expect(world.upstream.requests.length).toBe(upstreamCalls);
    expect(await rowsOf(user.id)).toEqual(before);
  });
});
