// POST /v1/messages with the real @anthropic-ai/sdk, and the `anthropic` provider kind with the real
// openai client, against the strict Anthropic mock upstream. Billing is checked against the mock's
// reported usage, cache tokens included.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTextTokens, sampleArguments } from '@maas/api/testing';
import { ANTHROPIC_MOCK_KEY, type AnthropicMock, startAnthropicMock } from '@maas/api/testing/mock-anthropic-upstream';
import {
  apiClient,
  type ApiClient,
  type MockUpstream,
  setRole,
  signUp,
  startMockUpstream,
  startTestServer,
  type TestServer,
} from '../kit/index.js';

const INPUT_NANO = 2_000n;
const OUTPUT_NANO = 4_000n;
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

let server: TestServer;
let api: ApiClient;
let mock: AnthropicMock;
let claudeModel: { id: string; name: string };
let openAiUpstream: MockUpstream;
let gptModel: { id: string; name: string };

async function createRoutedModel(token: string, provider: Record<string, unknown>, upstreamModel: string) {
  const created = await api.post(
    '/api/v1/providers',
    { name: `p-${Math.random().toString(36).slice(2, 8)}`, timeout_ms: 5_000, priority: 0, weight: 1, enabled: true, ...provider },
    token,
  );
  if (created.status !== 201) throw new Error(`provider: ${created.status} ${JSON.stringify(created.body)}`);
  const model = await api.post(
    '/api/v1/models',
    {
      name: `m-${Math.random().toString(36).slice(2, 8)}`,
      description: 'routed model',
      category: 'text',
      visibility: 'public',
      pricing: { input_tokens: 0.000002, output_tokens: 0.000004 },
      context_window: 8_192,
      config: { max_tokens: 256 },
      routes: [{ provider_id: created.body.id, upstream_model: upstreamModel }],
    },
    token,
  );
  if (model.status !== 201) throw new Error(`model: ${model.status} ${JSON.stringify(model.body)}`);
  return model.body as { id: string; name: string };
}

async function newCaller() {
  const user = await signUp(api);
  const key = await api.post('/api/v1/api-keys', { name: 'anthropic' }, user.token);
  expect(key.status).toBe(201);
  return { user, key: key.body.key as string };
}

function anthropic(key: string) {
  return new Anthropic({ apiKey: key, baseURL: server.url, maxRetries: 0 });
}

