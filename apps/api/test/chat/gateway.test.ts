import OpenAI from 'openai';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nanoToAmount } from '@maas/api/testing';
import {
  type ChatMessage,
  type ChatWorld,
  createMockProvider,
  createRoutedModel,
  expectedCostNano,
  mockReply,
  mockUsage,
  settled,
  signUp,
  startChatWorld,
  startMockUpstream,
} from '../kit/index.js';

let world: ChatWorld;
let model: { id: string; name: string };

beforeAll(async () => {
  world = await startChatWorld();
  const provider = await createMockProvider(world);
  model = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }]);
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

  it('opens a stream at once when the first token is slow, and sends the headers with the first chunk otherwise', async () => {
    // An upstream whose stream opens 600 ms before its first chunk (a model thinking).
    const slow = await startMockUpstream({ firstByteDelayMs: 600 });
    try {
      const provider = await createMockProvider(world, { base_url: slow.url });
      const thinking = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-slow-first-token' }]);
      const user = await signUp(world.api);
      const key = await apiKeyFor(user.token);
      const messages = [{ role: 'user', content: 'Think first, then answer' }];
      const started = performance.now();
      const response = await fetch(`${world.server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: thinking.name, messages, stream: true }),
      });
      const headersAfter = performance.now() - started;
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const reader = response.body!.getReader();
      const first = await reader.read();
      const firstChunkAfter = performance.now() - started;
      // The headers did not wait for the first chunk.
      expect(firstChunkAfter).toBeGreaterThanOrEqual(600);
      expect(firstChunkAfter - headersAfter).toBeGreaterThanOrEqual(400);
      let text = new TextDecoder().decode(first.value);
      for (let read = await reader.read(); !read.done; read = await reader.read()) text += new TextDecoder().decode(read.value);
      const content = text
        .split('\n\n')
        .filter((event) => event.startsWith('data: {'))
        .map((event) => (JSON.parse(event.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
        .join('');
      expect(content).toBe(mockReply(messages as ChatMessage[]));
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    } finally {
      await slow.close();
    }
    // A quick upstream's stream still reads whole with the official client (headers and first chunk together).
    const client = openai(await apiKeyFor((await signUp(world.api)).token));
    const quick = [{ role: 'user' as const, content: 'Quick answer' }];
    let quickText = '';
    for await (const chunk of await client.chat.completions.create({ model: model.name, messages: quick, stream: true }))
      quickText += chunk.choices[0]?.delta.content ?? '';
    expect(quickText).toBe(mockReply(quick));
  });

  it('lists the models a key can call at /v1/models', async () => {
    const user = await signUp(world.api);
    const list = await openai(await apiKeyFor(user.token)).models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toContain(model.name);
  });

  it("forwards the client's own request text with only the needed edits, and falls back to rebuilding it", async () => {
    const user = await signUp(world.api);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${await apiKeyFor(user.token)}` };
    const send = async (text: string) => {
      const from = world.upstream.requests.length;
      const res = await fetch(`${world.server.url}/v1/chat/completions`, { method: 'POST', headers, body: text });
      expect(res.status).toBe(200);
      const sent = world.upstream.requests.slice(from).find((request) => request.url.startsWith('/v1/chat/completions'));
      return { answer: (await res.json()) as { model: string; choices: { message: { content: string } }[] }, sent: sent! };
    };
    // Spacing, key order and escapes as the client wrote them; "model" also inside the content, escaped.
    const text = `{"messages": [ {"role": "user", "content": "caf\\u00e9 \\"model\\": x"} ],\n "model": ${JSON.stringify(model.name)}, "user": "u-1"}`;
    const { answer, sent } = await send(text);
    expect(answer.model).toBe(model.name);
    expect(answer.choices[0]?.message.content).toBe(mockReply([{ role: 'user', content: 'café "model": x' }]));
    expect(sent.text.startsWith('{"max_tokens":')).toBe(true);
    expect(sent.text.endsWith(`"stream":false,${text.slice(1).replace(JSON.stringify(model.name), '"mock-ok"')}`)).toBe(true);
    expect(sent.body).toMatchObject({ model: 'mock-ok', stream: false, user: 'u-1' });

    // A limit above the model's cap must be lowered: the body is rebuilt, with the same meaning.
    const over = await send(JSON.stringify({ model: model.name, messages: [{ role: 'user', content: 'cap me' }], max_tokens: 999_999 }));
    expect(over.answer.model).toBe(model.name);
    expect(over.sent.body?.max_tokens).toBe(256);
    expect(over.sent.text.startsWith('{"model":"mock-ok"')).toBe(true);
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

  describe("Fastify's own client errors keep their meaning in OpenAI shape", () => {
    type OpenAiError = { error: { message: string; type: string; param: unknown; code: unknown } };

    async function postRaw(body: string, contentType: string) {
      const user = await signUp(world.api);
      const res = await fetch(`${world.server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          'accept-language': 'en',
          'x-request-id': 'gw-client-error-1',
          authorization: `Bearer ${await apiKeyFor(user.token)}`,
        },
        body,
      });
      expect(res.headers.get('x-request-id')).toBe('gw-client-error-1');
      return { status: res.status, body: (await res.json()) as OpenAiError };
    }

    it('answers a body that is not JSON (415 from the parser) as an unsupported content type, not malformed JSON', async () => {
      for (const contentType of ['text/plain', 'application/xml']) {
        const { status, body } = await postRaw('model=x', contentType);
        expect(status, contentType).toBe(400);
        expect(body.error, contentType).toEqual({
          message: 'Unsupported Content-Type; use application/json',
          type: 'invalid_request_error',
          param: null,
          code: null,
        });
      }
    });

    it('still answers malformed JSON as malformed JSON', async () => {
      const { status, body } = await postRaw('{"model":', 'application/json');
      expect(status).toBe(400);
      expect(body.error).toMatchObject({ message: 'The request body is not valid JSON', type: 'invalid_request_error' });
    });

    it('answers a body nested too deeply as such', async () => {
      const { status, body } = await postRaw(`{"model":${'['.repeat(1_000)}${']'.repeat(1_000)}}`, 'application/json');
      expect(status).toBe(400);
      expect(body.error.message).toBe('The request body is nested too deeply');
    });

    it('answers a body over the size limit with 413', async () => {
      const { status, body } = await postRaw(JSON.stringify({ model: 'a'.repeat(1_100_000) }), 'application/json');
      expect(status).toBe(413);
      expect(body.error).toMatchObject({ message: 'Request body too large', type: 'invalid_request_error' });
    });
  });

  it('refuses a model outside the key allow-list', async () => {
    const user = await signUp(world.api);
    const other = await createRoutedModel(world, [{ provider_id: (await createMockProvider(world)).id, upstream_model: 'mock-ok' }]);
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
