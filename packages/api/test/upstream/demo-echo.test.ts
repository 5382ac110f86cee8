import { encode } from 'gpt-tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeUpstreamPools,
  DEMO_ECHO_SUFFIX,
  dispatchChat,
  UpstreamError,
  type ChatCompletionChunk,
  type UpstreamTarget,
} from '../../src/providers/upstream/index.js';
import { mockReply, startMockUpstream, type MockUpstream } from '../mock-upstream.js';
import { MESSAGES, makeTarget } from './target-fixture.js';

// No network at all: a base URL nothing listens on proves demo-echo never dials out.
const demo: UpstreamTarget = makeTarget({ kind: 'demo-echo', baseUrl: 'http://127.0.0.1:9/v1', upstreamModel: 'demo-echo-1' });
const request = { model: 'demo', messages: MESSAGES };
const expectedReply = `Echo: Hello there, how are you today?\n\n${DEMO_ECHO_SUFFIX}`;
const expectedUsage = {
  // Counted independently of the code under test: contents joined by newlines.
  prompt_tokens: encode('You are terse.\nHello there, how are you today?').length,
  completion_tokens: encode(expectedReply).length,
};

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startMockUpstream();
});

afterAll(async () => {
  await closeUpstreamPools({ force: true });
  await mock.close();
});

describe('demo-echo', () => {
  it('answers deterministically from the last user message and reports usage', async () => {
    const first = await dispatchChat(demo, request);
    const second = await dispatchChat(demo, request);

    expect(first.content).toBe(expectedReply);
    expect(second.content).toBe(first.content);
    expect(first.usage).toEqual(expectedUsage);
    expect(first.finishReason).toBe('stop');
    expect(first.body).toMatchObject({
      object: 'chat.completion',
      model: 'demo-echo-1',
      choices: [{ index: 0, message: { role: 'assistant', content: expectedReply }, finish_reason: 'stop' }],
      usage: { ...expectedUsage, total_tokens: expectedUsage.prompt_tokens + expectedUsage.completion_tokens },
    });
  });

  it('streams the same reply word by word and ends with a usage chunk', async () => {
    const stream = await dispatchChat(demo, request, { stream: true });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const words = chunks.map((chunk) => chunk.choices[0]?.delta.content).filter((text) => text);
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
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ object: 'chat.completion.chunk', choices: [], usage: expectedUsage });
    expect(stream.contentSoFar).toBe(expectedReply);
    expect(stream.usage).toEqual(expectedUsage);
    expect(stream.completed).toBe(true);
  });

  it('honours max_tokens by cutting the reply and finishing with length', async () => {
    const completion = await dispatchChat(demo, { ...request, max_tokens: 3 });
    expect(completion.usage?.completion_tokens).toBe(3);
    expect(completion.finishReason).toBe('length');
    expect(expectedReply.startsWith(completion.content)).toBe(true);
    expect(encode(completion.content)).toHaveLength(3);
  });

  it('echoes the last user message, not a later assistant one', async () => {
    const completion = await dispatchChat(demo, {
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

  it('stops streaming with an aborted error when the signal fires', async () => {
    const controller = new AbortController();
    const stream = await dispatchChat(demo, request, { stream: true, signal: controller.signal });
    let caught: unknown;
    let seen = 0;
    try {
      for await (const chunk of stream) {
        seen++;
        if (chunk.choices[0]?.delta.content === 'Hello ') controller.abort();
      }
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UpstreamError);
    expect(caught).toMatchObject({ kind: 'aborted', contentSoFar: 'Echo: Hello ' });
    expect(seen).toBe(3);
  });
});

describe('dispatchChat', () => {
  it('sends openai-compatible targets over HTTP and demo-echo targets nowhere', async () => {
    const remote = makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-ok' });
    const viaHttp = await dispatchChat(remote, request);
    const local = await dispatchChat(demo, request);

    expect(viaHttp.content).toBe(mockReply(MESSAGES));
    expect(local.content).toBe(expectedReply);
    expect(mock.requests).toHaveLength(1);
  });
});
