// The model-call engine: resolve → key policy → capability check → reserve (per-adapter estimate)
// → failover → adapter → settle → usage record. Every surface (OpenAI, Anthropic, Responses, app
// chat) calls prepareChatCall, then completeChatCall or streamChatCall.
import { getApiKeyPolicy } from '../api-keys/service.js';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';
import { assertAllowed } from '../core/rate-limits.js';
import { assertModelCan, resolveModelForCall, type ModelForCall } from '../models/call-resolver.js';
import type { AdapterContext, ProviderAdapter, ProviderTarget } from './adapter.js';
import { UpstreamError } from './errors.js';
import { countsAgainstProvider, withFailover } from './failover.js';
import { type CallFunds, holdFunds, settleCall } from './settlement.js';
import { countPromptTokens, countTextTokens } from './token-count.js';
import type { BilledUnits } from './units.js';
import type {
  AdapterChatRequest,
  AdapterStream,
  ChatRequest,
  ChatResult,
  ContentPartType,
  OpenAiChunkSink,
  Operation,
  StreamEvent,
  ToolCall,
  Usage,
} from './types.js';

export interface ChatCallInput {
  actor: Actor;
  /** The model's id or public name. */
  model: string;
  request: ChatRequest;
  stream: boolean;
  /** The client's body when it came in OpenAI Chat shape: an openai-compatible upstream gets it with minimal edits. */
  openAiBody?: Record<string, unknown>;
  /** The JSON text `openAiBody` was parsed from, when the surface kept it: the upstream body is then an edit of it. */
  openAiBodyText?: string;
  appId?: string | null;
  conversationId?: string | null;
  signal: AbortSignal;
  requestId: string;
}

export type CallStatus = 'success' | 'failed' | 'cancelled' | 'partial';

/** What a call cost and produced, as billed. */
export interface CallOutcome {
  status: CallStatus;
  /** Text of the first choice. */
  content: string;
  toolCalls: ToolCall[];
  /** Billed usage (input includes cached; output includes reasoning). */
  usage: Usage;
  inputTokens: number;
  outputTokens: number;
  costNano: bigint;
  providerId: string | null;
  finishReason: string | null;
  /** What a unit-billed call delivered (images, seconds, …); its cost is part of costNano. */
  units?: BilledUnits;
}

type Routed = { target: ProviderTarget; adapter: ProviderAdapter };

/** The reservation and routing of one call, made before any upstream byte is requested. */
export interface PreparedChatCall {
  input: ChatCallInput;
  model: ModelForCall['model'];
  /** Targets whose adapter can take this request, in the model's order. */
  targets: ProviderTarget[];
  /** The output cap the reservation covers; adapters never ask for more. */
  maxOutputTokens: number;
  /** The plain prompt count, billed when an upstream reports no usage. */
  countedInputTokens: number;
  /** The adapters' estimate the reservation was made with. */
  reservedInputTokens: number;
  funds: CallFunds;
  startedAt: number;
}

/** Cost of a usage at the model's prices; cached input tokens at the cached price when the model sets one. */
export function costOf(model: ModelForCall['model'], usage: Pick<Usage, 'inputTokens' | 'outputTokens' | 'cachedInputTokens'>): bigint {
  const { inputNanoPerToken, outputNanoPerToken, cachedInputNanoPerToken } = model.pricing;
  const cached = Math.min(Math.max(usage.cachedInputTokens, 0), usage.inputTokens);
  return (
    BigInt(usage.inputTokens - cached) * inputNanoPerToken +
    BigInt(cached) * (cachedInputNanoPerToken ?? inputNanoPerToken) +
    BigInt(usage.outputTokens) * outputNanoPerToken
  );
}

function partsOf(request: ChatRequest): { type: ContentPartType; field: string }[] {
  const parts: { type: ContentPartType; field: string }[] = [];
  request.messages.forEach((message, i) => {
    message.content?.forEach((part, j) => {
      if (part.type !== 'text') parts.push({ type: part.type, field: `messages[${i}].content[${j}]` });
    });
  });
  return parts;
}

function usesTools(request: ChatRequest): boolean {
  return (request.tools?.length ?? 0) > 0 || request.messages.some((m) => m.role === 'tool' || (m.toolCalls?.length ?? 0) > 0);
}

