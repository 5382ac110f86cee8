import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicHeaders, anthropicMessagesUrl } from '../../src/inference/adapters/anthropic/index.js';
import { CLAUDE_TOKENS_PER_O200K, estimateAnthropicInputTokens, IMAGE_TOKENS } from '../../src/inference/adapters/anthropic/estimate.js';
import { LEADING_USER_PLACEHOLDER, toAnthropicRequest } from '../../src/inference/adapters/anthropic/request.js';
import { fromAnthropicMessage, isMessageResponse, usageOf } from '../../src/inference/adapters/anthropic/response.js';
import { AnthropicStreamError, AnthropicStreamTranslator } from '../../src/inference/adapters/anthropic/stream.js';
import type { ProviderTarget } from '../../src/inference/adapter.js';
import type { AdapterChatRequest, ChatRequest, StreamEvent } from '../../src/inference/types.js';
import { countTextTokens } from '../../src/inference/token-count.js';
import { ANTHROPIC_MOCK_KEY, type AnthropicMock, startAnthropicMock } from '../mock-anthropic-upstream.js';

const text = (value: string) => [{ type: 'text' as const, text: value }];
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function call(request: ChatRequest, overrides: Partial<AdapterChatRequest> = {}): AdapterChatRequest {
  return { request, upstreamModel: 'claude-test', maxOutputTokens: 256, defaults: {}, stream: false, ...overrides };
}

function target(baseUrl: string, overrides: Partial<ProviderTarget> = {}): ProviderTarget {
  return {
    providerId: 'prov_anthropic',
    name: 'anthropic mock',
    kind: 'anthropic',
    baseUrl,
    apiKey: ANTHROPIC_MOCK_KEY,
    upstreamModel: 'claude-test',
    timeouts: { connectMs: 2_000, firstByteMs: 5_000, idleMs: 5_000 },
    priority: 0,
    weight: 1,
    options: {},
    ...overrides,
  };
}

