import type { z } from 'zod';
import { getApplicationForChat } from '../applications/service.js';
import type { RequestContext, Actor } from '../core/context.js';
import { AppError, describeError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { nanoToAmount } from '../core/money.js';
import type { Platform } from '../core/platform.js';
import { toIso } from '../core/time.js';
import { type CallOutcome, completeChatCall, type PreparedChatCall, prepareChatCall, streamChatCall } from '../inference/engine.js';
import { countTextTokens } from '../inference/token-count.js';
import type { ChatRequest as InferenceRequest, Message } from '../inference/types.js';
import { resolveModelForCall } from '../models/call-resolver.js';
import { appendExchange, findOwnConversation, loadHistory, startConversation } from './conversations.js';
import type { ChatInput, ChatResponse, ChatStreamEvent } from './schemas.js';

type ChatRequest = z.infer<typeof ChatInput>;

interface PreparedChat {
  call: PreparedChatCall;
  conversationId: string;
  userTokens: number;
}

/** Builds the prompt (system prompt, trimmed history, new message) and reserves the call's cost. */
async function prepareChat(
  platform: Platform,
  ctx: Pick<RequestContext, 'clientSignal' | 'requestId'>,
  actor: Actor,
  input: ChatRequest,
  stream: boolean,
): Promise<PreparedChat> {
  const app = await getApplicationForChat(platform.db, input.app_id, actor);
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

  const messages: Message[] = [
    ...(systemPrompt ? [{ role: 'system' as const, content: [{ type: 'text' as const, text: systemPrompt }] }] : []),
    ...history,
    { role: 'user', content: [{ type: 'text', text: input.message }] },
  ];
  const request: InferenceRequest = { messages, maxOutputTokens: maxOutput, maxTokensField: 'max_tokens' };
  if (app.config.temperature !== undefined) request.temperature = app.config.temperature;
  if (app.config.top_p !== undefined) request.topP = app.config.top_p;

  const call = await prepareChatCall(platform, {
    actor,
    model: model.id,
    request,
    stream,
    appId: app.id,
    conversationId: conversation.id,
    signal: ctx.clientSignal(),
    requestId: ctx.requestId,
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
export async function chatWithApplication(
  platform: Platform,
  ctx: Pick<RequestContext, 'clientSignal' | 'requestId'>,
  actor: Actor,
  input: ChatRequest,
) {
  const chat = await prepareChat(platform, ctx, actor, input, false);
  const { outcome } = await completeChatCall(platform, chat.call);
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
  const chat = await prepareChat(platform, ctx, actor, input, true);
  const streaming = await streamChatCall(platform, chat.call);
  const responseId = newId('resp');

  async function* events(): AsyncGenerator<ChatStreamEvent> {
    let failure: unknown;
    try {
      for await (const event of streaming.events) {
        if (event.type === 'text' && event.index === 0 && event.text) yield { type: 'delta', content: event.text };
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
    const body = describeError(failure ?? new AppError('UPSTREAM_ERROR', { message: 'STREAM_INTERRUPTED' }), ctx.locale);
    yield {
      type: 'error',
      error: { code: body.code, message: body.message, request_id: ctx.requestId },
      conversation_id: chat.conversationId,
      tokens_used: { input: outcome.inputTokens, output: outcome.outputTokens },
      cost: nanoToAmount(outcome.costNano),
    };
  }
  return events();
}