/** The targets whose adapter can serve the request; a 400 naming the part (or tools) when none can. */
function routable(platform: Platform, model: ModelForCall['model'], targets: readonly ProviderTarget[], request: ChatRequest): Routed[] {
  const parts = partsOf(request);
  const tools = usesTools(request);
  const routed: Routed[] = [];
  let refusedPart: { type: ContentPartType; field: string } | null = null;
  let refusedTools = false;
  for (const target of targets) {
    const adapter = platform.inference.adapterFor(target.kind);
    if (!adapter?.operations.includes('chat')) continue;
    const part = parts.find((p) => !adapter.acceptedParts.includes(p.type));
    if (part) {
      refusedPart ??= part;
      continue;
    }
    if (tools && !adapter.supportsTools) {
      refusedTools = true;
      continue;
    }
    routed.push({ target, adapter });
  }
  if (routed.length > 0) return routed;
  if (refusedPart) {
    throw new AppError('INVALID_REQUEST', {
      message: 'CONTENT_PART_NOT_SUPPORTED',
      params: { model: model.name, part: refusedPart.type, field: refusedPart.field },
      details: { field: refusedPart.field, part: refusedPart.type },
    });
  }
  if (refusedTools)
    throw new AppError('INVALID_REQUEST', { message: 'TOOLS_NOT_SUPPORTED', params: { model: model.name }, details: { field: 'tools' } });
  throw new AppError('SERVICE_UNAVAILABLE', { message: 'MODEL_NO_ROUTE', params: { model: model.name } });
}

/**
 * The first steps of every call, whatever its operation: the per-user model-call limit, the model
 * (404 / inactive / no route), the API key's model policy (403), then whether the model declares
 * the operation (400 naming both).
 */
export async function resolveForCall(platform: Platform, actor: Actor, modelName: string, operation: Operation): Promise<ModelForCall> {
  const modelCallLimit = platform.rateLimits.modelCalls;
  if (modelCallLimit) assertAllowed(await modelCallLimit.consume(`model:${actor.userId}`));
  const resolved = await resolveModelForCall(platform, modelName, actor);
  if (actor.apiKeyId) {
    const policy = await getApiKeyPolicy(platform, actor.apiKeyId);
    if (policy.allowedModels && !policy.allowedModels.includes(resolved.model.id)) {
      throw new AppError('FORBIDDEN', { message: 'MODEL_NOT_ALLOWED_FOR_KEY', params: { model: resolved.model.name } });
    }
  }
  assertModelCan(resolved.model, operation);
  return resolved;
}

/**
 * Resolves the model, checks the key's policy and the request against what the providers can
 * take, and reserves the worst-case cost atomically. Not enough money answers 402 before any
 * upstream work happens.
 */
export async function prepareChatCall(platform: Platform, input: ChatCallInput): Promise<PreparedChatCall> {
  const { model, targets } = await resolveForCall(platform, input.actor, input.model, 'chat');
  const routed = routable(platform, model, targets, input.request);
  const { request } = input;
  const maxOutputTokens = Math.min(request.maxOutputTokens ?? model.maxOutputTokens, model.maxOutputTokens);
  // The largest estimate among the adapters that may serve it: failover may land on any of them.
  let reservedInputTokens = 0;
  const estimated = new Set<ProviderAdapter>();
  for (const { adapter, target } of routed) {
    if (adapter.countInputTokens) {
      reservedInputTokens = Math.max(reservedInputTokens, await countedBy(adapter, target, request));
      continue;
    }
    if (estimated.has(adapter)) continue;
    estimated.add(adapter);
    reservedInputTokens = Math.max(reservedInputTokens, adapter.estimateInputTokens(request));
  }
  const reserveNano = costOf(model, { inputTokens: reservedInputTokens, outputTokens: maxOutputTokens, cachedInputTokens: 0 });
  const funds = await holdFunds(platform, input.actor, input.appId ?? null, model.id, reserveNano);
  // Counted only when needed (an upstream that reports no usage, Anthropic's message_start): the
  // reservation already tokenised the prompt, and a second pass was a measurable share of a call.
  let counted: number | undefined;
  return {
    input,
    model,
    targets: routed.map((r) => r.target),
    maxOutputTokens,
    get countedInputTokens() {
      return (counted ??= countPromptTokens(request.messages));
    },
    reservedInputTokens,
    funds,
    startedAt: performance.now(),
  };
}

/** An adapter's exact count (the local runtime's tokenizer); a failure is the call's upstream failure. */
async function countedBy(adapter: ProviderAdapter, target: ProviderTarget, request: ChatRequest): Promise<number> {
  try {
    return await adapter.countInputTokens!(target, request);
  } catch (error) {
    throw upstreamFailure(error);
  }
}

