import { describe, expect, it } from 'vitest';
import { OpenAiChunkPass } from '../../src/inference/adapters/openai-compatible/pass-through.js';
import { UpstreamError } from '../../src/inference/errors.js';
import { makeTarget } from '../upstream/target-fixture.js';

// The same-protocol stream pass-through (issue 18 target 4): chunks go on as the upstream's text,
// framed once; only usage, finish and errors are read as they pass, and a cut stream's delivered
// text is read from the kept chunks when asked for.

const chunk = (fields: object) => JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'up-model', ...fields });
const content = (text: string, extra: object = {}) =>
  chunk({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }], ...extra });
const finish = chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
const usage = chunk({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } });
const sse = (data: string) => `data: ${data}\n\n`;

function pass(includeUsage = true) {
  const written: string[] = [];
  const stream = new OpenAiChunkPass(makeTarget(), {
    write: (event) => written.push(event),
    rename: (json) => json.replace('"model":"up-model"', '"model":"public"'),
    includeUsage,
  });
  return { stream, written };
}

describe('OpenAiChunkPass', () => {
  it('passes each chunk on framed, with the model renamed, reading usage and the end', () => {
    const { stream, written } = pass();
    for (const data of [content('Hel'), content('lo'), finish, usage]) expect(stream.feed(sse(data))).toBe(true);
    expect(stream.feed('data: [DONE]\n\n')).toBe(false);
    expect(written).toEqual(
      [content('Hel'), content('lo'), finish, usage].map((data) => sse(data.replace('"model":"up-model"', '"model":"public"'))),
    );
    expect(stream).toMatchObject({ completed: true, finished: true, passed: 4 });
    expect(stream.usage).toMatchObject({ inputTokens: 5, outputTokens: 3 });
    expect(stream.deliveredText).toBe('Hello');
  });

  it('leaves the usage-only chunk out unless the client asked for it, and still bills by it', () => {
    const { stream, written } = pass(false);
    for (const data of [content('a'), finish, usage]) stream.feed(sse(data));
    expect(written.map((event) => JSON.parse(event.slice(6, -2)) as { choices: unknown[] })).toHaveLength(2);
    expect(stream.usage).toMatchObject({ outputTokens: 3 });
  });

  it('frames events split across reads, several in one read, CRLF lines and named events alike', () => {
    const { stream, written } = pass();
    const whole = sse(content('one')) + `data: ${content('two')}\r\n\r\n` + `event: message\ndata: ${content('three')}\n\n` + sse(finish);
    for (const piece of [whole.slice(0, 10), whole.slice(10, 200), whole.slice(200)]) stream.feed(piece);
    // Back at an event boundary: a single-event read takes the short way again.
    stream.feed(sse(content('four')));
    expect(
      written.map((event) => (JSON.parse(event.slice(6, -2)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content),
    ).toEqual(['one', 'two', 'three', undefined, 'four']);
    expect(stream.deliveredText).toBe('onetwothreefour');
  });

  it('keeps the order of delivered text when content-only and parsed chunks interleave (a cut stream is billed by it)', () => {
    const { stream } = pass();
    stream.feed(sse(content('A')));
    // Spaced JSON is not recognised as content-only: it is parsed as it passes.
    stream.feed(sse('{"id":"c1","model":"up-model","choices": [{"index":0,"delta":{"content":"B"},"finish_reason": null}]}'));
    stream.feed(sse(content('C', { usage: null })));
    stream.feed(
      sse(
        chunk({
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ index: 0, id: 't1', function: { name: 'f', arguments: '{"x":1}' } }] },
              finish_reason: null,
            },
          ],
        }),
      ),
    );
    expect(stream.deliveredText).toBe('ABC{"x":1}');
    expect(stream).toMatchObject({ completed: false, finished: false, usage: null });
  });

  it('treats a chunk whose text mentions usage or finish_reason inside a string as plain content', () => {
    const { stream, written } = pass();
    stream.feed(sse(content('"usage":{"prompt_tokens":1} and "finish_reason":"stop"')));
    expect(stream).toMatchObject({ finished: false, usage: null, passed: 1 });
    expect(stream.deliveredText).toBe('"usage":{"prompt_tokens":1} and "finish_reason":"stop"');
    expect(written).toHaveLength(1);
  });

  it('throws an UpstreamError for an error event in the stream, carrying the content delivered so far', () => {
    const { stream } = pass();
    stream.feed(sse(content('partial')));
    let error: unknown;
    try {
      stream.feed(sse(JSON.stringify({ error: { message: 'overloaded', code: 'server_error' } })));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'server', retryable: false, contentSoFar: 'partial' });
    expect((error as Error).message).toContain('overloaded');
  });

  it('refuses an event that is not JSON when it is read, skips keep-alive pings, and passes no chunk before them', () => {
    const { stream, written } = pass();
    stream.feed(sse('{"type":"ping"}'));
    expect(written).toHaveLength(0);
    expect(() => stream.feed(sse('not json'))).toThrow(/not JSON/);
  });
  it('answers every chunk of a table of tricky ones as reading it in full would', () => {
    // Content that names the keys the fast check looks for, inside strings and as nested keys.
    const texts = ['plain', 'usage"', 'error"', 'finish_reason"', 'choices":[]', '"usage":null', 'a "finish_reason":"stop"', '\\"', 'é€😀'];
    const shapes: object[] = [];
    for (const text of texts) {
      shapes.push({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
      shapes.push({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }], usage: null });
      shapes.push({ choices: [{ index: 0, delta: { content: text }, finish_reason: 'stop' }], usage: null });
      shapes.push({
        choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
        usage: { prompt_tokens: 2, completion_tokens: 1 },
      });
      shapes.push({ choices: [{ index: 0, delta: { content: text, usage: null }, finish_reason: null }] });
      shapes.push({ choices: [{ index: 0, delta: { content: text }, finish_reason: null, choices: [] }] });
      shapes.push({ choices: [], usage: null, note: text });
      shapes.push({ note: text, usage: null });
      shapes.push({ [text]: null, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
    }
    for (const shape of shapes)
      for (const includeUsage of [true, false]) {
        const data = chunk(shape);
        const { stream, written } = pass(includeUsage);
        expect(stream.feed(sse(data))).toBe(true);
        // What reading the chunk in full gives.
        const json = JSON.parse(data) as { choices?: { delta: { content?: string }; finish_reason: string | null }[]; usage?: unknown };
        const isChunk = Array.isArray(json.choices);
        const forwarded = isChunk && (json.choices!.length > 0 || includeUsage);
        expect(written, data).toEqual(forwarded ? [sse(data.replace('"model":"up-model"', '"model":"public"'))] : []);
        expect(stream.finished, data).toBe(isChunk && json.choices!.some((choice) => choice.finish_reason !== null));
        expect(stream.usage !== null, data).toBe(isChunk && json.usage !== undefined && json.usage !== null);
        expect(stream.deliveredText, data).toBe(isChunk ? json.choices!.map((choice) => choice.delta.content ?? '').join('') : '');
      }
  });
});
