import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { parseOpenAiResponsesRequest, ResponsesStreamWriter, toResponsesObject } from '../../src/inference/protocols/openai-responses.js';
import type { Usage } from '../../src/inference/types.js';

const USAGE: Usage = { inputTokens: 10, outputTokens: 5, cachedInputTokens: 4, cacheWriteInputTokens: 0, reasoningTokens: 2 };

describe('Responses request → internal request', () => {
  it('reads instructions, message items, function calls and their outputs into one lossless conversation', () => {
    const { request, model, stream } = parseOpenAiResponsesRequest({
      model: 'm',
      instructions: 'Be brief.',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Look' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
          ],
        },
        { type: 'message', role: 'assistant', id: 'msg_1', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
        { type: 'function_call', call_id: 'call_2', name: 'g', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'one' },
        { type: 'function_call_output', call_id: 'call_2', output: 'two' },
      ],
      tools: [{ type: 'function', name: 'f', description: 'F', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'f' },
      max_output_tokens: 64,
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
      stream: true,
      store: false,
      service_tier: 'auto',
    });
    expect(model).toBe('m');
    expect(stream).toBe(true);
    expect(request.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look' },
          { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' }, detail: 'low' },
        ],
      },
      {
        role: 'assistant',
        content: [{ type: 'text', text: 'Checking.' }],
        toolCalls: [
          { id: 'call_1', name: 'f', arguments: '{"a":1}' },
          { id: 'call_2', name: 'g', arguments: '{}' },
        ],
      },
      { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: 'one' }] },
      { role: 'tool', toolCallId: 'call_2', content: [{ type: 'text', text: 'two' }] },
    ]);
    expect(request.tools).toEqual([{ name: 'f', description: 'F', parameters: { type: 'object' }, strict: true }]);
    expect(request.toolChoice).toEqual({ name: 'f' });
    expect(request.maxOutputTokens).toBe(64);
    expect(request.responseFormat).toEqual({ type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } });
    expect(request.extra).toEqual({ protocol: 'openai-responses', fields: { service_tier: 'auto' } });
  });

  it('refuses previous_response_id and item references (nothing is stored), and non-function tools, naming the field', () => {
    const fieldOf = (body: unknown) => {
      try {
        parseOpenAiResponsesRequest(body);
      } catch (error) {
        expect(error).toBeInstanceOf(AppError);
        return (error as AppError).details?.field;
      }
      return undefined;
    };
    expect(fieldOf({ model: 'm', input: 'x', previous_response_id: 'resp_1' })).toBe('previous_response_id');
    expect(fieldOf({ model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] })).toBe('input[0]');
    expect(fieldOf({ model: 'm', input: 'x', tools: [{ type: 'web_search' }] })).toBe('tools[0].type');
  });
});

describe('internal answer → Responses', () => {
  it('builds a response object with message and function_call items and usage details', () => {
    const response = toResponsesObject(
      {
        id: 'x',
        created: 1,
        choices: [{ index: 0, text: 'Hi', toolCalls: [{ id: 'call_1', name: 'f', arguments: '{}' }], finishReason: 'tool_calls' }],
        usage: USAGE,
      },
      'm',
      {},
      USAGE,
    );
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      store: false,
      output: [
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi' }] },
        { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}', status: 'completed' },
      ],
      usage: {
        input_tokens: 10,
        output_tokens: 5,
        total_tokens: 15,
        input_tokens_details: { cached_tokens: 4 },
        output_tokens_details: { reasoning_tokens: 2 },
      },
    });
  });

  it('numbers stream events and closes text before a function call starts', () => {
    const writer = new ResponsesStreamWriter('m', {});
    const events = [
      ...writer.start(),
      ...writer.write({ type: 'text', index: 0, text: 'A' }),
      ...writer.write({ type: 'tool-call-start', index: 0, toolIndex: 0, id: 'call_1', name: 'f' }),
      ...writer.write({ type: 'tool-call-delta', index: 0, toolIndex: 0, arguments: '{"a":' }),
      ...writer.write({ type: 'tool-call-delta', index: 0, toolIndex: 0, arguments: '1}' }),
      ...writer.write({ type: 'finish', index: 0, reason: 'length' }),
      ...writer.finish(USAGE),
    ];
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.incomplete',
    ]);
    expect(events.at(-1)).toMatchObject({
      response: {
        status: 'incomplete',
        incomplete_details: { reason: 'max_output_tokens' },
        output: [{ type: 'message' }, { type: 'function_call', arguments: '{"a":1}' }],
      },
    });
  });
});