/** Gives back the funds of a prepared call that will not be made (the caller failed before it). */
export function abandonChatCall(platform: Platform, call: PreparedChatCall, error: unknown): void {
  settleCall(platform, call, failedOutcome(), error);
}

/** The client-facing error for an upstream failure after all fallbacks. */
export function upstreamFailure(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof UpstreamError) {
    if (error.kind === 'timeout') return new AppError('UPSTREAM_TIMEOUT', { cause: error });
    if (error.kind === 'client') {
      return new AppError('INVALID_REQUEST', {
        message: 'UPSTREAM_REJECTED_REQUEST',
        params: { reason: error.message.slice(0, 300) },
        cause: error,
      });
    }
  }
  return new AppError('UPSTREAM_ERROR', { cause: error });
}

function adapterCall(call: PreparedChatCall, target: ProviderTarget, stream: boolean): AdapterChatRequest {
  const out: AdapterChatRequest = {
    request: call.input.request,
    upstreamModel: target.upstreamModel,
    maxOutputTokens: call.maxOutputTokens,
    defaults: call.model.defaultParameters,
    stream,
  };
  if (call.input.openAiBody) out.openAiBody = call.input.openAiBody;
  if (call.input.openAiBodyText !== undefined) out.openAiBodyText = call.input.openAiBodyText;
  return out;
}

function adapterOf(platform: Platform, target: ProviderTarget): ProviderAdapter {
  const adapter = platform.inference.adapterFor(target.kind);
  // routable() kept only targets with an adapter.
  if (!adapter)
    throw new UpstreamError(`no adapter for provider kind ${target.kind}`, {
      kind: 'connect',
      providerId: target.providerId,
      retryable: true,
    });
  return adapter;
}

/** What adapters get besides the request: the platform's transport, the caller's signal and request id. */
export function context(call: { input: Pick<ChatCallInput, 'signal' | 'requestId'> }, platform: Platform): AdapterContext {
  return { transport: platform.inference.transport, signal: call.input.signal, requestId: call.input.requestId };
}

export function noUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 0 };
}

export function failedOutcome(): CallOutcome {
  return {
    status: 'failed',
    content: '',
    toolCalls: [],
    usage: noUsage(),
    inputTokens: 0,
    outputTokens: 0,
    costNano: 0n,
    providerId: null,
    finishReason: null,
  };
}

/**
 * The outcome to bill: the provider's reported usage when it gave one (and the call ran to its
 * end), else the prompt as counted plus the output actually delivered.
 */
function finalOutcome(
  call: PreparedChatCall,
  status: CallStatus,
  answer: { content: string; toolCalls: ToolCall[]; deliveredText: string },
  reported: Usage | null,
  providerId: string,
  finishReason: string | null,
): CallOutcome {
  const usage = reported ?? { ...noUsage(), inputTokens: call.countedInputTokens, outputTokens: countTextTokens(answer.deliveredText) };
  return {
    status,
    content: answer.content,
    toolCalls: answer.toolCalls,
    usage,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    costNano: costOf(call.model, usage),
    providerId,
    finishReason,
  };
}

export function failoverOptions(platform: Platform, call: { input: Pick<ChatCallInput, 'signal'> }) {
  return {
    signal: call.input.signal,
    cooldowns: platform.inference.cooldowns,
    onAttemptFailed: (error: UpstreamError, failed: ProviderTarget) => platform.telemetry.upstreamError(failed.providerId, error.kind),
  };
}

/** A whole (non-streaming) call: failover across the model's providers, then settlement. */
export async function completeChatCall(
  platform: Platform,
  call: PreparedChatCall,
): Promise<{ result: ChatResult; outcome: CallOutcome; target: ProviderTarget }> {
  try {
    const ctx = context(call, platform);
    const { result, target } = await withFailover(
      call.targets,
      (t) => adapterOf(platform, t).chat(t, adapterCall(call, t, false), ctx),
      failoverOptions(platform, call),
    );
    const first = result.choices[0];
    const content = first?.text ?? '';
    const toolCalls = first?.toolCalls ?? [];
    const delivered = result.choices.map((c) => c.text + c.toolCalls.map((t) => t.arguments).join('')).join('');
    const outcome = finalOutcome(
      call,
      'success',
      { content, toolCalls, deliveredText: delivered },
      result.usage,
      target.providerId,
      first?.finishReason ?? null,
    );
    settleCall(platform, call, outcome);
    return { result, outcome, target };
  } catch (error) {
    settleCall(platform, call, failedOutcome(), error);
    throw upstreamFailure(error);
  }
}

