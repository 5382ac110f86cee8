// Issue 18 target 2: what one app-chat message costs the database. A Kysely plugin on the server's
// database handles sees every statement the chat sends while the request is in flight.
import type { DatabaseHandle } from '@maas/db';
import { type KyselyPlugin, type RootOperationNode, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatWorld } from '../kit/index.js';
import { conversationTailQuery, openConversation } from '@maas/api/testing';
import { createApp, createMockProvider, createRoutedModel, settled, signUp, startChatWorld } from '../kit/index.js';

const seen: string[] = [];
let recording = false;

function describeNode(node: RootOperationNode): string {
  if (node.kind === 'RawNode') {
    const text = node.sqlFragments.join('?');
    return text.includes('LEFT JOIN LATERAL') ? 'RawNode conversations+tail' : `RawNode ${text.replace(/\s+/g, ' ').slice(0, 40)}`;
  }
  const table = JSON.stringify(node, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).match(
    /"identifier":\{"kind":"IdentifierNode","name":"(\w+)"/,
  )?.[1];
  return `${node.kind}${table ? ` ${table}` : ''}`;
}

const counter: KyselyPlugin = {
  transformQuery(args) {
    if (recording) seen.push(describeNode(args.node));
    return args.node;
  },
  transformResult: async (args) => args.result,
};

function counted(handle: DatabaseHandle): DatabaseHandle {
  const db = handle.db.withPlugin(counter);
  const relaxedDb = handle.relaxedDb === handle.db ? db : handle.relaxedDb.withPlugin(counter);
  return { ...handle, db, relaxedDb };
}

let world: ChatWorld;
let modelId: string;

beforeAll(async () => {
  world = await startChatWorld(
    { MAAS_LOG_FORMAT: 'json', LOG_LEVEL: 'error' },
    {
      wrapDatabase: process.env.NOWRAP ? (h) => h : counted,
      logStream: {
        write: (l: string) => {
          if (/"level":5/.test(l)) console.log('LOG', l.slice(0, 3000));
        },
      },
    },
  );
  const provider = await createMockProvider(world);
  modelId = (await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }])).id;
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
});

async function statementsOf(send: () => Promise<{ status: number; body: unknown }>) {
  await settled(world.server);
  seen.length = 0;
  recording = true;
  const res = await send();
  recording = false;
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return [...seen];
}