async function usageRows(userId: string) {
  await server.server.platform.background.drain();
  return server.server.platform.db
    .selectFrom('usage_records')
    .select(['input_tokens', 'output_tokens', 'cached_input_tokens', 'cost_nano', 'status'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
}

beforeAll(async () => {
  mock = await startAnthropicMock({ toolInput: (_name, text) => ({ city: text.includes('Oslo') ? 'Oslo' : 'Paris' }) });
  server = await startTestServer();
  api = apiClient(server.url);
  const admin = await signUp(api, 'admin');
  await setRole(server, admin.id, 'admin');
  claudeModel = await createRoutedModel(admin.token, { kind: 'anthropic', base_url: mock.url, api_key: ANTHROPIC_MOCK_KEY }, 'claude-test');
  openAiUpstream = await startMockUpstream({ requireApiKey: 'sk-openai-upstream' });
  gptModel = await createRoutedModel(
    admin.token,
    { kind: 'openai-compatible', base_url: openAiUpstream.url, api_key: 'sk-openai-upstream' },
    'mock-ok',
  );
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
  await openAiUpstream?.close();
});

describe('POST /v1/messages to a model on an Anthropic upstream', () => {
  it('runs a two-step tool loop with messages.create, and bills exactly the reported tokens', async () => {
    const { user, key } = await newCaller();
    const client = anthropic(key);
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'What is the weather in Oslo? Use get_weather.' }];
    const first = await client.messages.create({
      model: claudeModel.name,
      max_tokens: 200,
      system: 'Be brief.',
      tools: [WEATHER_TOOL],
      messages,
    });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.model).toBe(claudeModel.name);
    const toolUse = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
    expect(toolUse).toMatchObject({ name: 'get_weather', input: { city: 'Oslo' } });

    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse!.id, content: '-3C and snowing' }] });
    const second = await client.messages.create({
      model: claudeModel.name,
      max_tokens: 200,
      system: 'Be brief.',
      tools: [WEATHER_TOOL],
      messages,
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content).toEqual([{ type: 'text', text: 'Tool said: -3C and snowing.' }]);
    expect(mock.rejections).toEqual([]);
    // The upstream saw the system prompt at the top level and max_tokens as the client sent it.
    expect(mock.requests.at(-1)?.body).toMatchObject({ system: 'Be brief.', max_tokens: 200, model: 'claude-test' });

    const rows = await usageRows(user.id);
    expect(rows).toHaveLength(2);
    for (const [row, message] of [
      [rows[0]!, first],
      [rows[1]!, second],
    ] as const) {
      expect(row).toMatchObject({
        status: 'success',
        input_tokens: message.usage.input_tokens,
        output_tokens: message.usage.output_tokens,
      });
      expect(row.cost_nano).toBe(BigInt(message.usage.input_tokens) * INPUT_NANO + BigInt(message.usage.output_tokens) * OUTPUT_NANO);
    }
  });

  it('streams a two-step tool loop with messages.stream, tool input intact', async () => {
    const { key } = await newCaller();
    const client = anthropic(key);
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris please, get_weather' }];
    const stream = client.messages.stream({ model: claudeModel.name, max_tokens: 200, tools: [WEATHER_TOOL], messages });
    const jsonPieces: string[] = [];
    stream.on('inputJson', (partial) => jsonPieces.push(partial));
    const first = await stream.finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content.map((block) => block.type)).toEqual(['text', 'tool_use']);
    const toolUse = first.content[1] as Anthropic.ToolUseBlock;
    expect(toolUse.input).toEqual({ city: 'Paris' });
    expect(jsonPieces.join('')).toBe('{"city":"Paris"}');
    expect(jsonPieces.length).toBeGreaterThan(1);

    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: [{ type: 'text', text: '21C' }] }] });
    const second = await client.messages
      .stream({ model: claudeModel.name, max_tokens: 200, tools: [WEATHER_TOOL], messages })
      .finalMessage();
    expect(second.content).toEqual([{ type: 'text', text: 'Tool said: 21C.' }]);
    expect(second.usage.output_tokens).toBeGreaterThan(0);
    expect(mock.rejections).toEqual([]);
  });

  it('reports and bills prompt-cache tokens: input_tokens excludes them, the platform bills them as input', async () => {
    const { user, key } = await newCaller();
    mock.setCache({ read: 7, creation: 3 });
    try {
      const client = anthropic(key);
      const body = {
        model: claudeModel.name,
        max_tokens: 100,
        messages: [
          { role: 'user' as const, content: 'Cache this long prompt, please: it repeats a shared preamble every agent turn sends.' },
        ],
      };
      const message = await client.messages.create(body);
      const streamed = await client.messages.stream(body).finalMessage();
      for (const usage of [message.usage, streamed.usage]) {
        expect(usage.cache_read_input_tokens).toBe(7);
        expect(usage.cache_creation_input_tokens).toBe(3);
      }
      expect(streamed.usage.input_tokens).toBe(message.usage.input_tokens);
      const rows = await usageRows(user.id);
      expect(rows).toHaveLength(2);
      const total = message.usage.input_tokens + 10;
      for (const row of rows) {
        expect(row).toMatchObject({ input_tokens: total, cached_input_tokens: 7, output_tokens: message.usage.output_tokens });
        expect(row.cost_nano).toBe(BigInt(total) * INPUT_NANO + BigInt(message.usage.output_tokens) * OUTPUT_NANO);
      }
      const ledger = await server.server.platform.db
        .selectFrom('ledger_entries')
        .select((eb) => eb.fn.sum<string>('amount_nano').as('sum'))
        .where('user_id', '=', user.id)
        .where('amount_nano', '<', 0n)
        .executeTakeFirstOrThrow();
      expect(BigInt(ledger.sum)).toBe(-(rows[0]!.cost_nano + rows[1]!.cost_nano));
    } finally {
      mock.setCache({ read: 0, creation: 0 });
    }
  });

  it('carries an image to the upstream as an image block', async () => {
    const { key } = await newCaller();
    const message = await anthropic(key).messages.create({
      model: claudeModel.name,
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
          ],
        },
      ],
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('I see 1 image(s).') });
    const sent = mock.requests.at(-1)?.body.messages as { content: { type: string }[] }[];
    expect(sent[0]?.content.map((block) => block.type)).toEqual(['text', 'image']);
  });
});

