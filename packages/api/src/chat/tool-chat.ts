// App chat with tools (issue 16 part 4): the tool loop behind `POST /applications/{app_id}/chat`,
// as JSON and as the event stream. Every step is kept in the conversation, so the next message
// continues with the whole history.
import type { z } from 'zod';
import type { Actor, RequestContext } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { nanoToAmount } from '../core/money.js';
import type { Platform } from '../core/platform.js';
import { toIso } from '../core/time.js';
import type { PreparedChatCall } from '../inference/engine.js';
import type { NewConversation, NewMessage } from './conversations.js';
import type { ChatResponse, ChatStreamEvent } from './schemas.js';
import { renderChatStreamError } from './stream-events.js';
import {
  newToolLoopState,
  platformToolRunner,
  runToolLoop,
  type ToolCatalog,
  type ToolLoopEvent,
  type ToolLoopState,
} from './tool-loop.js';

type ChatContext = Pick<RequestContext, 'clientSignal' | 'locale' | 'requestId'>;

/** A chat whose first model round is prepared (funds held) and whose conversation exists. */
export interface PreparedToolChat {
  call: PreparedChatCall;
  conversationId: string;
  userTokens: number;
  /** Set when the conversation is new: written with the loop's messages, after the answer. */
  created?: NewConversation;
  appId: string;
  message: string;
  catalog: ToolCatalog;
}

function loop(platform: Platform, ctx: ChatContext, actor: Actor, chat: PreparedToolChat, stream: boolean, state: ToolLoopState) {
  return runToolLoop(
    platform,
    {
      first: chat.call,
      catalog: chat.catalog,
      runner: platformToolRunner,
      stream,
      maxRounds: platform.config.toolMaxRounds,
      actor,
      appId: chat.appId,
      conversationId: chat.conversationId,
      requestId: ctx.requestId,
      signal: ctx.clientSignal(),
    },
    state,
  );
}

/** The user's message, every step, and the answer when there is one (`responseId` null: the loop broke). */
async function recordLoop(platform: Platform, chat: PreparedToolChat, state: ToolLoopState, responseId: string | null) {
  const messages: NewMessage[] = [{ role: 'user', content: chat.message, tokens: chat.userTokens }];
  for (const step of state.steps) {
    messages.push(
      step.role === 'assistant'
        ? { role: 'assistant', content: step.content, tokens: step.tokens, toolCalls: step.toolCalls }
        : { role: 'tool', content: step.content, tokens: step.tokens, toolCallId: step.toolCallId },
    );
  }
  const answer = state.last?.content ?? '';
  // An answer that came is kept; a round that only asked for tools it will not get leaves no dangling call.
  if (responseId !== null || answer) {
    messages.push({ id: responseId ?? newId('resp'), role: 'assistant', content: answer, tokens: state.last?.outputTokens ?? 0 });
  }
  await platform.conversationWrites.append(chat.conversationId, messages, chat.created);
}

function totals(state: ToolLoopState) {
  return {
    tokens_used: { input: state.inputTokens, output: state.outputTokens },
    cost: nanoToAmount(state.modelCostNano + state.toolCostNano),
    cost_breakdown: { model: nanoToAmount(state.modelCostNano), tools: nanoToAmount(state.toolCostNano) },
  };
}

function loopResponse(responseId: string, conversationId: string, state: ToolLoopState): z.infer<typeof ChatResponse> {
  const finish = state.finish === 'cancelled' || state.finish === null ? 'stop' : state.finish;
  return {
    id: responseId,
    message: state.last?.content ?? '',
    conversation_id: conversationId,
    ...totals(state),
    created_at: toIso(new Date()),
    tool_calls: state.calls.map(({ costNano, ...call }) => ({ ...call, cost: nanoToAmount(costNano) })),
    finish_reason: finish,
  };
}

function streamEvent(event: ToolLoopEvent): ChatStreamEvent {
  if (event.type === 'tool_result') {
    const { costNano, ...rest } = event;
    return { ...rest, cost: nanoToAmount(costNano) };
  }
  return event;
}

/** `stream: false`: runs the loop to its end, keeps every step, answers with the totals. */
export async function answerWithTools(platform: Platform, ctx: ChatContext, actor: Actor, chat: PreparedToolChat) {
  const state = newToolLoopState();
  try {
    for await (const event of loop(platform, ctx, actor, chat, false, state)) void event;
  } catch (error) {
    await recordLoop(platform, chat, state, null);
    throw error;
  }
  const responseId = newId('resp');
  await recordLoop(platform, chat, state, responseId);
  return loopResponse(responseId, chat.conversationId, state);
}

/** `stream: true`: tool_call and tool_result events, the deltas, then `done` (or one `error` event with what was spent). */
export async function* streamWithTools(
  platform: Platform,
  ctx: ChatContext,
  actor: Actor,
  chat: PreparedToolChat,
): AsyncGenerator<ChatStreamEvent> {
  const state = newToolLoopState();
  let failure: unknown;
  try {
    for await (const event of loop(platform, ctx, actor, chat, true, state)) yield streamEvent(event);
  } catch (error) {
    failure = error;
  }
  const finished = failure === undefined && state.finish !== null && state.finish !== 'cancelled';
  const responseId = finished ? newId('resp') : null;
  await recordLoop(platform, chat, state, responseId);
  if (responseId !== null) {
    yield { type: 'done', ...loopResponse(responseId, chat.conversationId, state) };
    return;
  }
  const { cost_breakdown: _breakdown, ...billed } = totals(state);
  yield renderChatStreamError(failure ?? new AppError('UPSTREAM_ERROR', { message: 'STREAM_INTERRUPTED' }), ctx.locale, ctx.requestId, {
    conversation_id: chat.conversationId,
    ...billed,
  });
}
