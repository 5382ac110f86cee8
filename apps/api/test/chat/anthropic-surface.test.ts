// The /v1/messages surface's pure translations: wire request → internal, internal stream → Anthropic
// events. The server-level behaviour is in anthropic-messages.test.ts.
import type { StreamEvent, Usage } from '@maas/api';
import { describe, expect, it } from 'vitest';
import {
  AnthropicStreamEncoder,
  MessagesRequest,
  type SseFrame,
  toAnthropicMessage,
  toChatRequest,
} from '../../src/surfaces/anthropic-messages.js';
import { renderAnthropicError } from '../../src/surfaces/errors/index.js';

const USAGE: Usage = { inputTokens: 30, outputTokens: 12, cachedInputTokens: 10, cacheWriteInputTokens: 5, reasoningTokens: 0 };

/** Replays frames the way the Anthropic SDK accumulates them, checking the index discipline on the way. */
function replay(frames: SseFrame[]) {
  const blocks: Record<string, unknown>[] = [];
  const json: string[] = [];
  let open: number | null = null;
  let usage: unknown;
  let stopReason: unknown;
  for (const { event, data } of frames) {
    if (event === 'content_block_start') {
      expect(open).toBeNull();
      expect(data.index).toBe(blocks.length);
      open = data.index as number;
      blocks.push({ ...(data.content_block as object) });
      json.push('');
    } else if (event === 'content_block_delta') {
      expect(data.index).toBe(open);
      const delta = data.delta as Record<string, string>;
      const block = blocks[open!]!;
      if (delta.type === 'text_delta') block.text = `${block.text as string}${delta.text}`;
      else if (delta.type === 'input_json_delta') json[open!] = `${json[open!] ?? ''}${delta.partial_json ?? ''}`;
    } else if (event === 'content_block_stop') {
      expect(data.index).toBe(open);
      if (blocks[open!]!.type === 'tool_use') blocks[open!]!.input = JSON.parse(json[open!] || '{}');
      open = null;
    } else if (event === 'message_delta') {
      expect(open).toBeNull();
      usage = data.usage;
      stopReason = (data.delta as Record<string, unknown>).stop_reason;
    }
  }
  return { blocks, usage, stopReason, names: frames.map((frame) => frame.event) };
}

function encode(events: StreamEvent[]) {
  const encoder = new AnthropicStreamEncoder('msg_1', 'm');
  const frames = [...encoder.start(20)];
  for (const event of events) frames.push(...encoder.accept(event));
  frames.push(...encoder.finish(USAGE));
  return replay(frames);
}

