import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_REPLY_SUFFIX } from '@maas/api/testing/mock-upstream';
import { type ChatWorld, createMockProvider, createRoutedModel, expectedCostNano, settled, signUp, startChatWorld } from '../kit/index.js';

// Issue 14 part 2: POST /v1/completions (legacy text completion) with the official openai client.
// The prompt becomes one user message of a chat call on a model with `chat`; the answer comes back
// in the text_completion shape, JSON and streamed, billed as chat.

let world: ChatWorld;
let model: { id: string; name: string };

async function newCaller() {
  const user = await signUp(world.api);
  const res = await world.api.post('/api/v1/api-keys', { name: 'completions' }, user.token);
  expect(res.status).toBe(201);
  return { user, client: new OpenAI({ apiKey: res.body.key as string, baseURL: `${world.server.url}/v1`, maxRetries: 0 }) };
}

async function usageRows(userId: string) {
  await settled(world.server);
  await world.server.server.platform.leases?.drain();
  return world.server.server.platform.db
    .selectFrom('usage_records')
    .select(['cost_nano', 'input_tokens', 'output_tokens', 'status'])
    .where('user_id', '=', userId)
    .execute();
}

async function rejection(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
  );
}

beforeAll(async () => {
  world = await startChatWorld({ MAAS_SEED_DEMO: '1' });
  const provider = await createMockProvider(world);
  model = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }]);
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
});

describe('POST /v1/completions', () => {
  it('answers a text_completion from the chat answer to the prompt, and sends the upstream one user message', async () => {
    const { user, client } = await newCaller();
    const completion = await client.completions.create({ model: model.name, prompt: 'Once upon a time', max_tokens: 64, temperature: 0.2 });
    expect(completion.object).toBe('text_completion');
    expect(completion.id).toMatch(/^cmpl-/);
    expect(completion.model).toBe(model.name);
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]).toMatchObject({ index: 0, logprobs: null, finish_reason: 'stop' });
    expect(completion.choices[0]!.text).toContain(MOCK_REPLY_SUFFIX);
    const sent = world.upstream.requests.at(-1)!;
    expect(sent.url).toBe('/v1/chat/completions');
    expect(sent.body).toMatchObject({
      model: 'mock-ok',
      messages: [{ role: 'user', content: 'Once upon a time' }],
      max_tokens: 64,
      temperature: 0.2,
    });
    const rows = await usageRows(user.id);
    expect(rows).toEqual([
      expect.objectContaining({
        input_tokens: completion.usage!.prompt_tokens,
        output_tokens: completion.usage!.completion_tokens,
        status: 'success',
      }),
    ]);
    expect(rows[0]!.cost_nano).toBe(expectedCostNano(completion.usage!));
  });

  it('streams text_completion chunks that add up to the JSON answer, usage last when asked, and bills the same', async () => {
    const { user, client } = await newCaller();
    const json = await client.completions.create({ model: 'demo-chat', prompt: 'Tell me about otters' });
    const stream = await client.completions.create({
      model: 'demo-chat',
      prompt: 'Tell me about otters',
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('text_completion');
      chunks++;
      for (const choice of chunk.choices) {
        text += choice.text;
        if (choice.finish_reason) finish = choice.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toBe(json.choices[0]!.text);
    expect(text).toContain('Tell me about otters');
    expect(finish).toBe('stop');
    expect(usage).toEqual(json.usage);
    // demo-chat: 0.000001 per input token, 0.000002 per output token.
    const cost = BigInt(json.usage!.prompt_tokens) * 1_000n + BigInt(json.usage!.completion_tokens) * 2_000n;
    const rows = await usageRows(user.id);
    expect(rows.map((r) => r.cost_nano)).toEqual([cost, cost]);
  });

  it('streams from an OpenAI-compatible upstream too, without usage unless asked', async () => {
    const { client } = await newCaller();
    const stream = await client.completions.create({ model: model.name, prompt: 'stream me', stream: true });
    let text = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices.map((c) => c.text).join('');
      if (chunk.usage) sawUsage = true;
    }
    expect(text).toContain(MOCK_REPLY_SUFFIX);
    expect(sawUsage).toBe(false);
  });

  it('puts the prompt before the answer with echo', async () => {
    const { client } = await newCaller();
    const completion = await client.completions.create({ model: 'demo-chat', prompt: 'Echo this. ', echo: true });
    expect(completion.choices[0]!.text.startsWith('Echo this. Echo: Echo this.')).toBe(true);
  });

  it('refuses a model without chat with a 400 naming the model and the operation', async () => {
    const { client } = await newCaller();
    for (const name of ['demo-image-sketch', 'demo-embed']) {
      const error = await rejection(client.completions.create({ model: name, prompt: 'a cat' }));
      expect(error.status).toBe(400);
      expect(error.message).toContain(name);
      expect(error.message).toContain('chat');
    }
  });

  it('refuses token prompts, several prompts, suffix and logprobs with a 400 naming the field', async () => {
    const { client } = await newCaller();
    const cases: [Record<string, unknown>, string][] = [
      [{ prompt: [1, 2, 3] }, 'token arrays'],
      [{ prompt: ['a', 'b'] }, 'one prompt'],
      [{ prompt: '' }, 'prompt'],
      [{ prompt: 'x', suffix: 'y' }, 'suffix'],
      [{ prompt: 'x', logprobs: 2 }, 'logprobs'],
    ];
    for (const [body, mention] of cases) {
      const error = await rejection(client.post('/completions', { body: { model: 'demo-chat', ...body } }));
      expect(error.status, JSON.stringify(body)).toBe(400);
      expect(error.message).toContain(mention);
    }
  });
});
