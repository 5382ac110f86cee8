// The Anthropic Messages protocol as an inbound surface (POST /v1/messages): the wire request into
// the internal ChatRequest, the internal answer and stream back into Anthropic's message JSON and
// server-sent events, and errors in Anthropic's shape. Pure; the route only wires HTTP.
import type { ChatRequest, ChatResult, ContentPart, FinishReason, FunctionTool, Message, StreamEvent, ToolChoice, Usage } from '@maas/api';
import { z } from 'zod';

const CacheControl = z.object({ type: z.literal('ephemeral'), ttl: z.string().optional() }).passthrough();
const TextBlock = z.object({ type: z.literal('text'), text: z.string(), cache_control: CacheControl.nullish() }).passthrough();
const Source = z.discriminatedUnion('type', [
  z.object({ type: z.literal('base64'), media_type: z.string().min(1).max(100), data: z.string().min(1) }),
  z.object({ type: z.literal('url'), url: z.string().min(1).max(8_192) }),
  z.object({ type: z.literal('file'), file_id: z.string().min(1).max(200) }),
]);
const ImageBlock = z.object({ type: z.literal('image'), source: Source, cache_control: CacheControl.nullish() }).passthrough();
const DocumentBlock = z
  .object({ type: z.literal('document'), source: Source, title: z.string().nullish(), cache_control: CacheControl.nullish() })
  .passthrough();
const ToolUseBlock = z
  .object({
    type: z.literal('tool_use'),
    id: z.string().min(1).max(200),
    name: z.string().min(1).max(200),
    input: z.record(z.string(), z.unknown()),
  })
  .passthrough();
const ToolResultBlock = z
  .object({
    type: z.literal('tool_result'),
    tool_use_id: z.string().min(1).max(200),
    content: z.union([z.string(), z.array(z.discriminatedUnion('type', [TextBlock, ImageBlock]))]).optional(),
    is_error: z.boolean().optional(),
    cache_control: CacheControl.nullish(),
  })
  .passthrough();
const ThinkingBlock = z.object({ type: z.literal('thinking'), thinking: z.string(), signature: z.string() }).passthrough();
const RedactedThinkingBlock = z.object({ type: z.literal('redacted_thinking'), data: z.string() }).passthrough();
const ContentBlock = z.discriminatedUnion('type', [
  TextBlock,
  ImageBlock,
  DocumentBlock,
  ToolUseBlock,
  ToolResultBlock,
  ThinkingBlock,
  RedactedThinkingBlock,
]);
type ContentBlock = z.infer<typeof ContentBlock>;

const MessageParam = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(ContentBlock).max(10_000)]),
});

const Tool = z
  .object({
    name: z.string().min(1).max(128),
    description: z.string().optional(),
    input_schema: z.record(z.string(), z.unknown()),
    // Custom tools only: Anthropic's server tools (web search, code execution, …) have a `type`.
    type: z.literal('custom').optional(),
    cache_control: CacheControl.nullish(),
  })
  .passthrough();

const ToolChoiceParam = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal('tool'), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal('none') }),
]);

export const MessagesRequest = z
  .object({
    model: z.string().min(1).max(200),
    max_tokens: z.number().int().positive().max(1_000_000),
    messages: z.array(MessageParam).min(1).max(2_000),
    system: z.union([z.string(), z.array(TextBlock)]).optional(),
    stream: z.boolean().optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    stop_sequences: z.array(z.string()).max(64).optional(),
    metadata: z.object({ user_id: z.string().max(256).nullish() }).optional(),
    tools: z.array(Tool).max(512).optional(),
    tool_choice: ToolChoiceParam.optional(),
  })
  // Fields with no internal equivalent (thinking, service_tier, …) reach an Anthropic upstream untouched.
  .passthrough();
export type MessagesRequest = z.infer<typeof MessagesRequest>;

const KNOWN_FIELDS = new Set([
  'model',
  'max_tokens',
  'messages',
  'system',
  'stream',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'metadata',
  'tools',
  'tool_choice',
]);

