// Internal request → Anthropic Messages request. Pure: no I/O, so every rule below is unit-tested.
import { AppError } from '../../../core/errors.js';
import type { AdapterChatRequest, ContentPart, FunctionTool, Message, ToolChoice } from '../../types.js';
import type {
  AnthropicContentBlock,
  AnthropicImageBlock,
  AnthropicMessage,
  AnthropicMessagesRequest,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolResultBlock,
} from './wire.js';

/**
 * A user turn put in front of a conversation that starts with the assistant (an OpenAI client's
 * greeting, say): the Messages API wants the first turn to be the user's. LiteLLM sends the same.
 */
export const LEADING_USER_PLACEHOLDER = '.';

/** Anthropic's temperature range is 0–1; OpenAI's is 0–2. Higher values are clamped rather than refused. */
const MAX_TEMPERATURE = 1;

function invalid(field: string, reason: string): AppError {
  return new AppError('INVALID_REQUEST', { details: { field, reason } });
}

function textBlock(part: { text: string; cacheControl?: AnthropicTextBlock['cache_control'] }): AnthropicTextBlock {
  return part.cacheControl ? { type: 'text', text: part.text, cache_control: part.cacheControl } : { type: 'text', text: part.text };
}

function imageBlock(part: Extract<ContentPart, { type: 'image' }>): AnthropicImageBlock {
  return {
    type: 'image',
    source:
      part.source.kind === 'url'
        ? { type: 'url', url: part.source.url }
        : { type: 'base64', media_type: part.source.mediaType, data: part.source.data },
  };
}

/** A message's parts as Anthropic blocks. Empty text parts are dropped: the API refuses empty text blocks. */
function contentBlocks(parts: ContentPart[] | null, field: string): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  (parts ?? []).forEach((part, i) => {
    switch (part.type) {
      case 'text':
        if (part.text !== '') blocks.push(textBlock(part));
        break;
      case 'image':
        blocks.push(imageBlock(part));
        break;
      case 'file':
        blocks.push({
          type: 'document',
          source:
            part.source.kind === 'url'
              ? { type: 'url', url: part.source.url }
              : part.source.kind === 'base64'
                ? { type: 'base64', media_type: part.source.mediaType, data: part.source.data }
                : { type: 'file', file_id: part.source.fileId },
          ...(part.filename ? { title: part.filename } : {}),
        });
        break;
      case 'audio':
        throw invalid(`${field}[${i}]`, 'audio input is not supported by this model (Anthropic provider)');
    }
  });
  return blocks;
}

function toolInput(args: string, field: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw invalid(field, 'tool call arguments must be a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid(field, 'tool call arguments must be a JSON object');
  return parsed as Record<string, unknown>;
}

function toolResult(message: Message, field: string): AnthropicToolResultBlock {
  if (!message.toolCallId) throw invalid(`${field}.tool_call_id`, 'a tool message must answer a tool call id');
  const blocks = contentBlocks(message.content, `${field}.content`);
  const content: AnthropicToolResultBlock['content'] = [];
  for (const block of blocks) {
    if (block.type !== 'text' && block.type !== 'image') throw invalid(`${field}.content`, 'a tool result may hold only text and images');
    content.push(block);
  }
  // A single text block is sent as a string, the shape most Anthropic examples use.
  const only = content.length === 1 ? content[0] : undefined;
  return {
    type: 'tool_result',
    tool_use_id: message.toolCallId,
    content: only?.type === 'text' && !only.cache_control ? only.text : content,
  };
}

function assistantBlocks(message: Message, field: string): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  // Thinking first: the API wants a turn's thinking blocks back, signed, ahead of its text and tool use.
  for (const reasoning of message.reasoning ?? []) {
    if (reasoning.signature !== undefined) blocks.push({ type: 'thinking', thinking: reasoning.text, signature: reasoning.signature });
  }
  blocks.push(...contentBlocks(message.content, `${field}.content`));
  if (message.refusal) blocks.push({ type: 'text', text: message.refusal });
  (message.toolCalls ?? []).forEach((call, j) => {
    blocks.push({
      type: 'tool_use',
      id: call.id,
      name: call.name,
      input: toolInput(call.arguments, `${field}.tool_calls[${j}].function.arguments`),
    });
  });
  return blocks;
}

/**
 * The system prompt (every system and developer message, in order, wherever it stood) and the
 * alternating user/assistant turns: consecutive turns of one role are merged, and tool results
 * become user turns of `tool_result` blocks, ahead of any user text that follows them.
 */
