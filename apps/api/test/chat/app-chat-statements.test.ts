// Issue 18 target 2: what one app-chat message costs the database. A Kysely plugin on the server's
// database handles sees every statement the chat sends while the request is in flight.
import type { DatabaseHandle } from '@maas/db';
import { type KyselyPlugin, type RootOperationNode, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatWorld } from '../kit/index.js';
import { createApp, createMockProvider, createRoutedModel, settled, signUp, startChatWorld } from '../kit/index.js';

const seen: string[] = [];
let recording = false;

function describeNode(node: RootOperationNode): string {
  if (node.kind === 'RawNode') {
    const text = node.sqlFragments.join('?');
    return text.includes('WITH conv AS') ? 'RawNode conversations+tail' : `RawNode ${text.replace(/\s+/g, ' ').slice(0, 40)}`;
  }
  const table = JSON.stringify(node, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).match(/"identifier":\{"kind":"IdentifierNode","name":"(\w+)"/)?.[1];
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
  world = await startChatWorld({ MAAS_LOG_FORMAT: 'json', LOG_LEVEL: 'error' }, { wrapDatabase: process.env.NOWRAP ? (h) => h : counted, logStream: { write: (l: string) => { if (/"level":5/.test(l)) console.log('LOG', l.slice(0, 3000)); } } });
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
    const chat = (body: Record<string, unknown>) => world.api.post(`/api/v1/applications/${app.id}/chat`, { stream: false, ...body }, user.token);
    // Warm the caches (app, model, key) the way a running server has them.
    const first = await chat({ message: 'warm up' });
    const conversationId = (first.body as { conversation_id: string }).conversation_id;
    await chat({ message: 'warm up again', conversation_id: conversationId });

    const fresh = await statementsOf(() => chat({ message: 'a new conversation' }));
    const existing = await statementsOf(() => chat({ message: 'and again', conversation_id: conversationId }));
    // Billing's own statements (the hold, the batched settlement) and background pollers are not
    // the chat's; these are: before issue 18 a message in an existing conversation made 5 (tools,
    // conversation, history, messages insert, conversation update: 2 commits) and a new one 4.
    const chatStatements = (all: string[]) => all.filter((s) => / (conversations|messages|applications|application_tools)(\+tail)?$/.test(s));
    expect(chatStatements(existing)).toEqual(['RawNode conversations+tail', 'UpdateQueryNode conversations']);
    expect(chatStatements(fresh)).toEqual(['InsertQueryNode messages']);
    // The conversation and both messages are there, in order, with their stored counts.
    const { rows } = await sql<{ role: string; tokens: number; message_count: number }>`
      SELECT m.role, m.tokens, c.message_count FROM messages m JOIN conversations c ON c.id = m.conversation_id
      WHERE c.id = ${conversationId} ORDER BY m.created_at, m.id`.execute(world.server.server.platform.db);
    expect(rows.map((r) => r.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
    expect(rows.every((r) => r.tokens > 0 && r.message_count === 6)).toBe(true);
  });
});
