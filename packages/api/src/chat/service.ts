import type { z } from 'zod';
import { type ApplicationForChat, getApplicationForChat } from '../applications/service.js';
import type { RequestContext, Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { nanoToAmount } from '../core/money.js';
import type { Platform } from '../core/platform.js';
import { toIso } from '../core/time.js';
import { type CallOutcome, completeChatCall, type PreparedChatCall, prepareChatCall, streamChatCall } from '../inference/engine.js';
import { countTextTokens, countTextTokensCached } from '../inference/token-count.js';
import type { ChatRequest as InferenceRequest, Message } from '../inference/types.js';
import { type ModelForCall, resolveModelForCall } from '../models/call-resolver.js';
import { attachmentOf, exchangeMessages, findOwnConversation, type NewConversation } from './conversations.js';
import { type MediaReplier, mediaReplierFor } from './media-replies.js';
import type { ChatInput, ChatResponse, ChatStreamEvent } from './schemas.js';
import { renderChatStreamError } from './stream-events.js';
import { answerWithTools, type PreparedToolChat, streamWithTools } from './tool-chat.js';
import { platformToolRunner, type ToolCatalog, toolCatalog } from './tool-loop.js';

type ChatRequest = z.infer<typeof ChatInput>;

// Token counts here are o200k estimates of the text; the framing allowance covers the chat template
// (role markers, separators) an upstream adds around each message, so a reply sized to the rest of
// the window does not push a strict upstream past its context length.
const FRAMING_TOKENS_FIXED = 16;
const FRAMING_TOKENS_PER_MESSAGE = 8;
/** With no max_tokens set, the reply gets at least this much room (or the model's cap if lower). */
const MIN_DEFAULT_REPLY_TOKENS = 64;

interface ReplyBudget {
  /** Tokens the history may take. */
  historyBudget: number;
  framingPerMessage: number;
  /** The reply's max tokens once the history is known. */
  maxOutput: (historyTokens: number) => number;
}

/**
 * How the context window is shared between history and reply. An app's max_tokens is reserved
 * whole, as asked. Without one, the reply is not the model's whole output cap (which on a default
 * model is the whole 4096-token window, refusing even "hello", issue 17): the history may use the
 * window but a quarter (or the model's cap), and the reply gets all that is left up to the cap.
 * Only a prompt that leaves no room for a minimal reply is refused.
 */
function replyBudget(model: ModelForCall['model'], appMaxTokens: number | undefined, promptTokens: number): ReplyBudget {
  const tooLong = () => new AppError('INVALID_REQUEST', { message: 'MESSAGE_TOO_LONG_FOR_MODEL' });
  if (appMaxTokens !== undefined) {
    const maxOutput = Math.min(appMaxTokens, model.maxOutputTokens);
    const historyBudget = model.contextWindow - maxOutput - promptTokens;
    if (historyBudget < 0) throw tooLong();
    return { historyBudget, framingPerMessage: 0, maxOutput: () => maxOutput };
  }
  const room = model.contextWindow - promptTokens - FRAMING_TOKENS_FIXED - 2 * FRAMING_TOKENS_PER_MESSAGE;
  const floor = Math.min(MIN_DEFAULT_REPLY_TOKENS, model.maxOutputTokens);
  if (room < floor) throw tooLong();
  const kept = Math.min(model.maxOutputTokens, Math.max(floor, Math.floor(model.contextWindow / 4)));
  return {
    historyBudget: room - kept,
    framingPerMessage: FRAMING_TOKENS_PER_MESSAGE,
    maxOutput: (historyTokens) => Math.min(model.maxOutputTokens, room - historyTokens),
  };
}

interface PreparedChat {
  call: PreparedChatCall;
  conversationId: string;
  userTokens: number;
  /** Set when the conversation is new: it is written with the first messages, after the answer. */
  created?: NewConversation;
}

/**
 * Builds the prompt (system prompt, trimmed history, new message) and reserves the call's cost. One
 * statement reads an existing conversation: its row alone (ownership, message count) when its tail is
 * kept by this instance, else with its newest messages. A new one is not written here but with its
 * first messages, so a refused call (429, 402) or a failed one leaves no row.
 */
async function prepareChat(
  platform: Platform,
  ctx: Pick<RequestContext, 'clientSignal' | 'requestId'>,
  actor: Actor,
  input: ChatRequest,
  stream: boolean,
  target: ChatTarget,
): Promise<PreparedChat> {
  const { app, model } = target;
  const systemPrompt = app.config.system_prompt ?? '';
  // Through the count cache: the hold's estimate counts the same two texts again right after, and
  // the system prompt is the same on every message of the app.
  const userTokens = countTextTokensCached(input.message);
  const budget = replyBudget(model, app.config.max_tokens, userTokens + countTextTokensCached(systemPrompt));
  let history: Message[] = [];
  let historyTokens = 0;
  if (input.conversation_id) {
    const ids = { conversationId: input.conversation_id, userId: actor.userId, appId: app.id };
    const opened = await platform.conversationTails.open(ids, budget.historyBudget, budget.framingPerMessage);
    if (!opened) throw new AppError('NOT_FOUND', { message: 'CONVERSATION_NOT_FOUND' });
    ({ messages: history, tokens: historyTokens } = opened);
  }
  const conversationId = input.conversation_id ?? newId('conv');
  const maxOutput = budget.maxOutput(historyTokens);

  const messages: Message[] = [
    ...(systemPrompt ? [{ role: 'system' as const, content: [{ type: 'text' as const, text: systemPrompt }] }] : []),
    ...history,
    { role: 'user', content: [{ type: 'text', text: input.message }] },
  ];
  const request: InferenceRequest = { messages, maxOutputTokens: maxOutput, maxTokensField: 'max_tokens' };
  if (app.config.temperature !== undefined) request.temperature = app.config.temperature;
  if (app.config.top_p !== undefined) request.topP = app.config.top_p;
  if (target.catalog) {
    request.tools = target.catalog.tools;
    request.toolChoice = 'auto';
  }

  const call = await prepareChatCall(platform, {
    actor,
    model: model.id,
    request,
    stream,
    appId: app.id,
    conversationId,
    signal: ctx.clientSignal(),
    requestId: ctx.requestId,
  });
  const created = input.conversation_id ? undefined : { userId: actor.userId, appId: app.id, firstMessage: input.message };
  return { call, conversationId, userTokens, ...(created ? { created } : {}) };
}

async function recordExchange(platform: Platform, chat: PreparedChat, message: string, responseId: string, outcome: CallOutcome) {
  await platform.conversationWrites.append(
    chat.conversationId,
    exchangeMessages(
      { content: message, tokens: chat.userTokens },
      { id: responseId, content: outcome.content, tokens: outcome.outputTokens },
    ),
    chat.created,
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

interface ChatTarget {
  app: ApplicationForChat;
  model: ModelForCall['model'];
  /** The app's tools as offered to the model; null when it has none (the plain one-call chat). */
  catalog: ToolCatalog | null;
}

type ChatContext = Pick<RequestContext, 'clientSignal' | 'locale' | 'requestId'>;

async function chatTarget(platform: Platform, actor: Actor, input: ChatRequest): Promise<ChatTarget> {
  const app = await getApplicationForChat(platform, input.app_id, actor);
  const { model } = await resolveModelForCall(platform, app.model_id, actor);
  // The app's cached entry says whether it has tools at all: a plain app's message reads no tool rows.
  const bindings = app.hasTools ? await platformToolRunner.bindings(platform, app.id) : [];
  const catalog = bindings.length > 0 ? toolCatalog(bindings) : null;
  return { app, model, catalog: catalog && catalog.tools.length > 0 ? catalog : null };
}

function toolChat(chat: PreparedChat, input: ChatRequest, target: ChatTarget): PreparedToolChat {
  return { ...chat, appId: target.app.id, message: input.message, catalog: target.catalog! };
}

/**
 * An application on a media model (issue 14 part 4): its model makes media from the message; the
 * answer is the text saying what was made, with the files as attachments, kept in the conversation.
 * A refused or failed call leaves no conversation behind and costs nothing.
 */
async function answerWithMedia(
  platform: Platform,
  ctx: ChatContext,
  actor: Actor,
  input: ChatRequest,
  target: ChatTarget,
  replier: MediaReplier,
) {
  const { app, model } = target;
  const existing = input.conversation_id ? await findOwnConversation(platform.db, actor.userId, input.conversation_id, app.id) : null;
  const conversationId = existing?.id ?? newId('conv');
  const systemPrompt = app.config.system_prompt?.trim();
  const reply = await replier(platform, {
    actor,
    appId: app.id,
    conversationId,
    model: model.id,
    prompt: systemPrompt ? `${systemPrompt}\n${input.message}` : input.message,
    message: input.message,
    locale: ctx.locale,
    signal: ctx.clientSignal(),
    requestId: ctx.requestId,
  });
  const responseId = newId('resp');
  await platform.conversationWrites.append(
    conversationId,
    exchangeMessages(
      { content: input.message, tokens: countTextTokens(input.message) },
      { id: responseId, content: reply.text, tokens: countTextTokens(reply.text), attachments: reply.attachments },
    ),
    existing ? undefined : { userId: actor.userId, appId: app.id, firstMessage: input.message },
  );
  return {
    ...chatResult(responseId, conversationId, { ...reply.outcome, content: reply.text }),
    attachments: reply.attachments.map((a) => attachmentOf(platform, a)),
  };
}

/** `POST /applications/{app_id}/chat` with `stream: false`. */
export async function chatWithApplication(platform: Platform, ctx: ChatContext, actor: Actor, input: ChatRequest) {
  const target = await chatTarget(platform, actor, input);
  const replier = mediaReplierFor(target.model.operations);
  if (replier) return answerWithMedia(platform, ctx, actor, input, target, replier);
  const chat = await prepareChat(platform, ctx, actor, input, false, target);
  if (target.catalog) return answerWithTools(platform, ctx, actor, toolChat(chat, input, target));
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
  ctx: ChatContext,
  actor: Actor,
  input: ChatRequest,
): Promise<AsyncGenerator<ChatStreamEvent>> {
  const target = await chatTarget(platform, actor, input);
  const replier = mediaReplierFor(target.model.operations);
  if (replier) {
    // Made whole before the first event (a failure is still a plain HTTP error), then told as one delta and the done event.
    const answer = await answerWithMedia(platform, ctx, actor, input, target, replier);
    return (async function* mediaEvents(): AsyncGenerator<ChatStreamEvent> {
      yield { type: 'delta', content: answer.message };
      yield { type: 'done', ...answer };
    })();
  }
  const chat = await prepareChat(platform, ctx, actor, input, true, target);
  if (target.catalog) return streamWithTools(platform, ctx, actor, toolChat(chat, input, target));
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
    // A broken stream with nothing delivered still leaves the conversation its error event names.
    else if (chat.created) await platform.conversationWrites.append(chat.conversationId, [], chat.created);
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
