import type { z } from 'zod';
import { getApplicationForChat } from '../applications/service.js';
import type { RequestContext, Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { nanoToAmount } from '../core/money.js';
import type { Platform } from '../core/platform.js';
import { toIso } from '../core/time.js';
import { resolveModelForCall } from '../models/call-resolver.js';
import { type ChatMessage, countTextTokens } from '../providers/upstream/index.js';
import { appendExchange, findOwnConversation, loadHistory, startConversation } from './conversations.js';
import { type CallOutcome, completeModelCall, type PreparedCall, prepareModelCall, streamModelCall } from './model-call.js';
import type { ChatInput, ChatResponse, ChatStreamEvent } from './schemas.js';
import { renderChatStreamError } from './stream-events.js';

type ChatRequest = z.infer<typeof ChatInput>;

interface PreparedChat {
  call: PreparedCall;
  conversationId: string;
  userTokens: number;
}

/** Builds the prompt (system prompt, trimmed history, new message) and reserves the call's cost. */
async function prepareChat(platform: Platform, actor: Actor, input: ChatRequest, signal: AbortSignal): Promise<PreparedChat> {
  const app = await getApplicationForChat(platform, input.app_id, actor);
  const { model } = await resolveModelForCall(platform, app.model_id, actor);
  const conversation = input.conversation_id
    ? await findOwnConversation(platform.db, actor.userId, input.conversation_id, app.id)
    : await startConversation(platform.db, actor.userId, app.id, input.message);

  const systemPrompt = app.config.system_prompt ?? '';
  const userTokens = countTextTokens(input.message);
  const maxOutput = Math.min(app.config.max_tokens ?? model.maxOutputTokens, model.maxOutputTokens);
  const historyBudget = model.contextWindow - maxOutput - userTokens - countTextTokens(systemPrompt);
  if (historyBudget < 0) throw new AppError('INVALID_REQUEST', { message: 'MESSAGE_TOO_LONG_FOR_MODEL' });
  const history = input.conversation_id ? await loadHistory(platform.db, conversation.id, historyBudget) : [];

  const messages: ChatMessage[] = [
    ...(systemPrompt ? [{ role: 'system' as const, content: systemPrompt }] : []),
    ...history,
    { role: 'user', content: input.message },
  ];
  const parameters: Record<string, unknown> = { max_tokens: maxOutput };
  if (app.config.temperature !== undefined) parameters.temperature = app.config.temperature;
  if (app.config.top_p !== undefined) parameters.top_p = app.config.top_p;

  const call = await prepareModelCall(platform, {
    actor,
    model: model.id,
    messages,
    parameters,
    appId: app.id,
    conversationId: conversation.id,
    signal,
  });
  return { call, conversationId: conversation.id, userTokens };
}

async function recordExchange(platform: Platform, chat: PreparedChat, message: string, responseId: string, outcome: CallOutcome) {
  await appendExchange(
    platform.db,
    chat.conversationId,
    { content: message, tokens: chat.userTokens },
    {
      id: responseId,
      content: outcome.content,
      tokens: outcome.outputTokens,
    },
  );
}

function chatResult(responseId: string, conversationId: string, outcome: CallOutcome): z.infer<typeof ChatResponse> {
  return {
    id: responseId,
    message: outcome.content,
    conversation_id: conversationId,
    tokens_used: { input: outcome.inputTokens, output: outcome.outputTokens },
    cost: nanoToAmount(outcome.costNano),
    created_at: toIso(new Date()),
  };
}

/** `POST /applications/{app_id}/chat` with `stream: false`. */
export async function chatWithApplication(platform: Platform, ctx: Pick<RequestContext, 'clientSignal'>, actor: Actor, input: ChatRequest) {
  const chat = await prepareChat(platform, actor, input, ctx.clientSignal());
  const { outcome } = await completeModelCall(platform, chat.call);
  const responseId = newId('resp');
  await recordExchange(platform, chat, input.message, responseId, outcome);
  return chatResult(responseId, chat.conversationId, outcome);
}

/**
 * `stream: true`: yields delta events as the model writes, then one `done` event with the totals —
 * or one `error` event if the stream broke, after which the partial reply is kept and billed exactly.
 * Errors before the first byte (auth, 402, no provider) are thrown, so the caller can still answer
 * with a plain HTTP error.
 */
export async function openChatStream(
  platform: Platform,
  ctx: Pick<RequestContext, 'clientSignal' | 'locale' | 'requestId'>,
  actor: Actor,
  input: ChatRequest,
): Promise<AsyncGenerator<ChatStreamEvent>> {
  const chat = await prepareChat(platform, actor, input, ctx.clientSignal());
  const streaming = await streamModelCall(platform, chat.call);
  const responseId = newId('resp');

  async function* events(): AsyncGenerator<ChatStreamEvent> {
    let failure: unknown;
    try {
      for await (const chunk of streaming.chunks) {
        const content = chunk.choices[0]?.delta.content;
        if (content) yield { type: 'delta', content };
      }
    } catch (error) {
      failure = error;
    }
    const outcome = await streaming.outcome;
    if (outcome.content) await recordExchange(platform, chat, input.message, responseId, outcome);
    if (failure === undefined && outcome.status === 'success') {
      yield { type: 'done', ...chatResult(responseId, chat.conversationId, outcome) };
      return;
    }
    yield renderChatStreamError(failure ?? new AppError('UPSTREAM_ERROR', { message: 'STREAM_INTERRUPTED' }), ctx.locale, ctx.requestId, {
      conversation_id: chat.conversationId,
      tokens_used: { input: outcome.inputTokens, output: outcome.outputTokens },
      cost: nanoToAmount(outcome.costNano),
    });
  }
  return events();
}
