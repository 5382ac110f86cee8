import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { estimateGeminiInputTokens, imageDimensions } from '../../src/inference/adapters/gemini/estimate.js';
import { geminiMethodUrl } from '../../src/inference/adapters/gemini/index.js';
import { toGeminiRequest } from '../../src/inference/adapters/gemini/request.js';
import { resultFromGemini, usageFromGemini } from '../../src/inference/adapters/gemini/response.js';
import { toGeminiParameters, toGeminiSchema } from '../../src/inference/adapters/gemini/schema.js';
import { countTextTokens } from '../../src/inference/token-count.js';
import type { AdapterChatRequest, ChatRequest, Message } from '../../src/inference/types.js';

// A 1×1 PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function call(request: Partial<ChatRequest> & { messages: Message[] }, maxOutputTokens = 256): AdapterChatRequest {
  return { request, upstreamModel: 'gemini-test', maxOutputTokens, defaults: {}, stream: false };
}

const text = (value: string) => [{ type: 'text' as const, text: value }];

describe('Gemini request translation', () => {
  it('moves system and developer messages to systemInstruction and maps roles to user/model', () => {
    const body = toGeminiRequest(
      call({
        messages: [
          { role: 'system', content: text('Be terse.') },
          { role: 'developer', content: text('Answer in English.') },
          { role: 'user', content: text('Hi') },
          { role: 'assistant', content: text('Hello') },
          { role: 'user', content: text('Again') },
        ],
      }),
    );
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'Be terse.' }, { text: 'Answer in English.' }] });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Hi' }] },
      { role: 'model', parts: [{ text: 'Hello' }] },
      { role: 'user', parts: [{ text: 'Again' }] },
    ]);
    expect(body.generationConfig).toEqual({ maxOutputTokens: 256 });
  });

  it('sends base64 images and data URLs as inline_data and refuses an http image URL naming the part', () => {
    const body = toGeminiRequest(
      call({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
              { type: 'image', source: { kind: 'url', url: `data:image/png;base64,${PNG}` } },
            ],
          },
        ],
      }),
    );
    expect(body.contents[0]!.parts).toEqual([
      { text: 'What is this?' },
      { inline_data: { mime_type: 'image/png', data: PNG } },
      { inline_data: { mime_type: 'image/png', data: PNG } },
    ]);

    let caught: unknown;
    try {
      toGeminiRequest(
        call({
          messages: [
            { role: 'user', content: [...text('look'), { type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } }] },
          ],
        }),
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).status).toBe(400);
    expect((caught as AppError).message).toContain('messages[0].content[1]');
  });

  it('turns tool calls into functionCall parts and tool results into functionResponse parts by the called name', () => {
    const body = toGeminiRequest(
      call({
        messages: [
          { role: 'user', content: text('Weather in Paris and Rome?') },
          {
            role: 'assistant',
            content: null,
            toolCalls: [
              { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
              { id: 'call_b', name: 'get_time', arguments: '{"city":"Rome"}' },
            ],
          },
          { role: 'tool', toolCallId: 'call_a', content: text('{"temp":21}') },
          { role: 'tool', toolCallId: 'call_b', content: text('noon') },
        ],
        tools: [
          {
            name: 'get_weather',
            description: 'Weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
          },
          { name: 'get_time', parameters: { type: 'object', properties: {} } },
        ],
        toolChoice: { name: 'get_weather' },
      }),
    );
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Paris and Rome?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
          { functionCall: { name: 'get_time', args: { city: 'Rome' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { temp: 21 } } },
          { functionResponse: { name: 'get_time', response: { result: 'noon' } } },
        ],
      },
    ]);
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
          { name: 'get_time' },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
  });

  it('refuses a tool result whose id answers no earlier tool call', () => {
    expect(() =>
      toGeminiRequest(
        call({
          messages: [
            { role: 'user', content: text('x') },
            { role: 'tool', toolCallId: 'call_zz', content: text('1') },
          ],
        }),
      ),
    ).toThrow(/messages\[1\].*call_zz/);
  });

  it('maps generation parameters, defaults under the request, and response_format to a response schema', () => {
    const body = toGeminiRequest({
      request: {
        messages: [{ role: 'user', content: text('json please') }],
        maxOutputTokens: 9_999,
        temperature: 0.2,
        stop: ['END'],
        seed: 7,
        n: 2,
        topK: 5,
        responseFormat: {
          type: 'json_schema',
          json_schema: {
            name: 'x',
            schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { a: { type: ['string', 'null'] } } },
          },
        },
      },
      upstreamModel: 'gemini-test',
      maxOutputTokens: 1_000,
      defaults: { temperature: 0.9, top_p: 0.5 },
      stream: false,
    });
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 1_000,
      temperature: 0.2,
      topP: 0.5,
      topK: 5,
      seed: 7,
      stopSequences: ['END'],
      candidateCount: 2,
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { a: { type: 'string', nullable: true } } },
    });
  });
});

