// An application called as a model (issue 16 part 4): `model: "app_<id>"` on /v1/chat/completions,
// /v1/messages and /v1/responses. The app's system prompt and parameters are applied, its tools
// offered and run server-side by the chat's tool loop, and the answer comes back in the surface's
// own shape, so any OpenAI or Anthropic client can use an app. Nothing is stored: the client keeps
// the conversation, as it does with a model.
import { getApplicationForChat } from '../applications/service.js';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';
import { completeChatCall, prepareChatCall } from '../inference/engine.js';
import type { ChatRequest, ChatResult, FinishReason, StreamEvent, Usage } from '../inference/types.js';
import { newToolLoopState, platformToolRunner, runToolLoop, toolCatalog } from './tool-loop.js';

/** The model names that mean an application; checked with one string comparison, so other models pay nothing. */
export function isAppModel(model: string): boolean {
  return model.startsWith('app_');
}

export interface AppModelCall {
  actor: Actor;
  /** `app_<id>`, as the client sent it. */
  model: string;
  request: ChatRequest;
  signal: AbortSignal;
  requestId: string;
}

export interface AppModelAnswer {
  result: ChatResult;
  usage: Usage;
}

/** The app's request: its system prompt first, its parameters where the client set none. */
function appRequest(request: ChatRequest, config: { system_prompt?: string; temperature?: number; top_p?: number; max_tokens?: number }) {
  const out: ChatRequest = { ...request };
  if (config.system_prompt)
    out.messages = [{ role: 'system', content: [{ type: 'text', text: config.system_prompt }] }, ...request.messages];
  if (out.temperature === undefined && config.temperature !== undefined) out.temperature = config.temperature;
  if (out.topP === undefined && config.top_p !== undefined) out.topP = config.top_p;
  if (out.maxOutputTokens === undefined && config.max_tokens !== undefined) {
    out.maxOutputTokens = config.max_tokens;
    out.maxTokensField = 'max_tokens';
  }
  return out;
}

function usageOf(inputTokens: number, outputTokens: number): Usage {
  return { inputTokens, outputTokens, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 0 };
}

/**
 * One answer of an application: the owner's (or an API key of the owner's) call, like app chat
 * (getApplicationForChat: anyone else gets a 404, a stopped app a 409). An app with tools runs the
 * loop; the client may not add tools of its own to it, since their calls could not be run here.
 */
export async function completeAsApp(platform: Platform, call: AppModelCall): Promise<AppModelAnswer> {
  // The app's id is itself `app_…`; `app_app_…` (the prefix written before the id) means the same app.
  const appId = call.model.startsWith('app_app_') ? call.model.slice('app_'.length) : call.model;
  const app = await getApplicationForChat(platform, appId, call.actor);
  const bindings = await platformToolRunner.bindings(platform, app.id);
  const catalog = toolCatalog(bindings);
  const request = appRequest(call.request, app.config);
  const hasTools = catalog.tools.length > 0;
  if (hasTools) {
    if (request.tools?.length) {
      throw new AppError('INVALID_REQUEST', {
        message: 'CHAT_REQUEST_INVALID',
        params: { field: 'tools', reason: 'this application runs its own tools; send none' },
        details: { field: 'tools' },
      });
    }
    request.tools = catalog.tools;
    request.toolChoice = 'auto';
  }
  const first = await prepareChatCall(platform, {
    actor: call.actor,
    model: app.model_id,
    request,
    stream: false,
    appId: app.id,
    conversationId: null,
    signal: call.signal,
    requestId: call.requestId,
  });
  if (!hasTools) {
    const { result, outcome } = await completeChatCall(platform, first);
    return { result, usage: outcome.usage };
  }
  const state = newToolLoopState();
  const loop = runToolLoop(
    platform,
    {
      first,
      catalog,
      runner: platformToolRunner,
      stream: false,
      maxRounds: platform.config.toolMaxRounds,
      actor: call.actor,
      appId: app.id,
      conversationId: null,
      requestId: call.requestId,
      signal: call.signal,
    },
    state,
  );
  for await (const event of loop) void event;
  // The surfaces speak their protocol's reasons: running out of tool rounds is a limit, like length.
  const finishReason: FinishReason =
    state.finish === 'max_tool_rounds' || state.finish === 'length'
      ? 'length'
      : state.finish === 'content_filter'
        ? 'content_filter'
        : 'stop';
  const usage = usageOf(state.inputTokens, state.outputTokens);
  return {
    result: {
      id: `app-${call.requestId}`,
      created: Math.floor(Date.now() / 1000),
      choices: [{ index: 0, text: state.last?.content ?? '', toolCalls: [], finishReason }],
      usage,
    },
    usage,
  };
}

/** A whole answer as stream events, for a client that asked for a stream (the loop itself runs to its end first). */
export function* answerEvents(answer: AppModelAnswer): Generator<StreamEvent> {
  const choice = answer.result.choices[0];
  if (choice?.text) yield { type: 'text', index: 0, text: choice.text };
  for (const [toolIndex, tool] of (choice?.toolCalls ?? []).entries()) {
    yield { type: 'tool-call-start', index: 0, toolIndex, id: tool.id, name: tool.name };
    yield { type: 'tool-call-delta', index: 0, toolIndex, arguments: tool.arguments };
  }
  yield { type: 'finish', index: 0, reason: choice?.finishReason ?? 'stop' };
  yield { type: 'usage', usage: answer.usage };
}
