import { getApiKeyPolicy } from '../api-keys/service.js';
import { reserveFunds, settleReservation } from '../billing/reservations.js';
import type { LeaseHold } from '../billing/wallet-leases.js';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { assertAllowed } from '../core/rate-limits.js';
import type { Platform } from '../core/platform.js';
import { resolveModelForCall, type ModelForCall } from '../models/call-resolver.js';
import {
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatMessage,
  countPromptTokens,
  countTextTokens,
  countsAgainstProvider,
  dispatchChat,
  providerCooldowns,
  type UpstreamStream,
  type UpstreamTarget,
  UpstreamError,
  withFailover,
} from '../providers/upstream/index.js';

/** What a model call needs, whichever face it came through (chat, gateway). */
export interface ModelCallInput {
  actor: Actor;
  model: string;
  messages: ChatMessage[];
  /** OpenAI request fields other than model/messages/stream (max_tokens, temperature, …). */
  parameters: Record<string, unknown>;
  appId?: string | null;
  conversationId?: string | null;
  signal: AbortSignal;
}

export type CallStatus = 'success' | 'failed' | 'cancelled' | 'partial';

export interface CallOutcome {
  status: CallStatus;
  content: string;
  inputTokens: number;
  outputTokens: number;
  costNano: bigint;
  providerId: string | null;
  finishReason: string | null;
}

/** The reservation and routing of one call, made before any upstream byte is requested. */
export interface PreparedCall {
  input: ModelCallInput;
  model: ModelForCall['model'];
  targets: UpstreamTarget[];
  request: ChatCompletionRequest;
  /** The call's worst case, held from the caller's wallet lease or reserved on its own. */
  funds: CallFunds;
  estimatedInputTokens: number;
  startedAt: number;
}

export type CallFunds = { kind: 'lease'; hold: LeaseHold } | { kind: 'reservation'; reservationId: string };

/** From the instance's wallet lease when one covers the call, else one exact reservation; 402 if neither. */
async function holdFunds(platform: Platform, input: ModelCallInput, modelId: string, amountNano: bigint): Promise<CallFunds> {
  const { actor } = input;
  const hold = await platform.leases?.hold(actor.userId, actor.apiKeyId ?? null, amountNano);
  if (hold) return { kind: 'lease', hold };
  const reservation = await reserveFunds(platform.billingDb, {
    userId: actor.userId,
    amountNano,
    apiKeyId: actor.apiKeyId,
    modelId,
    appId: input.appId ?? null,
  });
  if (!reservation) throw new AppError('PAYMENT_REQUIRED', { message: 'INSUFFICIENT_BALANCE_FOR_CALL' });
  return { kind: 'reservation', reservationId: reservation.reservationId };
}

// Upstreams frame messages with a few tokens each, which our plain count does not see; the
// reservation covers that so the final charge (capped at the reservation) is never short.
const FRAMING_TOKENS_PER_MESSAGE = 4;
const FRAMING_TOKENS_FIXED = 16;

export function costOf(model: ModelForCall['model'], inputTokens: number, outputTokens: number): bigint {
  return BigInt(inputTokens) * model.pricing.inputNanoPerToken + BigInt(outputTokens) * model.pricing.outputNanoPerToken;
}