function textPart(block: z.infer<typeof TextBlock>): ContentPart {
  return block.cache_control
    ? {
        type: 'text',
        text: block.text,
        cacheControl: { type: 'ephemeral', ...(block.cache_control.ttl ? { ttl: block.cache_control.ttl } : {}) },
      }
    : { type: 'text', text: block.text };
}

function mediaPart(block: ContentBlock): ContentPart | null {
  if (block.type === 'text') return textPart(block);
  if (block.type === 'image') {
    if (block.source.type === 'file') return { type: 'file', source: { kind: 'file_id', fileId: block.source.file_id } };
    return {
      type: 'image',
      source:
        block.source.type === 'url'
          ? { kind: 'url', url: block.source.url }
          : { kind: 'base64', mediaType: block.source.media_type, data: block.source.data },
    };
  }
  if (block.type === 'document') {
    const source =
      block.source.type === 'url'
        ? ({ kind: 'url', url: block.source.url } as const)
        : block.source.type === 'base64'
          ? ({ kind: 'base64', mediaType: block.source.media_type, data: block.source.data } as const)
          : ({ kind: 'file_id', fileId: block.source.file_id } as const);
    return { type: 'file', source, ...(block.title ? { filename: block.title } : {}) };
  }
  return null;
}

function userMessages(content: ContentBlock[]): Message[] {
  // Tool results become tool turns (one per result, in order) ahead of the user's own content.
  const messages: Message[] = [];
  const parts: ContentPart[] = [];
  for (const block of content) {
    if (block.type === 'tool_result') {
      const result: ContentPart[] =
        typeof block.content === 'string'
          ? [{ type: 'text', text: block.content }]
          : (block.content ?? []).map((inner) => mediaPart(inner)!);
      messages.push({ role: 'tool', toolCallId: block.tool_use_id, content: result });
    } else {
      const part = mediaPart(block);
      if (part) parts.push(part);
    }
  }
  if (parts.length > 0) messages.push({ role: 'user', content: parts });
  return messages;
}

function assistantMessage(content: ContentBlock[]): Message {
  const parts: ContentPart[] = [];
  const toolCalls: NonNullable<Message['toolCalls']> = [];
  const reasoning: NonNullable<Message['reasoning']> = [];
  for (const block of content) {
    if (block.type === 'tool_use') toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input) });
    else if (block.type === 'thinking') reasoning.push({ text: block.thinking, signature: block.signature });
    else {
      const part = mediaPart(block);
      if (part) parts.push(part);
    }
  }
  return {
    role: 'assistant',
    content: parts.length > 0 ? parts : null,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(reasoning.length > 0 ? { reasoning } : {}),
  };
}

function toolChoiceOf(choice: MessagesRequest['tool_choice']): { toolChoice?: ToolChoice; parallelToolCalls?: boolean } {
  if (!choice) return {};
  const parallel = 'disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use ? { parallelToolCalls: false } : {};
  switch (choice.type) {
    case 'auto':
      return { toolChoice: 'auto', ...parallel };
    case 'any':
      return { toolChoice: 'required', ...parallel };
    case 'tool':
      return { toolChoice: { name: choice.name }, ...parallel };
    case 'none':
      return { toolChoice: 'none' };
  }
}

/** The wire request as the internal one. */
export function toChatRequest(body: MessagesRequest): ChatRequest {
  const messages: Message[] = [];
  if (typeof body.system === 'string') {
    if (body.system !== '') messages.push({ role: 'system', content: [{ type: 'text', text: body.system }] });
  } else if (body.system && body.system.length > 0) {
    messages.push({ role: 'system', content: body.system.map(textPart) });
  }
  for (const message of body.messages) {
    const content: ContentBlock[] = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    if (message.role === 'user') messages.push(...userMessages(content));
    else messages.push(assistantMessage(content));
  }
  const tools: FunctionTool[] | undefined = body.tools?.map((tool) => ({
    name: tool.name,
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    parameters: tool.input_schema,
  }));
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (!KNOWN_FIELDS.has(key) && value !== undefined) extra[key] = value;
  return {
    messages,
    ...(tools && tools.length > 0 ? { tools } : {}),
    ...toolChoiceOf(body.tool_choice),
    maxOutputTokens: body.max_tokens,
    ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
    ...(body.top_p !== undefined ? { topP: body.top_p } : {}),
    ...(body.top_k !== undefined ? { topK: body.top_k } : {}),
    ...(body.stop_sequences && body.stop_sequences.length > 0 ? { stop: body.stop_sequences } : {}),
    ...(body.metadata?.user_id ? { user: body.metadata.user_id } : {}),
    ...(Object.keys(extra).length > 0 ? { extra: { protocol: 'anthropic-messages', fields: extra } } : {}),
  };
}

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal';

