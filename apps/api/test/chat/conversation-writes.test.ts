// Issue 18 target 2: conversation writes share statements under load (group commit), and each
// message is still committed before its answer. A Kysely plugin counts the statements the writer sends.
import { ConversationWrites, loadHistory } from '@maas/api/testing';
import type { KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, createApp, signUp, startTestServer, type TestServer, type TestUser } from '../kit/index.js';

let server: TestServer;
let user: TestUser;
let appId: string;
let statements = 0;

const counter: KyselyPlugin = {
  transformQuery(args) {
    statements += 1;
    return args.node;
  },
  transformResult: async (args) => args.result,
};

function db() {
  return server.server.platform.db;
}

function writer(maxBatch?: number) {
  return new ConversationWrites(db().withPlugin(counter), null, maxBatch);
}

async function existingConversation(id: string) {
  await db().insertInto('conversations').values({ id, user_id: user.id, app_id: appId, title: 'old', message_count: 0 }).execute();
}

async function conversation(id: string) {
  return db().selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
}

async function messagesOf(id: string) {
  return db().selectFrom('messages').selectAll().where('conversation_id', '=', id).orderBy('created_at').orderBy('id').execute();
}

const exchange = (n: number) => [
  { role: 'user' as const, content: `question ${n}`, tokens: 3 },
  { role: 'assistant' as const, content: `answer ${n}`, tokens: 2 },
];