function requestedMaxTokens(parameters: Record<string, unknown>): number | undefined {
  const value = parameters.max_tokens ?? parameters.max_completion_tokens;
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * Resolves the model, checks the key's policy and reserves the worst-case cost atomically.
 * Not enough money answers 402 before any upstream work happens.
 */
export async function prepareModelCall(platform: Platform, input: ModelCallInput): Promise<PreparedCall> {
  const modelCallLimit = platform.rateLimits.modelCalls;
  if (modelCallLimit) assertAllowed(await modelCallLimit.consume(`model:${input.actor.userId}`));
  const { model, targets } = await resolveModelForCall(platform, input.model, input.actor);
  if (input.actor.apiKeyId) {
    const policy = await getApiKeyPolicy(platform, input.actor.apiKeyId);
    if (policy.allowedModels && !policy.allowedModels.includes(model.id)) {
      throw new AppError('FORBIDDEN', { message: 'MODEL_NOT_ALLOWED_FOR_KEY', params: { model: model.name } });
    }
  }

  const maxOutputTokens = Math.min(requestedMaxTokens(input.parameters) ?? model.maxOutputTokens, model.maxOutputTokens);
  const estimatedInputTokens = countPromptTokens(input.messages);
  const reservedInputTokens = estimatedInputTokens + FRAMING_TOKENS_FIXED + FRAMING_TOKENS_PER_MESSAGE * input.messages.length;
  const reserveNano = costOf(model, reservedInputTokens, maxOutputTokens);

  const funds = await holdFunds(platform, input, model.id, reserveNano);

  const request: ChatCompletionRequest = {
    ...model.defaultParameters,
    ...input.parameters,
    model: model.name,
    messages: input.messages,
    max_tokens: maxOutputTokens,
  };
  delete request.max_completion_tokens;
  return { input, model, targets, request, funds, estimatedInputTokens, startedAt: performance.now() };
}

/** Books the outcome exactly once, off the response path (batched for leased calls); shutdown waits for it. */
export function settleCall(platform: Platform, call: PreparedCall, outcome: CallOutcome, error?: string): void {
  const { input } = call;
  const latencyMs = Math.round(performance.now() - call.startedAt);
  platform.telemetry.modelCall({
    modelId: call.model.id,
    providerId: outcome.providerId,
    status: outcome.status,
    inputTokens: outcome.inputTokens,
    outputTokens: outcome.outputTokens,
    latencyMs,
  });
  if (outcome.status !== 'failed') platform.callCounts.add(call.model.id);
  const { funds } = call;
  if (funds.kind === 'lease') {
    platform.leases?.settle(funds.hold, {
      appId: input.appId ?? null,
      modelId: call.model.id,
      providerId: outcome.providerId,
      conversationId: input.conversationId ?? null,
      inputTokens: outcome.inputTokens,
      outputTokens: outcome.outputTokens,
      costNano: outcome.costNano,
      latencyMs,
      status: outcome.status,
      error: error ?? null,
    });
    return;
  }
  platform.background.run(
    'settle-model-call',
    async () => {
      await settleReservation(platform.billingDb, {
        reservationId: funds.reservationId,
        actualCostNano: outcome.costNano,
        usage: {
          userId: input.actor.userId,
          appId: input.appId ?? null,
          apiKeyId: input.actor.apiKeyId,
          modelId: call.model.id,
          providerId: outcome.providerId,
          conversationId: input.conversationId ?? null,
          inputTokens: outcome.inputTokens,
          outputTokens: outcome.outputTokens,
          latencyMs,
          status: outcome.status,
          error: error ?? null,
        },
      });
      // settleReservation is exactly-once, so retrying through an outage can never charge twice.
    },
    5,
    true,
  );
}

function failedOutcome(): CallOutcome {
  return { status: 'failed', content: '', inputTokens: 0, outputTokens: 0, costNano: 0n, providerId: null, finishReason: null };
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

function usageOrCount(call: PreparedCall, reported: { prompt_tokens: number; completion_tokens: number } | null, content: string) {
  if (reported) return { inputTokens: reported.prompt_tokens, outputTokens: reported.completion_tokens };
  return { inputTokens: call.estimatedInputTokens, outputTokens: countTextTokens(content) };
}

function finalOutcome(
  call: PreparedCall,
  status: CallStatus,
  content: string,
  reported: { prompt_tokens: number; completion_tokens: number } | null,
  providerId: string,
  finishReason: string | null,
): CallOutcome {
  const { inputTokens, outputTokens } = usageOrCount(call, reported, content);
  return { status, content, inputTokens, outputTokens, costNano: costOf(call.model, inputTokens, outputTokens), providerId, finishReason };
}

/** A whole (non-streaming) call: failover across the model's providers, then settlement. */
export async function completeModelCall(
  platform: Platform,
  call: PreparedCall,
): Promise<{ completion: ChatCompletion; outcome: CallOutcome }> {
  try {
    const { result, target } = await withFailover(call.targets, (t) => dispatchChat(t, call.request, { signal: call.input.signal }), {
      signal: call.input.signal,
      cooldowns: providerCooldowns,
      onAttemptFailed: (error, failed) => platform.telemetry.upstreamError(failed.providerId, error.kind),
    });
    const outcome = finalOutcome(call, 'success', result.content, result.usage, target.providerId, result.finishReason);
    settleCall(platform, call, outcome);
    return { completion: result.body, outcome };
  } catch (error) {
    settleCall(platform, call, failedOutcome(), error instanceof Error ? error.message : String(error));
    throw upstreamFailure(error);
  }
}

export interface StreamingCall {
  /** Chunks as the upstream sends them; iterate once. */
  chunks: AsyncIterable<ChatCompletionChunk>;
  /** Resolves after the stream ended, was cut or cancelled, with what was charged. */
  outcome: Promise<CallOutcome>;
  target: UpstreamTarget;
}

/**
 * Opens the upstream stream (failing over before any byte reaches the client), and settles when
 * it ends: a stream cut mid-way or cancelled by the client is charged exactly for the tokens
 * delivered up to that point.
 */
export async function streamModelCall(platform: Platform, call: PreparedCall): Promise<StreamingCall> {
  let upstream: UpstreamStream;
  let target: UpstreamTarget;
  try {
    const opened = await withFailover(call.targets, (t) => dispatchChat(t, call.request, { signal: call.input.signal, stream: true }), {
      signal: call.input.signal,
      cooldowns: providerCooldowns,
      onAttemptFailed: (error, failed) => platform.telemetry.upstreamError(failed.providerId, error.kind),
    });
    upstream = opened.result;
    target = opened.target;
  } catch (error) {
    settleCall(platform, call, failedOutcome(), error instanceof Error ? error.message : String(error));
    throw upstreamFailure(error);
  }

  let resolveOutcome!: (outcome: CallOutcome) => void;
  const outcome = new Promise<CallOutcome>((resolve) => {
    resolveOutcome = resolve;
  });

  async function* relay(): AsyncGenerator<ChatCompletionChunk> {
    let status: CallStatus = 'success';
    let errorMessage: string | undefined;
    try {
      for await (const chunk of upstream) yield chunk;
      if (!upstream.completed) status = call.input.signal.aborted ? 'cancelled' : 'partial';
    } catch (error) {
      status = call.input.signal.aborted ? 'cancelled' : 'partial';
      errorMessage = error instanceof Error ? error.message : String(error);
      // withFailover only saw the headers succeed; a cut mid-stream still counts against the provider.
      if (error instanceof UpstreamError) {
        platform.telemetry.upstreamError(target.providerId, error.kind);
        if (countsAgainstProvider(error)) providerCooldowns.recordFailure(target.providerId);
      }
      throw upstreamFailure(error);
    } finally {
      upstream.cancel();
      // A consumer that stopped early (client gone) lands here without an error.
      if (status === 'success' && !upstream.completed) status = 'cancelled';
      const reported = status === 'success' ? upstream.usage : null;
      const result = finalOutcome(call, status, upstream.contentSoFar, reported, target.providerId, upstream.finishReason);
      settleCall(platform, call, result, errorMessage);
      resolveOutcome(result);
    }
  }

  return { chunks: relay(), outcome, target };
}
