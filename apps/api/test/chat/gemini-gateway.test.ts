// A model on a Gemini upstream (the strict Gemini mock) through /v1/chat/completions, driven by the
// official openai client: JSON, streaming, a two-step tool loop, an inline image, and billing from
// Gemini's usageMetadata (cached content and thought tokens included).
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GEMINI_MOCK_SUFFIX, type GeminiMock, startGeminiMock } from '@maas/api/testing/mock-gemini-upstream';
import { apiClient, setRole, signUp, startTestServer, type TestServer } from '../kit/index.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const INPUT_NANO = 2_000n;
const OUTPUT_NANO = 4_000n;
const CACHED_NANO = 500n;
const WEATHER = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
};

let server: TestServer;
let gemini: GeminiMock;
let cachedGemini: GeminiMock;
let api: ReturnType<typeof apiClient>;
let adminToken: string;
let model: { id: string; name: string };
let cachedModel: { id: string; name: string };

async function geminiModel(mock: GeminiMock, pricing: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
  const provider = await api.post(
    '/api/v1/providers',
    {
      name: `gemini-${Math.random().toString(36).slice(2, 8)}`,
      kind: 'gemini',
      base_url: mock.url,
      api_key: 'gemini-test-key',
      timeout_ms: 5_000,
    },
    adminToken,
  );
  expect(provider.status).toBe(201);
  const created = await api.post(
    '/api/v1/models',
    {
      name: `gemini-model-${Math.random().toString(36).slice(2, 8)}`,
      description: 'a model served by Gemini',
      category: 'text',
      visibility: 'public',
      pricing: { input_tokens: 0.000002, output_tokens: 0.000004, ...pricing },
      context_window: 8_192,
      config: { max_tokens: 256 },
      routes: [{ provider_id: provider.body.id, upstream_model: 'gemini-test' }],
    },
    adminToken,
  );
  expect(created.status).toBe(201);
  return created.body;
}

async function client(): Promise<{ openai: OpenAI; userId: string }> {
  const user = await signUp(api);
  const key = await api.post('/api/v1/api-keys', { name: 'gemini' }, user.token);
  expect(key.status).toBe(201);
  return { openai: new OpenAI({ apiKey: key.body.key, baseURL: `${server.url}/v1`, maxRetries: 0 }), userId: user.id };
}

beforeAll(async () => {
  gemini = await startGeminiMock();
  cachedGemini = await startGeminiMock({ cachedContentTokens: 40, thoughtsTokens: 12 });
  server = await startTestServer();
  api = apiClient(server.url);
  const admin = await signUp(api, 'admin');
  await setRole(server, admin.id, 'admin');
  adminToken = admin.token;
  model = await geminiModel(gemini);
  // 0.0000005 per cached input token: CACHED_NANO.
  cachedModel = await geminiModel(cachedGemini, { cached_input_tokens: 0.0000005 });
});

afterAll(async () => {
  await server?.close();
  await gemini?.close();
  await cachedGemini?.close();
});

