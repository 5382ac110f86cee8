// The embeddings operation on the engine's path (issue 14 part 2): resolve → key policy → operation
// check → reserve → failover across the providers that can embed → settle. Billed per input token
// at the model's input price; there is no output.
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';
import type { ModelForCall } from '../models/call-resolver.js';
import type { AdapterEmbeddingsRequest, EmbeddingsRequest, EmbeddingsResult } from './types.js';
import type { ProviderTarget } from './adapter.js';
import { type CallOutcome, context, costOf, failedOutcome, failoverOptions, noUsage, resolveForCall, upstreamFailure } from './engine.js';
import { withFailover } from './failover.js';
import { type CallFunds, holdFunds, settleCall } from './settlement.js';
import { countTextTokens } from './token-count.js';

export interface EmbeddingsCallInput {
  actor: Actor;
  /** The model's id or public name. */
  model: string;
  request: EmbeddingsRequest;
  appId?: string | null;
  signal: AbortSignal;
  requestId: string;
}

export interface PreparedEmbeddingsCall {
  input: EmbeddingsCallInput;
  model: ModelForCall['model'];
  /** Targets whose adapter can embed, in the model's order. */
  targets: ProviderTarget[];
  /** The inputs' tokens as counted here, reserved, and billed when a provider reports no usage. */
  countedInputTokens: number;
  funds: CallFunds;
  startedAt: number;
}

/**
 * Resolves the model (which must declare `embeddings`), refuses an input longer than its context
 * window, and reserves the inputs' cost. A provider whose tokenizer counts more is still charged in
 * full at settlement (the excess comes from the wallet, as for chat).
 */
export async function prepareEmbeddingsCall(platform: Platform, input: EmbeddingsCallInput): Promise<PreparedEmbeddingsCall> {
  const { model, targets } = await resolveForCall(platform, input.actor, input.model, 'embeddings');
  const capable = targets.filter((target) => {
    const adapter = platform.inference.adapterFor(target.kind);
    return adapter?.operations.includes('embeddings') === true && adapter.embed !== undefined;
  });
  if (capable.length === 0) {
    throw new AppError('INVALID_REQUEST', {
      message: 'PROVIDER_OPERATION_NOT_SUPPORTED',
      params: { model: model.name, operation: 'embeddings' },
      details: { field: 'model', model: model.name, operation: 'embeddings' },
    });
  }
  let countedInputTokens = 0;
  input.request.inputs.forEach((text, i) => {
    const tokens = countTextTokens(text);
    if (tokens > model.contextWindow) {
      throw new AppError('INVALID_REQUEST', {
        message: 'EMBEDDINGS_INPUT_TOO_LONG',
        params: { index: i, tokens, limit: model.contextWindow, model: model.name },
        details: { field: `input[${i}]` },
      });
    }
    countedInputTokens += tokens;
  });
  const reserveNano = costOf(model, { inputTokens: countedInputTokens, outputTokens: 0, cachedInputTokens: 0 });
  const funds = await holdFunds(platform, input.actor, input.appId ?? null, model.id, reserveNano);
  return { input, model, targets: capable, countedInputTokens, funds, startedAt: performance.now() };
}

/** Runs the call with failover, checks the provider answered one vector per input, and settles. */
export async function completeEmbeddingsCall(
  platform: Platform,
  call: PreparedEmbeddingsCall,
): Promise<{ result: EmbeddingsResult; outcome: CallOutcome; target: ProviderTarget }> {
  try {
    const ctx = context(call, platform);
    const { result, target } = await withFailover(
      call.targets,
      (t) => {
        const adapter = platform.inference.adapterFor(t.kind);
        // prepareEmbeddingsCall kept only targets whose adapter embeds.
        if (!adapter?.embed) throw new AppError('SERVICE_UNAVAILABLE', { message: 'MODEL_NO_ROUTE', params: { model: call.model.name } });
        const request: AdapterEmbeddingsRequest = { request: call.input.request, upstreamModel: t.upstreamModel };
        return adapter.embed(t, request, ctx);
      },
      failoverOptions(platform, call),
    );
    if (result.vectors.length !== call.input.request.inputs.length) {
      throw new AppError('UPSTREAM_ERROR', { message: 'EMBEDDINGS_COUNT_MISMATCH' });
    }
    const inputTokens = result.usage?.inputTokens ?? call.countedInputTokens;
    const usage = { ...noUsage(), inputTokens };
    const outcome: CallOutcome = {
      status: 'success',
      content: '',
      toolCalls: [],
      usage,
      inputTokens,
      outputTokens: 0,
      costNano: costOf(call.model, usage),
      providerId: target.providerId,
      finishReason: null,
    };
    settleCall(platform, call, outcome);
    return { result, outcome, target };
  } catch (error) {
    settleCall(platform, call, failedOutcome(), error instanceof Error ? error.message : String(error));
    throw upstreamFailure(error);
  }
}