describe('app chat statements', () => {
  it('a message in an existing conversation makes 2 chat statements (one read, one write), a new one 1', async () => {
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, modelId);
    const chat = (body: Record<string, unknown>) =>
      world.api.post(`/api/v1/applications/${app.id}/chat`, { stream: false, ...body }, user.token);
    // Warm the caches (app, model, key) the way a running server has them.
    const first = await chat({ message: 'warm up' });
    const conversationId = (first.body as { conversation_id: string }).conversation_id;
    await chat({ message: 'warm up again', conversation_id: conversationId });

    const fresh = await statementsOf(() => chat({ message: 'a new conversation' }));
    const existing = await statementsOf(() => chat({ message: 'and again', conversation_id: conversationId }));
    // Billing's own statements (the hold, the batched settlement) and background pollers are not
    // the chat's; these are: before issue 18 a message in an existing conversation made 5 (tools,
    // conversation, history, messages insert, conversation update: 2 commits) and a new one 4.
    const chatStatements = (all: string[]) =>
      all.filter((s) => / (conversations|messages|applications|application_tools)(\+tail)?$/.test(s));
    // The conversation's tail is kept from the last message: only its count is read to check it.
    expect(chatStatements(existing)).toEqual(['SelectQueryNode conversations', 'UpdateQueryNode conversations']);
    expect(chatStatements(fresh)).toEqual(['InsertQueryNode messages']);
    // Not kept (another instance, or after a restart): ownership, count and tail in one read.
    world.server.server.platform.conversationTails.forget(conversationId);
    const cold = await statementsOf(() => chat({ message: 'once more', conversation_id: conversationId }));
    expect(chatStatements(cold)).toEqual(['RawNode conversations+tail', 'UpdateQueryNode conversations']);
    // The conversation and both messages are there, in order, with their stored counts.
    const { rows } = await sql<{ role: string; tokens: number; message_count: number }>`
      SELECT m.role, m.tokens, c.message_count FROM messages m JOIN conversations c ON c.id = m.conversation_id
      WHERE c.id = ${conversationId} ORDER BY m.created_at, m.id`.execute(world.server.server.platform.db);
    expect(rows.map((r) => r.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
    expect(rows.every((r) => r.tokens > 0 && r.message_count === 8)).toBe(true);
  });
});

describe('the history tail of a long conversation', () => {
  /** 1,000 messages of 10 tokens, the newest seven ending in a tool step: …, U, A(calls), T1, T2, A, U, A. */
  async function longConversation() {
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, modelId);
    const db = world.server.server.platform.db;
    const id = `conv_tail_${Math.random().toString(36).slice(2, 10)}`;
    await sql`INSERT INTO conversations (id, user_id, app_id, title, message_count) VALUES (${id}, ${user.id}, ${app.id}, 'long', 1000)`.execute(
      db,
    );
    await sql`INSERT INTO messages (id, conversation_id, role, content, tokens, created_at)
      SELECT 'msg_' || ${id} || '_' || lpad(n::text, 4, '0'), ${id}, CASE WHEN n % 2 = 0 THEN 'user' ELSE 'assistant' END,
        'message ' || n, 10, timestamp '2026-01-01' + n * interval '1 second'
      FROM generate_series(0, 994) AS n`.execute(db);
    const at = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 1000);
    const call = [{ id: 'call_1', name: 'lookup', arguments: '{}' }];
    const step = (n: number, role: 'user' | 'assistant' | 'tool', extra: Record<string, unknown> = {}) => ({
      id: `msg_${id}_${n}`,
      conversation_id: id,
      role,
      content: `message ${n}`,
      tokens: 10,
      created_at: at(n),
      ...extra,
    });
    await db
      .insertInto('messages')
      .values([
        step(995, 'assistant', { tool_calls: JSON.stringify(call) }),
        step(996, 'tool', { tool_call_id: 'call_1' }),
        step(997, 'tool', { tool_call_id: 'call_1' }),
        step(998, 'assistant'),
        step(999, 'user'),
        step(1000, 'assistant'),
      ])
      .execute();
    return { ids: { conversationId: id, userId: user.id, appId: app.id }, db };
  }
  const texts = (messages: { content: unknown }[]) =>
    messages.map((m) => (Array.isArray(m.content) ? (m.content[0] as { text: string }).text : m.content));

  it('keeps the newest messages that fit, and a tool call with all its results or none of them', async () => {
    const { ids, db } = await longConversation();
    // 45 tokens: the last three fit; the tool step (call and two results, 30) would not, so it goes whole.
    const cut = (await openConversation(db, ids, 45, 0))!;
    expect(texts(cut.messages)).toEqual(['message 998', 'message 999', 'message 1000']);
    expect(cut.tokens).toBe(30);
    // 60 tokens: the tool step fits with its results, in order.
    const whole = (await openConversation(db, ids, 60, 0))!;
    expect(whole.messages.map((m) => m.role)).toEqual(['assistant', 'tool', 'tool', 'assistant', 'user', 'assistant']);
    expect(whole.tokens).toBe(60);
    // With framing, each message costs 18: 54 keeps three again.
    expect((await openConversation(db, ids, 54, 8))!.messages).toHaveLength(3);
    // A big budget reads the newest 200 messages, never the whole conversation.
    const capped = (await openConversation(db, ids, 1_000_000, 0))!;
    expect(capped.messages).toHaveLength(200);
    expect(texts(capped.messages).at(-1)).toBe('message 1000');
    expect(texts(capped.messages)[0]).toBe('message 801');
    // Nothing fits: an empty history, the conversation still found.
    expect(await openConversation(db, ids, 0, 0)).toEqual({ messages: [], tokens: 0 });
  });

  it("answers null for another user's conversation or another app's", async () => {
    const { ids, db } = await longConversation();
    expect(await openConversation(db, { ...ids, userId: 'usr_other' }, 100, 0)).toBeNull();
    expect(await openConversation(db, { ...ids, appId: 'app_other' }, 100, 0)).toBeNull();
  });

  it.skipIf(!process.env.DATABASE_URL)('reads the tail along the conversation index on PostgreSQL (EXPLAIN)', async () => {
    const { ids, db } = await longConversation();
    await sql`ANALYZE messages`.execute(db);
    const compiled = conversationTailQuery(ids).compile(db);
    const { rows } = await db.executeQuery<{ 'QUERY PLAN': string }>({
      ...compiled,
      sql: `EXPLAIN ${compiled.sql}`,
    });
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index Scan Backward using messages_conversation_created_idx on messages/);
    expect(plan).not.toMatch(/Seq Scan on messages/);
  });
});
