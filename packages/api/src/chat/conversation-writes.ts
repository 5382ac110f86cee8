import type { Database } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import type { ConversationTails } from './conversation-tails.js';
import { appendMessages, conversationRows, type NewConversation, type NewMessage } from './conversations.js';

/** One message's write, waiting for its turn. */
interface PendingAppend {
  conversationId: string;
  messages: readonly NewMessage[];
  created: NewConversation | undefined;
  /** When the caller asked: the rows' timestamps, so a batch keeps each message's own time. */
  at: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** A conversation after a batch: its message count and when its newest message was stored. */
interface Written {
  messageCount: number;
  lastAt: number;
}

/** The time of the last of `messages` stored from `at` (a millisecond apart; see conversationRows). */
const lastAtOf = (at: number, messages: readonly NewMessage[]) => at + Math.max(0, messages.length - 1);

/** Enough to keep a statement's JSON parameter small; more waiting messages go in the next one. */
const MAX_BATCH = 128;

/**
 * Group commit for conversation writes (issue 18 target 2). Every message is still written, and
 * committed with a synchronous commit, before its answer goes out; what is shared is the statement.
 * The first write goes at once (no timer, so a lone message waits for nothing); the messages that
 * arrive while it commits wait for it and then go together in one statement and one commit. On a
 * busy instance that turns a statement and a WAL flush per message into one per batch, which is
 * most of what an app-chat message cost above a `/v1` call.
 *
 * A batch that fails (one conversation deleted meanwhile, a NUL byte in one message) is written
 * again message by message, so that only the faulty one fails, with the error it always had.
 */
export class ConversationWrites {
  readonly #queue: PendingAppend[] = [];
  #writing = false;

  constructor(
    private readonly db: Kysely<Database>,
    /** Told what was committed, so that the next message's history needs no read. */
    private readonly tails: ConversationTails | null = null,
    private readonly maxBatch = MAX_BATCH,
  ) {}

  /** Appends `messages` in order and bumps (or, with `created`, creates) the conversation; resolves once committed. */
  append(conversationId: string, messages: readonly NewMessage[], created?: NewConversation): Promise<void> {
    if (messages.length === 0 && !created) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const now = Date.now();
      const at = this.tails && !created ? this.tails.nextAt(conversationId, now) : now;
      this.#queue.push({ conversationId, messages, created, at, resolve, reject });
      if (!this.#writing) void this.#writeQueued();
    });
  }

  async #writeQueued(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) await this.#write(this.#queue.splice(0, this.maxBatch));
    } finally {
      this.#writing = false;
    }
  }

  async #write(batch: PendingAppend[]): Promise<void> {
    if (batch.length === 1) return this.#writeEach(batch);
    let written: Map<string, Written>;
    try {
      written = await appendBatch(this.db, batch);
    } catch {
      // Told apart: each write alone gets its own answer.
      return this.#writeEach(batch);
    }
    this.#tellTails(batch, written);
    for (const entry of batch) entry.resolve();
  }

  async #writeEach(batch: PendingAppend[]): Promise<void> {
    // A failed batch's writes go side by side: two to one conversation may share their times, and the
    // database then orders them by id, which a kept tail cannot follow. Only a lone write extends it.
    const lone = batch.length === 1;
    await Promise.all(
      batch.map(async (entry) => {
        try {
          const count = await appendMessages(this.db, entry.conversationId, entry.messages, entry.created, entry.at);
          if (count === null || !lone) this.tails?.forget(entry.conversationId);
          else this.tails?.appended(entry.conversationId, entry.messages, count, lastAtOf(entry.at, entry.messages), entry.created);
          entry.resolve();
        } catch (error) {
          this.tails?.forget(entry.conversationId);
          entry.reject(error);
        }
      }),
    );
  }

  /** A batch's appends, per conversation in queue order, with the counts the statement ended at. */
  #tellTails(batch: readonly PendingAppend[], written: ReadonlyMap<string, Written>): void {
    if (!this.tails) return;
    const byConversation = new Map<string, { messages: NewMessage[]; created: NewConversation | undefined }>();
    for (const entry of batch) {
      const seen = byConversation.get(entry.conversationId);
      if (seen) seen.messages.push(...entry.messages);
      else byConversation.set(entry.conversationId, { messages: [...entry.messages], created: entry.created });
    }
    for (const [conversationId, { messages, created }] of byConversation) {
      const after = written.get(conversationId);
      if (!after) this.tails.forget(conversationId);
      else this.tails.appended(conversationId, messages, after.messageCount, after.lastAt, created);
    }
  }
}