export interface StreamingChatCall {
  /** Events as the upstream sends them; iterate once (or use `pipe`, not both). */
  events: AsyncIterable<StreamEvent>;
  /**
   * Present when the upstream speaks OpenAI's protocol: writes its chunks to an OpenAI surface as
   * the upstream's own text instead of events (issue 18 target 4), and settles the same way. The
   * outcome then carries no content or tool calls: the client has them in the chunks.
   */
  pipe?: (sink: OpenAiChunkSink) => Promise<void>;
  /** Resolves after the stream ended, was cut or cancelled, with what was charged. */
  outcome: Promise<CallOutcome>;
  /** The provider serving the stream (e.g. to replace its model name in passed-through chunks). */
  target: ProviderTarget;
}

/**
 * Opens the upstream stream (failing over before any byte reaches the client), and settles when
 * it ends: a stream cut mid-way or cancelled by the client is charged exactly for what was
 * delivered up to that point.
 */
export async function streamChatCall(platform: Platform, call: PreparedChatCall): Promise<StreamingChatCall> {
  let upstream: AdapterStream;
  let target: ProviderTarget;
  try {
    const ctx = context(call, platform);
    const opened = await withFailover(
      call.targets,
      (t) => adapterOf(platform, t).streamChat(t, adapterCall(call, t, true), ctx),
      failoverOptions(platform, call),
    );
    upstream = opened.result;
    target = opened.target;
  } catch (error) {
    settleCall(platform, call, failedOutcome(), error);
    throw upstreamFailure(error);
  }

  let resolveOutcome!: (outcome: CallOutcome) => void;
  const outcome = new Promise<CallOutcome>((resolve) => {
    resolveOutcome = resolve;
  });

  /** How the stream went: a cut mid-way still counts against the provider (withFailover only saw the headers succeed). */
  function failedStatus(error: unknown): CallStatus {
    if (error instanceof UpstreamError) {
      platform.telemetry.upstreamError(target.providerId, error.kind);
      if (countsAgainstProvider(error)) platform.inference.cooldowns.recordFailure(target.providerId);
    }
    return call.input.signal.aborted ? 'cancelled' : 'partial';
  }

  function settle(
    status: CallStatus,
    failure: unknown,
    answer: { content: string; toolCalls: ToolCall[] },
    finishReason: string | null,
  ): void {
    // A finished stream has released its connection (kept alive for the next call); cancelling it
    // here would destroy a socket that may still be draining its last bytes.
    if (!upstream.completed) upstream.cancel();
    // A consumer that stopped early (client gone) lands here without an error.
    if (status === 'success' && !upstream.completed) status = 'cancelled';
    const reported = status === 'success' ? upstream.usage : (upstream.deliveredUsage ?? null);
    const result = finalOutcome(
      call,
      status,
      { ...answer, deliveredText: upstream.deliveredText },
      reported,
      target.providerId,
      finishReason,
    );
    settleCall(platform, call, result, failure);
    resolveOutcome(result);
  }

  async function* relay(): AsyncGenerator<StreamEvent> {
    let status: CallStatus = 'success';
    let failure: unknown;
    let content = '';
    let finishReason: string | null = null;
    const toolCalls: ToolCall[] = [];
    try {
      for await (const event of upstream) {
        if (!('index' in event) || event.index === 0) {
          if (event.type === 'text') content += event.text;
          else if (event.type === 'tool-call-start') toolCalls[event.toolIndex] = { id: event.id, name: event.name, arguments: '' };
          else if (event.type === 'tool-call-delta') {
            const tool = toolCalls[event.toolIndex];
            if (tool) tool.arguments += event.arguments;
          } else if (event.type === 'finish') finishReason = event.reason;
        }
        yield event;
      }
      if (!upstream.completed) status = call.input.signal.aborted ? 'cancelled' : 'partial';
    } catch (error) {
      status = failedStatus(error);
      failure = error;
      throw upstreamFailure(error);
    } finally {
      settle(status, failure, { content, toolCalls: toolCalls.filter(Boolean) }, finishReason);
    }
  }

  const passThrough = upstream.passThrough?.bind(upstream);
  const pipe = passThrough
    ? async (sink: OpenAiChunkSink): Promise<void> => {
        let status: CallStatus = 'success';
        let failure: unknown;
        try {
          await passThrough(sink);
        } catch (error) {
          status = failedStatus(error);
          failure = error;
          throw upstreamFailure(error);
        } finally {
          settle(status, failure, { content: '', toolCalls: [] }, null);
        }
      }
    : undefined;

  return { events: relay(), ...(pipe ? { pipe } : {}), outcome, target };
}
