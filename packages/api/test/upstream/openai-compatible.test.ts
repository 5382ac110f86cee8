import { createServer } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { listOpenAiModels } from '../../src/inference/adapters/openai-compatible/index.js';
import { UpstreamError } from '../../src/inference/errors.js';
import type { AdapterStream } from '../../src/inference/types.js';
import { mockReply, mockReplyPieces, mockUsage, startMockUpstream, type MockUpstream } from '../mock-upstream.js';
import { complete, MESSAGES, makeTarget, openStream, rejection, transport, type WireRequest, wireUsage } from './target-fixture.js';

type ChatCompletionChunk = {
  object: string;
  choices: { delta: { content?: string | null; role?: string }; finish_reason: string | null }[];
  usage?: unknown;
};

const sendChatCompletion = (target: Parameters<typeof complete>[0], request: WireRequest, options: { signal?: AbortSignal } = {}) =>
  complete(target, request, options).then((c) => ({ ...c, body: c.result.openAi!.body }));
const streamChatCompletion = openStream;
type UpstreamStream = AdapterStream;

let mock: MockUpstream;

beforeAll(async () => {
  mock = await startMockUpstream({ firstByteDelayMs: 3_000, chunkDelayMs: 3_000 });
});

afterEach(() => {
  mock.setBehavior(null);
  mock.requests.length = 0;
});

afterAll(async () => {
  await transport.close({ force: true });
  await mock.close();
});

/** The chunks as the pass-through writes them to an OpenAI surface (each one framed SSE event). */
async function collect(stream: UpstreamStream): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  await stream.passThrough!({
    write: (event) => {
      expect(event).toMatch(/^data: .*\n\n$/s);
      chunks.push(JSON.parse(event.slice(6, -2)) as ChatCompletionChunk);
    },
    rename: (json) => json,
    includeUsage: true,
  });
  return chunks;
}

function deltaText(chunks: ChatCompletionChunk[]): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
}

describe('sendChatCompletion', () => {
  it('returns the reply and exact usage, sending the upstream model name instead of the public one', async () => {
    const target = makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-ok' });
    const completion = await sendChatCompletion(target, { model: 'public-name', messages: MESSAGES, temperature: 0.2, seed: 7 });

    expect(completion.content).toBe(mockReply(MESSAGES));
    expect(completion.usage).toEqual(mockUsage(MESSAGES));
    expect(completion.finishReason).toBe('stop');
    expect(completion.body.object).toBe('chat.completion');
    const sent = mock.requests[0]?.body;
    expect(sent).toMatchObject({ model: 'mock-ok', stream: false, temperature: 0.2, seed: 7 });
    expect(sent).not.toHaveProperty('stream_options');
  });

  it('tolerates a trailing slash in baseUrl and forwards the API key as a bearer token', async () => {
    const target = makeTarget({ baseUrl: `${mock.url}/`, apiKey: 'sk-upstream-secret' });
    await sendChatCompletion(target, { model: 'x', messages: MESSAGES });

    expect(mock.requests[0]?.url).toBe('/v1/chat/completions');
    expect(mock.requests[0]?.headers.authorization).toBe('Bearer sk-upstream-secret');
  });

  it('sends no authorization header when the provider has no key', async () => {
    // The strict mock, like OpenAI, answers 401 without one: a non-retryable client error.
    const err = await rejection(sendChatCompletion(makeTarget({ baseUrl: mock.url, apiKey: null }), { model: 'x', messages: MESSAGES }));
    expect(err).toMatchObject({ kind: 'client', status: 401 });
    expect(mock.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('reports null usage when the upstream sends none', async () => {
    const completion = await sendChatCompletion(makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-no-usage' }), {
      model: 'x',
      messages: MESSAGES,
    });
    expect(completion.content).toBe(mockReply(MESSAGES));
    expect(completion.usage).toBeNull();
  });

  it('reuses one keep-alive connection across sequential calls, streaming or not', async () => {
    const upstream = await startMockUpstream();
    try {
      const target = makeTarget({ baseUrl: upstream.url });
      // undici frees a socket for the next request a tick after the response
      // ends (and a stream drains its chunked terminator after [DONE] in the
      // background), so a call issued in that very tick opens a second socket.
      // Real callers always leave more than that gap.
      const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
      for (let i = 0; i < 4; i++) {
        await sendChatCompletion(target, { model: 'x', messages: MESSAGES });
        await tick();
        await collect(await streamChatCompletion(target, { model: 'x', messages: MESSAGES }));
        await tick();
      }
      expect(upstream.completedRequests).toBe(8);
      expect(upstream.connections).toBe(1);
    } finally {
      await upstream.close();
    }
  });
});

describe('streamChatCompletion', () => {
  it('yields the deltas in order and exposes usage from the final chunk', async () => {
    const stream = await streamChatCompletion(makeTarget({ baseUrl: mock.url }), { model: 'x', messages: MESSAGES });
    const chunks = await collect(stream);

    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content).filter((text) => text)).toEqual(mockReplyPieces(MESSAGES));
    expect(deltaText(chunks)).toBe(mockReply(MESSAGES));
    expect(stream.deliveredText).toBe(mockReply(MESSAGES));
    expect(wireUsage(stream.usage)).toEqual(mockUsage(MESSAGES));
    expect(stream.completed).toBe(true);
    expect(chunks.at(-1)?.choices).toEqual([]);
  });

  it('always asks for usage, keeping the other stream_options the client sent', async () => {
    const stream = await streamChatCompletion(makeTarget({ baseUrl: mock.url }), {
      model: 'x',
      messages: MESSAGES,
      stream_options: { include_usage: false, continuous_usage_stats: true },
    });
    await collect(stream);
    expect(mock.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
    });
    expect(mock.requests[0]?.headers.accept).toBe('text/event-stream');
  });

  it('leaves usage null when the upstream never reports it', async () => {
    const stream = await streamChatCompletion(makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-no-usage' }), {
      model: 'x',
      messages: MESSAGES,
    });
    await collect(stream);
    expect(stream.deliveredText).toBe(mockReply(MESSAGES));
    expect(stream.usage).toBeNull();
    expect(stream.completed).toBe(true);
  });

  it('resolves on headers, before the first token, so a caller can still fail over', async () => {
    const target = makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-slow-stream' });
    const started = Date.now();
    const stream = await streamChatCompletion(target, { model: 'x', messages: MESSAGES });
    // The mock waits 3 s before the first content chunk.
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(stream.deliveredText).toBe('');
    stream.cancel();
  });
});