/** A two-step tool conversation in internal form: the model asked for get_weather, the tool answered. */
const TOOL_LOOP: ChatRequest = {
  messages: [
    { role: 'system', content: text('You are terse.') },
    { role: 'developer', content: text('Use tools when asked.') },
    { role: 'user', content: text('What is the weather? use get_weather') },
    { role: 'assistant', content: null, toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
    { role: 'tool', toolCallId: 'toolu_1', content: text('18C and sunny') },
    { role: 'user', content: text('Thanks!') },
  ],
  tools: [WEATHER_TOOL],
};

describe('anthropic request translation', () => {
  it('puts system and developer text in the top-level system field and tool results in a user turn ahead of its text', () => {
    const body = toAnthropicRequest(call(TOOL_LOOP));
    expect(body.system).toBe('You are terse.\n\nUse tools when asked.');
    expect(body.max_tokens).toBe(256);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'What is the weather? use get_weather' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '18C and sunny' },
          { type: 'text', text: 'Thanks!' },
        ],
      },
    ]);
    expect(body.tools).toEqual([{ name: 'get_weather', description: 'Weather for a city', input_schema: WEATHER_TOOL.parameters }]);
    expect(body.tool_choice).toBeUndefined();
  });

  it('sends the lower of the client limit and the platform cap as max_tokens', () => {
    expect(toAnthropicRequest(call({ ...TOOL_LOOP, maxOutputTokens: 50 })).max_tokens).toBe(50);
    expect(toAnthropicRequest(call({ ...TOOL_LOOP, maxOutputTokens: 5_000 })).max_tokens).toBe(256);
  });

  it('maps tool_choice, sampling fields, stop sequences and the end user', () => {
    const body = toAnthropicRequest(
      call(
        {
          ...TOOL_LOOP,
          toolChoice: 'required',
          parallelToolCalls: false,
          temperature: 1.7,
          topP: 0.9,
          topK: 40,
          stop: ['END'],
          user: 'u-42',
        },
        { defaults: { temperature: 0.2 } },
      ),
    );
    expect(body.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(body.temperature).toBe(1);
    expect(body).toMatchObject({ top_p: 0.9, top_k: 40, stop_sequences: ['END'], metadata: { user_id: 'u-42' } });
    expect(toAnthropicRequest(call({ ...TOOL_LOOP, toolChoice: { name: 'get_weather' } })).tool_choice).toEqual({
      type: 'tool',
      name: 'get_weather',
    });
    expect(toAnthropicRequest(call({ ...TOOL_LOOP, toolChoice: 'none' })).tool_choice).toEqual({ type: 'none' });
    expect(toAnthropicRequest(call({ ...TOOL_LOOP, toolChoice: 'auto' })).tool_choice).toEqual({ type: 'auto' });
    expect(toAnthropicRequest(call({ messages: TOOL_LOOP.messages }, { defaults: { temperature: 0.3, stop: 'X' } }))).toMatchObject({
      temperature: 0.3,
      stop_sequences: ['X'],
    });
  });

  it('translates images by URL and base64, merges consecutive user turns and opens with a user turn', () => {
    const body = toAnthropicRequest(
      call({
        messages: [
          { role: 'assistant', content: text('Hi! How can I help?') },
          { role: 'user', content: [...text('Look:'), { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' } }] },
          { role: 'user', content: [{ type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } }, ...text('')] },
        ],
      }),
    );
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: LEADING_USER_PLACEHOLDER }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Hi! How can I help?' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look:' },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        ],
      },
    ]);
  });

  it('sends thinking blocks back ahead of the turn they belong to, and keeps cache breakpoints in block form', () => {
    const body = toAnthropicRequest(
      call({
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Long shared context', cacheControl: { type: 'ephemeral' } }] },
          { role: 'user', content: text('q') },
          { role: 'assistant', content: text('a'), reasoning: [{ text: 'let me think', signature: 'sig-1' }] },
          { role: 'user', content: text('again') },
        ],
      }),
    );
    expect(body.system).toEqual([{ type: 'text', text: 'Long shared context', cache_control: { type: 'ephemeral' } }]);
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'let me think', signature: 'sig-1' },
        { type: 'text', text: 'a' },
      ],
    });
  });

  it('refuses audio, several choices and tool arguments that are not a JSON object with a 400 naming the field', () => {
    const refusal = (request: ChatRequest) => {
      try {
        toAnthropicRequest(call(request));
      } catch (error) {
        return { status: (error as { status?: number }).status, details: (error as { details?: unknown }).details };
      }
      return null;
    };
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'audio', data: 'AAAA', format: 'wav' }] }] })).toEqual({
      status: 400,
      details: { field: 'messages[0].content[0]', reason: expect.stringContaining('audio') },
    });
    expect(refusal({ ...TOOL_LOOP, n: 2 })?.details).toMatchObject({ field: 'n' });
    expect(
      refusal({
        messages: [
          { role: 'user', content: text('x') },
          { role: 'assistant', content: null, toolCalls: [{ id: 't', name: 'f', arguments: '[1,2]' }] },
        ],
      })?.details,
    ).toMatchObject({ field: 'messages[1].tool_calls[0].function.arguments' });
  });

  it('forwards Anthropic-only fields only when the client spoke the Messages protocol', () => {
    const thinking = { type: 'enabled', budget_tokens: 1024 };
    expect(toAnthropicRequest(call({ ...TOOL_LOOP, extra: { protocol: 'anthropic-messages', fields: { thinking } } })).thinking).toEqual(
      thinking,
    );
    expect(toAnthropicRequest(call({ ...TOOL_LOOP, extra: { protocol: 'openai-chat', fields: { logit_bias: {} } } }))).not.toHaveProperty(
      'logit_bias',
    );
  });

  it('builds {base}/v1/messages whether or not the stored base ends in /v1, with x-api-key and anthropic-version', () => {
    expect(anthropicMessagesUrl('https://api.anthropic.com')).toBe('https://api.anthropic.com/v1/messages');
    expect(anthropicMessagesUrl('https://api.anthropic.com/')).toBe('https://api.anthropic.com/v1/messages');
    expect(anthropicMessagesUrl('https://proxy.example/anthropic/v1/')).toBe('https://proxy.example/anthropic/v1/messages');
    const headers = anthropicHeaders(target('http://x'), true);
    expect(headers).toMatchObject({ 'x-api-key': ANTHROPIC_MOCK_KEY, 'anthropic-version': '2023-06-01', accept: 'text/event-stream' });
    expect(headers).not.toHaveProperty('authorization');
    expect(anthropicHeaders(target('http://x', { options: { anthropicVersion: '2024-01-01' } }), false)['anthropic-version']).toBe(
      '2024-01-01',
    );
  });
});

