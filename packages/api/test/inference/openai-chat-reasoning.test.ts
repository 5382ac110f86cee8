import { describe, expect, it } from 'vitest';
import { OpenAiChunkWriter, toOpenAiCompletion } from '../../src/inference/protocols/openai-chat.js';
import type { ChatResult, StreamEvent, Usage } from '../../src/inference/types.js';

// Reasoning from upstreams that do not speak OpenAI (Anthropic thinking, Gemini thoughts) reaches an
// OpenAI client as `reasoning_content`, the field DeepSeek, vLLM and OpenRouter clients read.

const USAGE: Usage = { inputTokens: 10, outputTokens: 20, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 8 };

function deltas(events: StreamEvent[]): Record<string, unknown>[] {
  const writer = new OpenAiChunkWriter('chatcmpl-1', 1_700_000_000, 'thinker');
  const chunks = [writer.start(), ...events.map((event) => writer.write(event, true))];
  return chunks.filter((chunk): chunk is string => chunk !== null).map((chunk) => JSON.parse(chunk) as Record<string, unknown>);
}

describe('reasoning on the OpenAI surface', () => {
  it('streams reasoning events as delta.reasoning_content, in order, before the answer', () => {
    const chunks = deltas([
      { type: 'reasoning', index: 0, text: 'Let me think. ' },
      { type: 'reasoning', index: 0, text: 'Two and two.' },
      { type: 'reasoning', index: 0, text: '', signature: 'sig-abc' },
      { type: 'text', index: 0, text: 'Four.' },
      { type: 'finish', index: 0, reason: 'stop' },
    ]);
    const shown = chunks.map((chunk) => (chunk.choices as { delta: Record<string, unknown>; finish_reason: string | null }[])[0]);
    expect(shown.map((choice) => choice?.delta)).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'Let me think. ' },
      { reasoning_content: 'Two and two.' },
      { content: 'Four.' },
      {},
    ]);
    expect(shown.at(-1)?.finish_reason).toBe('stop');
    expect(chunks[1]).toMatchObject({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'thinker' });
  });

  it('sends the role with the first reasoning chunk of a choice that had no opening chunk', () => {
    const chunks = deltas([{ type: 'reasoning', index: 1, text: 'hmm' }]);
    expect((chunks[1]!.choices as unknown[])[0]).toEqual({
      index: 1,
      delta: { role: 'assistant', reasoning_content: 'hmm' },
      logprobs: null,
      finish_reason: null,
    });
  });

  it('puts the reasoning of a non-streamed answer in message.reasoning_content, and none when there is none', () => {
    const result: ChatResult = {
      id: 'msg_1',
      created: 1_700_000_000,
      choices: [
        {
          index: 0,
          text: 'Four.',
          toolCalls: [],
          reasoning: [{ text: 'Let me think. ' }, { text: 'Two and two.', signature: 'sig-abc' }],
          finishReason: 'stop',
        },
        { index: 1, text: 'Also four.', toolCalls: [], reasoning: [{ text: '', signature: 'only-a-signature' }], finishReason: 'stop' },
      ],
      usage: USAGE,
    };
    const body = toOpenAiCompletion(result, 'thinker', USAGE);
    const [first, second] = body.choices as { message: Record<string, unknown> }[];
    expect(first!.message).toEqual({ role: 'assistant', content: 'Four.', refusal: null, reasoning_content: 'Let me think. Two and two.' });
    expect(second!.message).not.toHaveProperty('reasoning_content');
    expect(body.usage).toMatchObject({ completion_tokens: 20, completion_tokens_details: { reasoning_tokens: 8 } });
  });
});