let seq = 0;
const convId = (label: string) => `conv_w${label}${(seq += 1)}${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  server = await startTestServer({ MAAS_SEED_DEMO: '1' });
  const api = apiClient(server.url);
  user = await signUp(api);
  const model = await server.server.platform.db.selectFrom('models').select('id').where('name', '=', 'demo-chat').executeTakeFirstOrThrow();
  appId = (await createApp(api, user.token, model.id)).id;
});
afterAll(async () => {
  await server?.close();
});

describe('conversation writes (group commit)', () => {
  it('writes a lone message at once, in one statement', async () => {
    const writes = writer();
    const id = convId('lone');
    statements = 0;
    await writes.append(id, exchange(1), { userId: user.id, appId, firstMessage: '  question   1 ' });
    expect(statements).toBe(1);
    expect(await conversation(id)).toMatchObject({ message_count: 2, title: 'question 1', user_id: user.id, app_id: appId });
    expect((await messagesOf(id)).map((m) => [m.role, m.content, m.tokens])).toEqual([
      ['user', 'question 1', 3],
      ['assistant', 'answer 1', 2],
    ]);
  });

  it('writes the messages that arrive during a commit together, in one more statement', async () => {
    const writes = writer();
    const fresh = Array.from({ length: 10 }, () => convId('new'));
    const shared = convId('shared');
    const tools = convId('tools');
    await existingConversation(shared);
    await existingConversation(tools);
    const before = await conversation(shared);
    statements = 0;
    await Promise.all([
      ...fresh.map((id, i) => writes.append(id, exchange(i), { userId: user.id, appId, firstMessage: `new ${i}` })),
      // Eight exchanges to one conversation in the same batch add up to one bump of 16.
      ...Array.from({ length: 8 }, (_, i) => writes.append(shared, exchange(100 + i))),
      writes.append(tools, [
        { role: 'user', content: 'weather?', tokens: 2 },
        {
          role: 'assistant',
          content: '',
          tokens: 4,
          toolCalls: [{ id: 'call_1', name: 't_weather__lookup', arguments: '{"city":"Oslo"}' }],
        },
        { role: 'tool', content: 'snow', tokens: 1, toolCallId: 'call_1' },
        {
          id: 'msg_wtools_reply',
          role: 'assistant',
          content: 'It snows.',
          tokens: 3,
          attachments: [{ file_id: 'file_x', content_type: 'image/png' }],
        },
      ]),
    ]);
    // The first append went alone; the 18 that queued behind it went as one statement.
    expect(statements).toBe(2);

    for (const [i, id] of fresh.entries()) {
      expect(await conversation(id)).toMatchObject({ message_count: 2, title: `new ${i}` });
      expect((await messagesOf(id)).map((m) => m.content)).toEqual([`question ${i}`, `answer ${i}`]);
    }
    const after = await conversation(shared);
    expect(after?.message_count).toBe(16);
    expect(after!.updated_at.getTime()).toBeGreaterThan(before!.updated_at.getTime());
    const sharedMessages = await messagesOf(shared);
    expect(sharedMessages).toHaveLength(16);
    // Each exchange keeps its order: a question directly before its own answer.
    for (let i = 0; i < 8; i++) {
      const q = sharedMessages.findIndex((m) => m.content === `question ${100 + i}`);
      expect(sharedMessages[q + 1]?.content).toBe(`answer ${100 + i}`);
    }

    const stored = await messagesOf(tools);
    expect(stored.map((m) => [m.role, m.tool_calls, m.tool_call_id, m.attachments])).toEqual([
      ['user', null, null, null],
      ['assistant', [{ id: 'call_1', name: 't_weather__lookup', arguments: '{"city":"Oslo"}' }], null, null],
      ['tool', null, 'call_1', null],
      ['assistant', null, null, [{ file_id: 'file_x', content_type: 'image/png' }]],
    ]);
    expect(stored[3]!.id).toBe('msg_wtools_reply');
    // Read back as the model is given it: the tool step whole, in order.
    const history = await loadHistory(db(), tools, 1_000);
    expect(history.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
  });

  it('fails only the faulty writes of a batch, with their own errors, and keeps the others', async () => {
    const writes = writer();
    const good = Array.from({ length: 4 }, () => convId('good'));
    const missing = convId('missing');
    const nul = convId('nul');
    await existingConversation(nul);
    const results = await Promise.allSettled([
      writes.append(good[0]!, exchange(0), { userId: user.id, appId, firstMessage: 'a' }),
      // Queued behind the first: one batch of five, which fails, then each alone.
      writes.append(good[1]!, exchange(1), { userId: user.id, appId, firstMessage: 'b' }),
      writes.append(missing, exchange(9)),
      writes.append(good[2]!, exchange(2), { userId: user.id, appId, firstMessage: 'c' }),
      writes.append(nul, [{ role: 'user', content: 'bad \u0000 byte', tokens: 1 }]),
      writes.append(good[3]!, exchange(3), { userId: user.id, appId, firstMessage: 'd' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[2] as PromiseRejectedResult).reason)).toMatch(/foreign key/i);
    for (const id of good) expect((await conversation(id))?.message_count).toBe(2);
    expect(await conversation(missing)).toBeUndefined();
    expect(await messagesOf(missing)).toEqual([]);
    expect(await messagesOf(nul)).toEqual([]);
    expect((await conversation(nul))?.message_count).toBe(0);
  });

  it('splits a long queue into statements of at most maxBatch appends', async () => {
    const writes = writer(4);
    const ids = Array.from({ length: 13 }, () => convId('many'));
    statements = 0;
    await Promise.all(ids.map((id, i) => writes.append(id, exchange(i), { userId: user.id, appId, firstMessage: `m${i}` })));
    // 1 alone, then 12 queued in batches of 4.
    expect(statements).toBe(4);
    const counts = await db().selectFrom('conversations').select('message_count').where('id', 'in', ids).execute();
    expect(counts).toHaveLength(13);
    expect(counts.every((c) => c.message_count === 2)).toBe(true);
  });

  it('keeps every message of concurrent app-chat calls, each readable as soon as its answer came', async () => {
    const api = apiClient(server.url);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api.post<{ conversation_id: string; message: string }>(`/api/v1/applications/${appId}/chat`, { message: `hello ${i}` }, user.token),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    // Each conversation is already there with both messages, and the next message sees the first.
    const follow = await Promise.all(
      answers.map((a, i) =>
        api.post<{ conversation_id: string }>(
          `/api/v1/applications/${appId}/chat`,
          { message: `again ${i}`, conversation_id: a.body.conversation_id },
          user.token,
        ),
      ),
    );
    expect(follow.map((f) => f.status)).toEqual(Array(12).fill(200));
    for (const [i, a] of answers.entries()) {
      const stored = await messagesOf(a.body.conversation_id);
      expect(stored.map((m) => m.content).filter((c) => c.startsWith('hello') || c.startsWith('again'))).toEqual([
        `hello ${i}`,
        `again ${i}`,
      ]);
      expect(stored).toHaveLength(4);
      expect((await conversation(a.body.conversation_id))?.message_count).toBe(4);
    }
  });
});