export function stopReasonOf(reason: FinishReason | null): AnthropicStopReason {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** The platform's usage in Anthropic's terms: its input_tokens leaves out both cache counts. */
export function anthropicUsage(usage: Usage) {
  return {
    input_tokens: Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteInputTokens),
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: usage.cacheWriteInputTokens,
    cache_read_input_tokens: usage.cachedInputTokens,
  };
}

/** Tool arguments as the object Anthropic's `input` must be; text that is not a JSON object is kept under `_raw`. */
function toolInput(args: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  return { _raw: args };
}

export function messageId(requestId: string): string {
  return `msg_${requestId.replace(/[^A-Za-z0-9]/g, '').slice(-32)}`;
}

/** The internal answer as an Anthropic message (first choice; the Messages API has no n). */
export function toAnthropicMessage(result: ChatResult, model: string, usage: Usage, id: string) {
  const choice = result.choices[0];
  const content: Record<string, unknown>[] = [];
  for (const reasoning of choice?.reasoning ?? [])
    content.push({ type: 'thinking', thinking: reasoning.text, signature: reasoning.signature ?? '' });
  const text = choice?.text || choice?.refusal || '';
  if (text !== '') content.push({ type: 'text', text });
  for (const call of choice?.toolCalls ?? [])
    content.push({ type: 'tool_use', id: call.id, name: call.name, input: toolInput(call.arguments) });
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReasonOf(choice?.finishReason ?? null),
    stop_sequence: null,
    usage: anthropicUsage(usage),
  };
}

export interface SseFrame {
  event: string;
  data: Record<string, unknown>;
}

interface ToolBlock {
  id: string;
  name: string;
  arguments: string;
  /** Anthropic content-block index once opened. */
  index: number | null;
  closed: boolean;
}

function isCompleteJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Internal stream events → Anthropic's event sequence: message_start, then content blocks numbered
 * 0, 1, … (content_block_start / _delta / _stop, one block open at a time), then message_delta with
 * the stop reason and usage, and message_stop.
 *
 * Tool arguments stream live as input_json_delta while their block is the open one. A block cannot
 * be reopened once closed, so whatever would need that (a second tool call starting before the
 * first one's JSON is complete, text after a tool call) is held back and sent whole before
 * message_delta. Every argument byte reaches the client, in one block, in order.
 */
export class AnthropicStreamEncoder {
  #nextIndex = 0;
  #open: { kind: 'text' | 'thinking'; index: number } | { kind: 'tool'; tool: ToolBlock } | null = null;
  readonly #tools = new Map<number, ToolBlock>();
  readonly #heldTools: ToolBlock[] = [];
  #heldText = '';
  #toolPhase = false;
  #finish: FinishReason | null = null;

  constructor(
    private readonly id: string,
    private readonly model: string,
  ) {}

  start(inputTokens: number): SseFrame[] {
    return [
      {
        event: 'message_start',
        data: {
          message: {
            id: this.id,
            type: 'message',
            role: 'assistant',
            model: this.model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: inputTokens, output_tokens: 0 },
          },
        },
      },
      { event: 'ping', data: {} },
    ];
  }

  #close(): SseFrame[] {
    const open = this.#open;
    if (!open) return [];
    this.#open = null;
    if (open.kind === 'tool') {
      open.tool.closed = true;
      return [{ event: 'content_block_stop', data: { index: open.tool.index } }];
    }
    return [{ event: 'content_block_stop', data: { index: open.index } }];
  }

  #openBlock(kind: 'text' | 'thinking'): SseFrame[] {
    if (this.#open?.kind === kind) return [];
    const frames = this.#close();
    const index = this.#nextIndex++;
    this.#open = { kind, index };
    const block = kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
    frames.push({ event: 'content_block_start', data: { index, content_block: block } });
    return frames;
  }

  #openTool(tool: ToolBlock): SseFrame[] {
    const frames = this.#close();
    tool.index = this.#nextIndex++;
    this.#open = { kind: 'tool', tool };
    frames.push({
      event: 'content_block_start',
      data: { index: tool.index, content_block: { type: 'tool_use', id: tool.id, name: tool.name, input: {} } },
    });
    if (tool.arguments !== '')
      frames.push({
        event: 'content_block_delta',
        data: { index: tool.index, delta: { type: 'input_json_delta', partial_json: tool.arguments } },
      });
    return frames;
  }

  accept(event: StreamEvent): SseFrame[] {
    if ('index' in event && event.index !== 0) return [];
    switch (event.type) {
      case 'text':
      case 'refusal': {
        if (event.text === '') return [];
        if (this.#toolPhase) {
          this.#heldText += event.text;
          return [];
        }
        const frames = this.#openBlock('text');
        frames.push({
          event: 'content_block_delta',
          data: { index: this.#nextIndex - 1, delta: { type: 'text_delta', text: event.text } },
        });
        return frames;
      }
      case 'reasoning': {
        if (this.#toolPhase) return [];
        const frames = this.#openBlock('thinking');
        const index = this.#nextIndex - 1;
        if (event.text !== '')
          frames.push({ event: 'content_block_delta', data: { index, delta: { type: 'thinking_delta', thinking: event.text } } });
        if (event.signature)
          frames.push({ event: 'content_block_delta', data: { index, delta: { type: 'signature_delta', signature: event.signature } } });
        return frames;
      }
      case 'tool-call-start': {
        const tool: ToolBlock = { id: event.id, name: event.name, arguments: '', index: null, closed: false };
        this.#tools.set(event.toolIndex, tool);
        const open = this.#open;
        this.#toolPhase = true;
        // Stream this call live unless the open tool call may still receive arguments.
        if (open?.kind === 'tool' && !isCompleteJson(open.tool.arguments)) {
          this.#heldTools.push(tool);
          return [];
        }
        if (this.#heldTools.length > 0) {
          this.#heldTools.push(tool);
          return [];
        }
        return this.#openTool(tool);
      }
      case 'tool-call-delta': {
        const tool = this.#tools.get(event.toolIndex);
        if (!tool || event.arguments === '') return [];
        tool.arguments += event.arguments;
        if (this.#open?.kind === 'tool' && this.#open.tool === tool) {
          return [
            {
              event: 'content_block_delta',
              data: { index: tool.index, delta: { type: 'input_json_delta', partial_json: event.arguments } },
            },
          ];
        }
        return [];
      }
      case 'finish':
        this.#finish = event.reason;
        return [];
      default:
        return [];
    }
  }

  /** Closes the open block, sends what was held back, then the stop reason and the billed usage. */
  finish(usage: Usage, finishOverride?: FinishReason | null): SseFrame[] {
    const frames = this.#close();
    for (const tool of this.#heldTools) frames.push(...this.#openTool(tool), ...this.#close());
    this.#heldTools.length = 0;
    if (this.#heldText !== '') {
      frames.push(...this.#openBlock('text'));
      frames.push({
        event: 'content_block_delta',
        data: { index: this.#nextIndex - 1, delta: { type: 'text_delta', text: this.#heldText } },
      });
      frames.push(...this.#close());
      this.#heldText = '';
    }
    frames.push({
      event: 'message_delta',
      data: { delta: { stop_reason: stopReasonOf(finishOverride ?? this.#finish), stop_sequence: null }, usage: anthropicUsage(usage) },
    });
    frames.push({ event: 'message_stop', data: {} });
    return frames;
  }
}

/** One server-sent event in Anthropic's framing: the event name, and the same name as `type` in the data. */
export function frameData(frame: SseFrame): string {
  return JSON.stringify({ type: frame.event, ...frame.data });
}
