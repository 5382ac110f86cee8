// Issue 18 target 2: the kept tails of conversations give the same history as a read from the
// database, whatever another instance appended meanwhile, and cost one small read when still valid.
import { appendMessages, ConversationTails, ConversationWrites, openConversation } from '@maas/api/testing';
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, createApp, signUp, startTestServer, type TestServer, type TestUser } from '../kit/index.js';

let server: TestServer;
let user: TestUser;
let appId: string;
const statements: string[] = [];

const counter: KyselyPlugin = {
  transformQuery(args) {
    const node: RootOperationNode = args.node;
    statements.push(node.kind === 'RawNode' ? 'tail read' : node.kind);
    return args.node;
  },
  transformResult: async (args) => args.result,
};

const db = () => server.server.platform.db;

/** One instance's view: its own tails and its own writer over the same database. */
function instance(maxChars?: number) {
  const counted = db().withPlugin(counter);
  const tails = new ConversationTails(counted, maxChars);
  return { tails, writes: new ConversationWrites(counted, tails) };
}

let seq = 0;
const convId = () => `conv_t${(seq += 1)}${Math.random().toString(36).slice(2, 8)}`;
const exchange = (label: string, tokens = 5) => [
  { role: 'user' as const, content: `q ${label}`, tokens },
  { role: 'assistant' as const, content: `a ${label}`, tokens },
];

beforeAll(async () => {
  server = await startTestServer({ MAAS_SEED_DEMO: '1' });
  const api = apiClient(server.url);
  user = await signUp(api);
  const model = await db().selectFrom('models').select('id').where('name', '=', 'demo-chat').executeTakeFirstOrThrow();
  appId = (await createApp(api, user.token, model.id)).id;
});
afterAll(async () => {
  await server?.close();
});

describe('conversation tails', () => {
  it('reads one row for a kept tail, and the whole tail when it is not kept', async () => {
    const a = instance();
    const id = convId();
    const ids = { conversationId: id, userId: user.id, appId };
    await a.writes.append(id, exchange('1'), { userId: user.id, appId, firstMessage: 'q 1' });
    await a.writes.append(id, exchange('2'));
    statements.length = 0;
    const kept = await a.tails.open(ids, 1_000, 8);
    expect(statements).toEqual(['SelectQueryNode']);
    expect(kept).toEqual(await openConversation(db(), ids, 1_000, 8));
    expect(kept!.messages).toHaveLength(4);

    const cold = instance();
    statements.length = 0;
    expect(await cold.tails.open(ids, 1_000, 8)).toEqual(kept);
    expect(statements).toEqual(['tail read']);
    statements.length = 0;
    await cold.tails.open(ids, 1_000, 8);
    expect(statements).toEqual(['SelectQueryNode']);
  });

  it("reads again after another instance's append, and never answers for another user or app", async () => {
    const a = instance();
    const b = instance();
    const id = convId();
    const ids = { conversationId: id, userId: user.id, appId };
    await a.writes.append(id, exchange('1'), { userId: user.id, appId, firstMessage: 'q 1' });
    expect((await b.tails.open(ids, 1_000, 0))!.messages).toHaveLength(2);
    await b.writes.append(id, exchange('from b'));
    // a's kept tail has 2 messages; the count says 4: read again.
    statements.length = 0;
    const seen = await a.tails.open(ids, 1_000, 0);
    expect(statements).toEqual(['SelectQueryNode', 'tail read']);
    expect(seen!.messages.map((m) => (m.content as { text: string }[])[0]!.text)).toEqual(['q 1', 'a 1', 'q from b', 'a from b']);

    expect(await a.tails.open({ ...ids, userId: 'usr_other' }, 1_000, 0)).toBeNull();
    expect(await a.tails.open({ ...ids, appId: 'app_other' }, 1_000, 0)).toBeNull();
    await db().deleteFrom('messages').where('conversation_id', '=', id).execute();
    await db().deleteFrom('conversations').where('id', '=', id).execute();
    expect(await a.tails.open(ids, 1_000, 0)).toBeNull();
    expect(await b.tails.open(ids, 1_000, 0)).toBeNull();
  });

  it('gives the same history as the database through interleaved appends on two instances, batched or not', async () => {
    const instances = [instance(), instance(2_000)];
    const ids = Array.from({ length: 4 }, () => convId());
    for (const id of ids) await instances[0]!.writes.append(id, exchange(`${id} first`), { userId: user.id, appId, firstMessage: 'x' });
    // A seeded pseudo-random walk: appends (some concurrent, so batched), direct writes that bypass
    // every cache (a third party), and opens with budgets that cut at different places.
    let state = 42;
    const next = (n: number) => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state % n;
    };
    for (let step = 0; step < 60; step++) {
      const id = ids[next(ids.length)]!;
      const conversation = { conversationId: id, userId: user.id, appId };
      const who = instances[next(2)]!;
      const action = next(4);
      if (action === 0) await who.writes.append(id, exchange(`s${step}`, 1 + next(9)));
      else if (action === 1) {
        const other = ids[next(ids.length)]!;
        await Promise.all([
          who.writes.append(id, exchange(`s${step}a`)),
          who.writes.append(other, exchange(`s${step}b`)),
          who.writes.append(id, exchange(`s${step}c`)),
        ]);
      } else if (action === 2) await appendMessages(db(), id, exchange(`direct ${step}`));
      const budget = 10 + next(120);
      const framing = next(2) * 8;
      expect(await who.tails.open(conversation, budget, framing), `step ${step}`).toEqual(
        await openConversation(db(), conversation, budget, framing),
      );
    }
  });

  it('keeps at most maxChars of text, dropping the least recently used tails', async () => {
    const small = instance(3 * (2 * 64 + 20));
    const ids = Array.from({ length: 5 }, () => convId());
    for (const id of ids) await small.writes.append(id, exchange(id), { userId: user.id, appId, firstMessage: 'x' });
    statements.length = 0;
    for (const id of ids) await small.tails.open({ conversationId: id, userId: user.id, appId }, 1_000, 0);
    // Only the newest few fit: the first ones are read whole again, which evicts others in turn.
    expect(statements.filter((s) => s === 'tail read').length).toBeGreaterThan(0);
    statements.length = 0;
    const last = ids.at(-1)!;
    await small.tails.open({ conversationId: last, userId: user.id, appId }, 1_000, 0);
    expect(statements).toEqual(['SelectQueryNode']);
  });
});
