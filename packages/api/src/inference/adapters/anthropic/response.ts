// Anthropic Messages response → the internal answer. Pure.
import type { ChatResult, FinishReason, ToolCall, Usage } from '../../types.js';
import type { AnthropicMessageResponse, AnthropicUsage } from './wire.js';

/** Anthropic's stop_reason in the platform's terms; null while a stream has not said. */
export function finishReasonOf(stopReason: string | null | undefined): FinishReason | null {
  switch (stopReason) {
    case null:
    case undefined:
      return null;
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    // end_turn, stop_sequence, pause_turn and any reason added later end the answer normally.
    default:
      return 'stop';
  }
}

const count = (value: number | null | undefined): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/**
 * Anthropic's `input_tokens` excludes the tokens read from and written to the prompt cache;
 * the platform's inputTokens is every input token, so the three are summed.
 */
export function usageOf(usage: AnthropicUsage): Usage {
  const cachedInputTokens = count(usage.cache_read_input_tokens);
  const cacheWriteInputTokens = count(usage.cache_creation_input_tokens);
  return {
    inputTokens: count(usage.input_tokens) + cachedInputTokens + cacheWriteInputTokens,
    outputTokens: count(usage.output_tokens),
    cachedInputTokens,
    cacheWriteInputTokens,
    // Anthropic bills thinking as output tokens and does not report it apart.
    reasoningTokens: 0,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `value` has the shape of a Messages response (enough of it to read safely). */
export function isMessageResponse(value: unknown): value is AnthropicMessageResponse {
  return isRecord(value) && value.type === 'message' && Array.isArray(value.content) && isRecord(value.usage);
}

export function fromAnthropicMessage(message: AnthropicMessageResponse, now: () => number = Date.now): ChatResult {
  let text = '';
  const toolCalls: ToolCall[] = [];
  const reasoning: { text: string; signature?: string }[] = [];
  for (const block of message.content) {
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block.type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string') {
      toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
    } else if (block.type === 'thinking' && typeof block.thinking === 'string') {
      reasoning.push(typeof block.signature === 'string' ? { text: block.thinking, signature: block.signature } : { text: block.thinking });
    }
  }
  return {
    id: message.id,
    // The Messages API gives no creation time.
    created: Math.floor(now() / 1000),
    choices: [
      {
        index: 0,
        text,
        toolCalls,
        ...(reasoning.length > 0 ? { reasoning } : {}),
        finishReason: finishReasonOf(message.stop_reason),
      },
    ],
    usage: usageOf(message.usage),
  };
}