describe('a Gemini upstream behind /v1/chat/completions', () => {
  it('answers the openai client without streaming, with Gemini usage as OpenAI usage', async () => {
    const { openai } = await client();
    const completion = await openai.chat.completions.create({
      model: model.name,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello Gemini' },
      ],
    });
    expect(completion.choices[0]!.message.content).toBe(`You said: Hello Gemini. ${GEMINI_MOCK_SUFFIX}`);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    const usage = gemini.usageFor(gemini.requests.at(-1)!);
    expect(completion.usage).toMatchObject({ prompt_tokens: usage.promptTokenCount, completion_tokens: usage.candidatesTokenCount });
    expect(gemini.requests.at(-1)!.body.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }] });
  });

  it('streams to the openai client, usage last when asked', async () => {
    const { openai } = await client();
    const stream = await openai.chat.completions.create({
      model: model.name,
      messages: [{ role: 'user', content: 'Stream from Gemini' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(`You said: Stream from Gemini. ${GEMINI_MOCK_SUFFIX}`);
    expect(finish).toBe('stop');
    expect(usage?.prompt_tokens).toBe(gemini.usageFor(gemini.requests.at(-1)!).promptTokenCount);
  });

  it('runs a two-step tool loop with the openai client (JSON, then streaming)', async () => {
    const { openai } = await client();
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris? Use get_weather.' }];
    const step1 = await openai.chat.completions.create({ model: model.name, messages, tools: [WEATHER] });
    const call = step1.choices[0]!.message.tool_calls?.[0];
    expect(step1.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    messages.push(step1.choices[0]!.message, { role: 'tool', tool_call_id: call!.id, content: '{"temperature":21}' });
    const step2 = await openai.chat.completions.create({ model: model.name, messages, tools: [WEATHER] });
    expect(step2.choices[0]!.message.content).toBe('Tool get_weather returned {"temperature":21}.');
    // Gemini saw the call in a model turn and the result as a functionResponse of the same name.
    expect(gemini.requests.at(-1)!.body.contents).toEqual([
      { role: 'user', parts: [{ text: 'What is the weather in Paris? Use get_weather.' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 21 } } }] },
    ]);

    const streamed = await openai.chat.completions.create({
      model: model.name,
      messages: [{ role: 'user', content: 'Rome please, use get_weather' }],
      tools: [WEATHER],
      stream: true,
    });
    const calls: { id?: string; name?: string; arguments: string }[] = [];
    let finish: string | null = null;
    for await (const chunk of streamed) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        calls[delta.index] ??= { arguments: '' };
        if (delta.id) calls[delta.index]!.id = delta.id;
        if (delta.function?.name) calls[delta.index]!.name = delta.function.name;
        calls[delta.index]!.arguments += delta.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(calls).toEqual([{ id: expect.stringMatching(/^call_/), name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    expect(finish).toBe('tool_calls');
    const step2Streamed = await openai.chat.completions.create({
      model: model.name,
      messages: [
        { role: 'user', content: 'Rome please, use get_weather' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: calls[0]!.id!, type: 'function', function: { name: 'get_weather', arguments: calls[0]!.arguments } }],
        },
        { role: 'tool', tool_call_id: calls[0]!.id!, content: 'sunny' },
      ],
      tools: [WEATHER],
      stream: true,
    });
    let text = '';
    for await (const chunk of step2Streamed) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Tool get_weather returned {"result":"sunny"}.');
  });

  it('sends an image part inline, and refuses an image URL with a 400 naming the part', async () => {
    const { openai } = await client();
    const completion = await openai.chat.completions.create({
      model: model.name,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          ],
        },
      ],
    });
    expect(completion.choices[0]!.message.content).toContain('What is in this picture?');
    const parts = (gemini.requests.at(-1)!.body.contents as { parts: unknown[] }[])[0]!.parts;
    expect(parts).toEqual([{ text: 'What is in this picture?' }, { inline_data: { mime_type: 'image/png', data: PNG } }]);

    const refused = await openai.chat.completions
      .create({
        model: model.name,
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
      })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('messages[0].content[0]');
  });

  it('bills from usageMetadata: cached tokens at the cached price, thought tokens as output', async () => {
    const { openai, userId } = await client();
    const completion = await openai.chat.completions.create({ model: cachedModel.name, messages: [{ role: 'user', content: 'Cache me' }] });
    const reported = cachedGemini.usageFor(cachedGemini.requests.at(-1)!);
    const output = reported.candidatesTokenCount! + 12;
    expect(completion.usage).toMatchObject({
      prompt_tokens: reported.promptTokenCount,
      completion_tokens: output,
      prompt_tokens_details: { cached_tokens: 40 },
      completion_tokens_details: { reasoning_tokens: 12 },
    });
    await server.server.platform.background.drain();
    const record = await server.server.platform.db
      .selectFrom('usage_records')
      .select(['input_tokens', 'output_tokens', 'cached_input_tokens', 'cost_nano', 'status'])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(record).toMatchObject({
      input_tokens: reported.promptTokenCount,
      output_tokens: output,
      cached_input_tokens: 40,
      status: 'success',
    });
    const expected = BigInt(reported.promptTokenCount! - 40) * INPUT_NANO + 40n * CACHED_NANO + BigInt(output) * OUTPUT_NANO;
    expect(BigInt(record.cost_nano)).toBe(expected);
  });
});