describe('JSON Schema to Gemini schema', () => {
  it('drops keywords outside the subset and rewrites const, oneOf and local refs', () => {
    expect(
      toGeminiSchema({
        $schema: 'x',
        type: 'object',
        additionalProperties: false,
        $defs: { unit: { type: 'string', enum: ['c', 'f'] } },
        properties: {
          unit: { $ref: '#/$defs/unit' },
          kind: { const: 'weather' },
          when: { type: 'string', format: 'date-time' },
          email: { type: 'string', format: 'email' },
          either: { oneOf: [{ type: 'string' }, { type: 'number' }] },
          maybe: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
        },
        required: ['unit', 'ghost'],
      }),
    ).toEqual({
      type: 'object',
      properties: {
        unit: { type: 'string', enum: ['c', 'f'], format: 'enum' },
        kind: { type: 'string', enum: ['weather'], format: 'enum' },
        when: { type: 'string', format: 'date-time' },
        email: { type: 'string' },
        either: { anyOf: [{ type: 'string' }, { type: 'number' }] },
        maybe: { type: 'integer', nullable: true },
      },
      required: ['unit'],
    });
  });

  it('leaves out the parameters of a tool that takes none', () => {
    expect(toGeminiParameters({ type: 'object', properties: {}, additionalProperties: false })).toBeUndefined();
  });
});

describe('Gemini answers', () => {
  it('reads text, function calls with fresh ids, finish reasons and usage incl. cached and thought tokens', () => {
    const result = resultFromGemini({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [{ text: 'thinking', thought: true }, { text: 'Let me check.' }, { functionCall: { name: 'f', args: { a: 1 } } }],
          },
          finishReason: 'STOP',
        },
      ],
      usageMetadata: {
        promptTokenCount: 100,
        candidatesTokenCount: 20,
        thoughtsTokenCount: 30,
        cachedContentTokenCount: 60,
        totalTokenCount: 150,
      },
    });
    const choice = result.choices[0]!;
    expect(choice.text).toBe('Let me check.');
    expect(choice.reasoning).toEqual([{ text: 'thinking' }]);
    expect(choice.finishReason).toBe('tool_calls');
    expect(choice.toolCalls).toEqual([{ id: expect.stringMatching(/^call_[0-9a-f]{12}_0$/), name: 'f', arguments: '{"a":1}' }]);
    expect(result.usage).toEqual({
      inputTokens: 100,
      outputTokens: 50,
      cachedInputTokens: 60,
      cacheWriteInputTokens: 0,
      reasoningTokens: 30,
    });
  });

  it('maps MAX_TOKENS to length, SAFETY to content_filter and a blocked prompt to an empty filtered answer', () => {
    expect(
      resultFromGemini({ candidates: [{ content: { parts: [{ text: 'a' }] }, finishReason: 'MAX_TOKENS' }] }).choices[0]!.finishReason,
    ).toBe('length');
    expect(resultFromGemini({ candidates: [{ finishReason: 'SAFETY' }] }).choices[0]!.finishReason).toBe('content_filter');
    expect(resultFromGemini({ promptFeedback: { blockReason: 'SAFETY' } }).choices[0]).toMatchObject({
      text: '',
      finishReason: 'content_filter',
    });
    expect(usageFromGemini(undefined)).toBeNull();
  });
});

describe('Gemini token estimate', () => {
  it('never counts fewer tokens than o200k finds in the text, and counts images by their size', () => {
    const request: ChatRequest = {
      messages: [{ role: 'user', content: text('The quick brown fox jumps over the lazy dog. '.repeat(20)) }],
    };
    expect(estimateGeminiInputTokens(request)).toBeGreaterThanOrEqual(
      Math.ceil(countTextTokens('The quick brown fox jumps over the lazy dog. '.repeat(20)) * 1.3),
    );
    expect(imageDimensions(Buffer.from(PNG, 'base64'))).toEqual({ width: 1, height: 1 });
    const withImage: ChatRequest = {
      messages: [{ role: 'user', content: [{ type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } }] }],
    };
    expect(estimateGeminiInputTokens(withImage)).toBeGreaterThanOrEqual(258);
  });
});

describe('Gemini URLs', () => {
  it('adds v1beta unless the base names a version, and asks for SSE when streaming', () => {
    expect(geminiMethodUrl('https://generativelanguage.googleapis.com', 'gemini-2.5-flash', 'generateContent')).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent',
    );
    expect(geminiMethodUrl('http://127.0.0.1:5/v1beta/', 'models/g', 'streamGenerateContent')).toBe(
      'http://127.0.0.1:5/v1beta/models/g:streamGenerateContent?alt=sse',
    );
  });
});
