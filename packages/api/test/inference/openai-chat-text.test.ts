import { describe, expect, it } from 'vitest';
import {
  buildOpenAiChatBody,
  chatResultFromOpenAi,
  parseOpenAiChatRequest,
  toOpenAiCompletion,
} from '../../src/inference/protocols/openai-chat.js';
import { openAiCompletionText, openAiRequestText, replaceTopLevelModel } from '../../src/inference/protocols/openai-chat-text.js';
import type { AdapterChatRequest, MaxTokensField } from '../../src/inference/types.js';

// The text path must produce exactly what the object path (the reference) produces, or decline.

function callFor(text: string, overrides: Partial<AdapterChatRequest> = {}): AdapterChatRequest {
  const body = JSON.parse(text) as Record<string, unknown>;
  return {
    request: parseOpenAiChatRequest(body).request,
    upstreamModel: 'upstream/model-1',
    maxOutputTokens: 1000,
    defaults: {},
    stream: body.stream === true,
    openAiBody: body,
    openAiBodyText: text,
    ...overrides,
  };
}

function sameAsObjectPath(call: AdapterChatRequest, field: MaxTokensField = 'max_tokens'): string {
  const text = openAiRequestText(call, field);
  expect(text).not.toBeNull();
  expect(JSON.parse(text!)).toStrictEqual(buildOpenAiChatBody({ ...call }, field));
  return text!;
}

describe('replaceTopLevelModel', () => {
  it('replaces the one top-level model value, whatever the spacing', () => {
    expect(replaceTopLevelModel('{"model":"a","x":1}', 'a', 'b')).toBe('{"model":"b","x":1}');
    expect(replaceTopLevelModel('{ "model" : "a" }', 'a', 'b"c')).toBe('{ "model" : "b\\"c" }');
    expect(replaceTopLevelModel('{"model":"a"}', 'a', 'a')).toBe('{"model":"a"}');
  });

  it('declines whenever the key is not provably the top-level one', () => {
    // A second "model" key nested somewhere (or a string value "model") could be the one found first.
    expect(replaceTopLevelModel('{"metadata":{"model":"a"},"model":"a"}', 'a', 'b')).toBeNull();
    expect(replaceTopLevelModel('{"role":"model","model":"a"}', 'a', 'b')).toBeNull();
    // The value written with other escapes than JSON.stringify's.
    expect(replaceTopLevelModel('{"model":"a\\/b"}', 'a/b', 'c')).toBeNull();
    expect(replaceTopLevelModel('{"x":"model"}', 'a', 'b')).toBeNull();
    expect(replaceTopLevelModel('{"model":1}', 'a', 'b')).toBeNull();
  });

  it('is not fooled by "model" inside string content, which JSON escapes', () => {
    const text = JSON.stringify({ messages: [{ role: 'user', content: 'say "model":"a" please' }], model: 'a' });
    expect(JSON.parse(replaceTopLevelModel(text, 'a', 'b')!)).toStrictEqual({
      messages: [{ role: 'user', content: 'say "model":"a" please' }],
      model: 'b',
    });
  });
});

describe('openAiRequestText', () => {
  const messages = [{ role: 'user', content: 'héllo 🌍 "quoted" \\ back' }];

  it('edits the client text into the same body the object path builds', () => {
    sameAsObjectPath(callFor(JSON.stringify({ model: 'm', messages })));
    sameAsObjectPath(callFor(JSON.stringify({ model: 'm', messages, max_tokens: 10, temperature: 0.2 })));
    sameAsObjectPath(callFor(JSON.stringify({ model: 'm', messages, stream: false, max_completion_tokens: 1000 })));
    sameAsObjectPath(callFor(JSON.stringify({ model: 'm', messages, stream: true })));
    sameAsObjectPath(callFor(JSON.stringify({ model: 'm', messages, stream: true, stream_options: { include_usage: true } })));
    sameAsObjectPath(callFor(JSON.stringify({ model: 'm', messages })), 'max_completion_tokens');
    sameAsObjectPath(callFor(JSON.stringify({ model: 'm', messages, top_p: 0.5 }), { defaults: { temperature: 0.7, top_p: 0.9 } }));
    const tools = [
      { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { model: { type: 'string' } } } } },
    ];
    // "model" nested in a tool schema: a second occurrence, so the object path is taken instead.
    expect(openAiRequestText(callFor(JSON.stringify({ model: 'm', messages, tools })), 'max_tokens')).toBeNull();
  });

  it('keeps the client text byte for byte but for the edits', () => {
    const text = '{"model": "m",\n  "messages": [{"role": "user", "content": "\\u00e9"}], "max_tokens": 5}';
    expect(sameAsObjectPath(callFor(text))).toBe(
      '{"stream":false,"model": "upstream/model-1",\n  "messages": [{"role": "user", "content": "\\u00e9"}], "max_tokens": 5}',
    );
  });

  it('declines the edits it cannot make on the text', () => {
    const declined = (body: Record<string, unknown>, overrides: Partial<AdapterChatRequest> = {}) =>
      expect(openAiRequestText(callFor(JSON.stringify({ model: 'm', messages, ...body }), overrides), 'max_tokens')).toBeNull();
    declined({ max_tokens: 5000 }); // lowered to the cap
    declined({ max_tokens: null }); // dropped
    declined({ stream: true, stream_options: { include_usage: false } }); // merged
    declined({ stream_options: { include_usage: true } }); // removed from a call that does not stream
    declined({ stream: null });
    declined({ temperature: null }, { defaults: { temperature: 0.5 } }); // replaced by the default
    declined({}, { defaults: { stream: true } });
    expect(openAiRequestText({ ...callFor(JSON.stringify({ model: 'm', messages })), openAiBodyText: undefined }, 'max_tokens')).toBeNull();
  });
});

describe('openAiCompletionText', () => {
  const completion = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'upstream/model-1',
    choices: [{ index: 0, message: { role: 'assistant', content: 'hi "model":"x"' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, prompt_tokens_details: { cached_tokens: 0 } },
  };
  const resultOf = (text: string) => {
    const result = chatResultFromOpenAi(JSON.parse(text))!;
    result.openAi!.text = text;
    return result;
  };

  it('answers with the upstream text, renamed, exactly as toOpenAiCompletion would', () => {
    const result = resultOf(JSON.stringify(completion));
    const text = openAiCompletionText(result, 'my-model', result.usage!);
    expect(text).not.toBeNull();
    expect(text).toBe(JSON.stringify(toOpenAiCompletion(result, 'my-model', result.usage!)));
  });

  it('declines when the billed usage would change the usage object', () => {
    const inconsistent = resultOf(JSON.stringify({ ...completion, usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 9 } }));
    expect(openAiCompletionText(inconsistent, 'my-model', inconsistent.usage!)).toBeNull();
    const cached = resultOf(
      JSON.stringify({
        ...completion,
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, prompt_tokens_details: { cached_tokens: 1, audio_tokens: 0 } },
      }),
    );
    expect(openAiCompletionText(cached, 'my-model', cached.usage!)).toBeNull();
    const { usage: _none, ...withoutUsage } = completion;
    const counted = resultOf(JSON.stringify(withoutUsage));
    const billed = { inputTokens: 3, outputTokens: 2, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 0 };
    expect(openAiCompletionText(counted, 'my-model', billed)).toBeNull();
  });
});