describe('anthropic response and usage translation', () => {
  it('sums input_tokens with both cache fields, since Anthropic excludes them from input_tokens', () => {
    expect(usageOf({ input_tokens: 10, output_tokens: 7, cache_read_input_tokens: 100, cache_creation_input_tokens: 30 })).toEqual({
      inputTokens: 140,
      outputTokens: 7,
      cachedInputTokens: 100,
      cacheWriteInputTokens: 30,
      reasoningTokens: 0,
    });
  });

  it('reads text, tool_use and thinking blocks and maps stop reasons', () => {
    const message = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [
        { type: 'thinking', thinking: 'hmm', signature: 's' },
        { type: 'text', text: 'Calling. ' },
        { type: 'tool_use', id: 'toolu_9', name: 'get_weather', input: { city: 'Oslo' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 4 },
    };
    expect(isMessageResponse(message)).toBe(true);
    const result = fromAnthropicMessage(message as never, () => 1_700_000_000_000);
    expect(result.created).toBe(1_700_000_000);
    expect(result.choices[0]).toEqual({
      index: 0,
      text: 'Calling. ',
      toolCalls: [{ id: 'toolu_9', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
      reasoning: [{ text: 'hmm', signature: 's' }],
      finishReason: 'tool_calls',
    });
    for (const [reason, expected] of [
      ['end_turn', 'stop'],
      ['stop_sequence', 'stop'],
      ['max_tokens', 'length'],
    ] as const) {
      expect(fromAnthropicMessage({ ...message, stop_reason: reason } as never).choices[0]?.finishReason).toBe(expected);
    }
  });
});

describe('anthropic stream translation', () => {
  it('turns content blocks into text, tool-call starts and argument deltas, then finish and usage', () => {
    const translator = new AnthropicStreamTranslator();
    const feed = (type: string, data: Record<string, unknown>) => translator.accept(type, JSON.stringify({ type, ...data }));
    const events: StreamEvent[] = [
      ...feed('message_start', { message: { id: 'msg_s', usage: { input_tokens: 5, cache_read_input_tokens: 20, output_tokens: 1 } } }),
      ...feed('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ...feed('ping', {}),
      ...feed('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Let me ' } }),
      ...feed('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'check.' } }),
      ...feed('content_block_stop', { index: 0 }),
      ...feed('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: {} } }),
      ...feed('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '' } }),
      ...feed('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"city": "Pa' } }),
      ...feed('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: 'ris"}' } }),
      ...feed('content_block_stop', { index: 1 }),
      ...feed('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'toolu_b', name: 'now', input: {} } }),
      ...feed('content_block_stop', { index: 2 }),
    ];
    expect(translator.usage).toBeNull();
    events.push(...feed('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 30 } }));
    events.push(...feed('message_stop', {}));
    const usage = { inputTokens: 25, outputTokens: 30, cachedInputTokens: 20, cacheWriteInputTokens: 0, reasoningTokens: 0 };
    expect(events).toEqual([
      { type: 'text', index: 0, text: 'Let me ' },
      { type: 'text', index: 0, text: 'check.' },
      { type: 'tool-call-start', index: 0, toolIndex: 0, id: 'toolu_a', name: 'get_weather' },
      { type: 'tool-call-delta', index: 0, toolIndex: 0, arguments: '{"city": "Pa' },
      { type: 'tool-call-delta', index: 0, toolIndex: 0, arguments: 'ris"}' },
      { type: 'tool-call-start', index: 0, toolIndex: 1, id: 'toolu_b', name: 'now' },
      { type: 'tool-call-delta', index: 0, toolIndex: 1, arguments: '{}' },
      { type: 'finish', index: 0, reason: 'tool_calls' },
      { type: 'usage', usage },
    ]);
    expect(translator.completed).toBe(true);
    expect(translator.deliveredText).toBe('Let me check.{"city": "Paris"}{}');
    expect(translator.usage).toEqual(usage);
  });

  it('passes thinking through as reasoning and raises an in-stream error', () => {
    const translator = new AnthropicStreamTranslator();
    expect(
      translator.accept(
        'content_block_delta',
        JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hm' } }),
      ),
    ).toEqual([{ type: 'reasoning', index: 0, text: 'hm' }]);
    expect(() =>
      translator.accept('error', JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })),
    ).toThrow(AnthropicStreamError);
  });
});

describe('anthropic token estimate', () => {
  it('never counts fewer than the o200k count times the Claude margin, plus framing, tools and images', () => {
    const plain = { messages: [{ role: 'user' as const, content: text('The quick brown fox jumps over the lazy dog. '.repeat(20)) }] };
    const o200k = countTextTokens('The quick brown fox jumps over the lazy dog. '.repeat(20));
    expect(estimateAnthropicInputTokens(plain)).toBeGreaterThanOrEqual(Math.ceil(o200k * CLAUDE_TOKENS_PER_O200K));
    const withImage = {
      messages: [
        {
          role: 'user' as const,
          content: [...text('x'), { type: 'image' as const, source: { kind: 'url' as const, url: 'https://e/x.png' } }],
        },
      ],
    };
    expect(estimateAnthropicInputTokens(withImage)).toBeGreaterThanOrEqual(IMAGE_TOKENS);
    expect(estimateAnthropicInputTokens(TOOL_LOOP)).toBeGreaterThan(estimateAnthropicInputTokens({ messages: TOOL_LOOP.messages }) + 300);
  });
});

describe('the strict Anthropic mock', () => {
  let mock: AnthropicMock;
  beforeAll(async () => {
    mock = await startAnthropicMock({ toolInput: () => ({ city: 'Paris' }) });
  });
  afterAll(() => mock.close());

  const post = (body: unknown, headers: Record<string, string> = anthropicHeaders(target(''), false)) =>
    fetch(anthropicMessagesUrl(mock.url), { method: 'POST', headers, body: JSON.stringify(body) });

  it('refuses what the real API refuses', async () => {
    const ok = { model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    const cases: [unknown, Record<string, string> | undefined, number, RegExp][] = [
      [ok, { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, 401, /x-api-key/],
      [ok, { 'content-type': 'application/json', 'x-api-key': ANTHROPIC_MOCK_KEY }, 400, /anthropic-version/],
      [{ ...ok, max_tokens: undefined }, undefined, 400, /max_tokens/],
      [{ ...ok, messages: [{ role: 'system', content: 'x' }] }, undefined, 400, /system/],
      [{ ...ok, messages: [{ role: 'assistant', content: 'x' }] }, undefined, 400, /first message/],
      [
        {
          ...ok,
          messages: [
            { role: 'user', content: 'a' },
            { role: 'user', content: 'b' },
          ],
        },
        undefined,
        400,
        /alternate/,
      ],
      [{ ...ok, messages: [{ role: 'user', content: [{ type: 'input_audio', data: 'x' }] }] }, undefined, 400, /input_audio/],
      [{ ...ok, logit_bias: {} }, undefined, 400, /logit_bias/],
      [
        {
          ...ok,
          messages: [
            { role: 'user', content: 'x' },
            { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'r' }] },
          ],
        },
        undefined,
        400,
        /tool_use/,
      ],
    ];
    for (const [body, headers, status, message] of cases) {
      const response = await post(body, headers);
      const json = (await response.json()) as { type: string; error: { message: string } };
      expect(response.status).toBe(status);
      expect(json.type).toBe('error');
      expect(json.error.message).toMatch(message);
    }
  });

  it('accepts a translated two-step tool loop, JSON and streamed, and reports cache usage', async () => {
    mock.setCache({ read: 4, creation: 2 });
    const rejectedBefore = mock.rejections.length;
    const first = toAnthropicRequest(call({ messages: TOOL_LOOP.messages.slice(0, 3), tools: TOOL_LOOP.tools }));
    const response = await post(first);
    expect(response.status).toBe(200);
    const message: unknown = await response.json();
    if (!isMessageResponse(message)) throw new Error('not a message');
    const step1 = fromAnthropicMessage(message);
    expect(step1.choices[0]?.finishReason).toBe('tool_calls');
    const toolCall = step1.choices[0]?.toolCalls[0];
    expect(toolCall).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(step1.usage).toMatchObject({ cachedInputTokens: 4, cacheWriteInputTokens: 2 });
    expect(step1.usage?.inputTokens).toBe((message.usage.input_tokens ?? 0) + 6);

    const second = toAnthropicRequest(
      call(
        {
          messages: [
            ...TOOL_LOOP.messages.slice(0, 3),
            { role: 'assistant', content: text(step1.choices[0]!.text), toolCalls: step1.choices[0]!.toolCalls },
            { role: 'tool', toolCallId: toolCall!.id, content: text('18C') },
          ],
          tools: TOOL_LOOP.tools,
        },
        { stream: true },
      ),
    );
    const streamed = await post(second, anthropicHeaders(target(''), true));
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    const translator = new AnthropicStreamTranslator();
    const events: StreamEvent[] = [];
    const names: string[] = [];
    const parser = createParser({
      onEvent: (event) => {
        names.push(event.event ?? '');
        events.push(...translator.accept(event.event, event.data));
      },
    });
    parser.feed(await streamed.text());
    expect(names[0]).toBe('message_start');
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(
      events
        .filter((event) => event.type === 'text')
        .map((event) => (event as { text: string }).text)
        .join(''),
    ).toBe('Tool said: 18C.');
    expect(translator.completed).toBe(true);
    expect(translator.usage).toMatchObject({ cachedInputTokens: 4, cacheWriteInputTokens: 2 });
    expect(mock.rejections.length).toBe(rejectedBefore);
    mock.setCache({ read: 0, creation: 0 });
  });
});
