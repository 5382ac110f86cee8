// POST /v1/responses (the OpenAI Responses API subset) with the real clients: the `openai` client's
// responses.create (JSON and stream) and the Vercel AI SDK's DEFAULT `openai(model)` provider
// (generateText, streamText, a tool loop with stopWhen), against a model on an OpenAI-compatible
// upstream and one on a Gemini upstream (both strict mocks).
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GEMINI_MOCK_SUFFIX, type GeminiMock, startGeminiMock } from '@maas/api/testing/mock-gemini-upstream';
import { MOCK_REPLY_SUFFIX } from '../kit/index.js';
import { type ChatWorld, createMockProvider, createRoutedModel, settled, signUp, startChatWorld } from '../kit/index.js';

let world: ChatWorld;
let gemini: GeminiMock;
let openAiModel: { id: string; name: string };
let geminiModel: { id: string; name: string };

beforeAll(async () => {
  world = await startChatWorld();
  gemini = await startGeminiMock();
  const openAiProvider = await createMockProvider(world);
  openAiModel = await createRoutedModel(world, [{ provider_id: openAiProvider.id, upstream_model: 'mock-ok' }]);
  const geminiProvider = await createMockProvider(world, { kind: 'gemini', base_url: gemini.url, api_key: 'gemini-test-key' });
  geminiModel = await createRoutedModel(world, [{ provider_id: geminiProvider.id, upstream_model: 'gemini-test' }]);
});

afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
  await gemini?.close();
});

async function apiKey(): Promise<{ key: string; userId: string }> {
  const user = await signUp(world.api);
  const res = await world.api.post('/api/v1/api-keys', { name: 'responses' }, user.token);
  expect(res.status).toBe(201);
  return { key: res.body.key as string, userId: user.id };
}

const upstreams = () => [
  { label: 'an OpenAI-compatible upstream', model: openAiModel, suffix: MOCK_REPLY_SUFFIX },
  { label: 'a Gemini upstream', model: geminiModel, suffix: GEMINI_MOCK_SUFFIX },
];