describe('Anthropic stream encoder', () => {
  it('numbers text and tool_use blocks in order and streams tool input as input_json_delta', () => {
    const result = encode([
      { type: 'text', index: 0, text: 'Checking ' },
      { type: 'text', index: 0, text: 'now.' },
      { type: 'tool-call-start', index: 0, toolIndex: 0, id: 'call_1', name: 'get_weather' },
      { type: 'tool-call-delta', index: 0, toolIndex: 0, arguments: '{"ci' },
      { type: 'tool-call-delta', index: 0, toolIndex: 0, arguments: 'ty":"Oslo"}' },
      { type: 'tool-call-start', index: 0, toolIndex: 1, id: 'call_2', name: 'get_time' },
      { type: 'tool-call-delta', index: 0, toolIndex: 1, arguments: '{"tz":"CET"}' },
      { type: 'finish', index: 0, reason: 'tool_calls' },
    ]);
    expect(result.names.slice(0, 2)).toEqual(['message_start', 'ping']);
    expect(result.names.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(result.blocks).toEqual([
      { type: 'text', text: 'Checking now.' },
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Oslo' } },
      { type: 'tool_use', id: 'call_2', name: 'get_time', input: { tz: 'CET' } },
    ]);
    expect(result.stopReason).toBe('tool_use');
    expect(result.usage).toEqual({ input_tokens: 15, output_tokens: 12, cache_creation_input_tokens: 5, cache_read_input_tokens: 10 });
  });

  it('keeps every argument byte when parallel tool calls interleave their deltas (an OpenAI upstream may)', () => {
    const result = encode([
      { type: 'tool-call-start', index: 0, toolIndex: 0, id: 'a', name: 'f' },
      { type: 'tool-call-delta', index: 0, toolIndex: 0, arguments: '{"x":' },
      { type: 'tool-call-start', index: 0, toolIndex: 1, id: 'b', name: 'g' },
      { type: 'tool-call-delta', index: 0, toolIndex: 1, arguments: '{"y":' },
      { type: 'tool-call-delta', index: 0, toolIndex: 0, arguments: '1}' },
      { type: 'tool-call-delta', index: 0, toolIndex: 1, arguments: '2}' },
      { type: 'text', index: 0, text: 'Done.' },
      { type: 'finish', index: 0, reason: 'tool_calls' },
    ]);
    expect(result.blocks).toEqual([
      { type: 'tool_use', id: 'a', name: 'f', input: { x: 1 } },
      { type: 'tool_use', id: 'b', name: 'g', input: { y: 2 } },
      { type: 'text', text: 'Done.' },
    ]);
  });

  it('leaves a tool called without arguments with an empty input object', () => {
    const result = encode([
      { type: 'tool-call-start', index: 0, toolIndex: 0, id: 'a', name: 'now' },
      { type: 'finish', index: 0, reason: 'tool_calls' },
    ]);
    expect(result.blocks).toEqual([{ type: 'tool_use', id: 'a', name: 'now', input: {} }]);
  });
});

describe('Anthropic request translation (inbound)', () => {
  it('turns tool_result blocks into tool turns ahead of the user text, and tool_use into tool calls', () => {
    const body = MessagesRequest.parse({
      model: 'm',
      max_tokens: 100,
      system: [{ type: 'text', text: 'Sys', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'text', text: 'calling' },
            { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'and also' },
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'r' }] },
            { type: 'image', source: { type: 'url', url: 'https://e/x.png' } },
          ],
        },
      ],
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
    const request = toChatRequest(body);
    expect(request.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Sys', cacheControl: { type: 'ephemeral' } }] },
      { role: 'user', content: [{ type: 'text', text: 'q' }] },
      {
        role: 'assistant',
        content: [{ type: 'text', text: 'calling' }],
        toolCalls: [{ id: 'toolu_1', name: 'f', arguments: '{"a":1}' }],
        reasoning: [{ text: 'hmm', signature: 'sig' }],
      },
      { role: 'tool', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'r' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'and also' },
          { type: 'image', source: { kind: 'url', url: 'https://e/x.png' } },
        ],
      },
    ]);
    expect(request).toMatchObject({
      tools: [{ name: 'f', parameters: { type: 'object' } }],
      toolChoice: 'required',
      parallelToolCalls: false,
      maxOutputTokens: 100,
      stop: ['END'],
      user: 'u1',
      extra: { protocol: 'anthropic-messages', fields: { thinking: { type: 'enabled', budget_tokens: 1024 } } },
    });
  });

  it('refuses server tools and unknown block types', () => {
    const base = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] };
    expect(MessagesRequest.safeParse({ ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }).success).toBe(false);
    expect(MessagesRequest.safeParse({ ...base, messages: [{ role: 'user', content: [{ type: 'audio', data: 'x' }] }] }).success).toBe(
      false,
    );
  });
});

describe('Anthropic answer and error shapes', () => {
  it('renders a whole answer with thinking, text and tool_use blocks and Anthropic usage', () => {
    const message = toAnthropicMessage(
      {
        id: 'x',
        created: 0,
        usage: USAGE,
        choices: [
          {
            index: 0,
            text: 'ok',
            toolCalls: [{ id: 'c', name: 'f', arguments: '{"a":1}' }],
            reasoning: [{ text: 'r', signature: 's' }],
            finishReason: 'tool_calls',
          },
        ],
      },
      'public-model',
      USAGE,
      'msg_1',
    );
    expect(message).toEqual({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'public-model',
      content: [
        { type: 'thinking', thinking: 'r', signature: 's' },
        { type: 'text', text: 'ok' },
        { type: 'tool_use', id: 'c', name: 'f', input: { a: 1 } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 15, output_tokens: 12, cache_creation_input_tokens: 5, cache_read_input_tokens: 10 },
    });
  });

  it('names the offending field in the message of an Anthropic error (which has no param)', () => {
    const render = (details: Record<string, unknown> | null) =>
      renderAnthropicError({ code: 'INVALID_REQUEST', status: 400, message: 'm', details, headers: {} }, 'req_1');
    expect(render(null).body).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'm' }, request_id: 'req_1' });
    expect(render({ field: 'messages.0.role' }).body.error.message).toBe('m: messages.0.role');
    expect(render({ field: 'max_tokens', reason: 'required' }).body.error.message).toBe('m: max_tokens: required');
  });
});
