import OpenAI from 'openai';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockReply, mockUsage } from '../../../../packages/api/test/mock-upstream.js';
import type { ChatMessage } from '../../../../packages/api/test/mock-upstream.js';
import { nanoToAmount } from '../../../../packages/api/src/core/money.js';
import { type ChatWorld, createModel, createProvider, expectedCostNano, settled, signUp, startChatWorld } from './fixtures.js';

let world: ChatWorld;
let model: { id: string; name: string };

beforeAll(async () => {
  world = await startChatWorld();
  const provider = await createProvider(world);
  model = await createModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }]);
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
});

async function apiKeyFor(token: string, body: Record<string, unknown> = {}) {
  const res = await world.api.post('/api/v1/api-keys', { name: 'gateway', ...body }, token);
  expect(res.status).toBe(201);
  return res.body.key as string;
}

function openai(apiKey: string) {
  return new OpenAI({ apiKey, baseURL: `${world.server.url}/v1`, maxRetries: 0 });
}

describe('OpenAI-compatible gateway', () => {
  it('works unchanged with the official openai client, without streaming', async () => {
    const user = await signUp(world.api);
    const client = openai(await apiKeyFor(user.token));
    const messages = [{ role: 'user' as const, content: 'Hello gateway' }];
    const completion = await client.chat.completions.create({ model: model.name, messages });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe(model.name);
    expect(completion.choices[0]?.message.content).toBe(mockReply(messages));
    expect(completion.usage).toMatchObject(mockUsage(messages));
  });

  it('streams with the official openai client and reports usage when asked', async () => {
    const user = await signUp(world.api);
    const client = openai(await apiKeyFor(user.token));
    const messages = [{ role: 'user' as const, content: 'Stream through the gateway' }];
    const stream = await client.chat.completions.create({
      model: model.id,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(mockReply(messages));
    expect(usage).toMatchObject(mockUsage(messages));
  });

  it('lists the models a key can call at /v1/models', async () => {
    const user = await signUp(world.api);
    const list = await openai(await apiKeyFor(user.token)).models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toContain(model.name);
  });

  it('answers errors in OpenAI shape with the request id header', async () => {
    const bad = await fetch(`${world.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-not-a-real-key' },
      body: JSON.stringify({ model: model.name, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('x-request-id')).toBeTruthy();
    const body = (await bad.json()) as { error: { message: unknown } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    expect(typeof body.error.message).toBe('string');

    const user = await signUp(world.api);
    const client = openai(await apiKeyFor(user.token));
    await expect(
      client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 404 });
    const malformed = await fetch(`${world.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await apiKeyFor(user.token)}` },
      body: '{"model":',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('refuses a model outside the key allow-list', async () => {
    const user = await signUp(world.api);
    const other = await createModel(world, [{ provider_id: (await createProvider(world)).id, upstream_model: 'mock-ok' }]);
    const client = openai(await apiKeyFor(user.token, { allowed_models: [other.id] }));
    await expect(client.chat.completions.create({ model: model.name, messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 403,
    });
  });

  it('never lets 200 concurrent calls at the edge of a balance go below zero, and the ledger sums exactly', async () => {
    const user = await signUp(world.api);
    const key = await apiKeyFor(user.token);
    const db = world.server.server.platform.db;
    const messages: ChatMessage[] = [{ role: 'user', content: 'edge' }];
    const perCall = expectedCostNano(mockUsage(messages));
    // Leave room for about 20 worst-case reservations, so most of the 200 must be refused.
    const wallet = await db.selectFrom('wallets').select('balance_nano').where('user_id', '=', user.id).executeTakeFirstOrThrow();
    const target = 20n * (perCall + 256n * 4_000n + 100n * 2_000n);
    if (wallet.balance_nano > target) {
      await world.api.post(
        `/api/v1/admin/users/${user.id}/wallet/debit`,
        { amount: nanoToAmount(wallet.balance_nano - target), reason: 'edge' },
        world.admin.token,
      );
    }
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () =>
        fetch(`${world.server.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ model: model.name, messages }),
        }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 402).length).toBe(200 - ok);
    await settled(world.server);
    const after = await db
      .selectFrom('wallets')
      .select(['balance_nano', 'held_nano'])
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    const { rows } = await sql<{
      sum: bigint;
    }>`SELECT coalesce(sum(amount_nano), 0)::bigint AS sum FROM ledger_entries WHERE user_id = ${user.id}`.execute(db);
    expect(after.balance_nano >= 0n).toBe(true);
    expect(after.held_nano).toBe(0n);
    expect(rows[0]?.sum).toBe(after.balance_nano);
    const usage = await db.selectFrom('usage_records').select(['cost_nano', 'status']).where('user_id', '=', user.id).execute();
    expect(usage.filter((u) => u.status === 'success')).toHaveLength(ok);
    for (const record of usage) expect(record.cost_nano).toBe(perCall);
  });
});