export function toAnthropicMessages(messages: readonly Message[]): { system: AnthropicTextBlock[]; turns: AnthropicMessage[] } {
  const system: AnthropicTextBlock[] = [];
  const turns: AnthropicMessage[] = [];
  const push = (role: AnthropicMessage['role'], blocks: AnthropicContentBlock[]): void => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  messages.forEach((message, i) => {
    const field = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const block of contentBlocks(message.content, `${field}.content`)) {
          if (block.type !== 'text') throw invalid(`${field}.content`, 'a system message may hold only text');
          system.push(block);
        }
        break;
      case 'user':
        push('user', contentBlocks(message.content, `${field}.content`));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(message, field));
        break;
      case 'tool':
        push('user', [toolResult(message, field)]);
        break;
    }
  });
  // Within a merged user turn the API wants tool results first.
  for (const turn of turns) {
    if (turn.role === 'user') turn.content.sort((a, b) => Number(b.type === 'tool_result') - Number(a.type === 'tool_result'));
  }
  if (turns[0]?.role === 'assistant') turns.unshift({ role: 'user', content: [{ type: 'text', text: LEADING_USER_PLACEHOLDER }] });
  if (turns.length === 0) throw invalid('messages', 'at least one user or assistant message with content is required');
  return { system, turns };
}

export function toAnthropicTools(tools: readonly FunctionTool[]): AnthropicTool[] {
  return tools.map((tool) => ({
    name: tool.name,
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    input_schema: tool.parameters ?? { type: 'object', properties: {} },
  }));
}

export function toAnthropicToolChoice(
  choice: ToolChoice | undefined,
  parallelToolCalls: boolean | undefined,
): AnthropicToolChoice | undefined {
  const disable = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any', ...disable };
  if (typeof choice === 'object') return { type: 'tool', name: choice.name, ...disable };
  if (choice === 'auto' || parallelToolCalls === false) return { type: 'auto', ...disable };
  return undefined;
}

function numberFrom(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function stopFrom(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
}

/**
 * The Messages request body. `max_tokens` is always sent (the API requires it): the client's
 * limit when lower than the platform's cap, else the cap the reservation was made for.
 */
export function toAnthropicRequest(call: AdapterChatRequest): AnthropicMessagesRequest {
  const { request, defaults } = call;
  if (request.n !== undefined && request.n > 1) throw invalid('n', 'this model (Anthropic provider) answers one choice per request');
  if (request.logprobs) throw invalid('logprobs', 'log probabilities are not available from this model (Anthropic provider)');
  if (request.responseFormat && request.responseFormat.type !== 'text') {
    throw invalid('response_format', 'structured output formats are not supported by this model (Anthropic provider); use a tool instead');
  }
  const { system, turns } = toAnthropicMessages(request.messages);
  const body: AnthropicMessagesRequest = {
    model: call.upstreamModel,
    max_tokens: Math.min(request.maxOutputTokens ?? call.maxOutputTokens, call.maxOutputTokens),
    messages: turns,
  };
  if (system.length > 0) {
    // Joined into one string unless a block carries a cache breakpoint, which only the block form can say.
    body.system = system.some((block) => block.cache_control) ? system : system.map((block) => block.text).join('\n\n');
  }
  const temperature = request.temperature ?? numberFrom(defaults.temperature);
  if (temperature !== undefined) body.temperature = Math.min(temperature, MAX_TEMPERATURE);
  const topP = request.topP ?? numberFrom(defaults.top_p);
  if (topP !== undefined) body.top_p = topP;
  const topK = request.topK ?? numberFrom(defaults.top_k);
  if (topK !== undefined) body.top_k = topK;
  const stop = request.stop ?? stopFrom(defaults.stop);
  if (stop && stop.length > 0) body.stop_sequences = stop;
  const userId = request.user ?? request.metadata?.user_id;
  if (userId) body.metadata = { user_id: userId };
  if (request.tools && request.tools.length > 0) {
    body.tools = toAnthropicTools(request.tools);
    const choice = toAnthropicToolChoice(request.toolChoice, request.parallelToolCalls);
    if (choice) body.tool_choice = choice;
  }
  // Fields of Anthropic's own protocol with no internal equivalent (thinking, service_tier, …) go
  // back untouched when the client spoke it; an OpenAI client's extras mean nothing here.
  if (request.extra?.protocol === 'anthropic-messages') {
    for (const [key, value] of Object.entries(request.extra.fields)) if (!(key in body)) body[key] = value;
  }
  if (call.stream) body.stream = true;
  return body;
}