describe('POST /v1/messages to a model on an OpenAI-compatible upstream', () => {
  const expectedInput = sampleArguments(WEATHER_TOOL.input_schema);

  it('runs a two-step tool loop with messages.create, and bills the upstream-reported tokens', async () => {
    const { user, key } = await newCaller();
    const client = anthropic(key);
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Please call get_weather' }];
    const first = await client.messages.create({
      model: gptModel.name,
      max_tokens: 100,
      system: 'Be brief.',
      tools: [WEATHER_TOOL],
      messages,
    });
    expect(first.stop_reason).toBe('tool_use');
    const toolUse = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
    expect(toolUse).toMatchObject({ name: 'get_weather', input: expectedInput });
    const sent = openAiUpstream.requests.at(-1)?.body as Record<string, unknown>;
    expect(sent).toMatchObject({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Please call get_weather' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER_TOOL.input_schema } }],
    });

    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse!.id, content: 'cloudy' }] });
    const second = await client.messages.create({ model: gptModel.name, max_tokens: 100, tools: [WEATHER_TOOL], messages });
    expect(second.stop_reason).toBe('end_turn');
    expect((second.content[0] as Anthropic.TextBlock).text).toMatch(/^Tool said: cloudy\./);
    const secondSent = openAiUpstream.requests.at(-1)?.body as { messages: Record<string, unknown>[] };
    expect(secondSent.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: toolUse!.id });

    const rows = await usageRows(user.id);
    expect(rows.map((row) => [row.input_tokens, row.output_tokens])).toEqual([
      [first.usage.input_tokens, first.usage.output_tokens],
      [second.usage.input_tokens, second.usage.output_tokens],
    ]);
  });

  it('streams a two-step tool loop with messages.stream, tool_use.input intact across protocols', async () => {
    const { key } = await newCaller();
    const client = anthropic(key);
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Stream a get_weather call' }];
    const first = await client.messages.stream({ model: gptModel.name, max_tokens: 100, tools: [WEATHER_TOOL], messages }).finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const toolUse = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
    expect(toolUse?.input).toEqual(expectedInput);
    expect(Object.keys(expectedInput).length).toBeGreaterThan(0);

    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse!.id, content: 'windy' }] });
    const stream = client.messages.stream({ model: gptModel.name, max_tokens: 100, tools: [WEATHER_TOOL], messages });
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const second = await stream.finalMessage();
    expect(text).toMatch(/^Tool said: windy\./);
    expect(second.usage.output_tokens).toBeGreaterThan(0);
    expect(second.usage.input_tokens).toBeGreaterThan(0);
  });

  it('sends an Anthropic image block upstream as an OpenAI image_url part', async () => {
    const { key } = await newCaller();
    await anthropic(key).messages.create({
      model: gptModel.name,
      max_tokens: 50,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
          ],
        },
      ],
    });
    const sent = openAiUpstream.requests.at(-1)?.body as { messages: { content: unknown }[] };
    expect(sent.messages[0]?.content).toEqual([
      { type: 'text', text: 'Describe' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
    ]);
  });
});

describe('the openai client to a model on an Anthropic upstream', () => {
  it('runs a streamed two-step tool loop with tool arguments intact', async () => {
    const { key } = await newCaller();
    const client = new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 });
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: { name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.input_schema },
      },
    ];
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Use get_weather for Oslo' },
    ];
    const first = await client.chat.completions.create({
      model: claudeModel.name,
      messages,
      tools,
      stream: true,
      stream_options: { include_usage: true },
    });
    const calls: { id: string; name: string; arguments: string }[] = [];
    let content = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of first) {
      const choice = chunk.choices[0];
      content += choice?.delta.content ?? '';
      for (const call of choice?.delta.tool_calls ?? []) {
        calls[call.index] ??= { id: '', name: '', arguments: '' };
        const entry = calls[call.index]!;
        if (call.id) entry.id = call.id;
        if (call.function?.name) entry.name = call.function.name;
        entry.arguments += call.function?.arguments ?? '';
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(finish).toBe('tool_calls');
    expect(content).toBe('Let me call get_weather.');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ name: 'get_weather' });
    expect(JSON.parse(calls[0]!.arguments)).toEqual({ city: 'Oslo' });
    expect(usage?.completion_tokens).toBeGreaterThan(0);

    messages.push({
      role: 'assistant',
      content,
      tool_calls: calls.map((call) => ({
        id: call.id,
        type: 'function' as const,
        function: { name: call.name, arguments: call.arguments },
      })),
    });
    messages.push({ role: 'tool', tool_call_id: calls[0]!.id, content: 'sunny' });
    const second = await client.chat.completions.create({ model: claudeModel.name, messages, tools, stream: true });
    let text = '';
    for await (const chunk of second) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Tool said: sunny.');
    expect(mock.rejections).toEqual([]);
    const sent = mock.requests.at(-1)?.body as { system?: string; messages: { role: string }[] };
    expect(sent.system).toBe('You are terse.');
    expect(sent.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
  });
});

