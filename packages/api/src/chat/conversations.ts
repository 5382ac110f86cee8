import type { Database, MessageAttachmentJson } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { listPage } from '../core/pagination.js';
import { toIso } from '../core/time.js';
import { fileContentUrl } from '../files/content-url.js';
import type { Message } from '../inference/types.js';
import type { Platform } from '../core/platform.js';
import type { ListConversationsInput, ListMessagesInput } from './schemas.js';

/** A stored attachment as the API shows it: with the URL of its content on this platform. */
export function attachmentOf(platform: Platform, attachment: MessageAttachmentJson) {
  return { file_id: attachment.file_id, url: fileContentUrl(platform, attachment.file_id), content_type: attachment.content_type };
}

/** A conversation belongs to one user and one app; anyone else gets a 404, never its content. */
export async function findOwnConversation(db: Kysely<Database>, userId: string, conversationId: string, appId?: string) {
  let query = db.selectFrom('conversations').selectAll().where('id', '=', conversationId).where('user_id', '=', userId);
  if (appId) query = query.where('app_id', '=', appId);
  const conversation = await query.executeTakeFirst();
  if (!conversation) throw new AppError('NOT_FOUND', { message: 'CONVERSATION_NOT_FOUND' });
  return conversation;
}

/** `id` is chosen by the caller, so the call's reservation can name the conversation before it exists. */
export async function startConversation(db: Kysely<Database>, id: string, userId: string, appId: string, firstMessage: string) {
  const title = firstMessage.replace(/\s+/g, ' ').trim().slice(0, 80) || null;
  return db
    .insertInto('conversations')
    .values({ id, user_id: userId, app_id: appId, title, message_count: 0 })
    .returningAll()
    .executeTakeFirstOrThrow();
}

interface HistoryRow {
  role: string;
  content: string;
  tokens: number;
  tool_calls: { id: string; name: string; arguments: string }[] | null;
  tool_call_id: string | null;
}

function historyMessage(row: HistoryRow): Message {
  const text = [{ type: 'text' as const, text: row.content }];
  if (row.role === 'tool') return { role: 'tool', content: text, toolCallId: row.tool_call_id ?? '' };
  if (row.role !== 'assistant') return { role: 'user', content: text };
  if (!row.tool_calls?.length) return { role: 'assistant', content: text };
  return { role: 'assistant', content: row.content ? text : null, toolCalls: row.tool_calls };
}

/**
 * The newest messages that fit the token budget, oldest first, with the tokens they take. Messages
 * carry their token count, so trimming needs no tokenizer pass over the history; `framingTokens`
 * is added per message for the chat template around it. A tool loop's steps are kept or dropped
 * whole: an assistant turn that called tools goes with all its results (an upstream refuses a tool
 * result whose call it cannot see, and a call left unanswered).
 */
