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

/** A stored message as the history needs it. */
export interface HistoryRow {
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
 * Keeps, from rows newest first, the newest messages that fit the token budget, oldest first, with
 * the tokens they take. Messages carry their token count, so trimming needs no tokenizer pass over
 * the history; `framingTokens` is added per message for the chat template around it. A tool loop's
 * steps are kept or dropped whole: an assistant turn that called tools goes with all its results (an
 * upstream refuses a tool result whose call it cannot see, and a call left unanswered).
 */
export function trimHistory(
  rows: readonly HistoryRow[],
  tokenBudget: number,
  framingTokens: number,
): { messages: Message[]; tokens: number } {
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

/** The newest messages of a conversation that fit the token budget (see trimHistory). */
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
  return trimHistory(rows, tokenBudget, framingTokens);
}

export interface ConversationIds {
  conversationId: string;
  userId: string;
  appId: string;
}

/**
 * The conversation's ownership check, its message count and its newest messages (at most
 * `maxMessages`, newest first, read backwards along messages_conversation_created_idx) in one
 * statement. One row with null message columns when the conversation has none; no row when it is
 * not this user's in this app. The budget's cut is made in JS (trimHistory) on these rows, which
 * the conversation cache keeps for the next message: a plain indexed read plans and runs in about
 * half the time of one that sums the tokens in a window.
 */
export function conversationTailQuery(ids: ConversationIds, maxMessages = 200) {
  return sql<{ message_count: number; updated_at: Date } & { [K in keyof HistoryRow]: HistoryRow[K] | null }>`
    SELECT c.message_count, c.updated_at, m.role, m.content, m.tokens, m.tool_calls, m.tool_call_id
    FROM conversations c LEFT JOIN LATERAL (
      SELECT role, content, tokens, tool_calls, tool_call_id FROM messages
      WHERE conversation_id = c.id ORDER BY created_at DESC, id DESC LIMIT ${maxMessages}::int
    ) m ON true
    WHERE c.id = ${ids.conversationId} AND c.user_id = ${ids.userId} AND c.app_id = ${ids.appId}`;
}

/** A conversation's message count and newest messages (see conversationTailQuery); null when not this user's in this app. */
export async function readConversationTail(
  db: Kysely<Database>,
  ids: ConversationIds,
  maxMessages = 200,
): Promise<{ messageCount: number; updatedAt: Date; rows: HistoryRow[] } | null> {
  const { rows } = await conversationTailQuery(ids, maxMessages).execute(db);
  if (rows.length === 0) return null;
  const history = rows.filter((row): row is typeof row & HistoryRow => row.role !== null);
  return { messageCount: rows[0]!.message_count, updatedAt: rows[0]!.updated_at, rows: history };
}

/**
 * An existing conversation for the next message, read from the database: null when it is not this
 * user's in this app, else the newest messages that fit the budget, cut exactly (a tool loop's steps
 * kept whole, see trimHistory); no text is tokenised. The chat reads through the conversation cache.
 */
export async function openConversation(
  db: Kysely<Database>,
  ids: ConversationIds,
  tokenBudget: number,
  framingTokens: number,
  maxMessages = 200,
): Promise<{ messages: Message[]; tokens: number } | null> {
  const tail = await readConversationTail(db, ids, maxMessages);
  return tail && trimHistory(tail.rows, Math.max(0, tokenBudget), framingTokens);
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

/** A conversation that does not exist yet: written with its first messages, after the answer. */
export interface NewConversation {
  userId: string;
  appId: string;
  /** The first message, from which the title is made. */
  firstMessage: string;
}

function titleOf(firstMessage: string): string | null {
  return firstMessage.replace(/\s+/g, ' ').trim().slice(0, 80) || null;
}

/**
 * The rows one append writes: its messages (timestamps from `at`, a millisecond apart, so they keep
 * their order), the new conversation when `created` is set, and the conversation's new updated_at.
 */
export function conversationRows(
  conversationId: string,
  messages: readonly NewMessage[],
  created: NewConversation | undefined,
  at: number,
) {
  const rows = messages.map((m, i) => ({
    id: m.id ?? newId('msg'),
    conversation_id: conversationId,
    role: m.role,
    content: m.content,
    tokens: m.tokens,
    attachments: m.attachments?.length ? m.attachments : null,
    tool_calls: m.toolCalls?.length ? m.toolCalls : null,
    tool_call_id: m.toolCallId ?? null,
    created_at: new Date(at + i),
  }));
  const updatedAt = new Date(at + Math.max(0, messages.length - 1));
  const conversation = created && {
    id: conversationId,
    user_id: created.userId,
    app_id: created.appId,
    title: titleOf(created.firstMessage),
    message_count: messages.length,
    created_at: new Date(at),
    updated_at: updatedAt,
  };
  return { rows, conversation, updatedAt };
}

/**
 * Appends messages in order and bumps the conversation, in one statement (one commit): a new
 * conversation (`created` set) is inserted with them. Nothing is written before the answer, so a
 * refused or failed call leaves no row behind. The chat writes through `platform.conversationWrites`,
 * which shares statements between concurrent messages and falls back to this one for a lone write.
 * Answers the conversation's message count after the append (null if it was not there).
 */
export async function appendMessages(
  db: Kysely<Database>,
  conversationId: string,
  messages: readonly NewMessage[],
  created?: NewConversation,
  at = Date.now(),
): Promise<number | null> {
  if (messages.length === 0 && !created) return null;
  const { rows: plain, conversation, updatedAt } = conversationRows(conversationId, messages, created, at);
  // jsonb columns take their JSON text.
  const rows = plain.map((row) => ({
    ...row,
    attachments: row.attachments && JSON.stringify(row.attachments),
    tool_calls: row.tool_calls && JSON.stringify(row.tool_calls),
  }));
  if (conversation) {
    if (rows.length === 0) {
      await db.insertInto('conversations').values(conversation).execute();
      return 0;
    }
    // The messages' foreign key is checked at the end of the statement, when the conversation exists.
    await db
      .with('conv', (qb) => qb.insertInto('conversations').values(conversation))
      .insertInto('messages')
      .values(rows)
      .execute();
    return rows.length;
  }
  const bumped = await db
    .with('added', (qb) => qb.insertInto('messages').values(rows))
    .updateTable('conversations')
    .set({ message_count: sql`message_count + ${messages.length}`, updated_at: updatedAt })
    .where('id', '=', conversationId)
    .returning('message_count')
    .executeTakeFirst();
  return bumped?.message_count ?? null;
}

/** A message and its reply, as one append writes them. */
export function exchangeMessages(
  user: { content: string; tokens: number },
  assistant: { id: string; content: string; tokens: number; attachments?: MessageAttachmentJson[] },
): NewMessage[] {
  return [
    { role: 'user', ...user },
    { role: 'assistant', ...assistant },
  ];
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
