import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';
import type { Message } from '../inference/types.js';
import { type ConversationIds, type HistoryRow, type NewMessage, readConversationTail, trimHistory } from './conversations.js';

/** The newest messages a conversation's next message may be given: the budget's cut is made on these. */
const TAIL_MESSAGES = 200;
/** Bound on the text kept, all conversations together; the least recently used go first. */
const REMEMBERED_CHARS = 16_000_000;
/** What a kept row costs beside its text, in characters' worth. */
const ROW_OVERHEAD = 64;

interface CachedTail {
  userId: string;
  appId: string;
  /** The conversation's message_count these rows are the tail of. */
  messageCount: number;
  /** Newest first, at most TAIL_MESSAGES. */
  rows: HistoryRow[];
  /** When the newest message was stored (the conversation's updated_at). */
  lastAt: number;
  chars: number;
}

function rowOf(message: NewMessage): HistoryRow {
  return {
    role: message.role,
    content: message.content,
    tokens: message.tokens,
    tool_calls: message.toolCalls?.length ? message.toolCalls : null,
    tool_call_id: message.toolCallId ?? null,
  };
}

const charsOf = (rows: readonly HistoryRow[]) => rows.reduce((sum, row) => sum + row.content.length + ROW_OVERHEAD, 0);

/**
 * The newest messages of recently used conversations (issue 18 target 2), so that the next message
 * in a long conversation reads one row (the conversation's, for ownership and its message count)
 * instead of 200 messages. A kept tail is used only while the conversation's message_count is the
 * one it was read or last written at: messages are only ever appended (each append adds its count in
 * the same statement) and only deleted with their conversation, so an equal count means the same
 * messages. Another instance's append changes the count, and the tail is read again; this
 * instance's own appends are added to the kept tail once committed, when the count the statement
 * returned says no other append came in between.
 */
export class ConversationTails {
  // Map order is recency: a used tail is moved to the end, the first ones are dropped when full.
  readonly #tails = new Map<string, CachedTail>();
  #chars = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxChars = REMEMBERED_CHARS,
    private readonly tailMessages = TAIL_MESSAGES,
  ) {}

  /** The newest messages that fit the budget (see trimHistory); null when the conversation is not this user's in this app. */
  async open(ids: ConversationIds, tokenBudget: number, framingTokens: number): Promise<{ messages: Message[]; tokens: number } | null> {
    const budget = Math.max(0, tokenBudget);
    const cached = this.#tails.get(ids.conversationId);
    if (cached && cached.userId === ids.userId && cached.appId === ids.appId) {
      const current = await this.db
        .selectFrom('conversations')
        .select('message_count')
        .where('id', '=', ids.conversationId)
        .where('user_id', '=', ids.userId)
        .where('app_id', '=', ids.appId)
        .executeTakeFirst();
      if (!current) {
        this.forget(ids.conversationId);
        return null;
      }
      if (current.message_count === cached.messageCount) {
        this.#touch(ids.conversationId, cached);
        return trimHistory(cached.rows, budget, framingTokens);
      }
    }
    const tail = await readConversationTail(this.db, ids, this.tailMessages);
    if (!tail) {
      this.forget(ids.conversationId);
      return null;
    }
    this.#remember(ids.conversationId, {
      userId: ids.userId,
      appId: ids.appId,
      messageCount: tail.messageCount,
      rows: tail.rows,
      lastAt: tail.updatedAt.getTime(),
      chars: 0,
    });
    return trimHistory(tail.rows, budget, framingTokens);
  }

  /**
   * This instance committed `messages` (in order) to the conversation, which now counts
   * `messageCount`. A new conversation (`created`) is kept whole; an existing one's tail grows only
   * if it was exactly `messageCount - messages.length` before, else it is read again next time.
   */
  appended(
    conversationId: string,
    messages: readonly NewMessage[],
    messageCount: number,
    lastAt: number,
    created?: { userId: string; appId: string },
  ): void {
    const rows = messages.map(rowOf).reverse();
    if (created) {
      this.#remember(conversationId, { userId: created.userId, appId: created.appId, messageCount, rows, lastAt, chars: 0 });
      return;
    }
    const cached = this.#tails.get(conversationId);
    if (!cached) return;
    if (cached.messageCount + messages.length !== messageCount) {
      this.forget(conversationId);
      return;
    }
    const grown = [...rows, ...cached.rows].slice(0, this.tailMessages);
    this.#remember(conversationId, { ...cached, messageCount, rows: grown, lastAt, chars: 0 });
  }

  /**
   * The time for the next message of a kept conversation: after its newest one. Messages are
   * ordered by time, then by (random) id; a reply stored in the same millisecond as the next
   * question would otherwise sort either way, and the kept tail's order could differ from a read.
   */
  nextAt(conversationId: string, now: number): number {
    const cached = this.#tails.get(conversationId);
    return cached && cached.lastAt >= now ? cached.lastAt + 1 : now;
  }

  forget(conversationId: string): void {
    const cached = this.#tails.get(conversationId);
    if (!cached) return;
    this.#tails.delete(conversationId);
    this.#chars -= cached.chars;
  }

  #touch(conversationId: string, cached: CachedTail): void {
    this.#tails.delete(conversationId);
    this.#tails.set(conversationId, cached);
  }

  #remember(conversationId: string, tail: CachedTail): void {
    this.forget(conversationId);
    tail.chars = charsOf(tail.rows);
    if (tail.chars > this.maxChars) return;
    this.#tails.set(conversationId, tail);
    this.#chars += tail.chars;
    for (const [id, oldest] of this.#tails) {
      if (this.#chars <= this.maxChars) break;
      this.#tails.delete(id);
      this.#chars -= oldest.chars;
    }
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** The newest messages of recently used conversations, checked against their message count on every use. */
    conversationTails: ConversationTails;
  }
}
