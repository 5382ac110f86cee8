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

export const ChatResponse = z
  .object({
    id: z.string(),
    message: z.string(),
    conversation_id: z.string(),
    tokens_used: TokensUsed,
    cost: Amount,
    created_at: Timestamp,
    attachments: Attachments,
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

/** Events of a streaming chat: deltas, then one final event (or one error event). */
export type ChatStreamEvent = { type: 'delta'; content: string } | ({ type: 'done' } & z.infer<typeof ChatResponse>) | ChatStreamErrorEvent;

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
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
  tokens: z.number().int(),
  attachments: Attachments,
  created_at: Timestamp,
});
export const ListMessagesInput = PageInput.extend({ conversation_id: PathIdOf('conv') });
export const MessageList = pageOf(ConversationMessage);

export const ConversationRef = z.object({ conversation_id: PathIdOf('conv') });
export const DeletedResult = z.object({ id: z.string(), deleted: z.literal(true) });