/**
 * Several appends in one statement: the new conversations inserted with their counts, every message,
 * and the existing conversations bumped once each (two messages to one conversation in a batch add
 * up). The rows travel as three JSON arrays, so the statement's text is the same whatever the batch.
 * Answers, per conversation, its message count after the statement and its newest message's time.
 */
async function appendBatch(db: Kysely<Database>, batch: readonly PendingAppend[]): Promise<Map<string, Written>> {
  const conversations: ReturnType<typeof conversationRows>['conversation'][] = [];
  const messages: ReturnType<typeof conversationRows>['rows'] = [];
  const bumps = new Map<string, { id: string; added: number; updated_at: Date }>();
  const written = new Map<string, Written>();
  for (const entry of batch) {
    // Two exchanges to one conversation asked in the same millisecond would interleave (ties sort by
    // random id): the later one in the queue starts after the earlier one's last message.
    const previous = bumps.get(entry.conversationId)?.updated_at.getTime() ?? -Infinity;
    const at = Math.max(entry.at, previous + 1);
    const { rows, conversation, updatedAt } = conversationRows(entry.conversationId, entry.messages, entry.created, at);
    messages.push(...rows);
    if (conversation) {
      conversations.push(conversation);
      written.set(entry.conversationId, { messageCount: rows.length, lastAt: updatedAt.getTime() });
      continue;
    }
    const bump = bumps.get(entry.conversationId);
    if (!bump) bumps.set(entry.conversationId, { id: entry.conversationId, added: rows.length, updated_at: updatedAt });
    else {
      bump.added += rows.length;
      bump.updated_at = updatedAt;
    }
  }
  // The messages' foreign key is checked at the end of the statement, when the new conversations exist.
  const { rows } = await sql<{ id: string; message_count: number }>`
    WITH new_conversations AS (
      INSERT INTO conversations (id, user_id, app_id, title, message_count, created_at, updated_at)
      SELECT id, user_id, app_id, title, message_count, created_at, updated_at
      FROM jsonb_to_recordset(${JSON.stringify(conversations)}::jsonb)
        AS c(id text, user_id text, app_id text, title text, message_count int, created_at timestamptz, updated_at timestamptz)
    ), added AS (
      INSERT INTO messages (id, conversation_id, role, content, tokens, attachments, tool_calls, tool_call_id, created_at)
      SELECT id, conversation_id, role, content, tokens, attachments, tool_calls, tool_call_id, created_at
      FROM jsonb_to_recordset(${JSON.stringify(messages)}::jsonb)
        AS m(id text, conversation_id text, role text, content text, tokens int, attachments jsonb, tool_calls jsonb,
          tool_call_id text, created_at timestamptz)
    )
    UPDATE conversations c SET message_count = c.message_count + b.added, updated_at = b.updated_at
    FROM jsonb_to_recordset(${JSON.stringify([...bumps.values()])}::jsonb) AS b(id text, added int, updated_at timestamptz)
    WHERE c.id = b.id
    RETURNING c.id, c.message_count`.execute(db);
  for (const row of rows) written.set(row.id, { messageCount: row.message_count, lastAt: bumps.get(row.id)!.updated_at.getTime() });
  return written;
}

declare module '../core/platform.js' {
  interface Platform {
    /** Conversation writes, committed before each answer, several messages to a statement under load. */
    conversationWrites: ConversationWrites;
  }
}