describe('upstream errors', () => {
  it('classifies a 500 as a retryable server error carrying the upstream message', async () => {
    const err = await rejection(
      sendChatCompletion(makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-500' }), { model: 'x', messages: MESSAGES }),
    );
    expect(err).toMatchObject({ kind: 'server', status: 500, retryable: true, message: 'mock upstream exploded' });
  });

  it('classifies a 429 as retryable rate limiting with the Retry-After delay', async () => {
    const target = makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-429' });
    const err = await rejection(streamChatCompletion(target, { model: 'x', messages: MESSAGES }));
    expect(err).toMatchObject({ kind: 'rate_limited', status: 429, retryable: true, retryAfterMs: 2_000 });
    expect(err.providerId).toBe(target.providerId);
  });

  it('classifies other 4xx as non-retryable client errors with the upstream message and code', async () => {
    const err = await rejection(
      sendChatCompletion(makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-400' }), { model: 'x', messages: MESSAGES }),
    );
    expect(err).toMatchObject({
      kind: 'client',
      status: 400,
      retryable: false,
      message: 'mock rejects this request',
      code: 'bad_request',
    });
  });

  it('surfaces an upstream 401 for a wrong provider key as a non-retryable client error', async () => {
    const guarded = await startMockUpstream({ requireApiKey: 'sk-right' });
    try {
      const err = await rejection(
        sendChatCompletion(makeTarget({ baseUrl: guarded.url, apiKey: 'sk-wrong' }), { model: 'x', messages: MESSAGES }),
      );
      expect(err).toMatchObject({ kind: 'client', status: 401, retryable: false, code: 'invalid_api_key' });
      const ok = await sendChatCompletion(makeTarget({ baseUrl: guarded.url, apiKey: 'sk-right' }), { model: 'x', messages: MESSAGES });
      expect(ok.content).toBe(mockReply(MESSAGES));
    } finally {
      await guarded.close();
    }
  });

  it('classifies a refused connection as a retryable connect error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const err = await rejection(
      sendChatCompletion(makeTarget({ baseUrl: `http://127.0.0.1:${port}/v1` }), { model: 'x', messages: MESSAGES }),
    );
    expect(err).toMatchObject({ kind: 'connect', retryable: true, code: 'ECONNREFUSED' });
  });

  it('classifies an unparsable body as a retryable protocol error', async () => {
    const err = await rejection(
      sendChatCompletion(makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-bad-json' }), { model: 'x', messages: MESSAGES }),
    );
    expect(err).toMatchObject({ kind: 'protocol', retryable: true });
  });
});

// undici checks first-byte and idle timeouts on a ~1 s tick, so a 150 ms
// timeout fires within about 1.2 s; the mock waits 3 s, so firing at all proves it.
describe('timeouts', () => {
  const timeouts = { connectMs: 1_000, firstByteMs: 150, idleMs: 150 };

  it('fires the first-byte timeout when headers are late', async () => {
    const target = makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-slow-first-byte', timeouts });
    const started = Date.now();
    const err = await rejection(sendChatCompletion(target, { model: 'x', messages: MESSAGES }));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true, code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fires the first-byte timeout for a stream before it resolves', async () => {
    const target = makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-slow-first-byte', timeouts });
    const err = await rejection(streamChatCompletion(target, { model: 'x', messages: MESSAGES }));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('fires the idle timeout when a started stream goes silent', async () => {
    const target = makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-slow-stream', timeouts });
    const stream = await streamChatCompletion(target, { model: 'x', messages: MESSAGES });
    const started = Date.now();
    const err = await rejection(collect(stream));
    expect(err).toMatchObject({ kind: 'timeout', code: 'UND_ERR_BODY_TIMEOUT', retryable: false });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(stream.completed).toBe(false);
  });
});

describe('broken streams', () => {
  it('throws a protocol error with the content delivered so far when the connection is cut', async () => {
    const stream = await streamChatCompletion(makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-cut' }), {
      model: 'x',
      messages: MESSAGES,
    });
    const seen: string[] = [];
    let caught: unknown;
    try {
      for await (const event of stream) if (event.type === 'text') seen.push(event.text);
    } catch (err) {
      caught = err;
    }
    const expected = mockReplyPieces(MESSAGES).slice(0, 3).join('');
    expect(caught).toBeInstanceOf(UpstreamError);
    expect(caught).toMatchObject({ kind: 'protocol', retryable: false, contentSoFar: expected });
    expect(stream.deliveredText).toBe(expected);
    expect(seen.join('')).toBe(expected);
    expect(stream.usage).toBeNull();
  });

  it('turns an error event inside a 200 stream into an UpstreamError', async () => {
    const stream = await streamChatCompletion(makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-stream-error' }), {
      model: 'x',
      messages: MESSAGES,
    });
    const err = await rejection(collect(stream));
    expect(err).toMatchObject({ kind: 'server', retryable: false, message: 'model overloaded mid-stream' });
    expect(err.contentSoFar).toBe(mockReplyPieces(MESSAGES).slice(0, 3).join(''));
  });
});

describe('cancellation', () => {
  it('aborting the signal cancels a pending request and the upstream sees the close', async () => {
    const controller = new AbortController();
    const target = makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-hang' });
    const pending = sendChatCompletion(target, { model: 'x', messages: MESSAGES }, { signal: controller.signal });
    const before = mock.abortedRequests;
    await vi.waitFor(() => expect(mock.requests).toHaveLength(1));
    const started = Date.now();
    controller.abort();
    const err = await rejection(pending);
    expect(err).toMatchObject({ kind: 'aborted', retryable: false });
    expect(Date.now() - started).toBeLessThan(500);
    await vi.waitFor(() => expect(mock.abortedRequests).toBe(before + 1));
  });

  it('aborting mid-stream ends the iteration and closes the upstream request', async () => {
    const controller = new AbortController();
    const stream = await streamChatCompletion(
      makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-slow-stream' }),
      { model: 'x', messages: MESSAGES },
      { signal: controller.signal },
    );
    const before = mock.abortedRequests;
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toMatchObject({ type: 'text' });
    setTimeout(() => controller.abort(), 50);
    const err = await rejection(iterator.next());
    expect(err).toMatchObject({ kind: 'aborted', retryable: false });
    await vi.waitFor(() => expect(mock.abortedRequests).toBe(before + 1));
  });

  it('aborting mid-stream ends a pass-through and closes the upstream request', async () => {
    const controller = new AbortController();
    const stream = await streamChatCompletion(
      makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-slow-stream' }),
      { model: 'x', messages: MESSAGES },
      { signal: controller.signal },
    );
    const before = mock.abortedRequests;
    const written: string[] = [];
    const passing = stream.passThrough!({
      write: (event) => {
        written.push(event);
        if (written.length === 1) setTimeout(() => controller.abort(), 50);
      },
      rename: (json) => json,
      includeUsage: true,
    });
    const err = await rejection(passing);
    expect(err).toMatchObject({ kind: 'aborted', retryable: false });
    expect((JSON.parse(written[0]!.slice(6, -2)) as ChatCompletionChunk).choices[0]?.delta.role).toBe('assistant');
    expect(stream.completed).toBe(false);
    await vi.waitFor(() => expect(mock.abortedRequests).toBe(before + 1));
  });

  it('breaking out of the loop early releases the upstream request', async () => {
    const stream = await streamChatCompletion(makeTarget({ baseUrl: mock.url, upstreamModel: 'mock-slow-stream' }), {
      model: 'x',
      messages: MESSAGES,
    });
    const before = mock.abortedRequests;
    for await (const event of stream) {
      expect(event.type).toBe('text');
      break;
    }
    await vi.waitFor(() => expect(mock.abortedRequests).toBe(before + 1));
    expect(stream.completed).toBe(false);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const err = await rejection(
      sendChatCompletion(makeTarget({ baseUrl: mock.url }), { model: 'x', messages: MESSAGES }, { signal: AbortSignal.abort() }),
    );
    expect(err.kind).toBe('aborted');
  });
});

describe('listUpstreamModels', () => {
  it('lists the model ids the upstream advertises', async () => {
    const ids = await listOpenAiModels(makeTarget({ baseUrl: mock.url }), {
      transport,
      signal: new AbortController().signal,
      requestId: 'test',
    });
    expect(ids).toContain('mock-ok');
    expect(mock.requests[0]).toMatchObject({ method: 'GET', url: '/v1/models' });
  });
});
