// App chat rows for `pnpm bench` (issue 18 target 2): `POST /api/v1/applications/{id}/chat` (JSON)
// with the same API key and upstream as the /v1 row, in a new conversation and in conversations of
// 100 and 1,000 messages. The long conversations are seeded with SQL in the gateway's process
// (seedConversations below), CONVERSATIONS of each size taken in turn by the load's requests, and
// put back to their seeded length before every round: a round still adds about 2 × requests ÷
// CONVERSATIONS messages to each, which the run prints.
import type { MaasServer } from '../src/server.js';
import { countTextTokens } from '@maas/api/testing';
import { sql } from 'kysely';

export const APP_CHAT_SIZES = [100, 1_000] as const;
/** Conversations of each size; the load's requests take them in turn. */
export const CONVERSATIONS = 64;

const SEED_TEXT = {
  user: 'Could you remind me what we said about the delivery schedule for the spring order?',
  assistant: 'We agreed to ship the spring order in two parts: the first half in March and the rest in April.',
};

export interface SeedRequest {
  appId: string;
  userId: string;
  sizes: readonly number[];
  count: number;
}

/** Conversations of each size, seeded directly (messages with their stored token counts): ids by size. */
export async function seedConversations(server: MaasServer, seed: SeedRequest): Promise<Record<number, string[]>> {
  const db = server.platform.db;
  const tokens = { user: countTextTokens(SEED_TEXT.user), assistant: countTextTokens(SEED_TEXT.assistant) };
  const ids: Record<number, string[]> = {};
  for (const size of seed.sizes) {
    ids[size] = [];
    for (let c = 0; c < seed.count; c++) {
      const id = `conv_bench${size}x${c}`;
      ids[size].push(id);
      await sql`INSERT INTO conversations (id, user_id, app_id, title, message_count, created_at, updated_at)
        VALUES (${id}, ${seed.userId}, ${seed.appId}, 'bench', ${size}, now() - interval '1 day', now() - interval '1 day')`.execute(db);
      await sql`INSERT INTO messages (id, conversation_id, role, content, tokens, created_at)
        SELECT 'msg_seed_' || ${id} || '_' || n, ${id},
          CASE WHEN n % 2 = 0 THEN 'user' ELSE 'assistant' END,
          CASE WHEN n % 2 = 0 THEN ${SEED_TEXT.user} ELSE ${SEED_TEXT.assistant} END,
          CASE WHEN n % 2 = 0 THEN ${tokens.user}::int ELSE ${tokens.assistant}::int END,
          now() - interval '1 day' + n * interval '1 millisecond'
        FROM generate_series(0, ${size - 1}::int) AS n`.execute(db);
    }
  }
  return ids;
}

/** Back to the seeded length; answers the mean length the conversations of each seeded size had reached. */
export async function resetConversations(server: MaasServer): Promise<Record<string, number>> {
  const db = server.platform.db;
  const { rows } = await sql<{ size: string; mean: string }>`
    SELECT substring(id from 'conv_bench([0-9]+)x') AS size, avg(message_count)::text AS mean
    FROM conversations WHERE id LIKE 'conv_bench%' GROUP BY 1`.execute(db);
  await sql`DELETE FROM messages WHERE conversation_id LIKE 'conv_bench%' AND id NOT LIKE 'msg_seed_%'`.execute(db);
  await sql`UPDATE conversations c SET message_count = (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)
    WHERE c.id LIKE 'conv_bench%'`.execute(db);
  // New conversations made by the "new conversation" row.
  await sql`DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE title = 'Benchmark question, new conversation.')`.execute(
    db,
  );
  await sql`DELETE FROM conversations WHERE title = 'Benchmark question, new conversation.'`.execute(db);
  return Object.fromEntries(rows.map((row) => [row.size, Number(row.mean)]));
}

export const NEW_CONVERSATION_MESSAGE = 'Benchmark question, new conversation.';
export const NEXT_MESSAGE = 'Benchmark question, next message.';

/** The row that replays, on /v1, the prompt app chat sent upstream for a 1,000-message conversation. */
export const LONG_PROMPT_ROW = "/v1 with the 1000-message conversation's prompt";

/**
 * A /v1/chat/completions body (JSON, not streamed) with exactly the prompt app chat sent upstream:
 * its messages (system prompt, the history that fit, the next message) and its sampling fields, for
 * `model`, the id the gateway publishes (the upstream saw its own model name instead).
 */
export function v1BodyWithPrompt(upstreamBody: string, model: string): string {
  const sent = JSON.parse(upstreamBody) as Record<string, unknown> & { messages: unknown[] };
  const last = JSON.stringify(sent.messages.at(-1));
  if (!last.includes(NEXT_MESSAGE)) throw new Error(`the upstream's last chat body is not app chat's next message: ${last}`);
  const sampling = ['max_tokens', 'temperature', 'top_p'].filter((field) => sent[field] !== undefined);
  return JSON.stringify({ model, messages: sent.messages, ...Object.fromEntries(sampling.map((field) => [field, sent[field]])) });
}
