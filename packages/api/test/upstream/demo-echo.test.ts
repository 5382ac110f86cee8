import { encode } from 'gpt-tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderTarget } from '../../src/inference/adapter.js';
import { DEMO_ECHO_SUFFIX } from '../../src/inference/adapters/demo-echo/index.js';
import { UpstreamError } from '../../src/inference/errors.js';
import type { StreamEvent } from '../../src/inference/types.js';
import { mockReply, startMockUpstream, type MockUpstream } from '../mock-upstream.js';
import { complete, MESSAGES, makeTarget, openStream, transport } from './target-fixture.js';

// No network at all: a base URL nothing listens on proves demo-echo never dials out.
const demo: ProviderTarget = makeTarget({ kind: 'demo-echo', baseUrl: 'http://127.0.0.1:9/v1', upstreamModel: 'demo-echo-1' });
const request = { model: 'demo', messages: MESSAGES };
const expectedReply = `Echo: Hello there, how are you today?\n\n${DEMO_ECHO_SUFFIX}`;
const expectedUsage = {
  // Counted independently of the code under test: contents joined by newlines.
  prompt_tokens: encode('You are terse.\nHello there, how are you today?').length,
  completion_tokens: encode(expectedReply).length,
};

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city', 'unit'],
    },
  },
};

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startMockUpstream();
});

afterAll(async () => {
  await transport.close({ force: true });
  await mock.close();
});

async function events(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

describe('demo-echo', () => {
  it('answers deterministically from the last user message and reports usage', async () => {
    const first = await complete(demo, request);
    const second = await complete(demo, request);

    expect(first.content).toBe(expectedReply);
    expect(second.content).toBe(first.content);
    expect(first.usage).toEqual(expectedUsage);
    expect(first.finishReason).toBe('stop');
    expect(first.result.choices).toEqual([{ index: 0, text: expectedReply, toolCalls: [], finishReason: 'stop' }]);
  });

  it('streams the same reply word by word, then finish and usage', async () => {
    const stream = await openStream(demo, request);
    const seen = await events(stream);

    const words = seen.flatMap((event) => (event.type === 'text' ? [event.text] : []));
    expect(words).toEqual([
      'Echo: ',
      'Hello ',
      'there, ',
      'how ',
      'are ',
      'you ',
      'today?\n\n',
      'This ',
      'reply ',
      'comes ',
      'from ',
      'the ',
      'demo-echo ',
      'provider.',
    ]);
    expect(words.join('')).toBe(expectedReply);
    expect(seen.at(-2)).toEqual({ type: 'finish', index: 0, reason: 'stop' });
    expect(seen.at(-1)).toMatchObject({
      type: 'usage',
      usage: { inputTokens: expectedUsage.prompt_tokens, outputTokens: expectedUsage.completion_tokens },
    });
    expect(stream.deliveredText).toBe(expectedReply);
    expect(stream.completed).toBe(true);
  });

  it('honours the output limit by cutting the reply and finishing with length', async () => {
    const completion = await complete(demo, { ...request, max_tokens: 3 });
    expect(completion.usage?.completion_tokens).toBe(3);
    expect(completion.finishReason).toBe('length');
    expect(expectedReply.startsWith(completion.content)).toBe(true);
    expect(encode(completion.content)).toHaveLength(3);
  });

  it('echoes the last user message, not a later assistant one', async () => {
    const completion = await complete(demo, {
      model: 'demo',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'reply' },
        { role: 'user', content: 'second' },
        { role: 'assistant', content: 'prefill' },
      ],
    });
    expect(completion.content).toBe(`Echo: second\n\n${DEMO_ECHO_SUFFIX}`);
  });

  it('calls a tool the last user message names, with its required arguments, and quotes the result after it', async () => {
    const ask = { model: 'demo', tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'Use get_weather for Paris please' }] };
    const first = await complete(demo, ask);
    expect(first.finishReason).toBe('tool_calls');
    expect(first.content).toBe('');
    const [call] = first.result.choices[0]!.toolCalls;
    expect(call).toMatchObject({ name: 'get_weather' });
    expect(JSON.parse(call!.arguments)).toEqual({ city: 'demo', unit: 'celsius' });
    // Same request, same call id: a replay is deterministic.
    expect((await complete(demo, ask)).result.choices[0]!.toolCalls[0]!.id).toBe(call!.id);

    const second = await complete(demo, {
      ...ask,
      messages: [
        ...ask.messages,
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: call!.id, type: 'function', function: { name: call!.name, arguments: call!.arguments } }],
        },
        { role: 'tool', tool_call_id: call!.id, content: '21 degrees and sunny' },
      ],
    });
    expect(second.finishReason).toBe('stop');
    expect(second.content).toContain('Tool get_weather returned: 21 degrees and sunny');
  });

  it('streams a tool call as a start and its arguments, finishing with tool_calls', async () => {
    const stream = await openStream(demo, { model: 'demo', tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'get_weather' }] });
    const seen = await events(stream);
    expect(seen[0]).toMatchObject({ type: 'tool-call-start', index: 0, toolIndex: 0, name: 'get_weather' });
    expect(seen[1]).toEqual({ type: 'tool-call-delta', index: 0, toolIndex: 0, arguments: '{"city":"demo","unit":"celsius"}' });
    expect(seen[2]).toEqual({ type: 'finish', index: 0, reason: 'tool_calls' });
  });

  it('does not call a tool when tool_choice is none', async () => {
    const completion = await complete(demo, {
      model: 'demo',
      tools: [WEATHER_TOOL],
      tool_choice: 'none',
      messages: [{ role: 'user', content: 'get_weather' }],
    });
    expect(completion.content).toBe(`Echo: get_weather\n\n${DEMO_ECHO_SUFFIX}`);
  });

  it('stops streaming with an aborted error when the signal fires', async () => {
    const controller = new AbortController();
    const stream = await openStream(demo, request, { signal: controller.signal });
    let caught: unknown;
    let seen = 0;
    try {
      for await (const event of stream) {
        seen++;
        if (event.type === 'text' && event.text === 'Hello ') controller.abort();
      }
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UpstreamError);
    expect(caught).toMatchObject({ kind: 'aborted', contentSoFar: 'Echo: Hello ' });
    expect(seen).toBe(2);
  });
});

describe('the adapter registry', () => {
  it('sends openai-compatible targets over HTTP and demo-echo targets nowhere', async () => {
    const remote = makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-ok' });
    const viaHttp = await complete(remote, request);
    const local = await complete(demo, request);

    expect(viaHttp.content).toBe(mockReply(MESSAGES));
    expect(local.content).toBe(expectedReply);
    expect(mock.requests).toHaveLength(1);
  });
});
