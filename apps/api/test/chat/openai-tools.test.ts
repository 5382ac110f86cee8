import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nanoToAmount } from '@maas/api/testing';
import { type ChatWorld, createMockProvider, createRoutedModel, settled, signUp, startChatWorld } from '../kit/index.js';

// Issue 13 part 2/7: the official openai client through /v1/chat/completions against the STRICT
// OpenAI mock (tool results must answer earlier tool call ids, Bearer required, reasoning models
// refuse max_tokens): a two-step tool loop, JSON and streaming, an image part, token limits, and
// billing when the upstream reports more tokens than the reservation estimated.

let world: ChatWorld;
let model: { id: string; name: string };
let key: string;

const WEATHER: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

async function apiKeyFor(token: string) {
  const res = await world.api.post('/api/v1/api-keys', { name: 'tools' }, token);
  expect(res.status).toBe(201);
  return res.body.key as string;
}

function openai(apiKey = key) {
  return new OpenAI({ apiKey, baseURL: `${world.server.url}/v1`, maxRetries: 0 });
}

function lastUpstreamBody(): Record<string, unknown> {
  return world.upstream.requests.at(-1)!.body!;
}

beforeAll(async () => {
  world = await startChatWorld();
  const provider = await createMockProvider(world);
  model = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }]);
  key = await apiKeyFor(world.admin.token);
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
});

describe('tool calling through /v1/chat/completions with the openai client', () => {
  it('runs a two-step tool loop without streaming; the tool result reaches the upstream with its tool_call_id', async () => {
    const client = openai();
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Please call get_weather for Paris' }];
    const first = await client.chat.completions.create({ model: model.name, messages, tools: [WEATHER] });
    const call = first.choices[0]!.message.tool_calls?.[0];
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(first.choices[0]!.message.content).toBeNull();
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"demo"}' } });

    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call!.id, content: '21 degrees' });
    const second = await client.chat.completions.create({ model: model.name, messages, tools: [WEATHER] });
    expect(second.choices[0]!.message.content).toContain('Tool said: 21 degrees');
    const sent = lastUpstreamBody().messages as Record<string, unknown>[];
    expect(sent[1]).toMatchObject({ role: 'assistant', content: null, tool_calls: [{ id: call!.id, type: 'function' }] });
    expect(sent[2]).toEqual({ role: 'tool', tool_call_id: call!.id, content: '21 degrees' });
  });

  it('runs the same loop streaming, with tool_calls deltas assembled by the client', async () => {
    const client = openai();
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'get_weather in Oslo' }];
    const stream = client.chat.completions.stream({ model: model.name, messages, tools: [WEATHER] });
    const first = await stream.finalChatCompletion();
    const call = first.choices[0]!.message.tool_calls?.[0];
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ function: { name: 'get_weather', arguments: '{"city":"demo"}' } });

    messages.push(
      { role: 'assistant', content: null, tool_calls: first.choices[0]!.message.tool_calls },
      { role: 'tool', tool_call_id: call!.id, content: 'snow' },
    );
    const chunks = await client.chat.completions.create({ model: model.name, messages, tools: [WEATHER], stream: true });
    let text = '';
    for await (const chunk of chunks) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toContain('Tool said: snow');
  });
});