describe('/v1/responses with the openai client', () => {
  it.each(['openai', 'gemini'] as const)('answers responses.create without streaming (%s upstream)', async (which) => {
    const target = upstreams()[which === 'openai' ? 0 : 1]!;
    const client = new OpenAI({ apiKey: (await apiKey()).key, baseURL: `${world.server.url}/v1`, maxRetries: 0 });
    const response = await client.responses.create({ model: target.model.name, instructions: 'Be brief.', input: 'Hello responses' });
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect((response as unknown as { store: boolean }).store).toBe(false);
    expect(response.output_text).toBe(`You said: Hello responses. ${target.suffix}`);
    expect(response.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
    expect(response.usage!.input_tokens).toBeGreaterThan(0);
    expect(response.usage!.total_tokens).toBe(response.usage!.input_tokens + response.usage!.output_tokens);
    expect(response.usage!.input_tokens_details.cached_tokens).toBe(0);
  });

  it.each(['openai', 'gemini'] as const)(
    'streams the event sequence the client parses, with usage at the end (%s upstream)',
    async (which) => {
      const target = upstreams()[which === 'openai' ? 0 : 1]!;
      const client = new OpenAI({ apiKey: (await apiKey()).key, baseURL: `${world.server.url}/v1`, maxRetries: 0 });
      const stream = await client.responses.create({ model: target.model.name, input: 'Stream responses', stream: true });
      const types: string[] = [];
      const sequence: number[] = [];
      let text = '';
      let completed: OpenAI.Responses.Response | undefined;
      for await (const event of stream) {
        types.push(event.type);
        sequence.push(event.sequence_number);
        if (event.type === 'response.output_text.delta') text += event.delta;
        if (event.type === 'response.completed') completed = event.response;
      }
      expect(text).toBe(`You said: Stream responses. ${target.suffix}`);
      expect(sequence).toEqual(sequence.map((_, index) => index));
      const distinct = types.filter((type, index) => type !== types[index - 1]);
      expect(distinct).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      expect(completed?.usage?.output_tokens).toBeGreaterThan(0);
      expect(completed?.output_text ?? (completed?.output[0] as { content: { text: string }[] }).content[0]!.text).toBe(text);
    },
  );

  it('streams a function call as output_item.added, arguments delta/done and output_item.done', async () => {
    const client = new OpenAI({ apiKey: (await apiKey()).key, baseURL: `${world.server.url}/v1`, maxRetries: 0 });
    const stream = await client.responses.create({
      model: geminiModel.name,
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Use get_weather for Paris' }] }],
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          strict: false,
        },
      ],
      stream: true,
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const done = events.find((event) => event.type === 'response.output_item.done');
    expect(done).toMatchObject({
      item: { type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}', call_id: expect.stringMatching(/^call_/) },
    });
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
  });

  it('refuses previous_response_id with a 400 saying nothing is stored, in OpenAI error shape', async () => {
    const client = new OpenAI({ apiKey: (await apiKey()).key, baseURL: `${world.server.url}/v1`, maxRetries: 0 });
    const error = await client.responses
      .create({ model: openAiModel.name, input: 'x', previous_response_id: 'resp_123' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.message).toContain('store');
    expect(bad.param).toBe('previous_response_id');
  });

  it('refuses a caller without a platform API key with a 401 in OpenAI shape', async () => {
    const res = await fetch(`${world.server.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-not-a-key' },
      body: JSON.stringify({ model: openAiModel.name, input: 'x' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
  });

  it('bills a Responses call like every surface: one usage record with the reported tokens', async () => {
    const { key, userId } = await apiKey();
    const client = new OpenAI({ apiKey: key, baseURL: `${world.server.url}/v1`, maxRetries: 0 });
    const response = await client.responses.create({ model: geminiModel.name, input: 'Bill me' });
    await settled(world.server);
    const records = await world.server.server.platform.db
      .selectFrom('usage_records')
      .select(['input_tokens', 'output_tokens', 'status'])
      .where('user_id', '=', userId)
      .execute();
    expect(records).toEqual([
      { input_tokens: response.usage!.input_tokens, output_tokens: response.usage!.output_tokens, status: 'success' },
    ]);
  });
});

describe('/v1/responses with the Vercel AI SDK default openai(model) provider', () => {
  const weatherTool = (calls: string[]) =>
    tool({
      description: 'Current weather in a city',
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        calls.push(city);
        return { city, temperature: 21 };
      },
    });

  it.each(['openai', 'gemini'] as const)('generateText and streamText (%s upstream)', async (which) => {
    const target = upstreams()[which === 'openai' ? 0 : 1]!;
    const provider = createOpenAI({ apiKey: (await apiKey()).key, baseURL: `${world.server.url}/v1` });
    const generated = await generateText({ model: provider(target.model.name), prompt: 'Hello SDK', maxRetries: 0 });
    expect(generated.text).toBe(`You said: Hello SDK. ${target.suffix}`);
    expect(generated.usage.inputTokens).toBeGreaterThan(0);

    const streamed = streamText({ model: provider(target.model.name), prompt: 'Stream SDK', maxRetries: 0 });
    expect(await streamed.text).toBe(`You said: Stream SDK. ${target.suffix}`);
    expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
  });

  it.each(['openai', 'gemini'] as const)(
    'runs a tool loop with stopWhen: stepCountIs(3), generateText and streamText (%s upstream)',
    async (which) => {
      const target = upstreams()[which === 'openai' ? 0 : 1]!;
      const provider = createOpenAI({ apiKey: (await apiKey()).key, baseURL: `${world.server.url}/v1` });
      const calls: string[] = [];
      const generated = await generateText({
        model: provider(target.model.name),
        tools: { get_weather: weatherTool(calls) },
        stopWhen: stepCountIs(3),
        prompt: 'What is the weather? Use get_weather.',
        maxRetries: 0,
      });
      expect(generated.steps.length).toBe(2);
      expect(generated.steps[0]!.toolCalls.map((call) => call.toolName)).toEqual(['get_weather']);
      expect(calls.length).toBe(1);
      expect(generated.text).toContain('21');

      const streamed = streamText({
        model: provider(target.model.name),
        tools: { get_weather: weatherTool(calls) },
        stopWhen: stepCountIs(3),
        prompt: 'And now? Use get_weather.',
        maxRetries: 0,
      });
      const text = await streamed.text;
      expect((await streamed.steps).length).toBe(2);
      expect(calls.length).toBe(2);
      expect(text).toContain('21');
    },
  );
});
