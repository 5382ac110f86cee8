import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendMessages, loadHistory } from '@maas/api/testing';
import { apiClient, createApp, signUp, startTestServer, type TestServer } from '../kit/index.js';

// A conversation's tool steps come back as the model needs them: an assistant turn with its calls,
// then each result with its call id; trimming to the budget keeps or drops such a group whole.

let server: TestServer;
let conversationId: string;

beforeAll(async () => {
  server = await startTestServer({ MAAS_SEED_DEMO: '1' });
  const api = apiClient(server.url);
  const user = await signUp(api);
  const db = server.server.platform.db;
  const model = await db.selectFrom('models').select('id').where('name', '=', 'demo-chat').executeTakeFirstOrThrow();
  const app = await createApp(api, user.token, model.id);
  conversationId = `conv_${Math.random().toString(36).slice(2)}`;
  await db
    .insertInto('conversations')
    .values({ id: conversationId, user_id: user.id, app_id: app.id, title: 't', message_count: 0 })
    .execute();
  await appendMessages(db, conversationId, [
    { role: 'user', content: 'first question', tokens: 10 },
    { role: 'assistant', content: 'first answer', tokens: 10 },
    { role: 'user', content: 'use two tools', tokens: 10 },
    {
      role: 'assistant',
      content: '',
      tokens: 10,
      toolCalls: [
        { id: 'call_a', name: 't_weather__lookup', arguments: '{"city":"Paris"}' },
        { id: 'call_b', name: 't_clock__now', arguments: '{}' },
      ],
    },
    { role: 'tool', content: 'sunny', tokens: 10, toolCallId: 'call_a' },
    { role: 'tool', content: '12:00', tokens: 10, toolCallId: 'call_b' },
    { role: 'assistant', content: 'sunny at noon', tokens: 10 },
  ]);
});
afterAll(async () => {
  await server?.close();
});

describe('loadHistory with tool steps', () => {
  it('rebuilds the calls and results as internal messages, in order', async () => {
    const { messages, tokens } = await loadHistory(server.server.platform.db, conversationId, 1_000);
    expect(tokens).toBe(70);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'tool', 'tool', 'assistant']);
    expect(messages[3]).toEqual({
      role: 'assistant',
      content: null,
      toolCalls: [
        { id: 'call_a', name: 't_weather__lookup', arguments: '{"city":"Paris"}' },
        { id: 'call_b', name: 't_clock__now', arguments: '{}' },
      ],
    });
    expect(messages[4]).toEqual({ role: 'tool', content: [{ type: 'text', text: 'sunny' }], toolCallId: 'call_a' });
    expect(messages[5]).toMatchObject({ role: 'tool', toolCallId: 'call_b' });
  });

  it('never keeps a tool result without its call: a budget that cuts into the group drops it whole', async () => {
    // 10 (answer) + 30 (call + two results) = 40 fits; 35 cuts the group, so only the answer is kept.
    const fits = await loadHistory(server.server.platform.db, conversationId, 40);
    expect(fits.messages.map((m) => m.role)).toEqual(['assistant', 'tool', 'tool', 'assistant']);
    const cut = await loadHistory(server.server.platform.db, conversationId, 35);
    expect(cut.messages.map((m) => m.role)).toEqual(['assistant']);
    expect(cut.tokens).toBe(10);
  });
});