describe('lossless requests', () => {
  it('delivers an image part and separate text parts to the upstream intact', async () => {
    const image = {
      type: 'image_url' as const,
      image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==', detail: 'low' as const },
    };
    const content = [{ type: 'text' as const, text: 'first part.' }, image, { type: 'text' as const, text: 'Second part.' }];
    const completion = await openai().chat.completions.create({
      model: model.name,
      messages: [{ role: 'user', content }],
      seed: 7,
      user: 'u-1',
    });
    expect(completion.choices[0]!.message.content).toContain('first part.\nSecond part.');
    const sent = lastUpstreamBody();
    expect((sent.messages as Record<string, unknown>[])[0]).toEqual({ role: 'user', content });
    expect(sent).toMatchObject({ seed: 7, user: 'u-1' });
  });

  it('keeps max_completion_tokens as max_completion_tokens and adds no max_tokens', async () => {
    await openai().chat.completions.create({ model: model.name, messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 50 });
    const sent = lastUpstreamBody();
    expect(sent.max_completion_tokens).toBe(50);
    expect(sent).not.toHaveProperty('max_tokens');
  });

  it("caps a request with no limit at the model's limit in the field the provider asks for (reasoning models refuse max_tokens)", async () => {
    const provider = await createMockProvider(world, { options: { max_tokens_field: 'max_completion_tokens' } });
    const reasoning = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'reasoning-mini' }]);
    const completion = await openai().chat.completions.create({ model: reasoning.name, messages: [{ role: 'user', content: 'think' }] });
    expect(completion.choices[0]!.message.content).toContain('You said: think');
    const sent = lastUpstreamBody();
    expect(sent).toMatchObject({ model: 'reasoning-mini', max_completion_tokens: 256 });
    expect(sent).not.toHaveProperty('max_tokens');
    const read = await world.api.get(`/api/v1/providers/${provider.id}`, world.admin.token);
    expect(read.body.options).toEqual({ max_tokens_field: 'max_completion_tokens' });
  });

  it('refuses an unknown content part with a 400 naming it', async () => {
    const res = await fetch(`${world.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: model.name, messages: [{ role: 'user', content: [{ type: 'hologram', data: 'x' }] }] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; message: string; type: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'messages[0].content[0].type' });
    expect(body.error.message).toContain('hologram');
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });
});

describe('billing when the upstream counts more than the estimate', () => {
  async function books(userId: string) {
    const db = world.server.server.platform.db;
    const wallet = await db
      .selectFrom('wallets')
      .select(['balance_nano', 'held_nano'])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    const { rows } = await sql<{
      sum: bigint;
    }>`SELECT coalesce(sum(amount_nano), 0)::bigint AS sum FROM ledger_entries WHERE user_id = ${userId}`.execute(db);
    const usage = await db
      .selectFrom('usage_records')
      .select(['cost_nano', 'uncollected_nano', 'input_tokens', 'output_tokens'])
      .where('user_id', '=', userId)
      .execute();
    return { ...wallet, ledgerSum: BigInt(rows[0]!.sum), usage };
  }

  it('charges the actual cost above the hold, and never takes the wallet below zero (the rest is recorded as uncollected)', async () => {
    const provider = await createMockProvider(world);
    const greedy = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-overcount' }], {
      config: { max_tokens: 16 },
    });
    const user = await signUp(world.api);
    const userKey = await apiKeyFor(user.token);
    const before = await books(user.id);

    // Plenty of money: the whole reported usage is charged, far above what was reserved.
    const completion = await openai(userKey).chat.completions.create({
      model: greedy.name,
      messages: [{ role: 'user', content: 'count' }],
    });
    const reported = completion.usage!;
    const actual = BigInt(reported.prompt_tokens) * 2_000n + BigInt(reported.completion_tokens) * 4_000n;
    await settled(world.server);
    await world.server.server.platform.leases?.drain();
    const rich = await books(user.id);
    expect(rich.usage).toHaveLength(1);
    expect(rich.usage[0]).toMatchObject({ cost_nano: actual, uncollected_nano: 0n, input_tokens: reported.prompt_tokens });
    expect(before.balance_nano - rich.balance_nano).toBe(actual);
    expect(rich.ledgerSum).toBe(rich.balance_nano);

    // Almost nothing left: the hold fits, the actual cost does not; the wallet stops at zero.
    const leftover = 200_000n;
    await world.api.post(
      `/api/v1/admin/users/${user.id}/wallet/debit`,
      { amount: nanoToAmount(rich.balance_nano - leftover), reason: 'near empty' },
      world.admin.token,
    );
    await openai(userKey).chat.completions.create({ model: greedy.name, messages: [{ role: 'user', content: 'count' }] });
    await settled(world.server);
    await world.server.server.platform.leases?.drain();
    const poor = await books(user.id);
    expect(poor.balance_nano).toBe(0n);
    expect(poor.held_nano).toBe(0n);
    expect(poor.ledgerSum).toBe(0n);
    const last = poor.usage.find((u) => u.uncollected_nano > 0n);
    expect(last?.cost_nano).toBe(leftover);
    expect(last!.cost_nano + last!.uncollected_nano).toBe(actual);
  });
});