describe('POST /v1/messages when the Anthropic upstream fails', () => {
  it('bills a stream cut mid-way for exactly the text delivered, and ends it with an error event', async () => {
    const admin = await signUp(api, 'admin');
    await setRole(server, admin.id, 'admin');
    const cutModel = await createRoutedModel(
      admin.token,
      { kind: 'anthropic', base_url: mock.url, api_key: ANTHROPIC_MOCK_KEY },
      'claude-cut',
    );
    const { user, key } = await newCaller();
    const response = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({
        model: cutModel.name,
        max_tokens: 100,
        stream: true,
        messages: [{ role: 'user', content: 'Tell me a story' }],
      }),
    });
    expect(response.status).toBe(200);
    const events = (await response.text())
      .split('\n\n')
      .filter((block) => block.includes('data: '))
      .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as { type: string; delta?: { text?: string } });
    const delivered = events.map((event) => event.delta?.text ?? '').join('');
    expect(delivered).toBe('You said: ');
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    const [row] = await usageRows(user.id);
    expect(row).toMatchObject({ status: 'partial', output_tokens: countTextTokens(delivered) });
    expect(row!.cost_nano).toBe(BigInt(row!.input_tokens) * INPUT_NANO + BigInt(row!.output_tokens) * OUTPUT_NANO);
  });

  it('answers an overloaded upstream (529) with an Anthropic-shaped 5xx and charges nothing', async () => {
    const admin = await signUp(api, 'admin');
    await setRole(server, admin.id, 'admin');
    const busyModel = await createRoutedModel(
      admin.token,
      { kind: 'anthropic', base_url: mock.url, api_key: ANTHROPIC_MOCK_KEY },
      'claude-529',
    );
    const { user, key } = await newCaller();
    const error = await anthropic(key)
      .messages.create({ model: busyModel.name, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const failure = error as InstanceType<typeof Anthropic.APIError>;
    expect(failure.status).toBe(502);
    expect(failure.error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    const rows = await usageRows(user.id);
    expect(rows.every((row) => row.cost_nano === 0n)).toBe(true);
  });
});

describe('POST /v1/messages errors and authentication', () => {
  it('accepts the key as Authorization: Bearer as well as x-api-key', async () => {
    const { key } = await newCaller();
    const response = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: claudeModel.name, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { type: string }).type).toBe('message');
  });

  it('takes x-api-key as a credential on /v1/messages only', async () => {
    const { key } = await newCaller();
    const models = await fetch(`${server.url}/v1/models`, { headers: { 'x-api-key': key } });
    expect(models.status).toBe(401);
    const withoutKey = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: claudeModel.name, max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(withoutKey.status).toBe(401);
    expect(await withoutKey.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('refuses a bad key with a 401 in Anthropic shape, in English, with X-Request-Id', async () => {
    const client = anthropic('sk-not-a-real-key');
    const error = await client.messages
      .create({ model: claudeModel.name, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    const failure = error as InstanceType<typeof Anthropic.AuthenticationError>;
    expect(failure.status).toBe(401);
    // As Anthropic's own API does, the body carries the request id of the X-Request-Id header.
    expect(failure.error).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'The API key is invalid or has been revoked' },
      request_id: failure.headers?.get('x-request-id'),
    });
    expect(failure.headers?.get('x-request-id')).toBeTruthy();
  });

  it('answers an invalid body with invalid_request_error naming the field, in the language asked for', async () => {
    const { key } = await newCaller();
    const post = (headers: Record<string, string>) =>
      fetch(`${server.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key, ...headers },
        body: JSON.stringify({ model: claudeModel.name, messages: [{ role: 'user', content: 'no max_tokens' }] }),
      });
    const english = await post({});
    expect(english.status).toBe(400);
    const body = (await english.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/^Invalid request parameters: max_tokens/);
    const chinese = (await (await post({ 'accept-language': 'zh-CN' })).json()) as { error: { message: string } };
    expect(chinese.error.message).toMatch(/^请求参数无效/);
  });

  it('answers an unknown model with not_found_error', async () => {
    const { key } = await newCaller();
    const error = await anthropic(key)
      .messages.create({ model: 'no-such-model', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
  });
});
