// The Gemini adapter against the strict Gemini mock over real HTTP (the platform's undici transport).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderTarget } from '../../src/inference/adapter.js';
import { geminiAdapter } from '../../src/inference/adapters/gemini/index.js';
import { UpstreamError } from '../../src/inference/errors.js';
import { UndiciTransport } from '../../src/inference/transport/index.js';
import type { AdapterChatRequest, ChatRequest, Message, StreamEvent } from '../../src/inference/types.js';
import { GEMINI_IMAGE_TOKENS, GEMINI_MOCK_SUFFIX, type GeminiMock, startGeminiMock } from '../gemini-upstream.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const text = (value: string) => [{ type: 'text' as const, text: value }];
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
};

let mock: GeminiMock;
let cachedMock: GeminiMock;
const transport = new UndiciTransport();

function target(baseUrl: string, overrides: Partial<ProviderTarget> = {}): ProviderTarget {
  return {
    providerId: 'prov_gemini',
    name: 'gemini test',
    kind: 'gemini',
    baseUrl,
    apiKey: 'gemini-test-key',
    upstreamModel: 'gemini-test',
    timeouts: { connectMs: 2_000, firstByteMs: 5_000, idleMs: 5_000 },
    priority: 0,
    weight: 1,
    options: {},
    ...overrides,
  };
}

function call(request: ChatRequest, stream = false): AdapterChatRequest {
  return { request, upstreamModel: 'gemini-test', maxOutputTokens: 512, defaults: {}, stream };
}

const context = () => ({ transport, signal: new AbortController().signal, requestId: 'req_test' });

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

beforeAll(async () => {
  mock = await startGeminiMock();
  cachedMock = await startGeminiMock({ cachedContentTokens: 40, thoughtsTokens: 12 });
});

afterAll(async () => {
  await transport.close({ force: true });
  await mock.close();
  await cachedMock.close();
});