export async function loadHistory(
  db: Kysely<Database>,
  conversationId: string,
  tokenBudget: number,
  framingTokens = 0,
  maxMessages = 200,
): Promise<{ messages: Message[]; tokens: number }> {
  if (tokenBudget <= 0) return { messages: [], tokens: 0 };
  const rows = await db
    .selectFrom('messages')
    .select(['role', 'content', 'tokens', 'tool_calls', 'tool_call_id'])
    .where('conversation_id', '=', conversationId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(maxMessages)
    .execute();
  const kept: Message[] = [];
  let used = 0;
  // Newest first: tool results wait here until the assistant turn that called them is reached.
  let results: HistoryRow[] = [];
  for (const row of rows) {
    if (row.role === 'tool') {
      results.push(row);
      continue;
    }
    const group = row.role === 'assistant' && row.tool_calls?.length ? [row, ...results.reverse()] : [row];
    // Results with no call before them in the window are dropped with it.
    results = [];
    const cost = group.reduce((sum, r) => sum + r.tokens + framingTokens, 0);
    if (used + cost > tokenBudget) break;
    used += cost;
    for (const r of group.reverse()) kept.push(historyMessage(r));
  }
  return { messages: kept.reverse(), tokens: used };
}

/** One message to append to a conversation. */
export interface NewMessage {
  id?: string;
  role: 'user' | 'assistant' | 'tool';
  content: string;
  tokens: number;
  attachments?: MessageAttachmentJson[];
  toolCalls?: { id: string; name: string; arguments: string }[];
  toolCallId?: string;
}

/** Appends messages in order, in one transaction, and bumps the conversation. */
export async function appendMessages(db: Kysely<Database>, conversationId: string, messages: readonly NewMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const now = Date.now();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('messages')
      .values(
        messages.map((m, i) => ({
          id: m.id ?? newId('msg'),
          conversation_id: conversationId,
          role: m.role,
          content: m.content,
          tokens: m.tokens,
          attachments: m.attachments?.length ? JSON.stringify(m.attachments) : null,
          tool_calls: m.toolCalls?.length ? JSON.stringify(m.toolCalls) : null,
          tool_call_id: m.toolCallId ?? null,
          created_at: new Date(now + i),
        })),
      )
      .execute();
    await trx
      .updateTable('conversations')
      .set({ message_count: sql`message_count + ${messages.length}`, updated_at: new Date(now + messages.length - 1) })
      .where('id', '=', conversationId)
      .execute();
  });
}

/** Appends the user's message and the reply in one statement and bumps the conversation. */
export async function appendExchange(
  db: Kysely<Database>,
  conversationId: string,
  user: { content: string; tokens: number },
  assistant: { id: string; content: string; tokens: number; attachments?: MessageAttachmentJson[] },
): Promise<void> {
  await appendMessages(db, conversationId, [
    { role: 'user', ...user },
    { role: 'assistant', ...assistant },
  ]);
}

function toConversation(row: {
  id: string;
  app_id: string;
  title: string | null;
  message_count: number;
  created_at: Date;
  updated_at: Date;
}) {
  return {
    id: row.id,
    app_id: row.app_id,
    title: row.title,
    message_count: row.message_count,
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

export async function listConversations(db: Kysely<Database>, actor: Actor, input: z.infer<typeof ListConversationsInput>) {
  let query = db.selectFrom('conversations').where('user_id', '=', actor.userId);
  if (input.app_id) query = query.where('app_id', '=', input.app_id);
  return listPage(input, { rows: query.selectAll().orderBy('updated_at', 'desc').orderBy('id', 'desc'), count: query }, toConversation);
}

export async function listMessages(platform: Platform, actor: Actor, input: z.infer<typeof ListMessagesInput>) {
  const { db } = platform;
  await findOwnConversation(db, actor.userId, input.conversation_id);
  const base = db.selectFrom('messages').where('conversation_id', '=', input.conversation_id);
  const rows = base
    .select(['id', 'role', 'content', 'tokens', 'attachments', 'tool_calls', 'tool_call_id', 'created_at'])
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc');
  return listPage(input, { rows, count: base }, (row) => ({
    id: row.id,
    role: row.role,
    content: row.content,
    tokens: row.tokens,
    ...(row.attachments ? { attachments: row.attachments.map((a) => attachmentOf(platform, a)) } : {}),
    ...(row.tool_calls?.length ? { tool_calls: row.tool_calls } : {}),
    ...(row.tool_call_id ? { tool_call_id: row.tool_call_id } : {}),
    created_at: toIso(row.created_at),
  }));
}

export async function deleteConversation(db: Kysely<Database>, actor: Actor, conversationId: string) {
  await findOwnConversation(db, actor.userId, conversationId);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('messages').where('conversation_id', '=', conversationId).execute();
    await trx.deleteFrom('conversations').where('id', '=', conversationId).where('user_id', '=', actor.userId).execute();
  });
  return { id: conversationId, deleted: true as const };
}
