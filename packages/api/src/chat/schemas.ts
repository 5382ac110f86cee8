import { z } from 'zod';
import { IdOf, PathIdOf } from '../core/ids.js';
import type { ErrorCode } from '../core/errors.js';
import { Amount } from '../core/money.js';
import { PageInput, pageOf } from '../core/pagination.js';
import { Timestamp } from '../core/time.js';

export const AppId = IdOf('app');
export const ConversationId = IdOf('conv');

export const ChatInput = z
  .object({
    app_id: PathIdOf('app'),
    message: z.string().min(1).max(32_000),
    conversation_id: ConversationId.optional(),
    stream: z.boolean().default(false),
  })
  .strict();

export const TokensUsed = z.object({ input: z.number().int(), output: z.number().int() });

/** A file an answer delivered (issue 14): media a non-chat model generated, served with auth at `url`. */
export const MessageAttachment = z
  .object({
    file_id: z.string(),
    url: z.string().meta({ description: 'GET it with your token: /api/v1/files/{file_id}/content' }),
    content_type: z.string().meta({ example: 'image/png' }),
  })
  .meta({ id: 'MessageAttachment' });

const Attachments = z
  .array(MessageAttachment)
  .optional()
  .meta({ description: 'The media an application on an image, audio or video model generated; absent on text answers' });

export const ToolCallStatus = z.enum(['success', 'error', 'timeout', 'invalid_arguments', 'refused', 'insufficient_funds']);

/** One tool call the platform ran for the model during a chat (issue 16 part 4). */
export const ChatToolCall = z
  .object({
    call_id: z.string(),
    tool_id: z.string().nullable().meta({ description: 'null when the model named no tool of the application' }),
    function: z.string(),
    arguments: z.string().meta({ description: 'The JSON text the model wrote' }),
    status: ToolCallStatus,
    cost: Amount,
    latency_ms: z.number().int(),
  })
  .meta({ id: 'ChatToolCall' });

export const CostBreakdown = z
  .object({ model: Amount, tools: Amount })
  .meta({ id: 'ChatCostBreakdown', description: 'What the model rounds and the tool calls cost; `cost` is their sum' });

export const ChatFinishReason = z
  .enum(['stop', 'length', 'content_filter', 'max_tool_rounds'])
  .meta({ description: '`max_tool_rounds`: the model still wanted tools after MAAS_TOOL_MAX_ROUNDS rounds of calls' });

export const ChatResponse = z
  .object({
    id: z.string(),
    message: z.string(),
    conversation_id: z.string(),
    tokens_used: TokensUsed,
    cost: Amount,
    created_at: Timestamp,
    attachments: Attachments,
    tool_calls: z
      .array(ChatToolCall)
      .optional()
      .meta({ description: 'The tool calls run for this answer; absent when the application has no tools' }),
    cost_breakdown: CostBreakdown.optional(),
    finish_reason: ChatFinishReason.optional(),
  })
  .meta({ id: 'ChatResponse' });

/** What a broken stream had cost when it stopped: the partial reply is kept and billed exactly. */
export interface ChatStreamBilled {
  conversation_id: string;
  tokens_used: z.infer<typeof TokensUsed>;
  cost: number;
}

/**
 * The one error event of the chat stream, built by `renderChatStreamError` (chat/stream-events.ts)
 * only. The billed fields are there whenever the call got far enough to be billed.
 */
export type ChatStreamErrorEvent = {
  type: 'error';
  error: { code: ErrorCode; message: string; request_id: string };
} & Partial<ChatStreamBilled>;

/** The model called a tool of the application; the platform runs it next. */
export interface ChatToolCallEvent {
  type: 'tool_call';
  call_id: string;
  tool_id: string | null;
  function: string;
  arguments: string;
}

/** A tool call ended: what it cost (0 unless it succeeded) and how long it took. */
export interface ChatToolResultEvent {
  type: 'tool_result';
  call_id: string;
  status: z.infer<typeof ToolCallStatus>;
  cost: number;
  latency_ms: number;
}

/** Events of a streaming chat: tool calls and results (apps with tools), deltas, then one final event (or one error event). */
export type ChatStreamEvent =
  | ChatToolCallEvent
  | ChatToolResultEvent
  | { type: 'delta'; content: string }
  | ({ type: 'done' } & z.infer<typeof ChatResponse>)
  | ChatStreamErrorEvent;

export const Conversation = z
  .object({
    id: z.string(),
    app_id: z.string(),
    title: z.string().nullable(),
    message_count: z.number().int(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Conversation' });

export const ListConversationsInput = PageInput.extend({ app_id: AppId.optional() });
export const ConversationList = pageOf(Conversation);

export const ConversationMessage = z.object({
  id: z.string(),
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
  tokens: z.number().int(),
  attachments: Attachments,
  tool_calls: z
    .array(z.object({ id: z.string(), name: z.string(), arguments: z.string() }))
    .optional()
    .meta({ description: 'An assistant step that called tools of the application' }),
  tool_call_id: z.string().optional().meta({ description: 'A `tool` message: the call it answers' }),
  created_at: Timestamp,
});
export const ListMessagesInput = PageInput.extend({ conversation_id: PathIdOf('conv') });
export const MessageList = pageOf(ConversationMessage);

export const ConversationRef = z.object({ conversation_id: PathIdOf('conv') });
export const DeletedResult = z.object({ id: z.string(), deleted: z.literal(true) });