describe('Gemini adapter against the strict mock', () => {
  it('answers a chat with the system prompt in systemInstruction and usage from usageMetadata', async () => {
    const result = await geminiAdapter.chat(
      target(mock.url),
      call({
        messages: [
          { role: 'system', content: text('Be brief.') },
          { role: 'user', content: text('Hello') },
        ],
      }),
      context(),
    );
    expect(result.choices[0]).toMatchObject({ text: `You said: Hello. ${GEMINI_MOCK_SUFFIX}`, finishReason: 'stop', toolCalls: [] });
    const sent = mock.requests.at(-1)!;
    expect(sent.headers['x-goog-api-key']).toBe('gemini-test-key');
    expect(sent.body.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }] });
    const usage = mock.usageFor(sent);
    expect(result.usage).toEqual({
      inputTokens: usage.promptTokenCount,
      outputTokens: usage.candidatesTokenCount,
      cachedInputTokens: 0,
      cacheWriteInputTokens: 0,
      reasoningTokens: 0,
    });
    // The reservation's estimate never counts fewer input tokens than Gemini reports.
    expect(
      geminiAdapter.estimateInputTokens(
        call({
          messages: [
            { role: 'system', content: text('Be brief.') },
            { role: 'user', content: text('Hello') },
          ],
        }).request,
      ),
    ).toBeGreaterThanOrEqual(usage.promptTokenCount!);
  });

  it('runs a two-step tool loop: functionCall out with a made-up id, functionResponse back by name', async () => {
    const first: Message[] = [{ role: 'user', content: text('Weather in Paris?') }];
    const step1 = await geminiAdapter.chat(
      target(mock.url, { upstreamModel: 'gemini-tool-caller' }),
      call({ messages: first, tools: [WEATHER_TOOL] }),
      context(),
    );
    const choice = step1.choices[0]!;
    expect(choice.finishReason).toBe('tool_calls');
    expect(choice.toolCalls).toEqual([{ id: expect.stringMatching(/^call_/), name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    expect(mock.requests.at(-1)!.body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Current weather in a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        ],
      },
    ]);

    const second: Message[] = [
      ...first,
      { role: 'assistant', content: null, toolCalls: choice.toolCalls },
      { role: 'tool', toolCallId: choice.toolCalls[0]!.id, content: text('{"temperature":21,"sky":"clear"}') },
    ];
    const step2 = await geminiAdapter.chat(
      target(mock.url, { upstreamModel: 'gemini-tool-caller' }),
      call({ messages: second, tools: [WEATHER_TOOL] }),
      context(),
    );
    expect(step2.choices[0]).toMatchObject({ text: 'Tool get_weather returned {"temperature":21,"sky":"clear"}.', finishReason: 'stop' });
    expect(mock.requests.at(-1)!.body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 21, sky: 'clear' } } }] },
    ]);
  });

  it('streams text deltas, then a whole functionCall as a start and one arguments delta, then usage', async () => {
    const stream = await geminiAdapter.streamChat(
      target(mock.url),
      call({ messages: [{ role: 'user', content: text('Stream me') }] }, true),
      context(),
    );
    const events = await collect(stream);
    const textOut = events.flatMap((event) => (event.type === 'text' ? [event.text] : [])).join('');
    expect(textOut).toBe(`You said: Stream me. ${GEMINI_MOCK_SUFFIX}`);
    expect(events.filter((event) => event.type === 'text').length).toBeGreaterThan(3);
    expect(events.at(-2)).toEqual({ type: 'finish', index: 0, reason: 'stop' });
    expect(events.at(-1)).toMatchObject({ type: 'usage' });
    expect(stream.completed).toBe(true);
    expect(stream.deliveredText).toBe(textOut);

    mock.enqueue({ text: 'Checking. ', functionCalls: [{ name: 'get_weather', args: { city: 'Rome' } }] });
    const toolStream = await geminiAdapter.streamChat(
      target(mock.url),
      call({ messages: [{ role: 'user', content: text('Rome?') }], tools: [WEATHER_TOOL] }, true),
      context(),
    );
    const toolEvents = (await collect(toolStream)).filter((event) => event.type !== 'usage' && event.type !== 'text');
    expect(toolEvents).toEqual([
      { type: 'tool-call-start', index: 0, toolIndex: 0, id: expect.stringMatching(/^call_/), name: 'get_weather' },
      { type: 'tool-call-delta', index: 0, toolIndex: 0, arguments: '{"city":"Rome"}' },
      { type: 'finish', index: 0, reason: 'tool_calls' },
    ]);
  });

  it('sends an inline image as inline_data, which Gemini counts as image tokens', async () => {
    const result = await geminiAdapter.chat(
      target(mock.url),
      call({
        messages: [
          {
            role: 'user',
            content: [
              ...text('What is in this picture?'),
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
            ],
          },
        ],
      }),
      context(),
    );
    const sent = mock.requests.at(-1)!;
    expect((sent.body.contents as { parts: unknown[] }[])[0]!.parts[1]).toEqual({ inline_data: { mime_type: 'image/png', data: PNG } });
    expect(result.usage!.inputTokens).toBeGreaterThan(GEMINI_IMAGE_TOKENS);
  });

  it('reads cached and thought tokens: cached are part of the input, thoughts are output', async () => {
    const result = await geminiAdapter.chat(target(cachedMock.url), call({ messages: [{ role: 'user', content: text('Hi') }] }), context());
    const usage = cachedMock.usageFor(cachedMock.requests.at(-1)!);
    expect(result.usage).toEqual({
      inputTokens: usage.promptTokenCount,
      outputTokens: usage.candidatesTokenCount! + 12,
      cachedInputTokens: 40,
      cacheWriteInputTokens: 0,
      reasoningTokens: 12,
    });
  });

  it('fails with a bounded UpstreamError when the key is wrong, and the mock refuses OpenAI-style bodies', async () => {
    const error = await geminiAdapter
      .chat(target(mock.url, { apiKey: 'wrong' }), call({ messages: [{ role: 'user', content: text('x') }] }), context())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(400);
    expect((error as UpstreamError).message.length).toBeLessThanOrEqual(600);

    const refused = await fetch(`${mock.url}/v1beta/models/gemini-test:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'gemini-test-key' },
      body: JSON.stringify({ contents: [{ role: 'system', parts: [{ text: 'x' }] }] }),
    });
    expect(refused.status).toBe(400);
    const openAiStyle = await fetch(`${mock.url}/v1beta/models/gemini-test:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'gemini-test-key' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }),
    });
    expect(openAiStyle.status).toBe(400);
    const orphan = await fetch(`${mock.url}/v1beta/models/gemini-test:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'gemini-test-key' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }] }),
    });
    expect(orphan.status).toBe(400);
    expect(((await orphan.json()) as { error: { message: string } }).error.message).toContain('does not answer a function_call');
  });
});
